// Command switchboard-bench measures Switchboard on this machine and prints a
// Markdown report: `make bench` runs it after the Go benchmarks.
//
//  1. Smart IVR under load: an open-loop load at a fixed rate from this
//     process, over loopback, against the real host (`bin/switchboard serve`
//     with the CSV plugin and a generated customer file, every request an
//     index hit with the cache off) and, side by side in the same run, against
//     a bare handler that answers a constant extension (the floor). Rounds
//     alternate between the two so that drift hits both.
//
//  2. The plugin round trip: LookupByPhone through the real CSV plugin process
//     (go-plugin gRPC over a local socket) against the same call in-process.
//
//  3. Webhooks and Insight Cards (webhook.go): webhook-to-card latency
//     against the fake Hipcall, and webhook answers under a burst.
//
// Usage: switchboard-bench [-rate 1000] [-duration 5s] [-rounds 3]
// [-workers 32] [-contacts 100000] [-bin bin] [-baseline DIR]
// [-console=false] [-ivr-only] [-out report.md] [-webhooks=false]
//
// -baseline runs a second host (DIR/switchboard, an older build) beside
// the first in the Smart IVR rounds, so that a change is measured against
// what it replaces in one run; -ivr-only stops after the Smart IVR tables.
//
// The "floor" subcommand serves the bare handler (used by the run itself).
package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/cmd/internal/pluginbench"
	"github.com/switchboard-hq/switchboard/connectors"
	csvconn "github.com/switchboard-hq/switchboard/connectors/csv"
	"github.com/switchboard-hq/switchboard/plugins/manager"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "floor" {
		serveFloor()
		return
	}
	rate := flag.Int("rate", 1000, "requests per second of the open-loop load")
	duration := flag.Duration("duration", 5*time.Second, "length of each load window")
	rounds := flag.Int("rounds", 3, "alternating rounds per target")
	contacts := flag.Int("contacts", 100000, "contacts in the generated CSV")
	calls := flag.Int("calls", 20000, "plugin round trips to time")
	bin := flag.String("bin", "bin", "directory holding switchboard and plugins/")
	out := flag.String("out", "", "also write the report to this file")
	webhooks := flag.Bool("webhooks", true, "also measure webhook answers and webhook-to-card latency (webhook.go)")
	webhookRate := flag.Int("webhook-rate", 200, "call_init webhooks per second for the webhook-to-card latency")
	burst := flag.Int("burst", 5000, "webhooks in the answer-latency burst")
	afterCallOnly := flag.Bool("aftercall-only", false, "measure only the journal and the after-call flow (aftercall.go)")
	scale := flag.Int("scale", 0, "also start the host on this many generated contacts and record time to ready, memory and p99 (scale.go); 0: skip")
	scaleOnly := flag.Bool("scale-only", false, "measure only the scale run (scale.go)")
	emRate := flag.Int("em-rate", 500, "External Management steps per second (extmgmt.go); 0: skip")
	emOnly := flag.Bool("em-only", false, "measure only External Management steps (extmgmt.go)")
	webhooksOnly := flag.Bool("webhooks-only", false, "measure only webhook answers and webhook-to-card latency (webhook.go): with -bin of an older build, a control")
	workers := flag.Int("workers", 32, "concurrent clients of the Smart IVR closed loop")
	baseline := flag.String("baseline", "", "directory holding an older build's switchboard and plugins/, run beside -bin's in the Smart IVR rounds; empty: none")
	console := flag.Bool("console", true, "also run the Smart IVR rounds with the console's live feed open (hosts that have it)")
	ivrOnly := flag.Bool("ivr-only", false, "measure only Smart IVR under load (open and closed loop), then stop")
	flag.Parse()

	work, err := os.MkdirTemp("", "switchboard-bench-")
	check(err, "temp dir")
	defer os.RemoveAll(work)

	numbers := generateCSV(filepath.Join(work, "customers.csv"), *contacts)
	var report strings.Builder
	fmt.Fprintf(&report, "## Run of %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&report, "Machine: %s, %d CPUs, %s %s/%s. Command: `%s`.\n\n", cpuModel(), runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, strings.Join(os.Args, " "))

	binAbs, err := filepath.Abs(*bin)
	check(err, "bin dir")
	if *webhooksOnly {
		benchWebhooks(&report, binAbs, work, numbers, *webhookRate, *duration, *burst)
		fmt.Print(report.String())
		return
	}
	if *scaleOnly {
		benchScale(&report, binAbs, max(*scale, 1_000_000), *rate, *duration)
		fmt.Print(report.String())
		return
	}
	if *emOnly {
		benchExternalManagement(&report, binAbs, work, *contacts, *emRate, *duration)
		fmt.Print(report.String())
		return
	}
	if *afterCallOnly {
		benchAfterCall(&report, binAbs, work, numbers, *burst)
		fmt.Print(report.String())
		return
	}

	// 1. Smart IVR under load, side by side with the floor.
	benchSmartIVR(&report, work, binAbs, *baseline, numbers, *rate, *duration, *rounds, *workers, *console)
	if *ivrOnly {
		fmt.Print(report.String())
		writeReport(*out, report.String())
		return
	}

	// 2. Plugin round trip against the in-process call.
	fmt.Fprintf(&report, "\n### LookupByPhone: real plugin process over gRPC vs in-process (%d sequential calls each, %d contacts)\n\n", *calls, *contacts)
	fmt.Fprintln(&report, "| path | p50 | p90 | p99 | mean |")
	fmt.Fprintln(&report, "|---|---:|---:|---:|---:|")
	block := []byte("path: " + filepath.Join(work, "customers.csv") + "\ncolumns:\n  id: id\n  first_name: first\n  last_name: last\n  phones: [phone]\n")
	inproc := csvconn.New(hclog.NewNullLogger())
	configure(inproc, block)
	m := manager.New(manager.Options{Config: manager.Config{Dir: filepath.Join(binAbs, "plugins")}, Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Warn})})
	defer m.Shutdown()
	plug, err := m.Start(context.Background(), manager.Spec{Name: "bench", Plugin: "csv", Config: block, DefaultRegion: "GB"})
	check(err, "start the csv plugin")
	timeCalls(&report, "in-process csv.LookupByPhone", inproc, numbers, *calls)
	timeCalls(&report, "plugin process (go-plugin gRPC)", plug, numbers, *calls)
	if *scale > 0 {
		benchScale(&report, binAbs, *scale, *rate, *duration)
	}
	if *emRate > 0 {
		benchExternalManagement(&report, binAbs, work, *contacts, *emRate, *duration)
	}
	if *webhooks {
		benchWebhooks(&report, binAbs, work, numbers, *webhookRate, *duration, *burst)
		benchAfterCall(&report, binAbs, work, numbers, *burst)
	}

	fmt.Print(report.String())
	writeReport(*out, report.String())
}

