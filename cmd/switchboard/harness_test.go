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
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-hq/switchboard/connectors/connectortest"
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
	admin  string // the admin listener: /readyz, /metrics
	logs   *syncBuffer
	exited chan struct{}
}

// syncBuffer collects a child process's output while the test reads it.
type syncBuffer = connectortest.SyncBuffer

var servingRE = regexp.MustCompile(`serving: addr=(\S+) admin=(\S+)`)

// startHost runs `switchboard serve -config cfg` with env, waits until it
// listens and is ready, and stops it when the test ends.
func startHost(t testing.TB, cfg string, env ...string) *hostProc {
	t.Helper()
	h := launchHost(t, cfg, env...)
	h.waitReady(30 * time.Second)
	return h
}

// launchHost starts `switchboard serve` and returns once it serves HTTP,
// ready or not (an index may still be building).
func launchHost(t testing.TB, cfg string, env ...string) *hostProc {
	t.Helper()
	hostBin, pluginDir := binaries(t)
	cmd := exec.Command(hostBin, "serve", "-config", cfg)
	// SB_JOURNAL: configs/example.yaml keeps its journal in the file it
	// names, which tests serving it at once must not share.
	cmd.Env = append(os.Environ(), "SB_PORT=0", "SB_PLUGIN_DIR="+pluginDir, "SB_LOG_LEVEL=debug",
		"SB_JOURNAL="+filepath.Join(t.TempDir(), "journal.db"))
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	h := &hostProc{t: t, cmd: cmd, logs: &syncBuffer{}, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrc := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Text()
			h.logs.Write([]byte(line + "\n"))
			if m := servingRE.FindStringSubmatch(line); m != nil {
				select {
				case addrc <- m[1:]:
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
	case addrs := <-addrc:
		h.addr, h.admin = addrs[0], addrs[1]
	case <-h.exited:
		t.Fatalf("switchboard serve exited before serving:\n%s", h.logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("switchboard serve did not start within 30s:\n%s", h.logs.String())
	}
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

// adminURL is path on the admin listener.
func (h *hostProc) adminURL(path string) string { return "http://" + h.admin + path }

// waitReady polls /readyz until it answers 200.
func (h *hostProc) waitReady(within time.Duration) {
	h.t.Helper()
	eventually(h.t, within, func() (bool, string) {
		code, body := h.readyz()
		return code == 200, body
	})
}

// readyz is /readyz's status and body.
func (h *hostProc) readyz() (int, string) {
	resp, err := http.Get(h.adminURL("/readyz"))
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// eventually polls cond until it holds or the time is up; cond says why
// not yet.
var eventually = connectortest.EventuallyWhy

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
	resp, err := http.Get(h.adminURL("/metrics"))
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

// logsHide reports an error for each secret the host's log shows.
func (h *hostProc) logsHide(secrets ...string) {
	h.t.Helper()
	logs := h.logs.String()
	for _, secret := range secrets {
		if strings.Contains(logs, secret) {
			h.t.Errorf("a secret (%s...) is in the host's log", secret[:min(8, len(secret))])
		}
	}
}

// killPluginUnderLoad checks that healthy holds, then sends requests from
// 4 clients while it kills the host's only plugin with SIGKILL, and waits
// until a new plugin runs, the host is ready and healthy holds again. ask
// sends a client's i-th request and says whether the answer is valid and
// what it was; every invalid answer is an error, and so is a request
// without one. It returns how many requests were sent and how long the
// plugin took to come back.
func (h *hostProc) killPluginUnderLoad(healthy func() (bool, string), ask func(i int) (bool, string)) (sent int64, back time.Duration) {
	t := h.t
	t.Helper()
	if ok, got := healthy(); !ok {
		t.Fatalf("before the kill: %s", got)
	}
	pids := h.pluginPIDs()
	if len(pids) != 1 {
		t.Fatalf("host has %d child processes (%v), want 1 plugin", len(pids), pids)
	}

	var (
		stop           = make(chan struct{})
		wg             sync.WaitGroup
		sends, answers atomic.Int64
		failures       sync.Map
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				sends.Add(1)
				if ok, got := ask(i); !ok {
					failures.Store(got, true)
					continue
				}
				answers.Add(1)
			}
		}()
	}
	// Let requests flow, then kill the plugin mid-stream.
	eventually(t, 5*time.Second, func() (bool, string) { return answers.Load() > 50, "warming up" })
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killedAt := time.Now()
	eventually(t, 10*time.Second, func() (bool, string) {
		now := h.pluginPIDs()
		return len(now) == 1 && now[0] != pids[0] && h.metric("switchboard_plugin_restarts_total") >= 1,
			fmt.Sprintf("children %v", now)
	})
	h.waitReady(10 * time.Second)
	eventually(t, 10*time.Second, healthy)
	back = time.Since(killedAt)
	close(stop)
	wg.Wait()
	failures.Range(func(k, _ any) bool { t.Errorf("bad answer during the kill: %v", k); return true })
	if answers.Load() != sends.Load() {
		t.Errorf("%d of %d requests did not get a valid answer", sends.Load()-answers.Load(), sends.Load())
	}
	return sends.Load(), back
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

// cliRun is one run of the switchboard binary; its methods check it and
// return it, so that checks chain:
//
//	cli(t, nil, "validate", "-config", cfg).mustExit(exitUsage).stderrHas("cfg.yaml:3:3:")
type cliRun struct {
	t              testing.TB
	args           []string
	code           int
	stdout, stderr string
}

// cli runs the switchboard binary with env added to its environment.
func cli(t testing.TB, env []string, args ...string) cliRun {
	t.Helper()
	code, stdout, stderr := runCLI(t, env, args...)
	return cliRun{t: t, args: args, code: code, stdout: stdout, stderr: stderr}
}

func (r cliRun) String() string { return "switchboard " + strings.Join(r.args, " ") }

// exits reports an error unless the run exited with code.
func (r cliRun) exits(code int) cliRun {
	r.t.Helper()
	if r.code != code {
		r.t.Errorf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", r, r.code, code, r.stdout, r.stderr)
	}
	return r
}

// mustExit stops the test unless the run exited with code.
func (r cliRun) mustExit(code int) cliRun {
	r.t.Helper()
	if r.code != code {
		r.t.Fatalf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", r, r.code, code, r.stdout, r.stderr)
	}
	return r
}

// stdoutHas reports an error for each of wants that stdout lacks.
func (r cliRun) stdoutHas(wants ...string) cliRun {
	r.t.Helper()
	r.has("stdout", r.stdout, wants)
	return r
}

// stderrHas reports an error for each of wants that stderr lacks.
func (r cliRun) stderrHas(wants ...string) cliRun {
	r.t.Helper()
	r.has("stderr", r.stderr, wants)
	return r
}

// outputHas reports an error for each of wants that stdout and stderr
// together lack.
func (r cliRun) outputHas(wants ...string) cliRun {
	r.t.Helper()
	r.has("output", r.stdout+r.stderr, wants)
	return r
}

func (r cliRun) has(stream, text string, wants []string) {
	r.t.Helper()
	for _, want := range wants {
		if !strings.Contains(text, want) {
			r.t.Errorf("%s: %s lacks %q:\n%s", r, stream, want, text)
		}
	}
}

// sampleCSVConfig is a host config over the sample CSV
// (configs/sample/customers.csv) in the given mode, with fast plugin
// restarts and no directory cache; rest (routing, more sections) follows.
func sampleCSVConfig(mode, rest string) string {
	return `
server:
  listen: "127.0.0.1:${SB_PORT}"
log:
  level: debug
phone:
  default_region: GB
plugins:
  dir: ${SB_PLUGIN_DIR}
  health_interval: 200ms
  health_timeout: 500ms
  restart_backoff_min: 50ms
  restart_backoff_max: 1s
connectors:
  - name: customers
    plugin: csv
    mode: ` + mode + `
    timeout: 200ms
    config:
      path: {{root}}/configs/sample/customers.csv
      columns:
        id: CustomerID
        first_name: FirstName
        last_name: LastName
        company: Company
        phones: [Phone, Mobile]
      fields:
        balance: {column: Balance, type: number}
        manager_ext: {column: ManagerExt}
        manager_phone: {column: ManagerPhone}
directory:
  deadline: 500ms
  cache:
    size: 0
` + rest
}

// managerRouting routes on records that may carry manager_ext: several
// records ring 1002, a record with a manager rings the manager's extension,
// anything else the default 1000. More rules may follow, indented by four
// spaces.
const managerRouting = `routing:
  default:
    hipcall: "1000"
  rules:
    - name: several-records
      when: ambiguous
      to:
        hipcall: "1002"
    - name: account-manager
      when: found && record.manager_ext != ""
      to_expr:
        hipcall: record.manager_ext
`

// pgExec runs SQL statements on dsn.
func pgExec(t *testing.T, dsn string, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// pgCustomers creates in the database dsn the customers table that
// pgCustomersConnector serves, phone_e164 its indexed phone_key, holding
// rows: SQL value lists (id, name, phone, phone_e164, manager_ext).
func pgCustomers(t *testing.T, dsn string, rows ...string) {
	t.Helper()
	pgExec(t, dsn,
		`CREATE TABLE customers (id bigint PRIMARY KEY, name text, phone text, phone_e164 text, manager_ext text)`,
		`CREATE INDEX ON customers (phone_e164)`,
		`INSERT INTO customers VALUES `+strings.Join(rows, ", "))
}

// pgCustomersConnector is a connectors: entry named crm serving the
// pgCustomers table in mode: live, its DSN in the environment variable
// dsnEnv.
func pgCustomersConnector(dsnEnv string) string {
	return `  - name: crm
    plugin: postgres
    mode: live
    timeout: 500ms
    config:
      dsn_env: ` + dsnEnv + `
      table: customers
      columns: {id: id, name: name, phones: [phone], phone_key: phone_e164}
      fields:
        manager_ext: {column: manager_ext}
`
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

// readmeExample is a command shown in the README after a `$ ` prompt, with
// the output shown under it.
type readmeExample struct {
	line    int
	command string
	want    string
}

// readmeCommands collects the `$ ` commands inside the README's ```sh
// blocks; a command's expected output is every line after it up to the next
// command or the end of the block.
func readmeCommands(t testing.TB, path string) []readmeExample {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var (
		out     []readmeExample
		inBlock bool
		current = -1 // index in out of the command whose output is being read
	)
	for i, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "```"):
			inBlock, current = line == "```sh", -1
		case !inBlock:
		case strings.HasPrefix(line, "$ "):
			out = append(out, readmeExample{line: i + 1, command: strings.TrimPrefix(line, "$ ")})
			current = len(out) - 1
		case current >= 0:
			if out[current].want != "" {
				out[current].want += "\n"
			}
			out[current].want += line
		}
	}
	return out
}

var durationRE = regexp.MustCompile(`\d+(\.\d+)?(ns|µs|us|ms|s)\b`)

// maskDurations replaces every duration ("4µs", "1.2ms") with "<d>".
func maskDurations(s string) string { return durationRE.ReplaceAllString(s, "<d>") }

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
