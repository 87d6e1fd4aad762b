package conf

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// TestSecretNeverPrints checks every way a value gets printed.
func TestSecretNeverPrints(t *testing.T) {
	const value = "hunter2"
	s := Secret(value)
	type holder struct {
		Password Secret `json:"password" yaml:"password"`
	}
	j, err := json.Marshal(holder{s})
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(holder{s})
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", s),
		//lint:ignore S1025 the test checks what the %s verb prints
		"%s":   fmt.Sprintf("%s", s),
		"%q":   fmt.Sprintf("%q", s),
		"%#v":  fmt.Sprintf("%#v", s),
		"%+v":  fmt.Sprintf("%+v", holder{s}),
		"%#v2": fmt.Sprintf("%#v", holder{s}),
		"json": string(j),
		"yaml": string(y),
	}
	for name, out := range outputs {
		if strings.Contains(out, value) {
			t.Errorf("%s prints the secret: %s", name, out)
		}
		if !strings.Contains(out, RedactedText) {
			t.Errorf("%s does not say [redacted]: %s", name, out)
		}
	}
	if s.Reveal() != value {
		t.Errorf("Reveal = %q, want %q", s.Reveal(), value)
	}
	var empty Secret
	if empty.String() != "" {
		t.Errorf("empty secret prints %q, want nothing", empty.String())
	}
	if j, _ := json.Marshal(empty); string(j) != `""` {
		t.Errorf("empty secret JSON = %s, want \"\"", j)
	}
}