// writeReport also writes the report to out, when it is set.
func writeReport(out, report string) {
	if out == "" {
		return
	}
	check(os.MkdirAll(filepath.Dir(out), 0o755), "report dir")
	check(os.WriteFile(out, []byte(report), 0o644), "write report")
}

// ivrTarget is one server the Smart IVR rounds load.
type ivrTarget struct {
	name, addr string
	console    bool // the console's live feed is open and read meanwhile
}

// benchSmartIVR loads the host (and the baseline host, if any) side by
// side with the floor: open loop at rate, then closed loop with workers
// clients, each in rounds that alternate between the targets so that
// drift hits all of them.
func benchSmartIVR(report io.Writer, work, binAbs, baseline string, numbers []string, rate int, duration time.Duration, rounds, workers int, console bool) {
	cfg := writeConfig(work, binAbs)
	hostAddr, stopHost := startProcess(filepath.Join(binAbs, "switchboard"), []string{"serve", "-config", cfg}, nil)
	defer stopHost()
	waitReady(hostAddr)
	self, err := os.Executable()
	check(err, "own path")
	floorAddr, stopFloor := startProcess(self, []string{"floor"}, nil)
	defer stopFloor()

	bodies := make([]string, 0, 4096)
	for i := 0; i < cap(bodies); i++ {
		bodies = append(bodies, fmt.Sprintf(`{"caller":"%s","number":"+442045200000","uuid":"bench-%d"}`, numbers[rand.IntN(len(numbers))], i))
	}
	targets := []ivrTarget{{"floor (constant answer)", floorAddr, false}, {"switchboard (index hit)", hostAddr, false}}
	if baseline != "" {
		baseAbs, err := filepath.Abs(baseline)
		check(err, "baseline dir")
		baseWork := filepath.Join(work, "baseline")
		check(os.MkdirAll(baseWork, 0o755), "baseline dir")
		check(os.Link(filepath.Join(work, "customers.csv"), filepath.Join(baseWork, "customers.csv")), "baseline CSV")
		baseAddr, stopBase := startProcess(filepath.Join(baseAbs, "switchboard"), []string{"serve", "-config", writeConfig(baseWork, baseAbs)}, nil)
		defer stopBase()
		waitReady(baseAddr)
		targets = append(targets, ivrTarget{"baseline " + baseline, baseAddr, false})
	}
	if console && adminOf(hostAddr) != hostAddr { // a build with the console
		targets = append(targets, ivrTarget{"switchboard, console live feed open", hostAddr, true})
	}
	results := map[string]*loadResult{}
	for _, t := range targets {
		results[t.name] = &loadResult{}
		openLoop(t.addr, bodies, rate, time.Second, "1093") // warm-up, discarded
	}
	var consoleEvents int64
	for r := 0; r < rounds; r++ {
		for _, t := range targets {
			stop := func() int64 { return 0 }
			if t.console {
				stop = watchConsole(adminOf(t.addr))
			}
			results[t.name].merge(openLoop(t.addr, bodies, rate, duration, ""))
			consoleEvents += stop()
		}
	}
	fmt.Fprintf(report, "### Smart IVR at %d requests/s (open loop, %d × %s per target, alternating)\n\n", rate, rounds, duration)
	fmt.Fprintln(report, "| target | requests | errors | achieved req/s | p50 | p90 | p99 | max |")
	fmt.Fprintln(report, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, t := range targets {
		results[t.name].row(report, t.name)
	}
	if targets[len(targets)-1].console {
		fmt.Fprintf(report, "\nThe console's live feed (/console/events on the admin listener) delivered %d ring events while it was open.\n", consoleEvents)
	}
	fmt.Fprintln(report)
	floorP99 := results[targets[0].name].pct(99)
	for _, t := range targets[1:] {
		p99 := results[t.name].pct(99)
		fmt.Fprintf(report, "p99 ratio %s / floor: %.2f× (target ≤ 1.3×); p99 %s (target < 5 ms).\n", t.name, float64(p99)/float64(max(floorP99, 1)), fmtDur(p99))
	}

	closed := map[string]*loadResult{}
	for _, t := range targets {
		closed[t.name] = &loadResult{}
	}
	for r := 0; r < rounds; r++ {
		for _, t := range targets {
			stop := func() int64 { return 0 }
			if t.console {
				stop = watchConsole(adminOf(t.addr))
			}
			closed[t.name].merge(closedLoop(t.addr, bodies, workers, duration))
			stop()
		}
	}
	fmt.Fprintf(report, "\n### Smart IVR closed loop, %d concurrent clients, %d × %s per target, alternating\n\n", workers, rounds, duration)
	fmt.Fprintln(report, "| target | requests | errors | achieved req/s | p50 | p90 | p99 | max |")
	fmt.Fprintln(report, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, t := range targets {
		closed[t.name].row(report, t.name)
	}
	fmt.Fprintln(report)
	floorRate := closed[targets[0].name].rate()
	for _, t := range targets[1:] {
		fmt.Fprintf(report, "closed-loop throughput %s / floor: %.2f× (target ≥ 0.8×).\n", t.name, closed[t.name].rate()/max(floorRate, 1))
	}
	cpuLine(report, closed, targets)
}

// cpuLine reports the serving processes' CPU time per answer in the closed
// loop: what a ring costs the server, beside the throughput it allowed.
func cpuLine(w io.Writer, closed map[string]*loadResult, targets []ivrTarget) {
	var parts []string
	for _, t := range targets {
		parts = append(parts, fmt.Sprintf("%s %s", t.name, fmtDur(closed[t.name].cpuPerAnswer())))
	}
	fmt.Fprintf(w, "Server CPU an answer in the closed loop: %s.\n", strings.Join(parts, ", "))
}

func check(err error, what string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "switchboard-bench: %s: %v\n", what, err)
		os.Exit(1)
	}
}

