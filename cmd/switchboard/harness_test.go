package main

// The end-to-end harness: builds the real host and plugin binaries once,
// starts `switchboard serve` as a child process on a loopback port picked by
// the kernel, and talks to it over real HTTP.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors/postgres/pgtest"
)

var (
	binDir    string // holds switchboard and plugins/
	repoRoot  string
	buildErr  error
	buildOnce sync.Once
)

func TestMain(m *testing.M) {
	// pgtest.Main stops the PostgreSQL that e2e tests with the postgres
	// plugin start on first use (pgtest.NewDatabase).
	code := pgtest.Main(m)
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binaries builds the host and every bundled plugin once per test run.
func binaries(t testing.TB) (hostBin, pluginDir string) {
	t.Helper()
	buildOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			buildErr = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		repoRoot = filepath.Dir(strings.TrimSpace(string(out)))
		binDir, buildErr = os.MkdirTemp("", "switchboard-e2e-")
		if buildErr != nil {
			return
		}
		plugins, _ := filepath.Glob(filepath.Join(repoRoot, "cmd", "switchboard-connector-*"))
		targets := map[string]string{filepath.Join(binDir, "switchboard"): "./cmd/switchboard"}
		for _, p := range plugins {
			targets[filepath.Join(binDir, "plugins", filepath.Base(p))] = "./cmd/" + filepath.Base(p)
		}
		for out, pkg := range targets {
			cmd := exec.Command("go", "build", "-o", out, pkg)
			cmd.Dir = repoRoot
			if b, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "switchboard"), filepath.Join(binDir, "plugins")
}

// hostProc is a running `switchboard serve`.
type hostProc struct {
	t      testing.TB
	cmd    *exec.Cmd
	addr   string
	logs   *syncBuffer
	exited chan struct{}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var servingRE = regexp.MustCompile(`serving: addr=(\S+)`)

// startHost runs `switchboard serve -config cfg` with env, waits until it
// listens and is ready, and stops it when the test ends.
func startHost(t testing.TB, cfg string, env ...string) *hostProc {
	t.Helper()
	hostBin, pluginDir := binaries(t)
	cmd := exec.Command(hostBin, "serve", "-config", cfg)
	cmd.Env = append(os.Environ(), "SB_PORT=0", "SB_PLUGIN_DIR="+pluginDir, "SB_LOG_LEVEL=debug")
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	h := &hostProc{t: t, cmd: cmd, logs: &syncBuffer{}, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Text()
			h.logs.Write([]byte(line + "\n"))
			if m := servingRE.FindStringSubmatch(line); m != nil {
				select {
				case addrc <- m[1]:
				default:
				}
			}
		}
	}()
	go func() { cmd.Wait(); close(h.exited) }()
	t.Cleanup(func() {
		h.stop()
		if t.Failed() {
			t.Logf("host logs:\n%s", h.logs.String())
		}
	})
	select {
	case h.addr = <-addrc:
	case <-h.exited:
		t.Fatalf("switchboard serve exited before serving:\n%s", h.logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("switchboard serve did not start within 30s:\n%s", h.logs.String())
	}
	h.waitReady(30 * time.Second)
	return h
}

func (h *hostProc) stop() {
	select {
	case <-h.exited:
		return
	default:
	}
	h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.exited:
	case <-time.After(15 * time.Second):
		h.cmd.Process.Kill()
		<-h.exited
	}
}

func (h *hostProc) url(path string) string { return "http://" + h.addr + path }

// waitReady polls /readyz until it answers 200.
func (h *hostProc) waitReady(within time.Duration) {
	h.t.Helper()
	eventually(h.t, within, func() (bool, string) {
		resp, err := http.Get(h.url("/readyz"))
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == 200, string(b)
	})
}

// eventually polls cond until it holds or the time is up.
func eventually(t testing.TB, within time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	var last string
	for delay := 5 * time.Millisecond; ; delay = min(delay*2, 200*time.Millisecond) {
		ok, why := cond()
		if ok {
			return
		}
		last = why
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s: %s", within, last)
		}
		time.Sleep(delay) // polling interval, not synchronisation
	}
}

// ivr posts a Smart IVR request body and returns the status and extension.
func (h *hostProc) ivr(body string, auth ...string) (int, string) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.url("/hipcall/smart-ivr"), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if len(auth) == 2 {
		req.SetBasicAuth(auth[0], auth[1])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second) // Hipcall's limit
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		h.t.Fatalf("smart-ivr %s: %v", body, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, ""
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil || len(out) != 1 {
		h.t.Fatalf("smart-ivr %s: answer %q is not exactly {\"extension\": ...}", body, raw)
	}
	ext, ok := out["extension"].(string)
	if !ok || ext == "" {
		h.t.Fatalf("smart-ivr %s: extension in %q is not a non-empty string", body, raw)
	}
	return resp.StatusCode, ext
}

// metric reads one sample's value from /metrics (sum over label sets that
// contain every given label fragment).
func (h *hostProc) metric(name string, fragments ...string) float64 {
	h.t.Helper()
	resp, err := http.Get(h.url("/metrics"))
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	var sum float64
lines:
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) || (len(line) > len(name) && line[len(name)] != '{' && line[len(name)] != ' ') {
			continue
		}
		for _, f := range fragments {
			if !strings.Contains(line, f) {
				continue lines
			}
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum
}

// pluginPIDs lists the host's child processes (its plugins).
func (h *hostProc) pluginPIDs() []int {
	h.t.Helper()
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", h.cmd.Process.Pid))
	var pids []int
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(s); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// runCLI runs the switchboard binary and returns its exit code and output.
func runCLI(t testing.TB, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	hostBin, pluginDir := binaries(t)
	cmd := exec.Command(hostBin, args...)
	cmd.Env = append(os.Environ(), "SB_PLUGIN_DIR="+pluginDir)
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errb.String()
}

// exampleConfig is the path of configs/example.yaml.
func exampleConfig(t testing.TB) string {
	binaries(t)
	return filepath.Join(repoRoot, "configs", "example.yaml")
}

// writeConfig writes a config file into dir from a template in which
// {{root}} is the repository root.
func writeConfig(t testing.TB, dir, name, body string) string {
	t.Helper()
	binaries(t)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(body, "{{root}}", repoRoot)), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type curlExample struct{ body, path, want string }

var curlRE = regexp.MustCompile(`^\$?\s*curl\s.*-d\s+'([^']*)'\s+(?:http://)?(?:localhost|127\.0\.0\.1):5008(/\S*)`)

// readmeCurls finds `curl -d '<body>' localhost:5008/<path>` lines in the
// README and the answer printed on the line after each.
func readmeCurls(t testing.TB, path string) []curlExample {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var out []curlExample
	for i, line := range lines {
		m := curlRE.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil || i+1 >= len(lines) {
			continue
		}
		out = append(out, curlExample{body: m[1], path: m[2], want: strings.TrimSpace(lines[i+1])})
	}
	return out
}

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
