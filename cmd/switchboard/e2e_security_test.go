package main

import (
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
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

// TestE2EReadyzDegradedWhilePluginDown (issue 13): in index mode a plugin
// that is down leaves rings answered from the index, so /readyz answers
// 200 "degraded" naming it, not 503; in live mode the same is 503.
func TestE2EReadyzDegradedWhilePluginDown(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode, status string
		code         int
		ext          string
	}{
		{"index", `"status":"degraded"`, http.StatusOK, "1093"},
		{"live", `"status":"not ready"`, http.StatusServiceUnavailable, extDefault},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			// A slow restart keeps the plugin down long enough to look.
			cfg := strings.Replace(liveConfig(tc.mode, ""), "restart_backoff_min: 50ms\n  restart_backoff_max: 1s",
				"restart_backoff_min: 30s\n  restart_backoff_max: 30s", 1)
			h := startHost(t, writeConfig(t, t.TempDir(), "cfg.yaml", cfg))
			pids := h.pluginPIDs()
			if len(pids) != 1 {
				t.Fatalf("plugin pids %v", pids)
			}
			if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			eventually(t, 20*time.Second, func() (bool, string) {
				code, body := h.readyz()
				return code == tc.code && strings.Contains(body, tc.status) && strings.Contains(body, "plugin customers is down"), body
			})
			if _, ext := h.ivr(`{"caller":"+442045205757"}`); ext != tc.ext {
				t.Errorf("while the plugin is down: extension %q, want %q", ext, tc.ext)
			}
		})
	}
}
