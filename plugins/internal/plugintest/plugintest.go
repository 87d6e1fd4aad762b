// Package plugintest is test support shared by the packages under plugins/:
// it builds the fake plugin (plugins/testdata/fakeplugin) once per test
// binary, lets that binary double as a plugin host, and holds small helpers
// the tests of both plugins and plugins/manager need.
package plugintest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// fakePluginPackage is built by Main.
const fakePluginPackage = "github.com/switchboard-hq/switchboard/plugins/testdata/fakeplugin"

// fakePlugin is the binary built by Main.
var fakePlugin string

// Main is a TestMain. When the environment variable hostEnv is set, the test
// binary is the helper host that AssertPluginDiesWithHost starts: Main runs
// host with the variable's value instead of the tests. Otherwise it builds
// the fake plugin into a temporary directory (see FakePlugin), runs the
// tests, removes the directory and exits with the tests' status.
func Main(m *testing.M, hostEnv string, host func(value string)) {
	if v := os.Getenv(hostEnv); v != "" {
		host(v)
		return
	}
	dir, err := os.MkdirTemp("", "plugintest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := 1
	if fakePlugin, err = build(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles the fake plugin into dir under the name a plugin
// directory expects (switchboard-connector-fake).
func build(dir string) (string, error) {
	name := "switchboard-connector-fake"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, fakePluginPackage)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the fake plugin: %w", err)
	}
	return out, nil
}

// FakePlugin returns the path of the fake plugin binary Main built; its
// directory holds nothing else, so it serves as a plugin directory.
func FakePlugin() string {
	if fakePlugin == "" {
		panic("plugintest: the fake plugin is not built; call plugintest.Main from TestMain")
	}
	return fakePlugin
}

// Eventually polls cond until it holds, failing the test with what if it
// still does not after within.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// SyncBuffer is a goroutine-safe log sink.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
