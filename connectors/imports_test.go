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
// imports nothing of the project; the SDK and the adapters under connectors
// import only connectors/...; the conformance suite also the plugin wire;
// plugins never import core; core never imports cmd. There are no
// exceptions.
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
	case under(pkg, "connectors/connectortest"):
		// The conformance suite drives a connector over the real plugin wire.
		if !under(imp, "connectors") && !under(imp, "plugins") {
			return "the conformance suite imports only the connector SDK and the plugin wire"
		}
	case under(pkg, "connectors"):
		if !under(imp, "connectors") {
			return "the connector SDK and the adapters import only connectors/..., never the host or the wire"
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
