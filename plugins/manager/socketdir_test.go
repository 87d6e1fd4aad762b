//go:build unix

package manager

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/switchboard-hq/switchboard/plugins/internal/plugintest"
)

// TestStaleSocketDirsAreSwept: the first launch removes the socket
// directories of hosts that are dead, and only those.
func TestStaleSocketDirsAreSwept(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	// A pid that is certainly dead: a child that has exited and been
	// reaped (the fake plugin, told to exit at once).
	child := exec.Command(plugintest.FakePlugin())
	child.Env = []string{"FAKEPLUGIN_EXIT_AT_START=1"}
	if err := child.Run(); child.ProcessState == nil || child.ProcessState.ExitCode() != 2 {
		t.Fatalf("running the fake plugin to exit at once: %v", err)
	}
	dead := child.Process.Pid
	live := os.Getppid() // the go command running this test
	if processAlive(dead) || !processAlive(live) {
		t.Fatalf("processAlive(dead %d) = %v, processAlive(live %d) = %v", dead, processAlive(dead), live, processAlive(live))
	}

	mkdir := func(name, owner string) string {
		dir := filepath.Join(tmp, name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if owner != "" {
			if err := os.WriteFile(filepath.Join(dir, socketDirOwner), []byte(owner), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	stale := mkdir(socketDirPattern+"stale", ownerRecord(dead))
	if err := os.WriteFile(filepath.Join(stale, "plugin123"), nil, 0o600); err != nil { // its socket
		t.Fatal(err)
	}
	keep := map[string]string{
		"a live host's":            mkdir(socketDirPattern+"live", ownerRecord(live)),
		"one without an owner":     mkdir(socketDirPattern+"unowned", ""),
		"another machine's":        mkdir(socketDirPattern+"remote", "1\nsome-other-machine.example\n"),
		"one with a garbled owner": mkdir(socketDirPattern+"garbled", "x\n"),
		"an unrelated directory":   mkdir("other-"+socketDirPattern, ownerRecord(dead)),
	}

	m := newManager(t, fastOptions())
	p := start(t, m, "sweep", []byte(baseConfig))

	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the dead host's socket directory is still there (stat: %v)", err)
	}
	for what, dir := range keep {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("%s socket directory was removed: %v", what, err)
		}
	}
	// The plugin's own directory names this process as its owner.
	proc, err := p.current("test")
	if err != nil {
		t.Fatal(err)
	}
	own := proc.socketDir
	pid, _, ok := readOwner(filepath.Join(own, socketDirOwner))
	if !ok || pid != os.Getpid() || filepath.Dir(own) != tmp {
		t.Errorf("socket directory %s: owner pid %d (ok %v), want %d in %s", own, pid, ok, os.Getpid(), tmp)
	}
}
