package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestE2ECSVShrinkHeld (issue 10, item 6) with the real host and CSV
// plugin: an export cut to its header is held by the plugin (the old data
// keeps answering) and /readyz reports the source degraded (200: rings are
// still answered), in live mode
// as in index mode; touching the accept file serves the smaller file, and
// /readyz is ready again. In index mode the index is rebuilt at once, not
// held a second time by the directory's own guard.
func TestE2ECSVShrinkHeld(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"live", "index"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			binaries(t) // sets repoRoot
			sample, err := os.ReadFile(filepath.Join(repoRoot, "configs", "sample", "customers.csv"))
			if err != nil {
				t.Fatal(err)
			}
			csvPath := filepath.Join(dir, "customers.csv")
			if err := os.WriteFile(csvPath, sample, 0o644); err != nil {
				t.Fatal(err)
			}
			body := strings.Replace(liveConfig(mode, ""), "{{root}}/configs/sample/customers.csv", csvPath+"\n      reload_interval: 100ms", 1)
			body = strings.Replace(body, "directory:\n", "directory:\n  check_interval: 1s\n", 1)
			h := startHost(t, writeConfig(t, dir, "cfg.yaml", body))
			h.waitReady(30 * time.Second)
			if _, ext := h.ivr(`{"caller":"+442045205757"}`); ext != "1093" {
				t.Fatalf("before: extension %q, want 1093", ext)
			}

			header := sample[:strings.IndexByte(string(sample), '\n')+1]
			if err := os.WriteFile(csvPath, header, 0o644); err != nil {
				t.Fatal(err)
			}
			eventually(t, 20*time.Second, func() (bool, string) {
				code, body := h.readyz()
				return code == http.StatusOK && strings.Contains(body, `"status":"degraded"`) &&
					strings.Contains(body, "accept-shrink"), body
			})
			if _, ext := h.ivr(`{"caller":"+442045205757"}`); ext != "1093" {
				t.Errorf("while held: extension %q, want 1093 from the last good data", ext)
			}

			now := time.Now()
			if err := os.WriteFile(csvPath+".accept-shrink", nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(csvPath+".accept-shrink", now, now); err != nil {
				t.Fatal(err)
			}
			eventually(t, 20*time.Second, func() (bool, string) {
				code, body := h.readyz()
				_, ext := h.ivr(`{"caller":"+442045205757"}`)
				return code == http.StatusOK && strings.Contains(body, `"status":"ready"`) && ext == extDefault, body + " extension " + ext
			})
			if strings.Contains(h.logs.String(), "index rebuild held") {
				t.Errorf("the directory held the accepted shrink again:\n%s", h.logs.String())
			}
		})
	}
}
