package main

// End-to-end robustness tests of the journal (issue 11, "Tests and
// measurements"): the real host binary records call_hangup webhooks in its
// journal and runs their post-call steps against the fake Hipcall while it
// is SIGKILLed, while Hipcall is down, and with two hosts sharing a
// PostgreSQL journal. Every test counts what the fake applied per call and
// per step, and reads the journal's own tables (River's river_job) to know
// when the work has settled and which steps ended held.

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx", to read a PostgreSQL journal
	_ "modernc.org/sqlite"             // "sqlite", to read a SQLite journal

	"github.com/switchboard-hq/switchboard/connectors/postgres/pgtest"
	"github.com/switchboard-hq/switchboard/core/fakehipcall"
)

// journalActions gives every call a computable set of post-call steps: the
// tag always (idempotent, retried); a comment when it was answered (the
// caller, Ada Lovelace, is known), a task when it was missed (both not
// idempotent: through journal.Effects). The reconciler is off, so that
// only webhooks bring calls.
const journalActions = `  after_call:
    reconcile: {interval: 0}
    actions:
      - name: note
        when: answered && known
        comment:
          template: "**Switchboard** · {{ .record.name }} · {{ .call.uuid }}"
      - name: seen
        tags: [5617]
      - name: callback
        when: missed
        task:
          name: "Call back {{ .call.uuid }}"
          due_in: 30m
          default_assignee: 7
`

// Step keys of journalActions (aftercall.Step.Key).
const (
	stepNote     = "note"
	stepSeen     = "seen/5617"
	stepCallback = "callback"
)

// Routes the post-call steps write to.
const (
	commentsRoute = "POST /calls/{uuid}/comments"
	tagsRoute     = "POST /calls/{uuid}/tags"
	tasksRoute    = "POST /tasks"
)

// journalCall is one call of a test: even calls are answered (a comment
// and the tag), odd ones missed (a task and the tag).
type journalCall struct {
	uuid     string
	answered bool
	body     string
}

func journalCalls(prefix string, n int) []journalCall {
	calls := make([]journalCall, n)
	for i := range calls {
		c := journalCall{uuid: fmt.Sprintf("%s-%04d", prefix, i), answered: i%2 == 0}
		if c.answered {
			c.body = hangup(c.uuid, numAda, 60, "user", 0)
		} else {
			c.body = hangup(c.uuid, numAda, -1, "contact", 0)
		}
		calls[i] = c
	}
	return calls
}

// steps are the step keys planned for the call.
func (c journalCall) steps() []string {
	if c.answered {
		return []string{stepNote, stepSeen}
	}
	return []string{stepCallback, stepSeen}
}

// newJournalFake is a fake Hipcall that knows the calls and the tag.
func newJournalFake(t *testing.T, calls []journalCall) *fakehipcall.Server {
	fake := fakehipcall.NewServer(fakehipcall.Options{Token: apiToken, RateLimit: fakehipcall.Unlimited})
	t.Cleanup(fake.Close)
	fake.AddTag(5617, "seen")
	for _, c := range calls {
		fake.AddCall(map[string]any{"uuid": c.uuid, "direction": "inbound"})
	}
	return fake
}

