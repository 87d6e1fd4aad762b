package connectors_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/switchboard-hq/switchboard/"

// TestDependencyDirection enforces the one-way dependencies of
// docs/architecture.md: cmd → core → connectors ← plugins. The contract
// imports nothing of the project; adapters import only the contract, its
// helper packages and the leaf core/phone; plugins never import core; core
// never imports cmd.
func TestDependencyDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkg := strings.TrimPrefix(p.ImportPath, module)
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			if why := forbidden(pkg, strings.TrimPrefix(imp, module)); why != "" {
				t.Errorf("%s imports %s: %s", pkg, strings.TrimPrefix(imp, module), why)
			}
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("checked only %d packages", checked)
	}
}

// forbidden says why pkg may not import imp, or "" when it may.
func forbidden(pkg, imp string) string {
	under := func(p, root string) bool { return p == root || strings.HasPrefix(p, root+"/") }
	switch {
	case pkg == "connectors":
		return "the contract imports nothing of the project"
	case under(pkg, "core/phone"):
		if imp != "connectors" {
			return "core/phone is a leaf that adapters import: it may use only the contract"
		}
	case under(pkg, "connectors/connectortest"):
		// The conformance suite drives a connector over the real plugin wire.
		if !under(imp, "connectors") && !under(imp, "plugins") && imp != "core/phone" {
			return "the conformance suite may use only the contract, the plugin wire and core/phone"
		}
	case under(pkg, "connectors"):
		if !under(imp, "connectors") && imp != "core/phone" {
			return "an adapter imports only the contract, its helpers and core/phone"
		}
	case under(pkg, "plugins"):
		if !under(imp, "plugins") && !under(imp, "connectors") {
			return "the plugin wire depends only on the contract, never on the host"
		}
	case under(pkg, "core"):
		if under(imp, "cmd") {
			return "core never imports cmd"
		}
	}
	return ""
}

func TestForbiddenRules(t *testing.T) {
	for _, tc := range []struct {
		pkg, imp string
		ok       bool
	}{
		{"connectors", "core/phone", false},
		{"connectors/csv", "connectors", true},
		{"connectors/csv", "core/phone", true},
		{"connectors/csv", "core/config", false},
		{"connectors/csv", "plugins", false},
		{"connectors/connectortest", "plugins", true},
		{"core/phone", "core/config", false},
		{"plugins/manager", "plugins", true},
		{"plugins/manager", "core/config", false},
		{"core/host", "plugins/manager", true},
		{"core/host", "cmd/switchboard", false},
	} {
		if got := forbidden(tc.pkg, tc.imp) == ""; got != tc.ok {
			t.Errorf("%s → %s allowed = %v, want %v", tc.pkg, tc.imp, got, tc.ok)
		}
	}
}
