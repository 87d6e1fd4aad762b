//go:build linux

package manager

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/connectors"
)

// processGone reports whether pid has exited (a zombie waiting to be
// reaped counts as gone).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	rest := stat[bytes.LastIndexByte(stat, ')')+1:]
	fields := strings.Fields(string(rest))
	return len(fields) > 0 && (fields[0] == "Z" || fields[0] == "X")
}

func TestKilledPluginFailsFastThenComesBack(t *testing.T) {
	reg := prometheus.NewRegistry()
	opts := fastOptions()
	opts.Registerer = reg
	// A long first backoff leaves time to watch calls fail while it is down.
	opts.BackoffMin, opts.BackoffMax = 1500*time.Millisecond, 3*time.Second
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
	eventually(t, 2*time.Second, "plugin marked down after SIGKILL", func() bool { return !p.Up() })

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

	eventually(t, 20*time.Second, "hung plugin restarted", func() bool { return p.Up() && p.Restarts() == 1 })
	if p.Pid() == oldPid {
		t.Errorf("still pid %d after the restart", oldPid)
	}
	eventually(t, 5*time.Second, "hung process killed", func() bool { return processGone(oldPid) })
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
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				if w == 0 && i == 10 {
					killOnce.Do(func() { _ = syscall.Kill(p.Pid(), syscall.SIGKILL) })
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
	waitUp(t, p)
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
		if !processGone(pid) {
			t.Errorf("plugin process %d still running after Shutdown", pid)
		}
	}
}

func TestPluginDoesNotOutliveItsHost(t *testing.T) {
	host := exec.Command(os.Args[0], "-test.run=^$")
	// TMPDIR: the plugin's socket, left behind when it is killed, goes
	// where the test cleans up.
	host.Env = append(os.Environ(), "TMPDIR="+t.TempDir(), hostModeEnv+"="+pluginDir)
	stdin, err := host.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := host.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	host.Stderr = &stderr
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = host.Process.Kill(); _ = host.Wait() }()

	pidCh := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		pidCh <- strings.TrimSpace(line)
	}()
	var pid int
	select {
	case line := <-pidCh:
		if pid, err = strconv.Atoi(line); err != nil || pid <= 0 {
			t.Fatalf("host printed %q, not a pid; its stderr:\n%s", line, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("host did not start the plugin; its stderr:\n%s", stderr.String())
	}
	if processGone(pid) {
		t.Fatalf("plugin %d is not running while its host lives", pid)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })

	if err := host.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = host.Wait()
	eventually(t, 5*time.Second, fmt.Sprintf("plugin %d still running after its host was SIGKILLed", pid),
		func() bool { return processGone(pid) })
}
