package main

// Scale (issue 17): the host serving n generated contacts from the CSV
// connector in index mode, started from nothing: the time until it
// serves and until /readyz answers 200, the resident memory of the host
// and of its plugin once ready and what the index itself holds
// (switchboard_index_bytes), with the Smart IVR's p99 at 1,000 requests/s
// and its closed-loop throughput (8 clients) against the floor in the
// same run.

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func benchScale(report io.Writer, bin string, n int, rate int, d time.Duration) {
	dir, err := os.MkdirTemp("", "switchboard-scale-")
	check(err, "temp dir")
	defer os.RemoveAll(dir)
	genStart := time.Now()
	numbers := generateCSV(filepath.Join(dir, "customers.csv"), n)
	info, err := os.Stat(filepath.Join(dir, "customers.csv"))
	check(err, "stat CSV")
	gen := time.Since(genStart)

	cfg := writeConfig(dir, bin)
	start := time.Now()
	addr, stop := startProcess(filepath.Join(bin, "switchboard"), []string{"serve", "-config", cfg}, nil)
	defer stop()
	serving := time.Since(start)
	waitReadyWithin(addr, 15*time.Minute)
	ready := time.Since(start)
	indexBytes := metric(adminOf(addr), "switchboard_index_bytes")
	pidsMu.Lock()
	hostPID := pids[addr]
	pidsMu.Unlock()
	hostRSS := rssKB(hostPID)
	var pluginRSS int64
	for _, c := range childPIDs(hostPID) {
		pluginRSS += rssKB(c)
	}
	// The load rounds measure the ring path, not the start: wait until
	// the host has settled (its first poll for changes may re-list every
	// record of a file written just before the start: their time is
	// within the poll's look-back).
	settle := settled(hostPID, 10*time.Minute)
	steadyRSS := rssKB(hostPID)

	bodies := make([]string, 4096)
	for i := range bodies {
		bodies[i] = fmt.Sprintf(`{"caller":"%s","uuid":"scale-%d"}`, numbers[rand.IntN(len(numbers))], i)
	}
	self, err := os.Executable()
	check(err, "own path")
	floorAddr, stopFloor := startProcess(self, []string{"floor"}, nil)
	defer stopFloor()
	openLoop(addr, bodies, rate, time.Second, "1093") // warm-up
	openLoop(floorAddr, bodies, rate, time.Second, "")
	host := openLoop(addr, bodies, rate, d, "1093")
	floor := openLoop(floorAddr, bodies, rate, d, "")
	warm := warmHeap(addr, bodies, d)
	hostClosed := closedLoop(addr, bodies, 8, d)
	floorClosed := closedLoop(floorAddr, bodies, 8, d)

	fmt.Fprintf(report, "\n### Scale: %d contacts (CSV %.0f MB, generated in %s), index mode\n\n", n, float64(info.Size())/1e6, gen.Round(time.Millisecond))
	fmt.Fprintln(report, "| start → serving | start → ready | host RSS | plugin RSS | both, per contact | index, per contact |")
	fmt.Fprintln(report, "|---:|---:|---:|---:|---:|---:|")
	fmt.Fprintf(report, "| %s | %s | %.0f MB | %.0f MB | %.0f B | %.0f B |\n\n",
		serving.Round(time.Millisecond), ready.Round(time.Millisecond), float64(hostRSS)/1024, float64(pluginRSS)/1024,
		float64((hostRSS+pluginRSS)*1024)/float64(n), indexBytes/float64(n))
	fmt.Fprintf(report, "Settled (host and plugin below 5%% CPU for 6 s) %s after ready; host RSS then %.0f MB.\n\n",
		settle.Round(100*time.Millisecond), float64(steadyRSS)/1024)
	fmt.Fprintln(report, "| Smart IVR p99 at", rate, "req/s | floor p99 | ratio | closed loop, 8 clients | floor | ratio | errors |")
	fmt.Fprintln(report, "|---:|---:|---:|---:|---:|---:|---:|")
	fmt.Fprintf(report, "| %s | %s | %.2f× | %.0f req/s | %.0f req/s | %.2f× | %d |\n",
		fmtDur(host.pct(99)), fmtDur(floor.pct(99)), float64(host.pct(99))/float64(max(floor.pct(99), 1)),
		hostClosed.rate(), floorClosed.rate(), hostClosed.rate()/max(floorClosed.rate(), 1),
		host.errors+hostClosed.errors)
	fmt.Fprintf(report, "\nServer CPU an answer in the closed loop: switchboard %s, floor %s.\n",
		fmtDur(hostClosed.cpuPerAnswer()), fmtDur(floorClosed.cpuPerAnswer()))
	fmt.Fprintf(report, "Before it, %s of closed loop on the host until it had collected garbage once (%d answers, CPU %s an answer): "+
		"the build gave its memory back, and until the heap has grown to its goal again every page a ring allocates is a fresh one from the kernel.\n",
		warm.elapsed.Round(100*time.Millisecond), len(warm.lat), fmtDur(warm.cpuPerAnswer()))
}

