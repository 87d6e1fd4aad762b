package config

import (
	"github.com/switchboard-hq/switchboard/core/directory"

	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

const minimal = `
phone:
  default_region: GB
connectors:
  - name: customers
    plugin: csv
    path: ${PLUGIN_PATH:bin/csv}
    config:
      file: data/customers.csv
      columns:
        phones: [Phone, Mobile]
hipcall:
  smart_ivr:
    basic_auth:
      username: hipcall
      password: ${SB_TEST_IVR_PASSWORD}
routing:
  default:
    hipcall: "100"
`

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, DefaultFile)
	if err := os.WriteFile(path, []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SB_TEST_IVR_PASSWORD", "pw-from-env")

	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	abs, _ := filepath.Abs(dir)
	if cfg.BaseDir != abs {
		t.Errorf("BaseDir = %q, want %q", cfg.BaseDir, abs)
	}
	if want := filepath.Join(abs, "bin", "plugins"); cfg.Plugins.Dir != want {
		t.Errorf("Plugins.Dir = %q, want %q", cfg.Plugins.Dir, want)
	}
	if want := filepath.Join(abs, "bin", "csv"); cfg.Connectors[0].Path != want {
		t.Errorf("Connectors[0].Path = %q, want %q", cfg.Connectors[0].Path, want)
	}
	if got := cfg.Hipcall.SmartIVR.BasicAuth.Password.Reveal(); got != "pw-from-env" {
		t.Errorf("password = %q, want the environment's value", got)
	}
	if got := cfg.Connectors[0].Pos; got.File != path || got.Line != 5 || got.Col != 5 {
		t.Errorf("Connectors[0].Pos = %v, want %s:5:5", got, path)
	}
	if got, want := cfg.PosOf("phone.default_region").String(), path+":3:19"; got != want {
		t.Errorf("PosOf(phone.default_region) = %s, want %s", got, want)
	}
	// A setting left out points at the section that lacks it.
	if got, want := cfg.PosOf("phone.suffix_match_digits").String(), path+":2:1"; got != want {
		t.Errorf("PosOf(phone.suffix_match_digits) = %s, want %s", got, want)
	}
}

