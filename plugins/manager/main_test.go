package manager

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/plugins/internal/plugintest"
)

// hostModeEnv makes the test binary act as a switchboard host (hostMain).
const hostModeEnv = "MANAGER_TEST_HOST_PLUGIN_DIR"

func TestMain(m *testing.M) { plugintest.Main(m, hostModeEnv, hostMain) }

// pluginDir is the plugin directory holding the fake plugin ("fake").
func pluginDir() string { return filepath.Dir(plugintest.FakePlugin()) }

// hostChildEnv, set for the host (hostMain), makes its plugin start a
// child and write the child's pid to the file it names.
const hostChildEnv = "MANAGER_TEST_HOST_CHILD_PID_FILE"

// hostMain is the test binary acting as the switchboard host: it starts
// the fake plugin through a Manager, prints the plugin's pid and waits for
// stdin to close. The test SIGKILLs it to see the plugin go too.
func hostMain(dir string) {
	m := New(Options{Config: Config{Dir: dir}, Logger: hclog.New(&hclog.LoggerOptions{Output: os.Stderr, Level: hclog.Warn})})
	defer m.Shutdown()
	spec := Spec{Name: "host-test", Plugin: "fake", Config: []byte(baseConfig)}
	if path := os.Getenv(hostChildEnv); path != "" {
		spec.Env = []string{"FAKEPLUGIN_CHILD_PID_FILE=" + path}
	}
	p, err := m.Start(context.Background(), spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, "host:", err)
		return
	}
	fmt.Println(p.Pid())
	_, _ = io.Copy(io.Discard, os.Stdin)
}

const baseConfig = `
contacts:
  - id: c1
    first_name: Ada
    phones: ["+442045205757"]
    fields: {tier: gold, balance: 12.5}
companies:
  - id: k1
    name: Acme
    phones: ["+442045205757", "+442000000000"]
`

// withConfig returns baseConfig plus extra top-level YAML.
func withConfig(extra string) []byte { return []byte(baseConfig + extra + "\n") }

// fastOptions supervise quickly, for tests.
func fastOptions() Options {
	return Options{
		Config: Config{
			HealthInterval:    100 * time.Millisecond,
			HealthTimeout:     time.Second,
			RestartBackoffMin: 20 * time.Millisecond,
			RestartBackoffMax: 200 * time.Millisecond,
		},
		StartTimeout: 30 * time.Second,
	}
}

// newManager returns a manager over the fake plugin's directory that is
// shut down when the test ends; its log is printed if the test fails.
func newManager(t *testing.T, opts Options) *Manager {
	t.Helper()
	logs := &plugintest.SyncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("manager log:\n%s", logs.String())
		}
	})
	if opts.Dir == "" {
		opts.Dir = pluginDir()
	}
	opts.Logger = hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Debug})
	m := New(opts)
	t.Cleanup(m.Shutdown)
	return m
}

// start starts the fake plugin as connector name with config.
func start(t *testing.T, m *Manager, name string, config []byte) *Plugin {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := m.Start(ctx, Spec{Name: name, Plugin: "fake", Config: config, DefaultRegion: "GB"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return p
}

// waitUp waits for p to be up again.
func waitUp(t *testing.T, p *Plugin) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.WaitUp(ctx); err != nil {
		t.Fatal(err)
	}
}

// lookup asks p for the base config's shared number.
func lookup(ctx context.Context, p connectors.Connector) (*connectors.LookupResponse, error) {
	return p.LookupByPhone(ctx, &connectors.LookupRequest{E164: "+442045205757"})
}

// metricValue reads a plugin metric from reg; -1 when absent.
func metricValue(t *testing.T, reg *prometheus.Registry, name, plugin string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "plugin" && l.GetValue() == plugin {
					if m.GetCounter() != nil {
						return m.GetCounter().GetValue()
					}
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return -1
}

// mustContain fails unless err's text has every one of wants.
func mustContain(t *testing.T, err error, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", wants)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}
