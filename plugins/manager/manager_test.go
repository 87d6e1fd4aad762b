package manager

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/plugins/internal/plugintest"
)

func TestStartDescribeConfigureLookup(t *testing.T) {
	m := newManager(t, fastOptions())
	p := start(t, m, "customers", []byte(baseConfig))

	if !p.Up() || p.Pid() <= 0 || p.Restarts() != 0 {
		t.Fatalf("after Start: up=%v pid=%d restarts=%d", p.Up(), p.Pid(), p.Restarts())
	}
	info := p.Info()
	if info.Name != "fake" || info.ProtocolVersion != connectors.ProtocolVersion || !info.Has(connectors.CapLookup) {
		t.Errorf("Info() = %+v", info)
	}

	ctx := context.Background()
	resp, err := lookup(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Matches) != 2 {
		t.Fatalf("got %d matches, want 2 (contact and company): %+v", len(resp.Matches), resp.Matches)
	}
	ada := resp.Matches[0].Contact
	if ada == nil || ada.ID != "c1" || ada.FirstName != "Ada" ||
		!reflect.DeepEqual(ada.Fields, map[string]any{"tier": "gold", "balance": 12.5}) {
		t.Errorf("contact match = %+v", ada)
	}
	if c := resp.Matches[1].Company; c == nil || c.ID != "k1" || len(c.Phones) != 2 {
		t.Errorf("company match = %+v", c)
	}

	check, err := p.Check(ctx, nil)
	if err != nil || check.Records != 2 {
		t.Errorf("Check = %+v, %v; want 2 records", check, err)
	}
	d, err := p.Describe(ctx, nil)
	if err != nil || d.Name != "fake" {
		t.Errorf("Describe = %+v, %v", d, err)
	}
	companies, err := p.ListCompanies(ctx, &connectors.ListRequest{PageSize: 10})
	if err != nil || len(companies.Companies) != 1 || companies.NextCursor != "" {
		t.Errorf("ListCompanies = %+v, %v", companies, err)
	}
	_, err = p.ListContacts(ctx, &connectors.ListRequest{Cursor: "bogus"})
	if connectors.ClassOf(err) != connectors.ClassInvalidRequest {
		t.Errorf("ListContacts with a bad cursor: %v, want ClassInvalidRequest", err)
	}
}

func TestBadConfigIsConfigError(t *testing.T) {
	m := newManager(t, fastOptions())
	config := []byte(`
contacts:
  - first_name: Nobody
  - id: c2
    phones: ["+441", "020 123"]
`)
	_, err := m.Start(context.Background(), Spec{Name: "customers", Plugin: "fake", Config: config})
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want a *ConfigError", err)
	}
	want := connectors.Problems{
		{Path: "contacts.0.id", Message: "id is required"},
		{Path: "contacts.1.phones.1", Message: "phone must be in E.164 form (+...)"},
	}
	if !reflect.DeepEqual(ce.Problems, want) {
		t.Errorf("problems = %+v, want %+v", ce.Problems, want)
	}
	mustContain(t, err, `connector "customers"`, "contacts.0.id: id is required", "contacts.1.phones.1")

	_, err = m.Start(context.Background(), Spec{Name: "typo", Plugin: "fake", Config: []byte("contactz: []\n")})
	if !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Path != "" {
		t.Errorf("unknown key: got %v, want one whole-block problem", err)
	}
	mustContain(t, err, "(config)", "contactz")
}

func TestSHA256Pin(t *testing.T) {
	path := filepath.Join(pluginDir(), BinaryName("fake"))
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	good := hex.EncodeToString(sum[:])
	wrong := strings.Repeat("ab", 32)

	tests := []struct {
		name  string
		pin   string
		wants []string // empty: the launch succeeds
	}{
		{name: "matching pin", pin: good},
		{name: "upper case with prefix", pin: "sha256:" + strings.ToUpper(good)},
		{name: "mismatch names both hashes", pin: wrong, wants: []string{"refusing to launch", good, wrong, "update the pin"}},
		{name: "malformed pin", pin: "abc", wants: []string{"not a hex SHA-256"}},
	}
	m := newManager(t, fastOptions())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := m.Start(context.Background(), Spec{Name: "pinned", Plugin: "fake", SHA256: tt.pin, Config: []byte(baseConfig)})
			if len(tt.wants) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				p.Stop()
				return
			}
			mustContain(t, err, tt.wants...)
		})
	}
}

