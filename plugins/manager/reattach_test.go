package manager

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/plugins/internal/wire"
)

// debugProc is the fake plugin running in debug mode.
type debugProc struct {
	cmd      *exec.Cmd
	reattach *Reattach
	printed  string     // everything it printed up to its reattach config
	exited   chan error // receives the result of Wait
}

// debugPlugin runs the fake plugin in debug mode and reads the reattach
// config it prints.
func debugPlugin(t *testing.T) *debugProc {
	t.Helper()
	cmd := exec.Command(filepath.Join(pluginDir(), BinaryName("fake")))
	cmd.Env = append(os.Environ(), wire.DebugEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &debugProc{cmd: cmd, exited: make(chan error, 1)}
	printed := make(chan string, 1)
	go func() {
		var all strings.Builder
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			all.WriteString(sc.Text() + "\n")
			if strings.HasPrefix(sc.Text(), "{") {
				break
			}
		}
		printed <- all.String()
		_, _ = io.Copy(io.Discard, stdout)
		d.exited <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case d.printed = <-printed:
	case <-time.After(30 * time.Second):
		t.Fatal("the plugin in debug mode printed no reattach config within 30s")
	}
	lines := strings.Split(strings.TrimSpace(d.printed), "\n")
	if d.reattach, err = wire.ParseReattach(lines[len(lines)-1]); err != nil {
		t.Fatalf("the last line the plugin printed: %v\n%s", err, d.printed)
	}
	return d
}

// TestReattachToDebugPlugin runs a plugin in debug mode, attaches hosts to
// it through Spec.Reattach and through the environment, checks that a
// host shutting down leaves it running, and stops it with SIGINT.
func TestReattachToDebugPlugin(t *testing.T) {
	d := debugPlugin(t)
	cmd, r, out := d.cmd, d.reattach, d.printed
	if r.Pid != cmd.Process.Pid || !r.Test || r.Protocol != "grpc" || r.ProtocolVersion != 1 {
		t.Errorf("reattach config %+v; want the plugin's pid %d, test mode, grpc, protocol 1", r, cmd.Process.Pid)
	}
	for _, want := range []string{"debug mode", "export SWITCHBOARD_REATTACH_FAKE='{", "reattach: {", "dlv"} {
		if !strings.Contains(out, want) {
			t.Errorf("the plugin's instructions do not say %q:\n%s", want, out)
		}
	}

	// Attach through the spec; a host shutting down must not stop it.
	m := newManager(t, fastOptions())
	p, err := m.Start(context.Background(), Spec{Name: "dbg", Plugin: "not-installed", Config: []byte(baseConfig), Reattach: r})
	if err != nil {
		t.Fatalf("Start with Reattach: %v", err)
	}
	if p.Pid() != cmd.Process.Pid {
		t.Errorf("Pid %d; want the debug plugin's %d", p.Pid(), cmd.Process.Pid)
	}
	if resp, err := lookup(context.Background(), p); err != nil || len(resp.Matches) == 0 {
		t.Fatalf("lookup through the reattached plugin: %v %v", resp, err)
	}
	m.Shutdown()

	// Attach again, through the environment.
	raw, _ := json.Marshal(r)
	t.Setenv(wire.ReattachEnv("dbg-env"), string(raw))
	m2 := newManager(t, fastOptions())
	p2, err := m2.Start(context.Background(), Spec{Name: "dbg-env", Plugin: "not-installed", Config: []byte(baseConfig)})
	if err != nil {
		t.Fatalf("Start with %s: %v", wire.ReattachEnv("dbg-env"), err)
	}
	if _, err := lookup(context.Background(), p2); err != nil {
		t.Fatalf("lookup through the plugin attached by the environment: %v", err)
	}
	m2.Shutdown()

	// The author stops it.
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.exited:
		if err != nil {
			t.Errorf("the debug plugin exited with %v after SIGINT; want a clean exit", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the debug plugin did not exit within 10s of SIGINT")
	}
}

func TestReattachErrors(t *testing.T) {
	m := newManager(t, fastOptions())
	t.Setenv(wire.ReattachEnv("bad-env"), `{"protocol":"netrpc"}`)
	_, err := m.Start(context.Background(), Spec{Name: "bad-env", Plugin: "fake", Config: []byte(baseConfig)})
	mustContain(t, err, "SWITCHBOARD_REATTACH_BAD_ENV", `protocol is "netrpc"`, "pid is missing", "unset it")

	gone := &Reattach{Protocol: "grpc", ProtocolVersion: 1, Pid: 1 << 22, Test: true,
		Addr: ReattachAddr{Network: "unix", String: filepath.Join(t.TempDir(), "no.sock")}}
	_, err = m.Start(context.Background(), Spec{Name: "gone", Plugin: "fake", Config: []byte(baseConfig), Reattach: gone})
	mustContain(t, err, `connector "gone": cannot attach`, "is it still running?", wire.DebugEnv+"=1")
}
