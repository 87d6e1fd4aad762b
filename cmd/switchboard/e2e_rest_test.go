package main

import (
	"path/filepath"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors/rest/pipedrivetest"
)

// TestE2ERestPipedriveConfig (issue 14): configs/rest-pipedrive.yaml, as
// shipped, serves rings from a Pipedrive-like API through the generic
// REST connector's real plugin, against the fake with its messy seed
// numbers.
func TestE2ERestPipedriveConfig(t *testing.T) {
	t.Parallel()
	fake := pipedrivetest.NewServer(pipedrivetest.Options{})
	t.Cleanup(fake.Close)
	fake.Seed()
	binaries(t) // sets repoRoot
	cfg := filepath.Join(repoRoot, "configs", "rest-pipedrive.yaml")
	h := startHost(t, cfg, "PD_BASE_URL="+fake.URL(), "PD_TOKEN="+pipedrivetest.DefaultAPIToken)
	for _, tc := range []struct{ caller, want, why string }{
		{"+905321234567", "1001", "stored as 00905321234567"},
		{"+447700900123", "1001", "stored as 07700 900123"},
		{"+442079460018", "1001", "stored with an extension"},
		{"+442045205757", "1000", "two persons share it: ambiguous, no rule"},
		{"+441632960000", "1000", "nobody"},
	} {
		if _, ext := h.ivr(`{"caller":"` + tc.caller + `"}`); ext != tc.want {
			t.Errorf("%s (%s): extension %q, want %q", tc.caller, tc.why, ext, tc.want)
		}
	}
}

// TestE2EValidateRestConfigs: both shipped REST configs validate.
func TestE2EValidateRestConfigs(t *testing.T) {
	t.Parallel()
	binaries(t)
	for _, c := range []struct{ file, env string }{
		{"rest-pipedrive.yaml", "PD_TOKEN=x"},
		{"rest-hubspot.yaml", "HUBSPOT_TOKEN=x"},
	} {
		cli(t, []string{c.env}, "validate", "-config", filepath.Join(repoRoot, "configs", c.file)).mustExit(0).stdoutHas("OK")
	}
}