// generateCSV writes n contacts with distinct London numbers and returns the
// numbers in the E.164 form Hipcall sends.
func generateCSV(path string, n int) []string {
	f, err := os.Create(path)
	check(err, "create CSV")
	defer f.Close()
	w := csv.NewWriter(bufio.NewWriter(f))
	w.Write([]string{"id", "first", "last", "phone"})
	numbers := make([]string, n)
	for i := 0; i < n; i++ {
		national := fmt.Sprintf("20%08d", 30000000+i)
		numbers[i] = "+44" + national
		// Half stored as national numbers with a trunk zero and spaces, as CRMs do.
		stored := numbers[i]
		if i%2 == 1 {
			stored = "0" + national[:2] + " " + national[2:6] + " " + national[6:]
		}
		w.Write([]string{fmt.Sprintf("C%07d", i), "First" + fmt.Sprint(i), "Last", stored})
	}
	w.Flush()
	check(w.Error(), "write CSV")
	return numbers
}

func writeConfig(dir, bin string) string {
	cfg := fmt.Sprintf(`server:
  listen: "127.0.0.1:0"
log:
  level: info   # as deployed: one log line per request
phone:
  default_region: GB
plugins:
  dir: %s/plugins
connectors:
  - name: customers
    plugin: csv
    mode: index
    config:
      path: %s/customers.csv
      reload_interval: 0s
      columns: {id: id, first_name: first, last_name: last, phones: [phone]}
directory:
  cache: {size: 0}
routing:
  default:
    hipcall: "1000"
  rules:
    - name: known
      when: found
      to:
        hipcall: "1093"
`, bin, dir)
	p := filepath.Join(dir, "bench.yaml")
	check(os.WriteFile(p, []byte(cfg), 0o600), "write config")
	return p
}

