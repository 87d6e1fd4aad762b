package config

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the .golden files from the current output")

// testBaseDir stands in for the configuration file's directory.
const testBaseDir = "/etc/switchboard"

// directives are read from the "# name: value" comment lines that open a
// testdata file:
//
//	# env: NAME=value        sets an environment variable
//	# secret: value          a value that must appear in no output
//	# configyaml: connector  prints the connector's ConfigYAML
//	# pos: connector path    prints the connector's ConfigPos(path)
//	# noroundtrip: reason    skips loading the redacted output back
type directives struct {
	env        map[string]string
	secrets    []string
	configYAML []string
	pos        [][2]string
	// noRoundTrip skips loading the redacted output back (for files whose
	// output holds a literal ${ made with $${).
	noRoundTrip bool
}

func readDirectives(t *testing.T, data []byte) directives {
	t.Helper()
	d := directives{env: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "# ")
		if !ok {
			break
		}
		name, value, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		switch name {
		case "env":
			k, v, _ := strings.Cut(value, "=")
			d.env[k] = v
		case "secret":
			d.secrets = append(d.secrets, value)
		case "configyaml":
			d.configYAML = append(d.configYAML, value)
		case "noroundtrip":
			d.noRoundTrip = true
		case "pos":
			conn, path, _ := strings.Cut(value, " ")
			d.pos = append(d.pos, [2]string{conn, path})
		}
	}
	return d
}

// render is what a testdata file's golden output holds: the error text, or
// the redacted effective configuration followed by the positions and the
// outputs the directives ask for. The ConfigYAML outputs, which must hold
// the secrets the plugins need, come back apart, in private.
func render(t *testing.T, cfg *Config, err error, d directives) (public, private string) {
	t.Helper()
	if err != nil {
		var probs *Problems
		if !errors.As(err, &probs) {
			t.Fatalf("error is %T, not *Problems: %v", err, err)
		}
		return "ERROR\n" + err.Error() + "\n", ""
	}
	var b strings.Builder
	red, err := cfg.Redacted()
	if err != nil {
		t.Fatalf("Redacted: %v", err)
	}
	b.Write(red)
	b.WriteString("# positions\n")
	fmt.Fprintf(&b, "server %s, log %s, phone %s, plugins %s, directory %s (cache %s), hipcall %s (smart_ivr %s), routing %s\n",
		cfg.PosOf("server"), cfg.PosOf("log"), cfg.PosOf("phone"), cfg.PosOf("plugins"), cfg.PosOf("directory"), cfg.PosOf("directory.cache"),
		cfg.PosOf("hipcall"), cfg.PosOf("hipcall.smart_ivr"), cfg.PosOf("routing"))
	fmt.Fprintf(&b, "phone.default_region %s, routing.default.hipcall %s\n",
		cfg.PosOf("phone.default_region"), cfg.PosOf("routing.default.hipcall"))
	for i, c := range cfg.Connectors {
		fmt.Fprintf(&b, "connectors[%d] %s: %s (config: %s)\n", i, c.Name, c.Pos, c.ConfigPos(""))
	}
	for i, r := range cfg.Routing.Rules {
		at := fmt.Sprintf("routing.rules.%d", i)
		fmt.Fprintf(&b, "routing.rules[%d] %s: %s when %s to_expr.hipcall %s\n",
			i, r.Name, cfg.PosOf(at), cfg.PosOf(at+".when"), cfg.PosOf(at+".to_expr.hipcall"))
	}
	for _, p := range d.pos {
		c := findConnector(t, cfg, p[0])
		fmt.Fprintf(&b, "ConfigPos(%s, %q) = %s\n", p[0], p[1], c.ConfigPos(p[1]))
	}
	var priv strings.Builder
	for _, name := range d.configYAML {
		c := findConnector(t, cfg, name)
		out, err := c.ConfigYAML()
		if err != nil {
			t.Fatalf("ConfigYAML(%s): %v", name, err)
		}
		fmt.Fprintf(&priv, "# ConfigYAML(%s)\n%s", name, out)
	}
	return b.String(), priv.String()
}

func findConnector(t *testing.T, cfg *Config, name string) *Connector {
	t.Helper()
	for i := range cfg.Connectors {
		if cfg.Connectors[i].Name == name {
			return &cfg.Connectors[i]
		}
	}
	t.Fatalf("no connector %q", name)
	return nil
}

// TestGolden loads every testdata/*.yaml and compares the outcome with its
// .golden file (go test -run TestGolden -update rewrites them).
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.yaml files")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			d := readDirectives(t, data)
			env := func(k string) (string, bool) { v, ok := d.env[k]; return v, ok }
			cfg, loadErr := LoadBytes(filepath.ToSlash(file), data, testBaseDir, env)
			public, private := render(t, cfg, loadErr, d)
			got := public + private

			for _, s := range d.secrets {
				if strings.Contains(public, s) {
					t.Errorf("output contains the secret %q:\n%s", s, public)
				}
			}
			if cfg != nil && !d.noRoundTrip {
				// The effective configuration loads back to itself.
				red, _ := cfg.Redacted()
				again, err := LoadBytes("redacted.yaml", red, "/", env)
				if err != nil {
					t.Fatalf("the redacted output does not load back: %v\n%s", err, red)
				}
				if red2, _ := again.Redacted(); !bytes.Equal(red, red2) {
					t.Errorf("the redacted output changes when loaded again:\n%s\n---\n%s", red, red2)
				}
			}

			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (go test -update rewrites it)\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}
