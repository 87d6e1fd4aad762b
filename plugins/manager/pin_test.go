//go:build unix

package manager

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/switchboard-hq/switchboard/plugins/internal/plugintest"
)

// TestPinnedBinaryIsTheOneRun (issue 13): the bytes checked against the
// sha256 pin are the bytes run. A binary swapped for another after the
// check (renamed over it, or rewritten in place) must not run: the
// verified one does.
func TestPinnedBinaryIsTheOneRun(t *testing.T) {
	raw, err := os.ReadFile(plugintest.FakePlugin())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	pin := hex.EncodeToString(sum[:])
	// The impostor is the fake plugin describing itself under another name.
	impostor := fmt.Sprintf("#!/bin/sh\nFAKEPLUGIN_NAME=impostor exec %s\n", plugintest.FakePlugin())

	swaps := map[string]func(t *testing.T, bin string){
		"renamed over": func(t *testing.T, bin string) {
			tmp := bin + ".new"
			if err := os.WriteFile(tmp, []byte(impostor), 0o755); err != nil {
				t.Error(err)
			}
			if err := os.Rename(tmp, bin); err != nil {
				t.Error(err)
			}
		},
		"rewritten in place": func(t *testing.T, bin string) {
			if err := os.WriteFile(bin, []byte(impostor), 0o755); err != nil {
				t.Error(err)
			}
		},
	}
	for name, swap := range swaps {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, BinaryName("fake"))
			if err := os.WriteFile(bin, raw, 0o755); err != nil {
				t.Fatal(err)
			}
			swapped := false
			beforeExec = func(path string) {
				if path == bin && !swapped {
					swapped = true
					swap(t, bin)
				}
			}
			t.Cleanup(func() { beforeExec = nil })

			opts := fastOptions()
			opts.Dir = dir
			m := newManager(t, opts)
			p, err := m.Start(context.Background(), Spec{Name: "pinned", Plugin: "fake", SHA256: pin, Config: []byte(baseConfig)})
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			if !swapped {
				t.Fatal("the test hook did not run")
			}
			if now, _ := os.ReadFile(bin); string(now) != impostor {
				t.Fatal("the binary was not swapped")
			}
			if name := p.Info().Name; name != "fake" {
				t.Errorf("the running plugin describes itself as %q, want the verified binary (fake)", name)
			}
			if runtime.GOOS == "linux" {
				exe, err := os.Open(fmt.Sprintf("/proc/%d/exe", p.Pid()))
				if err != nil {
					t.Fatal(err)
				}
				defer exe.Close()
				h := sha256.New()
				if _, err := io.Copy(h, exe); err != nil {
					t.Fatal(err)
				}
				if got := hex.EncodeToString(h.Sum(nil)); got != pin {
					t.Errorf("the running binary's sha256 is %s, want the pinned %s", got, pin)
				}
			}
			// The copy goes with the process.
			proc, err := p.current("test")
			if err != nil {
				t.Fatal(err)
			}
			p.Stop()
			if _, err := os.Stat(proc.socketDir); !os.IsNotExist(err) {
				t.Errorf("the plugin's private directory (with the copy) is still there after Stop: %v", err)
			}
		})
	}
}