// servingRE reads the "serving" line: the public address, then (hosts
// since the admin listener) the admin one, which serves /readyz and
// /metrics; older builds serve them on the public one.
var servingRE = regexp.MustCompile(`serving: addr=(\S+)(?: admin=(\S+))?`)

// admins are the admin addresses of the started hosts, by public address.
var admins = map[string]string{}

// adminOf is the address serving addr's /readyz and /metrics.
func adminOf(addr string) string {
	pidsMu.Lock()
	defer pidsMu.Unlock()
	if a := admins[addr]; a != "" {
		return a
	}
	return addr
}

// pids are the started processes by address, for cpuTime.
var (
	pidsMu sync.Mutex
	pids   = map[string]int{}
)

// cpuMeter measures what a load costs a process in CPU: its idle rate
// (a process polling its queues uses CPU doing nothing) is measured
// first and taken off.
type cpuMeter struct {
	addr  string
	idle  float64 // CPU seconds a second when idle
	start time.Time
	used0 time.Duration
}

// startCPU measures the idle rate over two seconds, then starts counting.
func startCPU(addr string) *cpuMeter {
	t0, c0 := time.Now(), cpuTime(addr)
	time.Sleep(2 * time.Second) // sampling /proc
	m := &cpuMeter{addr: addr, idle: float64(cpuTime(addr)-c0) / float64(time.Since(t0))}
	m.start, m.used0 = time.Now(), cpuTime(addr)
	return m
}

