package main

// The journal and the after-call flow (issue 11): the real host against
// the fake Hipcall on loopback.
//
//  1. Webhook answers under a burst with the journal on SQLite (the
//     default, its own intake file) and on PostgreSQL (a throwaway
//     server from connectors/postgres/pgtest), side by side: every event
//     is stored before its 200.
//  2. call_hangup → the call's last post-call request at Hipcall, at 50
//     calls a second (open loop), with the example's actions: a comment
//     on answered calls from known callers, a tag on short calls, a task
//     for missed calls; the fake has no rate limit ("when the budget
//     allows"), and the host's own limiter is off.
//  3. Hipcall requests per call for that mix.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/connectors/postgres/pgtest"
	"github.com/switchboard-hq/switchboard/core/fakehipcall"
)

// afterCallYAML is the after-call part of the bench host's config: the
// example's three actions.
const afterCallYAML = `  after_call:
    actions:
      - name: crm-summary
        when: answered && known
        comment:
          template: "**Switchboard** · {{ .record.name }} · talked {{ .talk_seconds }} s"
      - name: short-call
        when: answered && talk_seconds < 20 && hangup_by == "contact"
        tags: [5618]
      - name: missed-call-task
        when: missed && inbound
        task:
          name: "Call back {{ .caller }}"
          description: "call {{ .call.uuid }}"
          due_in: 30m
          default_assignee: 42
    reconcile: {interval: 0}
`

// pacedRate is the open-loop burst's rate: webhooks a second.
const pacedRate = 2500

// afterCallHost starts a host over the bench CSV with webhooks, cards and
// the after-call actions, its journal as journalYAML says.
func afterCallHost(bin, work, name, fakeURL, journalYAML string) (addr string, stop func()) {
	cfg := filepath.Join(work, name+".yaml")
	check(os.WriteFile(cfg, []byte(fmt.Sprintf(`server:
  listen: "127.0.0.1:0"
log:
  level: info   # as deployed: one line per event and per step
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
%s
cards:
  enabled: true
  title: {text: "{{ .record.name }}"}
%s`, bin, work, fakeURL, benchWebhookToken, afterCallYAML, journalYAML)), 0o600), "write after-call config")
	addr, stop = startProcess(filepath.Join(bin, "switchboard"), []string{"serve", "-config", cfg}, nil)
	waitReady(addr)
	return addr, stop
}

