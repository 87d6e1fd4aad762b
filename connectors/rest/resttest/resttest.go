// Package resttest helps tests of the REST connector: the connector
// blocks of the example configurations in configs/.
package resttest

import (
	"os"
	"regexp"
	"testing"

	"go.yaml.in/yaml/v3"
)

// envRE is a ${VAR} or ${VAR:default} reference, as the host resolves them.
var envRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}`)

// ExampleBlock reads the config block of the first connector of the
// configuration file at path, which must be plugin: rest, with ${VAR}
// references resolved from env (else their default).
func ExampleBlock(t testing.TB, path string, env map[string]string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := envRE.ReplaceAllStringFunc(string(raw), func(ref string) string {
		m := envRE.FindStringSubmatch(ref)
		if v, ok := env[m[1]]; ok {
			return v
		}
		return m[2]
	})
	var doc struct {
		Connectors []struct {
			Plugin string    `yaml:"plugin"`
			Config yaml.Node `yaml:"config"`
		} `yaml:"connectors"`
	}
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(doc.Connectors) == 0 || doc.Connectors[0].Plugin != "rest" {
		t.Fatalf("%s: the first connector is not plugin: rest", path)
	}
	out, err := yaml.Marshal(&doc.Connectors[0].Config)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