// untilIdle waits until the process is back to its idle rate (within a
// clock tick a half second, for five seconds in a row: work deferred by a
// few seconds counts; at most two minutes) and returns the CPU the load
// cost, deferred work included.
func (m *cpuMeter) untilIdle() time.Duration {
	last, at := cpuTime(m.addr), time.Now()
	quiet, lastBusy, lastBusyAt := 0, last, at
	for range 240 {
		time.Sleep(500 * time.Millisecond) // sampling /proc
		now, nowAt := cpuTime(m.addr), time.Now()
		extra := now - last - time.Duration(m.idle*float64(nowAt.Sub(at)))
		last, at = now, nowAt
		if extra >= 10*time.Millisecond {
			quiet, lastBusy, lastBusyAt = 0, now, nowAt
			continue
		}
		if quiet++; quiet == 10 {
			break
		}
	}
	last, at = lastBusy, lastBusyAt // the quiet tail is idle by definition
	return last - m.used0 - time.Duration(m.idle*float64(at.Sub(m.start)))
}

// cpuTime is the CPU time (user and system) the process serving addr has
// used so far, from /proc (Linux; 0 elsewhere). Its resolution is a clock
// tick (10 ms), fine over a burst's seconds.
func cpuTime(addr string) time.Duration {
	pidsMu.Lock()
	pid := pids[addr]
	pidsMu.Unlock()
	return time.Duration(procCPU(pid)) * 10 * time.Millisecond
}

// startProcess starts a server process and returns the address it reports
// on stderr ("serving: addr=...").
func startProcess(bin string, args, env []string) (string, func()) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	check(err, "pipe")
	check(cmd.Start(), "start "+bin)
	addrc := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				addrc <- m[1:]
				break
			}
		}
		// The rest (a line per request) is drained unread: scanning it
		// would take CPU from the process under load on a small machine.
		_, _ = io.Copy(io.Discard, stderr)
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cmd.Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
			}
		})
	}
	select {
	case m := <-addrc:
		addr := m[0]
		pidsMu.Lock()
		pids[addr], admins[addr] = cmd.Process.Pid, m[1]
		pidsMu.Unlock()
		return addr, stop
	case <-time.After(60 * time.Second):
		stop()
		check(fmt.Errorf("no \"serving\" line within 60s"), bin)
	}
	return "", stop
}

// watchConsole opens the console's live feed on the admin address and
// reads it, as an operator's open browser tab does, until the returned
// func is called; that returns how many ring events arrived.
func watchConsole(admin string) (stop func() int64) {
	ctx, cancel := context.WithCancel(context.Background())
	var events atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+admin+"/console/events", nil)
		check(err, "console feed request")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return // cancelled
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if sc.Text() == "event: ring" {
				events.Add(1)
			}
		}
	}()
	return func() int64 {
		cancel()
		<-done
		return events.Load()
	}
}

func waitReady(addr string) { waitReadyWithin(addr, 120*time.Second) }

// serveFloor answers every request with a constant extension, with the same
// server settings as the host: the floor any handler can be compared with.
func serveFloor() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err, "listen")
	fmt.Fprintf(os.Stderr, "serving: addr=%s\n", ln.Addr())
	srv := &http.Server{
		ReadHeaderTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, io.LimitReader(r.Body, 65536))
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"extension":"1000"}`)
		}),
	}
	srv.Serve(ln)
}

func configure(c connectors.Connector, block []byte) {
	resp, err := c.Configure(context.Background(), &connectors.ConfigureRequest{Config: block, DefaultRegion: "GB"})
	check(err, "configure")
	if len(resp.Problems) > 0 {
		check(fmt.Errorf("%v", resp.Problems), "configure")
	}
}

// timeCalls times n sequential lookups of random numbers, each expecting
// one match, after a thousand that warm up, and writes a report row.
func timeCalls(w io.Writer, name string, c connectors.Connector, numbers []string, n int) {
	const warmUp = 1000
	calls := 0
	lat, err := pluginbench.TimeLookups(context.Background(), c,
		func() bool { calls++; return calls <= warmUp+n },
		func(int) *connectors.LookupRequest {
			e164 := numbers[rand.IntN(len(numbers))]
			return &connectors.LookupRequest{E164: e164, National: e164[3:]}
		})
	check(err, name)
	lat = lat[warmUp:]
	r := &loadResult{lat: lat}
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", name, fmtDur(r.pct(50)), fmtDur(r.pct(90)), fmtDur(r.pct(99)), fmtDur(sum/time.Duration(len(lat))))
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			if _, v, ok := strings.Cut(line, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown CPU"
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
	}
}
