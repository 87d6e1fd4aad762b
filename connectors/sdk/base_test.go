package sdk_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/connectors/sdk"
)

// testConfig is a connector's block; opened and closed are what Open and
// Close did to it.
type testConfig struct {
	Path    string        `yaml:"path"`
	Timeout conf.Duration `yaml:"timeout"`
	Mode    string        `yaml:"mode"`
	Write   bool          `yaml:"write"`

	opened, closed bool
}

func (c *testConfig) Close() error { c.closed = true; return nil }

func newBase(t *testing.T) (*sdk.Base[testConfig], string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "crm.db"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return &sdk.Base[testConfig]{
		Name: "test", Version: "1.2.3", Description: "a test connector",
		Capabilities: []connectors.Capability{connectors.CapLookup},
		Capable: func(cfg *testConfig) []connectors.Capability {
			if cfg.Write {
				return []connectors.Capability{connectors.CapLogCall}
			}
			return nil
		},
		Defaults: func(cfg *testConfig) { cfg.Mode = "fast" },
		Check: func(s *sdk.Setup, cfg *testConfig) {
			if s.Require("path", cfg.Path, "the database file") {
				s.ExistingFile("path", &cfg.Path)
			}
			conf.OneOf(&s.Problems, "mode", &cfg.Mode, "fast", "slow")
		},
		Open: func(ctx context.Context, s *sdk.Setup, cfg *testConfig) error {
			if cfg.Mode == "slow" {
				s.Addf("mode", "the database refuses slow mode")
			}
			cfg.opened = true
			return ctx.Err()
		},
	}, dir
}

func configure(t *testing.T, b *sdk.Base[testConfig], dir, block string, validateOnly bool) (connectors.Problems, error) {
	t.Helper()
	resp, err := b.Configure(context.Background(), &connectors.ConfigureRequest{
		Config: []byte(block), DefaultRegion: "GB", BaseDir: dir, ValidateOnly: validateOnly})
	if resp == nil {
		return nil, err
	}
	return resp.Problems, err
}

func TestBaseProblems(t *testing.T) {
	for _, tt := range []struct {
		name, block string
		want        []string // "path: message fragment", in order
	}{
		{"empty block", "", []string{"path: missing path: the database file"}},
		{"accepted", "path: crm.db\n", nil},
		{"every problem at once", "pth: crm.db\ntimeout: soon\nmode: quick\n", []string{
			`pth: unknown key "pth" (did you mean "path"?)`,
			"timeout: expected a duration",
			"path: missing path",
			"mode: must be one of fast, slow",
		}},
		{"a wrong type is reported once", "path: [a, b]\n", []string{"path: expected"}},
		{"missing file", "path: nope.db\n", []string{"path: nope.db does not exist ("}},
		{"a directory", "path: .\n", []string{"path: is a directory"}},
		{"not YAML", "path: [\n", []string{"(config): "}},
	} {
		for _, validateOnly := range []bool{false, true} {
			t.Run(tt.name, func(t *testing.T) {
				b, dir := newBase(t)
				problems, err := configure(t, b, dir, tt.block, validateOnly)
				if err != nil {
					t.Fatal(err)
				}
				lines := strings.Split(problems.Error(), "\n")
				if len(problems) == 0 {
					lines = nil
				}
				if len(lines) != len(tt.want) {
					t.Fatalf("validateOnly %v: problems\n%v\nwant %d: %q", validateOnly, problems, len(tt.want), tt.want)
				}
				for i, w := range tt.want {
					path, msg, _ := strings.Cut(w, ": ")
					if !strings.HasPrefix(lines[i], path+": ") || !strings.Contains(lines[i], msg) {
						t.Errorf("problem %d: %q; want %q", i, lines[i], w)
					}
				}
			})
		}
	}
}