func TestLoadErrors(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "missing.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want an error wrapping fs.ErrNotExist", err)
	}

	dir := t.TempDir()
	path := filepath.Join(dir, DefaultFile)
	if err := os.WriteFile(path, []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SB_TEST_IVR_PASSWORD", "") // restored after the test
	os.Unsetenv("SB_TEST_IVR_PASSWORD")
	_, err = Load(path)
	var probs *Problems
	if !errors.As(err, &probs) {
		t.Fatalf("Load = %v, want *Problems", err)
	}
	want := path + ":16:17: missing environment variable SB_TEST_IVR_PASSWORD " +
		"(set it, or write ${SB_TEST_IVR_PASSWORD:default})"
	if len(probs.List) != 1 || probs.Error() != want {
		t.Errorf("problems:\n%s\nwant:\n%s", probs.Error(), want)
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"A": "alpha", "EMPTY": "", "N": "42"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		in, want string
		errs     int
	}{
		{"plain", "plain", 0},
		{"${A}", "alpha", 0},
		{"x-${A}-${N}-y", "x-alpha-42-y", 0},
		{"${EMPTY:fallback}", "", 0},
		{"${MISSING:fallback}", "fallback", 0},
		{"${MISSING:}", "", 0},
		{"${MISSING:a:b}", "a:b", 0},
		{"$${A}", "${A}", 0},
		{"$$${A}", "$${A}", 0}, // "$$" then "${": only $${ escapes
		{"cost: $5 and $A", "cost: $5 and $A", 0},
		{"${MISSING}", "", 1},
		{"${MISSING} ${ALSO_MISSING}", "", 2},
		{"${1BAD}", "", 1},
		{"${}", "", 1},
		{"${A", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, errs := expand(tt.in, lookup)
			if len(errs) != tt.errs {
				t.Fatalf("expand(%q) problems = %q, want %d", tt.in, errs, tt.errs)
			}
			if tt.errs == 0 && got != tt.want {
				t.Errorf("expand(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestProblemsSortedAndFormatted(t *testing.T) {
	var p Problems
	p.Addf(Position{File: "b.yaml", Line: 1, Col: 1}, "in b")
	p.Addf(Position{File: "a.yaml", Line: 10, Col: 2}, "ten")
	p.Addf(Position{File: "a.yaml", Line: 2, Col: 9}, "two, nine")
	p.Addf(Position{File: "a.yaml", Line: 2, Col: 3}, "two, %s", "three")
	p.Addf(Position{File: "a.yaml", Line: 2, Col: 3}, "two, three")
	want := strings.Join([]string{
		"a.yaml:2:3: two, three",
		"a.yaml:2:9: two, nine",
		"a.yaml:10:2: ten",
		"b.yaml:1:1: in b",
	}, "\n")
	if got := p.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	if err := p.Err(); err == nil || len(p.List) != 4 || p.List[0].Message != "two, three" {
		t.Errorf("Err() did not sort and dedupe: %v", p.List)
	}
	var none Problems
	if none.Err() != nil {
		t.Error("Err() of no problems is not nil")
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"listen", "read_timeout", "max_body_bytes", "health_interval", "health_timeout"}
	tests := []struct{ in, want string }{
		{"listne", "listen"},
		{"Listen", "listen"},
		{"read_timout", "read_timeout"},
		{"max_body", "max_body_bytes"},
		{"health", "health_interval"},
		{"colour", ""},
		{"x", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.in, known); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestConfigYAMLRoundTrip(t *testing.T) {
	const doc = `
phone: {default_region: GB}
routing: {default: {hipcall: "1"}}
connectors:
  - name: a
    plugin: csv
    config:
      token: ${TOKEN}     # a comment the plugin does not need
      size: ${SIZE}
      quoted: "${SIZE}"
      nested: {list: [1, two]}
  - name: b
    plugin: csv
`
	env := map[string]string{"TOKEN": "t0k", "SIZE": "25"}
	cfg, err := LoadBytes("c.yaml", []byte(doc), "/", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	out, err := cfg.Connectors[0].ConfigYAML()
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatalf("ConfigYAML is not YAML: %v\n%s", err, out)
	}
	want := map[string]any{
		"token":  "t0k",
		"size":   25,
		"quoted": "25",
		"nested": map[string]any{"list": []any{1, "two"}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ConfigYAML decodes to %v, want %v", got, want)
	}
	if strings.Contains(string(out), "comment") {
		t.Errorf("ConfigYAML keeps comments:\n%s", out)
	}
	if out, _ := cfg.Connectors[1].ConfigYAML(); string(out) != "{}\n" {
		t.Errorf("absent block gives %q, want {}", out)
	}
	if got := cfg.Connectors[1].ConfigPos("anything"); got != cfg.Connectors[1].Pos {
		t.Errorf("ConfigPos without a block = %v, want the connector's position %v", got, cfg.Connectors[1].Pos)
	}
}

func TestDefaultsKeepExplicitZero(t *testing.T) {
	const doc = `
phone: {default_region: GB}
routing: {default: {hipcall: "1"}}
directory:
  cache: {size: 0, negative_ttl: 0s}
hipcall:
  smart_ivr: {enabled: false}
connectors:
  - {name: a, plugin: csv, refresh: 0}
  - {name: b, plugin: csv}
`
	cfg, err := LoadBytes("z.yaml", []byte(doc), "", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"cache.size", cfg.Directory.Cache.Size, 0},
		{"cache.negative_ttl", cfg.Directory.Cache.NegativeTTL, time.Duration(0)},
		{"cache.positive_ttl", cfg.Directory.Cache.PositiveTTL, time.Minute},
		{"smart_ivr.enabled", cfg.Hipcall.SmartIVR.Enabled, false},
		{"connectors[0].refresh", cfg.Connectors[0].Refresh, time.Duration(0)},
		{"connectors[1].refresh", cfg.Connectors[1].Refresh, 5 * time.Minute},
		{"connectors[1].mode", cfg.Connectors[1].Mode, directory.ModeIndex},
		{"connectors[1].timeout", cfg.Connectors[1].Timeout, 300 * time.Millisecond},
		{"plugins.dir", cfg.Plugins.Dir, "bin/plugins"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}