func TestResolveErrors(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, BinaryName("noexec"))
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, BinaryName("adir")), 0o755); err != nil {
		t.Fatal(err)
	}
	m := newManager(t, Options{Config: Config{Dir: dir}})
	tests := []struct {
		name  string
		spec  Spec
		wants []string
	}{
		{"missing binary", Spec{Name: "crm", Plugin: "hubspot"},
			[]string{filepath.Join(dir, BinaryName("hubspot")), "not found", "build it with `make build`"}},
		{"missing explicit path", Spec{Name: "crm", Plugin: "x", Path: filepath.Join(dir, "nowhere")},
			[]string{filepath.Join(dir, "nowhere"), "make build"}},
		{"not executable", Spec{Name: "crm", Plugin: "noexec"}, []string{notExec, "not executable"}},
		{"directory", Spec{Name: "crm", Plugin: "adir"}, []string{"is a directory"}},
		{"no plugin named", Spec{Name: "crm"}, []string{`connector "crm" names no plugin`}},
		{"path in plugin name", Spec{Name: "crm", Plugin: "../evil"}, []string{"must not contain a path"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "not executable" && runtime.GOOS == "windows" {
				t.Skip("no executable bit on Windows")
			}
			_, err := m.Start(context.Background(), tt.spec)
			mustContain(t, err, tt.wants...)
		})
	}

	_, err := New(Options{}).Resolve(Spec{Name: "crm", Plugin: "csv"})
	mustContain(t, err, "no plugin directory")
}

func TestDiscover(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("relies on the executable bit")
	}
	dir := t.TempDir()
	for name, mode := range map[string]os.FileMode{
		BinaryName("csv"):    0o755,
		BinaryName("sqlite"): 0o755,
		BinaryName("notes"):  0o644, // not executable
		"README.md":          0o644,
		"other-binary":       0o755,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), mode); err != nil {
			t.Fatal(err)
		}
	}
	found, err := newManager(t, Options{Config: Config{Dir: dir}}).Discover()
	if err != nil {
		t.Fatal(err)
	}
	want := []Found{
		{Plugin: "csv", Path: filepath.Join(dir, BinaryName("csv"))},
		{Plugin: "sqlite", Path: filepath.Join(dir, BinaryName("sqlite"))},
	}
	if !reflect.DeepEqual(found, want) {
		t.Errorf("Discover() = %+v, want %+v", found, want)
	}

	_, err = newManager(t, Options{Config: Config{Dir: filepath.Join(dir, "missing")}}).Discover()
	mustContain(t, err, "reading plugin directory", "make build")
}

func TestHandshakeFailures(t *testing.T) {
	tests := []struct {
		name  string
		env   []string
		wants []string
	}{
		{"plugin exits at once", []string{"FAKEPLUGIN_EXIT_AT_START=1"},
			[]string{`plugin "fake"`, "exited during handshake", "rebuild it with `make build`", "refusing to start"}},
		{"unsupported protocol version", []string{"FAKEPLUGIN_PROTOCOL_VERSION=3"},
			[]string{"speaks connector protocol version 3 or newer", "this switchboard speaks version(s) [1 2]", "upgrade switchboard"}},
	}
	m := newManager(t, fastOptions())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Start(context.Background(), Spec{Name: "broken", Plugin: "fake", Env: tt.env, Config: []byte(baseConfig)})
			mustContain(t, err, tt.wants...)
		})
	}
}

// LookupByKey reaches the plugin and its answer (and its error class) comes
// back; the host asks a plugin that does not implement it in vain, which
// plugins/internal/wire tests.
func TestLookupByKey(t *testing.T) {
	m := newManager(t, fastOptions())
	p := start(t, m, "customers", []byte(baseConfig))
	ctx := context.Background()
	resp, err := p.LookupByKey(ctx, &connectors.KeyLookupRequest{Field: "tier", Value: "GOLD"})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Matches) != 1 || resp.Matches[0].Contact == nil || resp.Matches[0].Contact.ID != "c1" || resp.Matches[0].Kind != connectors.MatchKey {
		t.Errorf("LookupByKey(tier GOLD) = %+v; want contact c1 of kind key", resp.Matches)
	}
	_, err = p.LookupByKey(ctx, &connectors.KeyLookupRequest{Field: "tierr", Value: "gold"})
	if connectors.ClassOf(err) != connectors.ClassBadConfig {
		t.Errorf("LookupByKey of an unknown field: %v; want bad_config", err)
	}
}

