package plugintest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ProcessGone reports whether pid has exited (a zombie waiting for its new
// parent to reap it counts as gone).
func ProcessGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	// pid (comm) state ...; comm may contain spaces and parentheses.
	rest := stat[bytes.LastIndexByte(stat, ')')+1:]
	fields := strings.Fields(string(rest))
	return len(fields) > 0 && (fields[0] == "Z" || fields[0] == "X")
}

// AssertPluginDiesWithHost runs the current test binary as a plugin host,
// with hostEnv ("NAME=value") added to its environment so that Main hands
// it to the package's host function. That host must start a plugin, print
// the plugin's pid on a line of its own and then wait for its stdin to
// close. The test fails unless the plugin runs while the host lives and is
// gone within 5s of the host being SIGKILLed.
func AssertPluginDiesWithHost(t *testing.T, hostEnv ...string) {
	t.Helper()
	host := exec.Command(os.Args[0], "-test.run=^$")
	// TMPDIR: the plugin's socket, left behind when it is killed, goes
	// where the test cleans up.
	host.Env = append(append(os.Environ(), "TMPDIR="+t.TempDir()), hostEnv...)
	stdin, err := host.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := host.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr SyncBuffer
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
	if ProcessGone(pid) {
		t.Fatalf("plugin %d is not running while its host lives", pid)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })

	if err := host.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = host.Wait()
	Eventually(t, 5*time.Second, fmt.Sprintf("plugin %d still running after its host was SIGKILLed", pid),
		func() bool { return ProcessGone(pid) })
}