func TestBaseLifecycle(t *testing.T) {
	b, dir := newBase(t)
	ctx := context.Background()
	d, err := b.Describe(ctx, &connectors.DescribeRequest{})
	if err != nil || d.Name != "test" || d.Version != "1.2.3" || d.ProtocolVersion != connectors.ProtocolVersion ||
		d.Description != "a test connector" || len(d.Capabilities) != 1 {
		t.Fatalf("Describe before Configure: %+v, %v", d, err)
	}
	if _, err := b.Current("LookupByPhone"); connectors.ClassOf(err) != connectors.ClassBadConfig ||
		!strings.Contains(err.Error(), "the test connector is not configured") {
		t.Errorf("Current before Configure: %v", err)
	}
	if b.Parser() != nil {
		t.Error("a parser before Configure")
	}

	// ValidateOnly checks and opens nothing, keeps nothing.
	if problems, err := configure(t, b, dir, "path: crm.db\nwrite: true\n", true); len(problems) > 0 || err != nil {
		t.Fatalf("ValidateOnly: %v, %v", problems, err)
	}
	if _, err := b.Current("Check"); err == nil {
		t.Error("ValidateOnly made a configuration current")
	}

	if problems, err := configure(t, b, dir, "path: crm.db\nwrite: true\n", false); len(problems) > 0 || err != nil {
		t.Fatalf("Configure: %v, %v", problems, err)
	}
	first, err := b.Current("Check")
	if err != nil || !first.opened || first.Mode != "fast" || first.Path != filepath.Join(dir, "crm.db") {
		t.Fatalf("current: %+v, %v; want opened, the default mode, the path resolved", first, err)
	}
	if b.Parser() == nil || b.Parser().Region() != "GB" {
		t.Errorf("parser: %v", b.Parser())
	}
	if d, _ := b.Describe(ctx, nil); !d.Has(connectors.CapLogCall) || !d.Has(connectors.CapLookup) {
		t.Errorf("capabilities once configured: %v", d.Capabilities)
	}

	// A block Open rejects keeps the old configuration, and is closed.
	if problems, _ := configure(t, b, dir, "path: crm.db\nmode: slow\n", false); len(problems) != 1 || problems[0].Path != "mode" {
		t.Errorf("Open's problem: %v", problems)
	}
	if cur, _ := b.Current("Check"); cur != first || first.closed {
		t.Errorf("a rejected block replaced or closed the configuration")
	}

	// A new block replaces it, and the old one is closed.
	if problems, err := configure(t, b, dir, "path: crm.db\n", false); len(problems) > 0 || err != nil {
		t.Fatalf("reconfigure: %v, %v", problems, err)
	}
	if cur, _ := b.Current("Check"); cur == first || !first.closed || cur.closed {
		t.Errorf("reconfigure: the old configuration closed %v, the new one current and open", first.closed)
	}
	if d, _ := b.Describe(ctx, nil); d.Has(connectors.CapLogCall) {
		t.Errorf("capabilities follow the block: %v", d.Capabilities)
	}

	// Close closes the current configuration and forgets it.
	cur, _ := b.Current("Check")
	if err := b.Close(); err != nil || !cur.closed {
		t.Errorf("Close: %v; closed %v", err, cur.closed)
	}
	if _, err := b.Current("Check"); connectors.ClassOf(err) != connectors.ClassBadConfig {
		t.Errorf("after Close: %v; want not configured", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("Close again: %v", err)
	}
}

func TestBaseOpenError(t *testing.T) {
	b, dir := newBase(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := b.Configure(ctx, &connectors.ConfigureRequest{Config: []byte("path: crm.db\n"), DefaultRegion: "GB", BaseDir: dir})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v; want Open's error", err)
	}
	if _, err := b.Current("Check"); err == nil {
		t.Error("a failed Open made its configuration current")
	}
}

func TestBaseBadRegion(t *testing.T) {
	b, dir := newBase(t)
	resp, err := b.Configure(context.Background(), &connectors.ConfigureRequest{Config: []byte("path: crm.db\n"), DefaultRegion: "XX", BaseDir: dir})
	if err != nil || len(resp.Problems) != 1 || !strings.Contains(resp.Problems[0].Message, "default region") {
		t.Errorf("got %v, %v", resp, err)
	}
}

func TestExistingFile(t *testing.T) {
	dir := t.TempDir()
	abs := filepath.Join(dir, "crm.db")
	if err := os.WriteFile(abs, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, file, want, problem string
		ok                        bool
	}{
		{"relative", "crm.db", abs, "", true},
		{"absolute", abs, abs, "", true},
		{"empty is left to Require", "", "", "", false},
		{"missing, relative", "gone.db", filepath.Join(dir, "gone.db"), "gone.db does not exist (" + filepath.Join(dir, "gone.db") + ", relative to the directory of the config file): fix path or create the file", false},
		{"missing, absolute", filepath.Join(dir, "gone.db"), filepath.Join(dir, "gone.db"), filepath.Join(dir, "gone.db") + " does not exist: fix path or create the file", false},
		{"a directory", dir, dir, dir + " is a directory: path names a file", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &sdk.Setup{Request: &connectors.ConfigureRequest{BaseDir: dir, ValidateOnly: true}}
			file := tt.file
			ok := s.ExistingFile("path", &file)
			if ok != tt.ok || file != tt.want {
				t.Errorf("got %v, %q; want %v, %q", ok, file, tt.ok, tt.want)
			}
			if got := strings.TrimPrefix(s.Problems.Error(), "path: "); got != tt.problem {
				t.Errorf("problem %q; want %q", got, tt.problem)
			}
		})
	}
}
