//go:build unix

package manager

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestResolveRefusesBinariesOutsideTheDir (issue 13): a binary outside the
// plugin directory, symbolic links resolved, runs only with
// allow_outside_dir.
func TestResolveRefusesBinariesOutsideTheDir(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "plugins")
	other := filepath.Join(root, "elsewhere")
	lookalike := filepath.Join(root, "plugins-evil") // shares dir's prefix
	for _, d := range []string{dir, other, lookalike} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := func(path string) string {
		if err := os.WriteFile(path, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return path
	}
	link := func(target, path string) string {
		if err := os.Symlink(target, path); err != nil {
			t.Fatal(err)
		}
		return path
	}
	inside := bin(filepath.Join(dir, BinaryName("csv")))
	outside := bin(filepath.Join(other, BinaryName("csv")))
	lookalikeBin := bin(filepath.Join(lookalike, BinaryName("csv")))
	escaping := link(outside, filepath.Join(dir, BinaryName("escape")))
	alias := link(inside, filepath.Join(dir, BinaryName("alias")))
	dirLink := link(dir, filepath.Join(root, "plugins-link"))

	tests := []struct {
		name string
		dir  string // plugin directory; dir when empty
		spec Spec
		want string // the path Resolve returns; "" when refused
	}{
		{name: "in the dir by name", spec: Spec{Plugin: "csv"}, want: inside},
		{name: "explicit path inside", spec: Spec{Plugin: "x", Path: inside}, want: inside},
		{name: "link inside to a binary inside", spec: Spec{Plugin: "x", Path: alias}, want: inside},
		{name: "link inside by name", spec: Spec{Plugin: "alias"}, want: inside},
		{name: "dir given through a link", dir: dirLink, spec: Spec{Plugin: "csv"}, want: inside},
		{name: "relative path inside", spec: Spec{Plugin: "x", Path: "./" + BinaryName("csv")}, want: inside},
		{name: "explicit path outside", spec: Spec{Plugin: "x", Path: outside}},
		{name: "link in the dir escaping it", spec: Spec{Plugin: "escape"}},
		{name: "explicit link escaping", spec: Spec{Plugin: "x", Path: escaping}},
		{name: "../ escape", spec: Spec{Plugin: "x", Path: filepath.Join(dir, "..", "elsewhere", BinaryName("csv"))}},
		{name: "sibling sharing the dir's prefix", spec: Spec{Plugin: "x", Path: lookalikeBin}},
		{name: "outside, allowed", spec: Spec{Plugin: "x", Path: outside, AllowOutsideDir: true}, want: outside},
		{name: "escaping link, allowed", spec: Spec{Plugin: "escape", AllowOutsideDir: true}, want: outside},
		{name: "no plugin dir, allowed", dir: "-", spec: Spec{Plugin: "x", Path: outside, AllowOutsideDir: true}, want: outside},
		{name: "no plugin dir", dir: "-", spec: Spec{Plugin: "x", Path: inside}},
	}
	t.Chdir(dir)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pluginDir := dir
			switch tt.dir {
			case "":
			case "-":
				pluginDir = ""
			default:
				pluginDir = tt.dir
			}
			tt.spec.Name = "crm"
			got, err := New(Options{Config: Config{Dir: pluginDir}}).Resolve(tt.spec)
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Errorf("Resolve = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			mustContain(t, err, `connector "crm"`, "refusing to run", "allow_outside_dir: true")
			if pluginDir != "" {
				mustContain(t, err, "outside the plugin directory "+dir, "move the binary into the plugin directory (plugins.dir)")
			}
		})
	}
}

// TestOutsideBinaryIsNeverRun: Start refuses a binary outside the plugin
// directory before running anything, validate-only included; the launch
// config carries allow_outside_dir to the spec.
func TestOutsideBinaryIsNeverRun(t *testing.T) {
	other := t.TempDir()
	marker := filepath.Join(other, "ran")
	evil := filepath.Join(other, BinaryName("evil"))
	if err := os.WriteFile(evil, []byte("#!/bin/sh\ntouch "+marker+"\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := newManager(t, fastOptions())
	for _, validate := range []bool{false, true} {
		_, err := m.Start(context.Background(), Spec{Name: "crm", Plugin: "evil", Path: evil, ValidateOnly: validate})
		mustContain(t, err, "outside the plugin directory", "allow_outside_dir: true")
		if _, err := os.Stat(marker); !os.IsNotExist(err) {
			t.Fatalf("validate-only %v: the binary outside the plugin directory was run", validate)
		}
	}

	var lc LaunchConfig
	if err := yaml.Unmarshal([]byte("plugin: evil\npath: "+evil+"\nallow_outside_dir: true\n"), &lc); err != nil {
		t.Fatal(err)
	}
	spec := lc.Spec("crm")
	if !spec.AllowOutsideDir || spec.Path != evil {
		t.Fatalf("Spec() = %+v, want AllowOutsideDir and the path", spec)
	}
	// Allowed, it is run (and fails the handshake).
	_, err := m.Start(context.Background(), spec)
	mustContain(t, err, "exited during handshake")
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the allowed binary was not run: %v", err)
	}
}