// benchAfterCall runs the three measurements and writes their tables.
func benchAfterCall(report io.Writer, bin, work string, numbers []string, burst int) {
	fake := fakehipcall.NewServer(fakehipcall.Options{Token: "bench-token", RateLimit: fakehipcall.Unlimited})
	defer fake.Close()
	fake.AddTag(5618, "Callback needed")
	c := newClient()

	// 1. The burst, SQLite then PostgreSQL.
	journals := []struct{ name, yaml string }{
		{"SQLite (default: a file next to the config)", fmt.Sprintf("journal:\n  path: %s/journal.db\n", work)},
	}
	if pg, err := pgtest.Start(); err == nil {
		defer pg.Stop()
		journals = append(journals, struct{ name, yaml string }{"PostgreSQL (local server)", fmt.Sprintf("journal:\n  driver: postgres\n  dsn: %s\n", pg.DSN("postgres"))})
	} else {
		fmt.Fprintf(report, "\n(PostgreSQL journal not measured: %v)\n", err)
	}
	fmt.Fprintf(report, "\n### Webhook answers with the journal: %d call_init, every event stored before its 200\n\n", burst)
	fmt.Fprintf(report, "Closed loop: 32 clients back to back (saturates the machine: a throughput test). Open loop: sent at %d/s whatever the answers (each timed from its scheduled send).\n\n", pacedRate)
	fmt.Fprintln(report, "| journal | load | answers | non-200 | answers/s | p50 | p90 | p99 | max |")
	fmt.Fprintln(report, "|---|---|---:|---:|---:|---:|---:|---:|---:|")
	cpu := make([]time.Duration, len(journals))
	for k, jr := range journals {
		addr, stop := afterCallHost(bin, work, fmt.Sprintf("journal-%d", k), fake.URL(), jr.yaml)
		url := "http://" + addr + "/hipcall/webhook/" + benchWebhookToken
		for i := range 200 { // warm-up
			postWebhook(c, url, fmt.Sprintf(`{"event":"call_init","data":{"uuid":"warm-%d-%d","direction":"inbound","caller_number":%q}}`, k, i, numbers[i%len(numbers)]))
		}
		meter := startCPU(addr)
		res := burstAnswers(c, url, burst, 32, func(i int) string {
			return fmt.Sprintf(`{"event":"call_init","data":{"uuid":"jburst-%d-%d","direction":"inbound","caller_number":%q}}`, k, i, numbers[i%len(numbers)])
		})
		res.row(report, jr.name+" | closed loop, 32 clients")
		cpu[k] = meter.untilIdle()
		paced := pacedAnswers(c, url, burst, pacedRate, func(i int) string {
			return fmt.Sprintf(`{"event":"call_init","data":{"uuid":"jpaced-%d-%d","direction":"inbound","caller_number":%q}}`, k, i, numbers[i%len(numbers)])
		})
		paced.row(report, jr.name+fmt.Sprintf(" | open loop, %d/s", pacedRate))
		stop()
	}
	fmt.Fprintln(report)
	for k, jr := range journals {
		fmt.Fprintf(report, "Host CPU for the closed-loop burst until idle, %s: %s, %s a webhook (the journal's deferred work included, its idle polling taken off; the PostgreSQL server's own CPU is not counted).\n",
			jr.name, cpu[k].Round(10*time.Millisecond), (cpu[k] / time.Duration(burst)).Round(time.Microsecond))
	}

	// 2 and 3. Hangup to the last action, 50 calls a second.
	addr, stop := afterCallHost(bin, work, "aftercall", fake.URL(), fmt.Sprintf("journal:\n  path: %s/aftercall-journal.db\n", work))
	defer stop()
	url := "http://" + addr + "/hipcall/webhook/" + benchWebhookToken
	const rate, seconds = 50, 10
	total := rate * seconds
	sentAt := make([]time.Time, total)
	want := make([]int, total) // post-call requests each call should cause
	ended := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	start := time.Now()
	for i := range total {
		uuid := fmt.Sprintf("hang-%d", i)
		fake.AddCall(map[string]any{"uuid": uuid, "direction": "inbound"})
		data := map[string]any{"uuid": uuid, "direction": "inbound", "caller_number": numbers[(i*7919)%len(numbers)],
			"started_at": ended.Add(-2 * time.Minute), "ended_at": ended, "hangup_by": "contact"}
		switch i % 3 {
		case 0: // missed: a task
			data["missing_call"], want[i] = true, 1
		case 1: // short, answered by a known caller: a comment and a tag
			data["bridged_at"], want[i] = ended.Add(-10*time.Second), 2
		default: // long, answered: a comment
			data["bridged_at"], want[i] = ended.Add(-90*time.Second), 1
		}
		b, _ := json.Marshal(map[string]any{"event": "call_hangup", "data": data})
		at := start.Add(time.Duration(i) * time.Second / rate)
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait) // pacing the load generator
		}
		sentAt[i] = time.Now()
		go postWebhook(c, url, string(b))
	}
	lat := &loadResult{}
	var requests int
	deadline := time.Now().Add(2 * time.Minute)
	for {
		last := map[string]time.Time{}
		count := map[string]int{}
		requests = 0
		for _, r := range fake.Requests() {
			uuid := ""
			switch {
			case r.Route == "POST /tasks":
				uuid = taskCall(r.Body)
			case strings.HasPrefix(r.Path, "/calls/hang-") && !strings.HasSuffix(r.Path, "/cards"):
				uuid = strings.Split(strings.TrimPrefix(r.Path, "/calls/"), "/")[0]
			}
			if !strings.HasPrefix(uuid, "hang-") {
				continue
			}
			requests++
			if r.Status/100 == 2 {
				count[uuid]++
				if r.At.After(last[uuid]) {
					last[uuid] = r.At
				}
			}
		}
		done := 0
		for i := range total {
			if count[fmt.Sprintf("hang-%d", i)] >= want[i] {
				done++
			}
		}
		if done == total || time.Now().After(deadline) {
			for i := range total {
				uuid := fmt.Sprintf("hang-%d", i)
				if count[uuid] >= want[i] {
					lat.lat = append(lat.lat, last[uuid].Sub(sentAt[i]))
				} else {
					lat.errors++
				}
			}
			break
		}
		time.Sleep(100 * time.Millisecond) // polling the fake
	}
	slices.Sort(lat.lat)
	fmt.Fprintf(report, "\n### call_hangup → its last post-call request at Hipcall: %d calls/s for %ds (open loop; a third missed → a task, a third short → a comment and a tag, a third long → a comment)\n\n", rate, seconds)
	fmt.Fprintln(report, "| path | calls | not finished | p50 | p90 | p99 | max |")
	fmt.Fprintln(report, "|---|---:|---:|---:|---:|---:|---:|")
	fmt.Fprintf(report, "| webhook sent → last action at Hipcall | %d | %d | %s | %s | %s | %s |\n", len(lat.lat), lat.errors,
		fmtDur(lat.pct(50)), fmtDur(lat.pct(90)), fmtDur(lat.pct(99)), fmtDur(lat.pct(100)))
	fmt.Fprintf(report, "\nHipcall requests for post-call actions: %d for %d calls = %.2f per call (the mix above needs 4 per 3 calls = 1.33; cards are not counted).\n",
		requests, total, float64(requests)/float64(total))
	sum, count := scrape(addr, "switchboard_aftercall_exposure_seconds_sum"), scrape(addr, "switchboard_aftercall_exposure_seconds_count")
	if count > 0 {
		fmt.Fprintf(report, "\nResidual window of exactly-once (a comment or task marked sent, not yet recorded done; a SIGKILL inside it holds the step): %.0f steps, mean %s, p99 at most %s (histogram bucket).\n",
			count, fmtDur(time.Duration(sum/count*float64(time.Second))), fmtDur(histQuantile(addr, "switchboard_aftercall_exposure_seconds", 0.99)))
	}
}

