package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestE2EAdminListener (issue 13): /metrics and /readyz are served on the
// admin listener only; the public port has the phone systems' endpoints
// and /healthz.
func TestE2EAdminListener(t *testing.T) {
	t.Parallel()
	h := startHost(t, exampleConfig(t))
	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		url, has string
		want     int
	}{
		{h.url("/metrics"), "not found", 404},
		{h.url("/readyz"), "not found", 404},
		{h.url("/healthz"), "ok", 200},
		{h.adminURL("/metrics"), "switchboard_http_requests_total", 200},
		{h.adminURL("/readyz"), `"status":"ready"`, 200},
	} {
		if code, body := get(tc.url); code != tc.want || !strings.Contains(body, tc.has) {
			t.Errorf("GET %s = %d %.200s, want %d with %q", tc.url, code, body, tc.want, tc.has)
		}
	}
}

// TestE2EValidateOpenLookups (issue 13): a Smart IVR without credentials
// on a listener other machines reach is refused by validate, and allowed
// with insecure_no_auth.
func TestE2EValidateOpenLookups(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	open := strings.Replace(liveConfig("index", ""), `listen: "127.0.0.1:${SB_PORT}"`, `listen: "0.0.0.0:0"`, 1)
	cli(t, nil, "validate", "-config", writeConfig(t, dir, "open.yaml", open)).mustExit(exitUsage).stderrHas(
		"hipcall.smart_ivr is served without credentials", "set basic_auth")
	allowed := open + "hipcall:\n  smart_ivr:\n    insecure_no_auth: true\n"
	cli(t, nil, "validate", "-config", writeConfig(t, dir, "allowed.yaml", allowed)).mustExit(0).stdoutHas("OK")
}
