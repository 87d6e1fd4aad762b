package connectortest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Leak check parameters: how many Configure→use→Close cycles, how long
// goroutines and files may take to go away, and how many descriptors
// other tests running at the same time may open meanwhile.
const (
	leakCycles  = 4
	leakSettle  = 5 * time.Second
	leakFDSlack = 2
	leakLabel   = "connectortest_leak_check"
)

// closer is what a connector with resources to release implements.
type closer interface{ Close() }

// errCloser is the io.Closer form.
type errCloser interface{ Close() error }

// testLeaks runs the connector in process (not over the wire) through
// Configure→Check→reads→Configure again→Close, a few times, and checks
// that the goroutines it started are gone and the process's open file
// descriptors are back to where they were. Goroutines are counted by a
// pprof label the cycle runs under (goroutines inherit it), so other
// tests running at the same time do not disturb the count; descriptors
// are counted in /proc/self/fd (Linux only), with a little slack and a
// second try for other tests' files. A connector without Close must hold
// no goroutine once its calls return; one that holds some (a pool, a
// file watcher) implements Close() or Close() error and releases them
// there, and does not start a second set when configured again.
func (r *runner) testLeaks(t *testing.T) {
	if r.s.NoLeakCheck != "" {
		t.Skipf("skipped (Suite.NoLeakCheck): %s", r.s.NoLeakCheck)
	}
	var lastWhy string
	for try := 0; try < 2; try++ {
		why := r.leakRound(t)
		if why == "" {
			return
		}
		lastWhy = why
		t.Logf("leaks: try %d: %s", try+1, why)
	}
	t.Error(lastWhy)
}

// leakRound runs the cycles once and says what leaked ("" for nothing).
func (r *runner) leakRound(t *testing.T) string {
	runtime.GC()
	fds0, fdOK := openFDs()
	label := fmt.Sprintf("%s-%d", leakLabel, time.Now().UnixNano())
	var failure string
	pprof.Do(context.Background(), pprof.Labels(leakLabel, label), func(ctx context.Context) {
		for i := 0; i < leakCycles && failure == ""; i++ {
			failure = r.leakCycle(ctx, t)
		}
	})
	if failure != "" {
		t.Fatal(failure)
	}
	var goroutines int
	var fds map[string]string
	deadline := time.Now().Add(leakSettle)
	for delay := time.Millisecond; ; delay = min(2*delay, maxPoll) {
		runtime.GC() // finalizers close files a connector dropped
		goroutines = labelled(label)
		fds, _ = openFDs()
		if goroutines == 0 && (!fdOK || len(fds) <= len(fds0)+leakFDSlack) {
			return ""
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(delay) // paces the polling
	}
	var why []string
	if goroutines > 0 {
		why = append(why, fmt.Sprintf("%d goroutines started by the connector still run %s after %d Configure→use→Close cycles%s:\n%s",
			goroutines, leakSettle, leakCycles, closeHint(r.s.New()), labelledStacks(label)))
	}
	if fdOK && len(fds) > len(fds0)+leakFDSlack {
		var extra []string
		for fd, target := range fds {
			if _, ok := fds0[fd]; !ok {
				extra = append(extra, target)
			}
		}
		sort.Strings(extra)
		why = append(why, fmt.Sprintf("%d file descriptors open before %d Configure→use→Close cycles, %d after (new: %s)%s",
			len(fds0), leakCycles, len(fds), strings.Join(extra, ", "), closeHint(r.s.New())))
	}
	return strings.Join(why, "; ")
}

// closeHint says what to do about a leak, depending on whether the
// connector has a Close.
func closeHint(c connectors.Connector) string {
	switch c.(type) {
	case closer, errCloser:
		return "; Close must stop what Configure started, and Configure must stop what an earlier Configure started"
	}
	return "; the connector has no Close: it must not keep goroutines or files beyond its calls, " +
		"or implement Close() and release them there (and in a later Configure)"
}

// leakCycle configures a fresh connector on the standard backend, uses
// it, configures it again (the host's reload), and closes it.
func (r *runner) leakCycle(ctx context.Context, t *testing.T) string {
	c := r.s.New()
	cctx, cancel := context.WithTimeout(ctx, r.s.CallTimeout)
	defer cancel()
	for round := 0; round < 2; round++ {
		resp, err := c.Configure(cctx, &connectors.ConfigureRequest{Config: r.config, DefaultRegion: Region, BaseDir: r.s.BaseDir})
		if err != nil || len(resp.Problems) > 0 {
			return fmt.Sprintf("Configure in process: %v %v", err, problemsOf(resp))
		}
		if _, err := c.Check(cctx, &connectors.CheckRequest{}); err != nil {
			return fmt.Sprintf("Check in process: %v", err)
		}
		for _, cl := range r.calls() {
			if _, err := cl.do(cctx, c); err != nil {
				return fmt.Sprintf("%s in process: %v", cl.op, err)
			}
		}
	}
	switch cl := c.(type) {
	case closer:
		cl.Close()
	case errCloser:
		if err := cl.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	return ""
}

func problemsOf(resp *connectors.ConfigureResponse) connectors.Problems {
	if resp == nil {
		return nil
	}
	return resp.Problems
}

// labelled counts the goroutines carrying the label.
func labelled(label string) int {
	n := 0
	for _, g := range goroutineGroups() {
		if strings.Contains(g.header, label) {
			n += g.count
		}
	}
	return n
}

// labelledStacks is the stacks of the goroutines carrying the label.
func labelledStacks(label string) string {
	var out []string
	for _, g := range goroutineGroups() {
		if strings.Contains(g.header, label) {
			out = append(out, g.text)
		}
	}
	if len(out) > 5 {
		out = append(out[:5], fmt.Sprintf("... and %d more", len(out)-5))
	}
	return strings.Join(out, "\n")
}

// goroutineGroup is one entry of the goroutine profile (debug=1): a
// count of goroutines with one stack and one label set.
type goroutineGroup struct {
	count  int
	header string
	text   string
}

func goroutineGroups() []goroutineGroup {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		return nil
	}
	var groups []goroutineGroup
	sc := bufio.NewScanner(&buf)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var cur *goroutineGroup
	for sc.Scan() {
		line := sc.Text()
		var n int
		if _, err := fmt.Sscanf(line, "%d @", &n); err == nil && strings.Contains(line, " @ ") {
			groups = append(groups, goroutineGroup{count: n, header: line, text: line})
			cur = &groups[len(groups)-1]
			continue
		}
		if cur == nil {
			continue
		}
		if strings.HasPrefix(line, "# labels:") {
			cur.header += " " + line
		}
		if strings.TrimSpace(line) == "" {
			cur = nil
			continue
		}
		cur.text += "\n" + line
	}
	return groups
}

// openFDs lists the process's open file descriptors and what each
// points at; ok is false where /proc/self/fd does not exist.
func openFDs() (fds map[string]string, ok bool) {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil, false
	}
	fds = map[string]string{}
	for _, e := range entries {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // the ReadDir's own descriptor, closed since
		}
		fds[e.Name()] = target
	}
	return fds, true
}
