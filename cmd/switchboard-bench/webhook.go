package main

// Webhooks and Insight Cards: the real host (bin/switchboard serve, the CSV
// plugin over the generated customers) receives Hipcall webhooks and
// pushes cards to the fake Hipcall, which runs in this process on loopback
// without a rate limit.
//
//  1. Webhook-to-card latency: call_init webhooks at a steady rate (open
//     loop); each latency runs from the moment its webhook was sent to the
//     moment its card reached the fake.
//  2. Answer latency under a burst: 5,000 webhooks as fast as 32 clients
//     can send them; every answer must be a 200, and every event must be
//     accounted for on /metrics (pushed + deduplicated + dropped).

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-hq/switchboard/core/fakehipcall"
)

const benchWebhookToken = "bench-webhook-token-0123456789"

// benchWebhooks runs both measurements and writes their tables.
func benchWebhooks(report io.Writer, bin, work string, numbers []string, rate int, d time.Duration, burst int) {
	fake := fakehipcall.NewServer(fakehipcall.Options{Token: "bench-token", RateLimit: fakehipcall.Unlimited})
	defer fake.Close()
	cfg := filepath.Join(work, "bench-webhooks.yaml")
	check(os.WriteFile(cfg, []byte(fmt.Sprintf(`server:
  listen: "127.0.0.1:0"
log:
  level: info   # as deployed: one line per event
phone:
  default_region: GB
plugins:
  dir: %s/plugins
connectors:
  - name: customers
    plugin: csv
    config:
      path: %s/customers.csv
      reload_interval: 0s
      columns: {id: id, first_name: first, last_name: last, phones: [phone]}
routing:
  default:
    hipcall: "1000"
hipcall:
  api:
    base_url: %s
    token: bench-token
    rate_limit_per_minute: 0
  webhook:
    enabled: true
    token: %s
cards:
  enabled: true
  title: {text: "{{ .record.name }}"}
  rows:
    - {label: Id, text: "{{ .record.id }}"}
`, bin, work, fake.URL(), benchWebhookToken)), 0o600), "write webhook config")
	addr, stop := startProcess(filepath.Join(bin, "switchboard"), []string{"serve", "-config", cfg}, nil)
	defer stop()
	waitReady(addr)
	url := "http://" + addr + "/hipcall/webhook/" + benchWebhookToken
	body := func(uuid, number string) string {
		return `{"event":"call_init","data":{"uuid":"` + uuid + `","direction":"inbound","caller_number":"` + number + `","callee_number":"+442045200000"}}`
	}

	// 1. Webhook to card, open loop.
	c := newClient()
	for i := range 200 { // warm-up
		postWebhook(c, url, body(fmt.Sprintf("warm-%d", i), numbers[i%len(numbers)]))
	}
	total := int(d.Seconds() * float64(rate))
	interval := time.Second / time.Duration(rate)
	sentAt := make([]time.Time, total)
	var wg sync.WaitGroup
	errs := 0
	var mu sync.Mutex
	start := time.Now()
	for i := range total {
		at := start.Add(time.Duration(i) * interval)
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait) // pacing the load generator
		}
		sentAt[i] = at
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if postWebhook(c, url, body(fmt.Sprintf("lat-%d", i), numbers[(i*7919)%len(numbers)])) != http.StatusOK {
				mu.Lock()
				errs++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	lat := &loadResult{}
	deadline := time.Now().Add(30 * time.Second)
	for {
		arrived := map[string]time.Time{}
		for _, r := range fake.Requests() {
			if uuid, ok := strings.CutPrefix(strings.TrimSuffix(r.Path, "/cards"), "/calls/lat-"); ok && r.Status == http.StatusCreated {
				arrived[uuid] = r.At
			}
		}
		if len(arrived) >= total-errs || time.Now().After(deadline) {
			for i := range total {
				if at, ok := arrived[strconv.Itoa(i)]; ok {
					lat.lat = append(lat.lat, at.Sub(sentAt[i]))
				} else {
					lat.errors++
				}
			}
			break
		}
		time.Sleep(50 * time.Millisecond) // polling the fake
	}
	lat.elapsed = time.Since(start)
	fmt.Fprintf(report, "\n### Webhook to Insight Card: call_init at %d/s for %s (open loop), card pushed to the fake Hipcall on loopback\n\n", rate, d)
	fmt.Fprintln(report, "| path | cards | missing | p50 | p90 | p99 | max |")
	fmt.Fprintln(report, "|---|---:|---:|---:|---:|---:|---:|")
	fmt.Fprintf(report, "| webhook sent → card at Hipcall | %d | %d | %s | %s | %s | %s |\n", len(lat.lat), lat.errors,
		fmtDur(lat.pct(50)), fmtDur(lat.pct(90)), fmtDur(lat.pct(99)), fmtDur(lat.pct(100)))

	// 2. A burst: answers.
	const clients = 32
	meter := startCPU(addr)
	start = time.Now()
	burstRes := burstAnswers(c, url, burst, clients, func(i int) string { return body(fmt.Sprintf("burst-%d", i), numbers[i%len(numbers)]) })
	var pushed, dropped float64
	deadline = time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		pushed = scrape(addr, "switchboard_cards_pushed_total")
		dropped = scrape(addr, "switchboard_webhook_dropped_total")
		if int(pushed+dropped) >= burst+total+200 {
			break
		}
		time.Sleep(100 * time.Millisecond) // polling /metrics
	}
	fmt.Fprintf(report, "\n### Webhook answers under a burst of %d (%d concurrent clients, closed loop)\n\n", burst, clients)
	fmt.Fprintln(report, "| target | answers | non-200 | answers/s | p50 | p90 | p99 | max |")
	fmt.Fprintln(report, "|---|---:|---:|---:|---:|---:|---:|---:|")
	burstRes.row(report, "POST /hipcall/webhook/<token>")
	drained := time.Since(start)
	cpu := meter.untilIdle()
	fmt.Fprintf(report, "\nAll events accounted for: %.0f cards pushed + %.0f dropped of %d sent (warm-up and open loop included); drain took %s after the burst began.\n",
		pushed, dropped, burst+total+200, drained.Round(time.Millisecond))
	fmt.Fprintf(report, "Host CPU for the burst, until idle (its deferred work included, its idle polling taken off): %s, %s a webhook.\n", cpu.Round(10*time.Millisecond), (cpu / time.Duration(burst)).Round(time.Microsecond))

	// 3. The same number at a steady pace: answers when the machine keeps up.
	paced := pacedAnswers(c, url, burst, pacedRate, func(i int) string { return body(fmt.Sprintf("paced-%d", i), numbers[i%len(numbers)]) })
	fmt.Fprintf(report, "\n### Webhook answers: %d sent at %d/s (open loop, each timed from its scheduled send)\n\n", burst, pacedRate)
	fmt.Fprintln(report, "| target | answers | non-200 | answers/s | p50 | p90 | p99 | max |")
	fmt.Fprintln(report, "|---|---:|---:|---:|---:|---:|---:|---:|")
	paced.row(report, "POST /hipcall/webhook/<token>")
}