// warmHeap runs the closed loop on the host in steps of a second until
// its collector has completed a cycle (go_gc_duration_seconds_count grows)
// or 6 d have passed: a host that has just built an index returned the
// memory the build freed (debug.FreeOSMemory), and until the heap has
// grown back to its goal each page a ring allocates costs a page fault;
// a long-running host does not pay that, so the measured rounds start
// after it.
func warmHeap(addr string, bodies []string, d time.Duration) *loadResult {
	admin := adminOf(addr)
	gcs := metric(admin, "go_gc_duration_seconds_count")
	warm := &loadResult{}
	for warm.elapsed < 6*d {
		warm.merge(closedLoop(addr, bodies, 8, time.Second))
		if metric(admin, "go_gc_duration_seconds_count") > gcs {
			break
		}
	}
	return warm
}

// waitReadyWithin waits for the host's /readyz to answer 200, at most d.
func waitReadyWithin(addr string, d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + adminOf(addr) + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond) // polling, as a load balancer does
	}
	check(fmt.Errorf("not ready within %s", d), "host "+addr)
}

// metric sums a metric's samples on the admin listener's /metrics (0 when
// it is absent).
func metric(admin, name string) float64 {
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0
	}
	var sum float64
	for _, line := range strings.Split(string(body), "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || (rest != "" && rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		f := strings.Fields(rest[strings.LastIndexByte(rest, '}')+1:])
		if len(f) > 0 {
			v, _ := strconv.ParseFloat(f[0], 64)
			sum += v
		}
	}
	return sum
}

// rssKB is a process's resident set in KiB (0 when unknown).
func rssKB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb
			}
		}
	}
	return 0
}

// childPIDs lists a process's children (its plugins).
func childPIDs(pid int) []int {
	var out []int
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// settled waits until the process and its children use under 5% of a
// CPU for twelve half-second samples in a row, longer than the poll
// interval (at most max), and returns how long that took.
func settled(pid int, max time.Duration) time.Duration {
	start := time.Now()
	cpu := func() int64 {
		t := procCPU(pid)
		for _, c := range childPIDs(pid) {
			t += procCPU(c)
		}
		return t
	}
	quiet, last := 0, cpu()
	for quiet < 12 && time.Since(start) < max {
		time.Sleep(500 * time.Millisecond) // sampling /proc
		now := cpu()
		if now-last < 3 { // clock ticks of 10 ms: under 5% of 500 ms
			quiet++
		} else {
			quiet = 0
		}
		last = now
	}
	return time.Since(start)
}

// procCPU is a process's user and system CPU, in clock ticks (10 ms).
func procCPU(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: fields count from the
	// closing parenthesis; utime and stime are fields 14 and 15.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st
}