// postHangup posts one webhook body to the host at addr.
func postHangup(addr, body string) (int, error) {
	resp, err := webhookClient.Post("http://"+addr+"/hipcall/webhook/"+webhookToken, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// liveHosts are the addresses webhooks go to; "" is a host that is down.
type liveHosts struct {
	mu    sync.Mutex
	addrs []string
}

func (l *liveHosts) set(i int, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.addrs[i] = addr
}

// pick is the host for the n-th POST of call i: host i mod len, or the
// next live one when it is down or the POST before failed.
func (l *liveHosts) pick(i, tries int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := range l.addrs {
		if a := l.addrs[(i+tries+k)%len(l.addrs)]; a != "" {
			return a
		}
	}
	return ""
}

// burstResult is what a burst of webhooks met.
type burstResult struct {
	posts    atomic.Int64 // POSTs made
	ok       atomic.Int64 // calls answered 200
	reposted atomic.Int64 // POSTs made again after one failed or was not answered 200
	non200   atomic.Int64 // POSTs answered, but not 200
}

// burst posts every call's hangup from workers goroutines. Hipcall would
// not retry a webhook that failed; the test does, to the live host, until
// it is answered 200: one whose answer was lost to a SIGKILL may well have
// been recorded, and its repeat must then be skipped by the journal's
// uniqueness. done is closed when every call was answered 200, or at the
// deadline, or when the test ends.
func burst(t *testing.T, calls []journalCall, workers int, hosts *liveHosts, deadline time.Time) (*burstResult, <-chan struct{}) {
	res := &burstResult{}
	done, quit := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(quit) })
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(calls) {
					return
				}
				for tries := 0; time.Now().Before(deadline); tries++ {
					select {
					case <-quit:
						return
					default:
					}
					if tries > 0 {
						res.reposted.Add(1)
						time.Sleep(20 * time.Millisecond) // paces re-posts while a host restarts
					}
					addr := hosts.pick(i, tries)
					if addr == "" {
						continue
					}
					res.posts.Add(1)
					code, err := postHangup(addr, calls[i].body)
					if err == nil && code == http.StatusOK {
						res.ok.Add(1)
						break
					}
					if err == nil {
						res.non200.Add(1)
					}
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	return res, done
}

// journalJob is one of River's jobs in the journal.
type journalJob struct {
	kind, state string
	uuid, key   string // the call; the step (actions only)
	stepKind    string
	attempt     int
	errors      string
}

// held reports whether the job is a step held for a person (outcome
// unknown).
func (j journalJob) held() bool {
	return j.state == "cancelled" && strings.Contains(j.errors, "held:")
}

// openJournalDB opens the journal's database for reading: driver "sqlite"
// (a file) or "pgx" (a DSN).
func openJournalDB(t *testing.T, driver, source string) *sql.DB {
	t.Helper()
	if driver == "sqlite" {
		source += "?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// readJournal lists the journal's jobs.
func readJournal(db *sql.DB, driver string) ([]journalJob, error) {
	q := `SELECT kind, state, json(args), attempt, coalesce(json(errors), '[]') FROM river_job`
	if driver == "pgx" {
		q = `SELECT kind, state::text, args::text, attempt, coalesce(array_to_json(errors)::text, '[]') FROM river_job`
	}
	rows, err := db.Query(q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var jobs []journalJob
	for rows.Next() {
		var (
			j    journalJob
			args string
		)
		if err := rows.Scan(&j.kind, &j.state, &args, &j.attempt, &j.errors); err != nil {
			return nil, err
		}
		var a struct {
			UUID string `json:"uuid"`
			Key  string `json:"key"`
			Step struct {
				Kind string `json:"kind"`
			} `json:"step"`
		}
		if err := json.Unmarshal([]byte(args), &a); err != nil {
			return nil, fmt.Errorf("job args %s: %w", args, err)
		}
		j.uuid, j.key, j.stepKind = a.UUID, a.Key, a.Step.Kind
		jobs = append(jobs, j)
	}
	return jobs, rows.Err()
}

// settledJournal reports whether every call's event and planned steps are
// in the journal and finished: completed, or cancelled (held or failed).
// A job that is available, running, retryable or scheduled is work still
// to do; a discarded one is reported by checkExactlyOnce.
func settledJournal(jobs []journalJob, calls []journalCall) (bool, string) {
	events, steps := map[string]bool{}, map[string]bool{}
	pending := map[string]int{}
	for _, j := range jobs {
		switch j.state {
		case "completed", "cancelled", "discarded":
		default:
			pending[j.kind+" "+j.state]++
			continue
		}
		switch j.kind {
		case "hipcall_event":
			events[j.uuid] = true
		case "aftercall_action":
			steps[j.uuid+" "+j.key] = true
		}
	}
	missingEvents, missingSteps := 0, 0
	for _, c := range calls {
		if !events[c.uuid] {
			missingEvents++
		}
		for _, k := range c.steps() {
			if !steps[c.uuid+" "+k] {
				missingSteps++
			}
		}
	}
	return len(pending) == 0 && missingEvents == 0 && missingSteps == 0,
		fmt.Sprintf("%d of %d events and %d of %d steps not finished; unfinished jobs by kind and state: %v",
			missingEvents, len(calls), missingSteps, 2*len(calls), pending)
}

// waitSettled polls the journal (at most twice a second: reading it
// competes with the host for SQLite's writer lock only briefly, but
// costs) until settledJournal holds, and returns its last reading.
func waitSettled(t *testing.T, db *sql.DB, driver string, calls []journalCall, within time.Duration) []journalJob {
	t.Helper()
	var (
		jobs []journalJob
		last time.Time
		why  = "not read yet"
	)
	eventually(t, within, func() (bool, string) {
		if time.Since(last) < 500*time.Millisecond {
			return false, why
		}
		last = time.Now()
		var err error
		if jobs, err = readJournal(db, driver); err != nil {
			why = err.Error()
			return false, why
		}
		var ok bool
		ok, why = settledJournal(jobs, calls)
		return ok, why
	})
	return jobs
}

// onceReport is what checkExactlyOnce counted.
type onceReport struct {
	held             int // steps held (outcome unknown)
	heldApplied      int // of which the fake did apply (the host died after sending)
	heldComments     int
	heldTasks        int
	heldJobs         int // jobs cancelled as held: a held step planned again is held again
	maxAttempt       int // the most attempts any step took
	tagPosts, tagsOK int // tag requests, and those answered 2xx (retries after a kill)
}

func (r onceReport) String() string {
	return fmt.Sprintf("held steps: %d (%d comments, %d tasks; %d applied by the fake, %d not; %d held jobs); "+
		"the most attempts of a step: %d; tag requests: %d (%d answered 2xx)",
		r.held, r.heldComments, r.heldTasks, r.heldApplied, r.held-r.heldApplied, r.heldJobs, r.maxAttempt, r.tagPosts, r.tagsOK)
}

// checkExactlyOnce asserts, for every call, that the fake holds exactly
// the expected comment, tag and task — except for held steps, which may
// have been applied or not, but never twice — and that no step failed or
// was discarded.
func checkExactlyOnce(t *testing.T, fake *fakehipcall.Server, calls []journalCall, jobs []journalJob) onceReport {
	t.Helper()
	var rep onceReport
	held, events := map[string]bool{}, map[string]int{}
	for _, j := range jobs {
		if j.kind != "aftercall_action" && j.kind != "hipcall_event" {
			continue
		}
		if j.kind == "aftercall_action" {
			rep.maxAttempt = max(rep.maxAttempt, j.attempt)
		} else {
			events[j.uuid]++
		}
		switch {
		case j.held():
			if j.stepKind != "comment" && j.stepKind != "task" {
				t.Errorf("call %s step %s (%s) held: only comments and tasks can be", j.uuid, j.key, j.stepKind)
			}
			held[j.uuid+" "+j.key] = true
			rep.heldJobs++
		case j.state != "completed":
			t.Errorf("%s job of call %s step %q ended %s: %s", j.kind, j.uuid, j.key, j.state, j.errors)
		}
	}
	tasks := map[string]int{}
	for _, task := range fake.Tasks() {
		tasks[strings.TrimPrefix(task.Name, "Call back ")]++
	}
	known := map[string]bool{}
	for _, c := range calls {
		known[c.uuid] = true
		want := map[string]int{stepNote: 0, stepCallback: 0}
		for _, k := range c.steps() {
			want[k] = 1
		}
		got := map[string]int{stepNote: len(fake.Comments(c.uuid)), stepCallback: tasks[c.uuid]}
		for _, k := range []string{stepNote, stepCallback} {
			switch {
			case held[c.uuid+" "+k] && got[k] <= 1:
				if got[k] == 1 {
					rep.heldApplied++
				}
				if k == stepNote {
					rep.heldComments++
				} else {
					rep.heldTasks++
				}
			case held[c.uuid+" "+k]:
				t.Errorf("call %s: step %s held, and the fake has it %d times (at most once, even when held)", c.uuid, k, got[k])
			case got[k] != want[k]:
				t.Errorf("call %s: step %s done %d times in the fake, want %d", c.uuid, k, got[k], want[k])
			}
		}
		if events[c.uuid] != 1 {
			t.Errorf("call %s: %d call_hangup events in the journal, want 1 (a webhook posted again is skipped)", c.uuid, events[c.uuid])
		}
		if tags := fake.Tags(c.uuid); len(tags) != 1 || tags[0].ID != 5617 {
			t.Errorf("call %s: tags %+v, want [5617]", c.uuid, tags)
		}
	}
	for name, n := range tasks {
		if !known[name] {
			t.Errorf("%d tasks %q for no call of the test", n, name)
		}
	}
	rep.held = len(held)
	rep.tagPosts, rep.tagsOK = fake.Count(tagsRoute), fake.Succeeded(tagsRoute)
	return rep
}

// TestE2EJournalSIGKILLBurst: 500 call_hangup webhooks are posted from 4
// goroutines while the host (SQLite journal) is SIGKILLed at 20 moments
// spread over the burst and the work that follows, and restarted at once
// on the same journal, which runs the jobs the killed process left
// running again at once. Every webhook is posted until it is answered 200
// (see burst), and the journal must hold one event per call. Afterwards
// every call has exactly its comment or task and its tag in the fake,
// except steps that ended held — the designed residual window, the host
// killed between sending a comment or task and recording that it was
// done — which the fake has at most once. With -short: 100 webhooks, 5
// kills.
func TestE2EJournalSIGKILLBurst(t *testing.T) {
	t.Parallel()
	n, kills := 500, 20
	if testing.Short() {
		n, kills = 100, 5
	}
	began := time.Now()
	calls := journalCalls("kill", n)
	fake := newJournalFake(t, calls)
	dir := t.TempDir()
	journalPath := filepath.Join(dir, "journal.db")
	env := []string{"HIPCALL_BASE_URL=" + fake.URL(), "HIPCALL_TOKEN=" + apiToken, "WEBHOOK_TOKEN=" + webhookToken,
		"SB_JOURNAL=" + journalPath}
	cfg := writeConfig(t, dir, "journal.yaml", cardsConfig("info", journalActions, afterCallOwners+"journal:\n  path: ${SB_JOURNAL}\n"))
	h := startHost(t, cfg, env...)
	hosts := &liveHosts{addrs: []string{h.addr}}
	all := []*hostProc{h}

	// The kill moments, random points of the flow (deterministic seed): a
	// quarter of the kills land in the burst, each once a random number of
	// webhooks have been answered 200; the rest in the work that follows,
	// each once the fake has applied a random number of the steps' writes
	// (spread over what is left of 90% of them when the burst's kills are
	// over), or 10 s after the last one if that never comes.
	rng := rand.New(rand.NewPCG(11, 500))
	inBurst := make([]int64, kills/4)
	for i := range inBurst {
		inBurst[i] = 1 + rng.Int64N(int64(n-1))
	}
	slices.Sort(inBurst)
	inWork := make([]float64, kills-len(inBurst))
	for i := range inWork {
		inWork[i] = rng.Float64()
	}
	slices.Sort(inWork)
	applied := func() int {
		return fake.Succeeded(commentsRoute) + fake.Succeeded(tasksRoute) + fake.Succeeded(tagsRoute)
	}
	res, posted := burst(t, calls, 4, hosts, time.Now().Add(2*time.Minute))
	var (
		restarts []time.Duration
		from     int // writes applied when the work's kills began
		idle     int // kills that waited 10 s for their moment in vain
	)
	for i := range kills {
		if i < len(inBurst) {
			for res.ok.Load() < inBurst[i] && res.ok.Load() < int64(n) {
				time.Sleep(time.Millisecond) // polls the burst's progress
			}
		} else {
			if i == len(inBurst) {
				from = applied()
			}
			at := from + int(inWork[i-len(inBurst)]*float64(max(2*n*9/10-from, 0)))
			for give := time.Now().Add(10 * time.Second); applied() < at; {
				if time.Now().After(give) {
					idle++
					break
				}
				time.Sleep(5 * time.Millisecond) // polls the work's progress
			}
		}
		if err := h.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		hosts.set(0, "")
		<-h.exited
		down := time.Now()
		t.Logf("kill %d: %d of %d webhooks answered 200; %d comments, %d tasks, %d tag requests applied so far",
			i+1, res.ok.Load(), n, fake.Succeeded(commentsRoute), fake.Succeeded(tasksRoute), fake.Succeeded(tagsRoute))
		h = startHost(t, cfg, env...)
		all = append(all, h)
		restarts = append(restarts, time.Since(down))
		hosts.set(0, h.addr)
	}
	lastKill := time.Now()
	<-posted
	if got := res.ok.Load(); got != int64(n) {
		t.Fatalf("%d of %d webhooks answered 200 within 2 minutes", got, n)
	}
	db := openJournalDB(t, "sqlite", journalPath)
	// The restarted host takes back the jobs the killed one left running
	// at once (journal's reclaim): River's rescuer alone would leave them
	// for 2 to 2.5 minutes.
	jobs := waitSettled(t, db, "sqlite", calls, time.Minute)
	settled := time.Since(lastKill)
	rep := checkExactlyOnce(t, fake, calls, jobs)
	t.Logf("%d webhooks, %d SIGKILLs (%d in the burst, %d waited 10 s for their moment; restart %s on average); "+
		"%d POSTs, %d re-posted after a failed or non-200 POST (%d answered non-200)",
		n, kills, len(inBurst), idle, avg(restarts).Round(time.Millisecond), res.posts.Load(), res.reposted.Load(), res.non200.Load())
	t.Logf("settled %s after the last kill (%s in all); %d jobs left running by a killed host taken back at the restarts; %s",
		settled.Round(100*time.Millisecond), time.Since(began).Round(100*time.Millisecond), reclaimed(all), rep)
	if limit := kills * journalWorkers; rep.held > limit {
		t.Errorf("%d steps held after %d kills: more than the %d workers each kill can interrupt", rep.held, kills, journalWorkers)
	}
}

// journalWorkers is the journal's default workers per queue: a kill
// interrupts at most that many steps.
const journalWorkers = 8

// reclaimedRE is the journal's line at a start that takes back jobs a
// killed process left running.
var reclaimedRE = regexp.MustCompile(`run again now: jobs=(\d+)`)

// reclaimed sums the jobs the hosts took back at their starts.
func reclaimed(hosts []*hostProc) int {
	n := 0
	for _, h := range hosts {
		for _, m := range reclaimedRE.FindAllStringSubmatch(h.logs.String(), -1) {
			k, _ := strconv.Atoi(m[1])
			n += k
		}
	}
	return n
}

func avg(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

// TestE2EJournalHipcallOutage: Hipcall answers 503 to every post-call
// write for 20 seconds (a scaled-down version of the five
// minutes; fakehipcall.Outage) while 50 hangups arrive, then recovers.
// Every step is done exactly once afterwards — a 503 proves nothing was
// applied, so no comment or task may end held — retries back off (the
// 503s are counted), and everything completes within a bound after the
// recovery that River's backoff (ActionWorker.NextRetry: 2^attempt
// seconds) explains.
func TestE2EJournalHipcallOutage(t *testing.T) {
	t.Parallel()
	const n, outageFor = 50, 20 * time.Second
	calls := journalCalls("down", n)
	fake := newJournalFake(t, calls)
	outage := fake.Outage(http.StatusServiceUnavailable, commentsRoute, tagsRoute, tasksRoute)
	front := httptest.NewServer(outage)
	t.Cleanup(front.Close)
	dir := t.TempDir()
	journalPath := filepath.Join(dir, "journal.db")
	env := []string{"HIPCALL_BASE_URL=" + front.URL + fakehipcall.PathPrefix, "HIPCALL_TOKEN=" + apiToken,
		"WEBHOOK_TOKEN=" + webhookToken, "SB_JOURNAL=" + journalPath}
	cfg := writeConfig(t, dir, "outage.yaml", cardsConfig("info", journalActions, afterCallOwners+"journal:\n  path: ${SB_JOURNAL}\n"))
	h := startHost(t, cfg, env...)

	recovered := outage.For(outageFor)
	res, posted := burst(t, calls, 4, &liveHosts{addrs: []string{h.addr}}, time.Now().Add(time.Minute))
	<-posted
	if res.ok.Load() != n || res.reposted.Load() != 0 {
		t.Fatalf("%d of %d webhooks answered 200, %d re-posted: the webhook must not depend on Hipcall", res.ok.Load(), n, res.reposted.Load())
	}
	if !outage.On() {
		t.Fatal("the hangups took longer to post than the outage lasted")
	}
	if got := fake.Succeeded(commentsRoute) + fake.Succeeded(tagsRoute) + fake.Succeeded(tasksRoute); got != 0 {
		t.Fatalf("%d writes applied during the outage", got)
	}
	eventually(t, outageFor+10*time.Second, func() (bool, string) { return !outage.On(), "outage still on" })
	refusedDuring := outage.Refused()
	db := openJournalDB(t, "sqlite", journalPath)
	jobs := waitSettled(t, db, "sqlite", calls, 2*time.Minute)
	afterRecovery := time.Since(recovered)
	rep := checkExactlyOnce(t, fake, calls, jobs)
	if rep.held != 0 {
		t.Errorf("%d steps held after a 503 outage: a 503 proves nothing was applied", rep.held)
	}

	// Backoff: 503s per route and per step, from the fake's request log.
	perRoute, perStep := map[string]int{}, map[string]int{}
	for _, r := range fake.Requests() {
		if r.Status == http.StatusServiceUnavailable {
			perRoute[r.Route]++
			perStep[r.Route+" "+r.Path]++
		}
	}
	most := 0
	for _, c := range perStep {
		most = max(most, c)
	}
	t.Logf("outage %s: %d requests refused with 503 (%.1f a second; comments %d, tasks %d, tags %d; %d for the busiest step); "+
		"the most job attempts of a step %d; every step done %s after the recovery", outageFor, refusedDuring,
		float64(refusedDuring)/outageFor.Seconds(), perRoute[commentsRoute], perRoute[tasksRoute], perRoute[tagsRoute], most,
		rep.maxAttempt, afterRecovery.Round(100*time.Millisecond))
	if limit := int(outageFor.Milliseconds()) / 10; refusedDuring > limit {
		t.Errorf("%d 503s in %s: retries do not back off (want fewer than %d, one per 10 ms)", refusedDuring, outageFor, limit)
	}
	// A step whose first attempt came at the outage's start would be tried
	// at 0, 2, 6, 14, 30 s (NextRetry: 2^attempt s): 7 job attempts cover
	// an outage of 62 s. A tag's attempt lasts longer (the client retries
	// a 503 five times, 250 ms to 10 s apart), so the actions queue's
	// workers, busy with them, space the attempts further.
	if rep.maxAttempt > 7 {
		t.Errorf("a step took %d attempts: the backoff between attempts is shorter than 2^attempt s", rep.maxAttempt)
	}
	if bound := 45 * time.Second; afterRecovery > bound {
		t.Errorf("the work finished %s after Hipcall recovered, want within %s (the last backoff, 16 s, and River's scheduling)", afterRecovery, bound)
	}
}

// TestE2EJournalPostgresTwoHosts: two hosts share a real PostgreSQL
// journal and both receive webhooks (alternately); one is SIGKILLed
// mid-burst and stays down (its webhooks go to the other from then on);
// the other finishes the work. Every step is done exactly once, held
// steps (the residual window) at most once.
//
// Jobs the dead host had running are run again only when River's rescuer
// (on the elected leader) finds them running for longer than
// rescueAfter, 2 minutes (core/journal/journal.go), which the product
// does not let a configuration lower; restarting the killed host would
// not help (River does not know a restarted host's jobs from another
// host's, and unlike a SQLite journal, a shared one cannot take back every
// running job at a start). So the test waits the 2 minutes, and is
// skipped with -short.
func TestE2EJournalPostgresTwoHosts(t *testing.T) {
	if testing.Short() {
		t.Skip("waits River's 2-minute rescue of the killed host's running jobs")
	}
	t.Parallel()
	const n = 300
	dsn := pgtest.NewDatabase(t)
	calls := journalCalls("pg", n)
	fake := newJournalFake(t, calls)
	dir := t.TempDir()
	env := []string{"HIPCALL_BASE_URL=" + fake.URL(), "HIPCALL_TOKEN=" + apiToken, "WEBHOOK_TOKEN=" + webhookToken,
		"SB_JOURNAL_DSN=" + dsn}
	cfg := writeConfig(t, dir, "pg.yaml", cardsConfig("info", journalActions,
		afterCallOwners+"journal:\n  driver: postgres\n  dsn: ${SB_JOURNAL_DSN}\n"))
	a := startHost(t, cfg, env...)
	b := startHost(t, cfg, env...)
	hosts := &liveHosts{addrs: []string{a.addr, b.addr}}

	res, posted := burst(t, calls, 4, hosts, time.Now().Add(time.Minute))
	eventually(t, time.Minute, func() (bool, string) {
		return res.ok.Load() >= n/2, fmt.Sprintf("%d webhooks answered 200", res.ok.Load())
	})
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	hosts.set(0, "")
	<-a.exited
	killed := time.Now()
	t.Logf("host A SIGKILLed after %d of %d webhooks were answered 200; %d comments, %d tasks, %d tags applied so far",
		res.ok.Load(), n, fake.Succeeded(commentsRoute), fake.Succeeded(tasksRoute), fake.Succeeded(tagsRoute))
	<-posted
	if got := res.ok.Load(); got != n {
		t.Fatalf("%d of %d webhooks answered 200", got, n)
	}
	db := openJournalDB(t, "pgx", dsn)
	jobs := waitSettled(t, db, "pgx", calls, 4*time.Minute)
	settled := time.Since(killed)
	rep := checkExactlyOnce(t, fake, calls, jobs)
	t.Logf("%d webhooks to two hosts; %d POSTs, %d re-posted after a failed or non-200 POST; settled %s after the kill; %s",
		n, res.posts.Load(), res.reposted.Load(), settled.Round(100*time.Millisecond), rep)
	if !strings.Contains(b.logs.String(), "outcome=done") {
		t.Error("the surviving host logged no step done")
	}
	if rep.held > journalWorkers {
		t.Errorf("%d steps held after one kill: more than the %d workers a kill can interrupt", rep.held, journalWorkers)
	}
}