// histQuantile is the upper bound of the bucket holding the q-quantile of
// a histogram on the host's /metrics (every label set summed).
func histQuantile(addr, name string, q float64) time.Duration {
	resp, err := http.Get("http://" + adminOf(addr) + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	buckets := map[float64]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"_bucket{") {
			continue
		}
		i := strings.Index(line, `le="`)
		j := strings.Index(line[i+4:], `"`)
		f := strings.Fields(line)
		le, err1 := strconv.ParseFloat(line[i+4:i+4+j], 64)
		v, err2 := strconv.ParseFloat(f[len(f)-1], 64)
		if err1 == nil && err2 == nil {
			buckets[le] += v
		}
	}
	les := make([]float64, 0, len(buckets))
	for le := range buckets {
		les = append(les, le)
	}
	slices.Sort(les)
	if len(les) == 0 {
		return 0
	}
	total := buckets[les[len(les)-1]]
	for _, le := range les {
		if buckets[le] >= q*total {
			return time.Duration(le * float64(time.Second))
		}
	}
	return 0
}

// taskCall is the call a bench task belongs to (its description names it).
func taskCall(body []byte) string {
	var t struct {
		Data struct {
			Description string `json:"description"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &t) != nil {
		return ""
	}
	return strings.TrimPrefix(t.Data.Description, "call ")
}
