package main

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-hq/switchboard/cmd/internal/pluginbench"
)

// loadResult collects the latencies of one or more load windows.
type loadResult struct {
	lat     []time.Duration
	errors  int
	elapsed time.Duration
	cpu     time.Duration // the serving process's CPU time over the windows (closedLoop)
}

func (r *loadResult) merge(o *loadResult) {
	r.lat = append(r.lat, o.lat...)
	r.errors += o.errors
	r.elapsed += o.elapsed
	r.cpu += o.cpu
}

// cpuPerAnswer is the serving process's CPU time per answer: unlike the
// throughput, it does not move with what else the machine runs.
func (r *loadResult) cpuPerAnswer() time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.cpu / time.Duration(len(r.lat))
}

func (r *loadResult) pct(p float64) time.Duration {
	if !slices.IsSorted(r.lat) {
		slices.Sort(r.lat)
	}
	return pluginbench.Percentile(r.lat, p)
}

// rate is the answers per second achieved.
func (r *loadResult) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(len(r.lat)) / r.elapsed.Seconds()
}

func (r *loadResult) row(w io.Writer, name string) {
	fmt.Fprintf(w, "| %s | %d | %d | %.0f | %s | %s | %s | %s |\n", name, len(r.lat), r.errors,
		r.rate(), fmtDur(r.pct(50)), fmtDur(r.pct(90)), fmtDur(r.pct(99)), fmtDur(r.pct(100)))
}

func newClient() *http.Client {
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        512,
			MaxIdleConnsPerHost: 512,
			IdleConnTimeout:     30 * time.Second,
		},
	}
}

// post sends one Smart IVR request and reports whether the answer is a 200
// with an extension (and the expected one, when want is set).
func post(c *http.Client, url, body, want string) bool {
	return postValid(c, url, body, func(b []byte) bool {
		return strings.Contains(string(b), `"extension"`) && (want == "" || strings.Contains(string(b), `"`+want+`"`))
	})
}

// postValid sends one request and reports whether the answer is a 200
// that valid accepts.
func postValid(c *http.Client, url, body string, valid func([]byte) bool) bool {
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return false
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK && valid(b)
}

// openLoop sends rate Smart IVR requests per second for d (openLoopAt).
func openLoop(addr string, bodies []string, rate int, d time.Duration, want string) *loadResult {
	c := newClient()
	return openLoopAt(addr+"/hipcall/smart-ivr", bodies, rate, d, func(c *http.Client, url, body string) bool { return post(c, url, body, want) }, c)
}

// openLoopAt sends rate requests per second for d to http://target, each
// at its scheduled time whatever the answers do, and measures each latency
// from the scheduled time, so a stall shows up in the percentiles (no
// coordinated omission). send reports whether the answer was valid.
func openLoopAt(target string, bodies []string, rate int, d time.Duration, send func(c *http.Client, url, body string) bool, c *http.Client) *loadResult {
	url := "http://" + target
	total := int(d.Seconds() * float64(rate))
	interval := time.Second / time.Duration(rate)
	lat := make([]time.Duration, total)
	ok := make([]bool, total)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < total; i++ {
		at := start.Add(time.Duration(i) * interval)
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait) // pacing the load generator
		}
		wg.Add(1)
		go func(i int, at time.Time) {
			defer wg.Done()
			ok[i] = send(c, url, bodies[i%len(bodies)])
			lat[i] = time.Since(at)
		}(i, at)
	}
	wg.Wait()
	r := &loadResult{elapsed: time.Since(start)}
	for i := range lat {
		if ok[i] {
			r.lat = append(r.lat, lat[i])
		} else {
			r.errors++
		}
	}
	return r
}

// closedLoop runs n clients back to back for d: the throughput ceiling.
func closedLoop(addr string, bodies []string, n int, d time.Duration) *loadResult {
	c := newClient()
	url := "http://" + addr + "/hipcall/smart-ivr"
	var (
		mu     sync.Mutex
		r      = &loadResult{}
		wg     sync.WaitGroup
		seq    atomic.Int64
		cutoff = time.Now().Add(d)
	)
	start, cpu0 := time.Now(), cpuTime(addr)
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			errs := 0
			for time.Now().Before(cutoff) {
				t0 := time.Now()
				if post(c, url, bodies[int(seq.Add(1))%len(bodies)], "") {
					mine = append(mine, time.Since(t0))
				} else {
					errs++
				}
			}
			mu.Lock()
			r.lat = append(r.lat, mine...)
			r.errors += errs
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.elapsed, r.cpu = time.Since(start), cpuTime(addr)-cpu0
	return r
}