func TestPanicInPluginIsPluginBug(t *testing.T) {
	m := newManager(t, fastOptions())
	p := start(t, m, "customers", withConfig("panic_on: lookup"))
	_, err := lookup(context.Background(), p)
	if connectors.ClassOf(err) != connectors.ClassPluginBug {
		t.Fatalf("got %v, want ClassPluginBug", err)
	}
	mustContain(t, err, "LookupByPhone", "asked to panic")
	if _, err := p.Check(context.Background(), nil); err != nil {
		t.Errorf("plugin unusable after a recovered panic: %v", err)
	}
	if !p.Up() || p.Restarts() != 0 {
		t.Errorf("up=%v restarts=%d, want the process untouched", p.Up(), p.Restarts())
	}
}

func TestErrorClassFromPlugin(t *testing.T) {
	m := newManager(t, fastOptions())
	p := start(t, m, "customers", withConfig("error_on: lookup\nerror_class: rate_limited"))
	_, err := lookup(context.Background(), p)
	var ce *connectors.Error
	if !errors.As(err, &ce) || ce.Class != connectors.ClassRateLimited || ce.Op != "LookupByPhone" {
		t.Fatalf("got %v, want a ClassRateLimited error from LookupByPhone", err)
	}
}

func TestHungCallHonoursDeadline(t *testing.T) {
	m := newManager(t, fastOptions())
	p := start(t, m, "customers", withConfig("hang_on: lookup"))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err := lookup(ctx, p)
	if !errors.Is(err, context.DeadlineExceeded) || connectors.ClassOf(err) != connectors.ClassUnavailable {
		t.Errorf("got %v, want ClassUnavailable and context.DeadlineExceeded", err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("call took %s despite a 300ms deadline", took)
	}
	if !p.Up() || p.Restarts() != 0 {
		t.Errorf("up=%v restarts=%d: a slow call must not restart the plugin", p.Up(), p.Restarts())
	}
}

func TestExitMidCallIsUnavailableAndRestarts(t *testing.T) {
	m := newManager(t, fastOptions())
	p := start(t, m, "customers", withConfig("exit_on: lookup"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := lookup(ctx, p)
	if connectors.ClassOf(err) != connectors.ClassUnavailable {
		t.Fatalf("got %v, want ClassUnavailable", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the call waited for its deadline instead of failing when the process died: %v", err)
	}
	plugintest.Eventually(t, 20*time.Second, "plugin restarted once", func() bool { return p.Up() && p.Restarts() == 1 })
	if _, err := p.Check(context.Background(), nil); err != nil {
		t.Errorf("Check after the restart: %v", err)
	}
}

func TestLargePages(t *testing.T) {
	m := newManager(t, fastOptions())
	// A config and a page each well over gRPC's default 4 MB limit.
	config := withConfig(`padding: "` + strings.Repeat("p", 5<<20) + `"` + "\ngenerate_contacts: 20000")
	p := start(t, m, "big", config)
	resp, err := p.ListContacts(context.Background(), &connectors.ListRequest{PageSize: 30000})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Contacts) != 20001 || resp.NextCursor != "" {
		t.Errorf("got %d contacts (next %q), want 20001 in one page", len(resp.Contacts), resp.NextCursor)
	}
}

func TestConfigureReplacesConfigForRestarts(t *testing.T) {
	m := newManager(t, fastOptions())
	p := start(t, m, "customers", []byte(baseConfig))
	newConfig := []byte("contacts: [{id: c9, first_name: Grace, phones: ['+15550000000']}]\n")
	resp, err := p.Configure(context.Background(), &connectors.ConfigureRequest{Config: newConfig})
	if err != nil || len(resp.Problems) != 0 {
		t.Fatalf("Configure: %+v, %v", resp, err)
	}
	p.mu.RLock()
	got := string(p.spec.Config)
	p.mu.RUnlock()
	if got != string(newConfig) {
		t.Errorf("spec config = %q, want the new config kept for restarts", got)
	}
	// A rejected or validate-only config is not kept.
	for _, req := range []*connectors.ConfigureRequest{
		{Config: []byte("contacts: [{first_name: x}]\n")},
		{Config: []byte(baseConfig), ValidateOnly: true},
	} {
		if _, err := p.Configure(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	p.mu.RLock()
	got = string(p.spec.Config)
	p.mu.RUnlock()
	if got != string(newConfig) {
		t.Errorf("spec config = %q after a rejected/validate-only Configure", got)
	}
}

func TestStopAndShutdown(t *testing.T) {
	m := newManager(t, fastOptions())
	a := start(t, m, "a", []byte(baseConfig))
	b := start(t, m, "b", []byte(baseConfig))

	a.Stop()
	a.Stop() // idempotent
	_, err := lookup(context.Background(), a)
	if connectors.ClassOf(err) != connectors.ClassUnavailable {
		t.Errorf("call on a stopped plugin: %v, want ClassUnavailable", err)
	}
	mustContain(t, err, `plugin "a" has been stopped`)
	if _, err := lookup(context.Background(), b); err != nil {
		t.Errorf("stopping a broke b: %v", err)
	}

	m.Shutdown()
	m.Shutdown() // idempotent
	if b.Up() {
		t.Error("b is up after Shutdown")
	}
	if err := b.WaitUp(context.Background()); err == nil {
		t.Error("WaitUp succeeded after Shutdown")
	}
	_, err = m.Start(context.Background(), Spec{Name: "late", Plugin: "fake", Config: []byte(baseConfig)})
	mustContain(t, err, "shut down")
}

func TestJitter(t *testing.T) {
	for _, d := range []time.Duration{0, 1, 2, 20 * time.Millisecond, 30 * time.Second} {
		for range 100 {
			if got := jitter(d); got < d/2 || got > d {
				t.Fatalf("jitter(%s) = %s, want within [%s, %s]", d, got, d/2, d)
			}
		}
	}
}

func TestConfigErrorMessage(t *testing.T) {
	err := &ConfigError{Name: "customers", Plugin: "csv", Problems: []connectors.Problem{
		{Path: "path", Message: "file not found"}, {Message: "block is empty"},
	}}
	want := `connector "customers" (plugin csv) rejected its config: path: file not found; (config): block is empty`
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

func TestInspect(t *testing.T) {
	m := newManager(t, fastOptions())
	info, err := m.Inspect(context.Background(), filepath.Join(pluginDir(), BinaryName("fake")))
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "fake" || info.Version != "0.0.1-test" || !info.Has(connectors.CapListContacts) {
		t.Errorf("Inspect() = %+v", info)
	}
	_, err = m.Inspect(context.Background(), filepath.Join(pluginDir(), BinaryName("absent")))
	mustContain(t, err, BinaryName("absent"), "make build")
}

func TestValidateOnlyReachesThePlugin(t *testing.T) {
	m := newManager(t, fastOptions())
	p, err := m.Start(context.Background(), Spec{Name: "check", Plugin: "fake", Config: []byte(baseConfig), ValidateOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	// The fake loads no records when only validating.
	resp, err := lookup(context.Background(), p)
	if err != nil || len(resp.Matches) != 0 {
		t.Errorf("lookup after a validate-only start: %+v, %v; want no matches", resp, err)
	}
	// Problems are still reported.
	_, err = m.Start(context.Background(), Spec{Name: "check", Plugin: "fake", Config: []byte("contacts: [{first_name: x}]\n"), ValidateOnly: true})
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Errorf("got %v, want a *ConfigError", err)
	}
}

func TestStartWithExpiredContext(t *testing.T) {
	m := newManager(t, fastOptions())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := m.Start(ctx, Spec{Name: "late", Plugin: "fake", Config: []byte(baseConfig)})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

// TestConfigureHasItsOwnTimeout: a connector whose Configure loads a large
// source for longer than the handshake's StartTimeout still starts within
// plugins.configure_timeout, and one that takes longer than that is
// refused with a message naming the setting.
func TestConfigureHasItsOwnTimeout(t *testing.T) {
	t.Parallel()
	opts := fastOptions()
	opts.StartTimeout = 4 * time.Second
	opts.ConfigureTimeout = 30 * time.Second
	m := newManager(t, opts)
	p := start(t, m, "big", withConfig("configure_delay: 5s")) // longer than StartTimeout
	if !p.Up() {
		t.Fatal("not up after a Configure longer than the start timeout")
	}

	opts.ConfigureTimeout = 500 * time.Millisecond
	short := newManager(t, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := short.Start(ctx, Spec{Name: "big", Plugin: "fake", Config: withConfig("configure_delay: 5s"), DefaultRegion: "GB"})
	if err == nil || !strings.Contains(err.Error(), "plugins.configure_timeout (500ms)") {
		t.Fatalf("Start = %v, want a refusal naming plugins.configure_timeout", err)
	}
}