// burstAnswers posts n webhooks (body(i)) as fast as clients concurrent
// clients can, and times each answer; a non-200 is an error.
func burstAnswers(c *http.Client, url string, n, clients int, body func(i int) string) *loadResult {
	res := &loadResult{lat: make([]time.Duration, 0, n)}
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for i := range next {
				t0 := time.Now()
				if postWebhook(c, url, body(i)) == http.StatusOK {
					mine = append(mine, time.Since(t0))
				} else {
					bad++
				}
			}
			mu.Lock()
			res.lat = append(res.lat, mine...)
			res.errors += bad
			mu.Unlock()
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// pacedAnswers sends n webhooks at rate a second (open loop: each is sent
// at its scheduled moment whether or not earlier ones were answered) and
// times each answer from that moment, so a stall shows in the tail.
func pacedAnswers(c *http.Client, url string, n, rate int, body func(i int) string) *loadResult {
	res := &loadResult{lat: make([]time.Duration, 0, n)}
	lat := make([]time.Duration, n)
	ok := make([]bool, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		at := start.Add(time.Duration(i) * time.Second / time.Duration(rate))
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait) // pacing the load generator
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok[i] = postWebhook(c, url, body(i)) == http.StatusOK
			lat[i] = time.Since(at)
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	for i := range n {
		if ok[i] {
			res.lat = append(res.lat, lat[i])
		} else {
			res.errors++
		}
	}
	return res
}

// postWebhook posts a webhook and returns the status (0 on error).
func postWebhook(c *http.Client, url, body string) int {
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// scrape sums a metric's samples on the host's /metrics.
func scrape(addr, name string) float64 {
	resp, err := http.Get("http://" + adminOf(addr) + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) || len(line) <= len(name) || (line[len(name)] != '{' && line[len(name)] != ' ') {
			continue
		}
		f := strings.Fields(line)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			sum += v
		}
	}
	return sum
}
