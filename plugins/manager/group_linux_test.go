//go:build linux

package manager

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/plugins/internal/plugintest"
)

// readChildPid reads the pid the fake plugin wrote for its child and
// makes sure the child is killed when the test ends.
func readChildPid(t *testing.T, path string) int {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	child, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || child <= 0 {
		t.Fatalf("child pid file holds %q", raw)
	}
	t.Cleanup(func() { _ = syscall.Kill(child, syscall.SIGKILL) })
	if plugintest.ProcessGone(child) {
		t.Fatalf("the plugin's child %d is not running", child)
	}
	return child
}

// startWithChild starts the fake plugin with a child (sleep 300) that
// holds its stdout and stderr, and returns the plugin and the child's pid.
func startWithChild(t *testing.T, m *Manager, name string) (*Plugin, int, string) {
	t.Helper()
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := m.Start(ctx, Spec{Name: name, Plugin: "fake", Config: []byte(baseConfig),
		Env: []string{"FAKEPLUGIN_CHILD_PID_FILE=" + pidFile}})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	child := readChildPid(t, pidFile)
	if pgid, err := syscall.Getpgid(child); err != nil || pgid != p.Pid() {
		t.Errorf("the child's process group is %d (%v), want the plugin's own, %d", pgid, err, p.Pid())
	}
	return p, child, pidFile
}

// TestShutdownKillsWhatThePluginStarted (issue 13): a plugin's child
// holding its output neither holds up Shutdown (go-plugin waits for the
// output to close) nor outlives it.
func TestShutdownKillsWhatThePluginStarted(t *testing.T) {
	m := newManager(t, fastOptions())
	_, child, _ := startWithChild(t, m, "forks")

	began := time.Now()
	done := make(chan struct{})
	go func() { m.Shutdown(); close(done) }()
	bound := gracefulKillTimeout + 2*time.Second
	select {
	case <-done:
	case <-time.After(bound):
		_ = syscall.Kill(child, syscall.SIGKILL) // lets Shutdown finish
		<-done
		t.Fatalf("Shutdown took longer than %s with the plugin's child holding its output", bound)
	}
	t.Logf("Shutdown took %s", time.Since(began).Round(time.Millisecond))
	plugintest.Eventually(t, 2*time.Second, "the plugin's child is still running after Shutdown",
		func() bool { return plugintest.ProcessGone(child) })
}

// TestRestartKillsWhatThePluginStarted: a plugin that died is noticed and
// replaced although its child holds its output, and the child goes.
func TestRestartKillsWhatThePluginStarted(t *testing.T) {
	m := newManager(t, fastOptions())
	p, child, pidFile := startWithChild(t, m, "forks")
	old := p.Pid()
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	plugintest.Eventually(t, 10*time.Second, "the killed plugin was not replaced",
		func() bool { return p.Up() && p.Pid() != old })
	readChildPid(t, pidFile) // the new process's child, killed at the end
	plugintest.Eventually(t, 2*time.Second, "the killed plugin's child is still running",
		func() bool { return plugintest.ProcessGone(child) })
}

// TestDeadHostsPluginChildrenAreKilled (issue 13): a host SIGKILLed takes
// its plugin along (the kernel's death signal) but not what the plugin
// started; the next host's sweep of the dead host's socket directory
// kills that.
func TestDeadHostsPluginChildrenAreKilled(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the hosts' socket directories

	host := exec.Command(os.Args[0], "-test.run=^$")
	host.Env = append(os.Environ(), hostModeEnv+"="+pluginDir(), hostChildEnv+"="+pidFile)
	stdin, err := host.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := host.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr plugintest.SyncBuffer
	host.Stderr = &stderr
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = host.Process.Kill(); _ = host.Wait() }()
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(l)
	}()
	var plugin int
	select {
	case l := <-line:
		if plugin, err = strconv.Atoi(l); err != nil {
			t.Fatalf("host printed %q, not a pid; its stderr:\n%s", l, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("host did not start the plugin; its stderr:\n%s", stderr.String())
	}
	t.Cleanup(func() { _ = syscall.Kill(plugin, syscall.SIGKILL) })
	child := readChildPid(t, pidFile)
	dirs, _ := filepath.Glob(filepath.Join(tmp, socketDirPattern+"*"))
	if len(dirs) != 1 {
		t.Fatalf("socket directories %v, want the host's one", dirs)
	}

	if err := host.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = host.Wait()
	plugintest.Eventually(t, 5*time.Second, "the plugin outlived its SIGKILLed host",
		func() bool { return plugintest.ProcessGone(plugin) })
	if plugintest.ProcessGone(child) {
		t.Fatal("the plugin's child died with the host: nothing left for the sweep to do")
	}

	// The next host sweeps at its first launch.
	start(t, newManager(t, fastOptions()), "next", []byte(baseConfig))
	plugintest.Eventually(t, 2*time.Second, "the dead host's plugin's child survived the sweep",
		func() bool { return plugintest.ProcessGone(child) })
	if _, err := os.Stat(dirs[0]); !os.IsNotExist(err) {
		t.Errorf("the dead host's socket directory is still there (stat: %v)", err)
	}
}

// TestSweepSparesAReusedGroupID: a recorded group whose id is now held by
// a live process that is not the recorded leader (another start time), or
// recorded in an earlier boot, is left alone; the recorded leader itself
// is killed.
func TestSweepSparesAReusedGroupID(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dead := exec.Command(plugintest.FakePlugin())
	dead.Env = []string{"FAKEPLUGIN_EXIT_AT_START=1"}
	_ = dead.Run()
	if dead.ProcessState == nil || processAlive(dead.Process.Pid) {
		t.Fatal("no dead pid to play the dead host")
	}

	leader := exec.Command("sleep", "300")
	leader.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := leader.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = leader.Process.Kill(); _ = leader.Wait() })
	pgid := leader.Process.Pid
	started := processStart(pgid)
	if started == 0 {
		t.Fatal("cannot read the leader's start time")
	}

	stale := func(start uint64, boot string) string {
		dir, err := os.MkdirTemp(tmp, socketDirPattern)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, socketDirOwner), []byte(ownerRecord(dead.Process.Pid)), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, socketDirGroup), []byte(groupRecord(pgid, start, boot)), 0o600); err != nil {
			t.Fatal(err)
		}
		return dir
	}

	boot := bootID()
	if boot == "" {
		t.Fatal("cannot read the boot id")
	}
	for what, dir := range map[string]string{
		"whose leader is not the one recorded": stale(started+1, boot),
		"of an earlier boot":                   stale(started, "another-boot"),
	} {
		sweepSocketDirs(hclog.NewNullLogger())
		if plugintest.ProcessGone(pgid) {
			t.Fatalf("the sweep killed a group %s", what)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("the stale directory of a group %s is still there (stat: %v)", what, err)
		}
	}

	stale(started, boot)
	sweepSocketDirs(hclog.NewNullLogger())
	plugintest.Eventually(t, 2*time.Second, "the recorded group's leader survived the sweep",
		func() bool { return plugintest.ProcessGone(pgid) })
}
