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

// TestE2ESmartIVRRateLimited (issue 13): with the per-source limit on for
// loopback too, rings over it get the default extension, never an error,
// and the metrics count them.
func TestE2ESmartIVRRateLimited(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := strings.Replace(liveConfig("index", ""), `listen: "127.0.0.1:${SB_PORT}"`,
		`listen: "127.0.0.1:${SB_PORT}"
  limits: {rate: 0.01, burst: 3, exempt: []}`, 1)
	h := startHost(t, writeConfig(t, dir, "limited.yaml", cfg))
	var exts []string
	for range 5 {
		code, ext := h.ivr(`{"caller":"+442045205757"}`)
		if code != http.StatusOK {
			t.Fatalf("a ring over the limit got %d", code)
		}
		exts = append(exts, ext)
	}
	if want := []string{"1093", "1093", "1093", extDefault, extDefault}; strings.Join(exts, ",") != strings.Join(want, ",") {
		t.Errorf("extensions %v, want %v", exts, want)
	}
	if n := h.metric("switchboard_http_rate_limited_total", `endpoint="smart_ivr"`); n != 2 {
		t.Errorf("rate limited = %v, want 2", n)
	}
	if n := h.metric("switchboard_smart_ivr_fallbacks_total", `reason="rate_limited"`); n != 2 {
		t.Errorf("rate_limited fallbacks = %v, want 2", n)
	}
}
