//go:build linux

package manager

import (
	"context"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/plugins/internal/plugintest"
)

func TestKilledPluginFailsFastThenComesBack(t *testing.T) {
	reg := prometheus.NewRegistry()
	opts := fastOptions()
	opts.Registerer = reg
	// A long first backoff leaves time to watch calls fail while it is down.
	opts.RestartBackoffMin, opts.RestartBackoffMax = 1500*time.Millisecond, 3*time.Second
	m := newManager(t, opts)
	p := start(t, m, "customers", []byte(baseConfig))
	if got := metricValue(t, reg, "switchboard_plugin_up", "customers"); got != 1 {
		t.Errorf("up metric = %v, want 1", got)
	}
	if got := metricValue(t, reg, "switchboard_plugin_restarts_total", "customers"); got != 0 {
		t.Errorf("restarts metric = %v, want 0", got)
	}

	oldPid := p.Pid()
	if err := syscall.Kill(oldPid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	plugintest.Eventually(t, 2*time.Second, "plugin marked down after SIGKILL", func() bool { return !p.Up() })

	began := time.Now()
	_, err := lookup(context.Background(), p)
	if took := time.Since(began); took > 100*time.Millisecond {
		t.Errorf("a call while down took %s; want it to fail fast", took)
	}
	if connectors.ClassOf(err) != connectors.ClassUnavailable {
		t.Fatalf("call while down: %v, want ClassUnavailable", err)
	}
	mustContain(t, err, `plugin "customers" is restarting`)
	if got := metricValue(t, reg, "switchboard_plugin_up", "customers"); got != 0 {
		t.Errorf("up metric while down = %v, want 0", got)
	}

	waitUp(t, p)
	if p.Restarts() != 1 {
		t.Errorf("Restarts() = %d, want 1", p.Restarts())
	}
	if p.Pid() == oldPid || p.Pid() <= 0 {
		t.Errorf("pid after restart = %d (was %d)", p.Pid(), oldPid)
	}
	resp, err := lookup(context.Background(), p)
	if err != nil || len(resp.Matches) != 2 {
		t.Errorf("lookup after restart (config re-applied?): %+v, %v", resp, err)
	}
	if got := metricValue(t, reg, "switchboard_plugin_restarts_total", "customers"); got != 1 {
		t.Errorf("restarts metric = %v, want 1", got)
	}
	if got := metricValue(t, reg, "switchboard_plugin_up", "customers"); got != 1 {
		t.Errorf("up metric after restart = %v, want 1", got)
	}
}

func TestHungPluginIsRestarted(t *testing.T) {
	opts := fastOptions()
	opts.HealthTimeout = 300 * time.Millisecond
	m := newManager(t, opts)
	p := start(t, m, "customers", []byte(baseConfig))
	oldPid := p.Pid()
	// A stopped process answers nothing, health pings included.
	if err := syscall.Kill(oldPid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(oldPid, syscall.SIGKILL) })

	plugintest.Eventually(t, 20*time.Second, "hung plugin restarted", func() bool { return p.Up() && p.Restarts() == 1 })
	if p.Pid() == oldPid {
		t.Errorf("still pid %d after the restart", oldPid)
	}
	plugintest.Eventually(t, 5*time.Second, "hung process killed", func() bool { return plugintest.ProcessGone(oldPid) })
	if _, err := lookup(context.Background(), p); err != nil {
		t.Errorf("lookup after restart: %v", err)
	}
}

func TestConcurrentCallsAcrossACrash(t *testing.T) {
	m := newManager(t, fastOptions())
	p := start(t, m, "customers", []byte(baseConfig))

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		bad      []error
		killOnce sync.Once
	)
	killed := p.Pid()
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				if w == 0 && i == 10 {
					killOnce.Do(func() { _ = syscall.Kill(killed, syscall.SIGKILL) })
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_, err := lookup(ctx, p)
				cancel()
				if err != nil && connectors.ClassOf(err) != connectors.ClassUnavailable {
					mu.Lock()
					bad = append(bad, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range bad {
		t.Errorf("call across a crash failed with %v, want success or ClassUnavailable", err)
	}
	// The calls may all end before the supervisor notices the death, so
	// wait for the replacement process, not merely for "up".
	plugintest.Eventually(t, 10*time.Second, "the killed plugin was not replaced",
		func() bool { return p.Up() && p.Pid() != killed })
	if p.Restarts() != 1 {
		t.Errorf("Restarts() = %d, want 1", p.Restarts())
	}
}

func TestShutdownLeavesNoProcess(t *testing.T) {
	m := newManager(t, fastOptions())
	a := start(t, m, "a", []byte(baseConfig))
	b := start(t, m, "b", withConfig("hang_on: lookup"))
	pids := []int{a.Pid(), b.Pid()}

	// A call in flight must not keep Shutdown waiting for long.
	go func() { _, _ = lookup(context.Background(), b) }()

	m.Shutdown()
	for _, pid := range pids {
		if !plugintest.ProcessGone(pid) {
			t.Errorf("plugin process %d still running after Shutdown", pid)
		}
	}
}

// TestPluginDoesNotOutliveItsHost: a plugin the manager launched (hostMain
// is a switchboard host starting it through a Manager) goes when that host
// is SIGKILLed.
func TestPluginDoesNotOutliveItsHost(t *testing.T) {
	plugintest.AssertPluginDiesWithHost(t, hostModeEnv+"="+pluginDir())
}
