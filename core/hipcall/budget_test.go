package hipcall_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"golang.org/x/time/rate"

	"github.com/switchboard-hq/switchboard/core/fakehipcall"
	"github.com/switchboard-hq/switchboard/core/hipcall"
)

// budgetEnv is a client allowed one request a second (burst 1) and a fake
// Hipcall without a rate limit of its own, on one manual clock: nothing
// waiting for the budget moves until the test advances the clock.
type budgetEnv struct {
	c     *hipcall.Client
	srv   *fakehipcall.Server
	clock *hipcall.ManualClock
	reg   *prometheus.Registry
	done  chan served
}

// served is the outcome of one GET /companies/{id} started by start.
type served struct {
	id  int64
	err error
}

func setupBudget(t *testing.T) *budgetEnv {
	t.Helper()
	clock := hipcall.NewManualClock(epoch)
	srv := fakehipcall.NewServer(fakehipcall.Options{Token: token, RateLimit: fakehipcall.Unlimited, Now: clock.Now})
	t.Cleanup(srv.Close)
	reg := prometheus.NewRegistry()
	c, err := hipcall.New(hipcall.Options{
		BaseURL: srv.URL(), Token: token, Timeout: 5 * time.Second,
		RateLimit: rate.Every(time.Second), Burst: 1,
		Registerer: reg, Now: clock.Now, Sleep: clock.Sleep,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &budgetEnv{c: c, srv: srv, clock: clock, reg: reg, done: make(chan served, 16)}
}

// useBurst sends GET /companies/100 (default priority), which the bucket
// lets through at once, leaving it empty.
func (e *budgetEnv) useBurst(t *testing.T) {
	t.Helper()
	if _, err := e.c.GetCompany(context.Background(), 100); !hipcall.IsNotFound(err) {
		t.Fatalf("first request: %v, want Hipcall's 404", err)
	}
}

// start sends GET /companies/{id} with ctx from a goroutine of its own and
// returns once it is the queued-th request waiting for the budget, so that
// the order of arrival is the order of the calls.
func (e *budgetEnv) start(t *testing.T, ctx context.Context, id int64, queued int) {
	t.Helper()
	go func() {
		_, err := e.c.GetCompany(ctx, id)
		e.done <- served{id, err}
	}()
	hipcall.AwaitQueued(t, e.c, queued)
}

// recv returns the next request to finish.
func (e *budgetEnv) recv(t *testing.T) served {
	t.Helper()
	select {
	case s := <-e.done:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no request finished")
		return served{}
	}
}

// tick lets the second the bucket needs pass, once the budget sleeps
// until then, and returns the request it let through (answered 404 by the
// fake, which has no companies).
func (e *budgetEnv) tick(t *testing.T) int64 {
	t.Helper()
	e.clock.AwaitSleepers(t, 1)
	e.clock.Advance(time.Second)
	s := e.recv(t)
	if !hipcall.IsNotFound(s.err) {
		t.Errorf("request %d: %v, want Hipcall's 404", s.id, s.err)
	}
	return s.id
}

// sent returns the ids of the requests the fake received, in order, and
// how long after epoch each came.
func (e *budgetEnv) sent() (ids []int64, at []time.Duration) {
	for _, r := range e.srv.Requests() {
		var id int64
		if _, err := fmt.Sscanf(r.Path, "/companies/%d", &id); err != nil {
			id = -1
		}
		ids = append(ids, id)
		at = append(at, r.At.Sub(epoch))
	}
	return ids, at
}

func seconds(n ...int) []time.Duration {
	out := make([]time.Duration, len(n))
	for i, s := range n {
		out[i] = time.Duration(s) * time.Second
	}
	return out
}

// TestBudgetServesByPriority: a backfill, a sync, an action and a card
// request wait (arriving lowest first); one request a second is allowed,
// and they are served card, action, sync, backfill.
func TestBudgetServesByPriority(t *testing.T) {
	e := setupBudget(t)
	ctx := context.Background()
	e.useBurst(t)
	arrivals := []struct {
		id int64
		p  hipcall.Priority
	}{{4, hipcall.PriorityBackfill}, {3, hipcall.PrioritySync}, {2, hipcall.PriorityAction}, {1, hipcall.PriorityCard}}
	for i, a := range arrivals {
		e.start(t, hipcall.WithPriority(ctx, a.p), a.id, i+1)
	}
	var got []int64
	for range arrivals {
		got = append(got, e.tick(t))
	}
	if want := []int64{1, 2, 3, 4}; !slices.Equal(got, want) {
		t.Errorf("served %v, want %v (card, action, sync, backfill)", got, want)
	}
	ids, at := e.sent()
	if want := []int64{100, 1, 2, 3, 4}; !slices.Equal(ids, want) || !slices.Equal(at, seconds(0, 1, 2, 3, 4)) {
		t.Errorf("Hipcall saw %v at %v, want %v at 0s, 1s, 2s, 3s, 4s", ids, at, want)
	}
}

// TestBudgetSamePriorityFirstComeFirstServed: within a priority the
// earliest is served first; a context without a priority is PrioritySync.
func TestBudgetSamePriorityFirstComeFirstServed(t *testing.T) {
	e := setupBudget(t)
	ctx := context.Background()
	e.useBurst(t)
	arrivals := []struct {
		id  int64
		ctx context.Context
	}{
		{11, hipcall.WithPriority(ctx, hipcall.PrioritySync)},
		{12, hipcall.WithPriority(ctx, hipcall.PriorityBackfill)},
		{13, ctx}, // no priority: sync
		{14, hipcall.WithPriority(ctx, hipcall.PriorityAction)},
		{15, hipcall.WithPriority(ctx, hipcall.Priority(0))}, // not a priority: sync
		{16, hipcall.WithPriority(ctx, hipcall.PriorityBackfill)},
		{17, hipcall.WithPriority(ctx, hipcall.PriorityAction)},
	}
	for i, a := range arrivals {
		e.start(t, a.ctx, a.id, i+1)
	}
	var got []int64
	for range arrivals {
		got = append(got, e.tick(t))
	}
	if want := []int64{14, 17, 11, 13, 15, 12, 16}; !slices.Equal(got, want) {
		t.Errorf("served %v, want %v", got, want)
	}
}

// TestBudgetCancelledWaiterUsesNoRequest: a waiting card whose context
// ends leaves the queue at once, sends nothing and uses no request: the
// backfill behind it gets the next second's request; and once nobody
// waits the budget sleeps no more.
func TestBudgetCancelledWaiterUsesNoRequest(t *testing.T) {
	e := setupBudget(t)
	ctx := context.Background()
	e.useBurst(t)
	var cardMeter hipcall.Meter
	cardCtx, cancel := context.WithCancel(hipcall.WithMeter(hipcall.WithPriority(ctx, hipcall.PriorityCard), &cardMeter))
	defer cancel()
	e.start(t, cardCtx, 1, 1)
	e.start(t, hipcall.WithPriority(ctx, hipcall.PriorityBackfill), 2, 2)
	e.clock.AwaitSleepers(t, 1)
	cancel()
	if s := e.recv(t); s.id != 1 || !errors.Is(s.err, context.Canceled) {
		t.Fatalf("request %d: %v, want the card's context.Canceled", s.id, s.err)
	}
	if q := hipcall.Queued(e.c); q != 1 {
		t.Fatalf("%d requests wait, want 1 (the backfill)", q)
	}
	if id := e.tick(t); id != 2 {
		t.Fatalf("served %d, want 2", id)
	}
	ids, at := e.sent()
	if !slices.Equal(ids, []int64{100, 2}) || !slices.Equal(at, seconds(0, 1)) {
		t.Errorf("Hipcall saw %v at %v, want [100 2] at [0s 1s]", ids, at)
	}
	if s := cardMeter.Stats(); s.Requests != 0 {
		t.Errorf("cancelled card: %+v, want no request", s)
	}

	// The only waiter leaving ends the budget's sleep.
	lone, cancelLone := context.WithCancel(ctx)
	e.start(t, lone, 3, 1)
	e.clock.AwaitSleepers(t, 1)
	cancelLone()
	if s := e.recv(t); !errors.Is(s.err, context.Canceled) {
		t.Fatalf("request %d: %v, want context.Canceled", s.id, s.err)
	}
	e.clock.AwaitSleepers(t, 0)
	if len(e.srv.Requests()) != 2 {
		t.Errorf("Hipcall saw %d requests, want 2", len(e.srv.Requests()))
	}
}

// TestBudget429PausesEveryone: a 429 with Retry-After: 30 holds every
// request, cards included, for 30 seconds; then they go by priority, the
// card first, the request that was refused (sync) next, the backfill last.
func TestBudget429PausesEveryone(t *testing.T) {
	e := setupBudget(t)
	ctx := context.Background()
	e.srv.TooManyRequests("GET /companies/{id}", "30")
	var syncMeter, cardMeter hipcall.Meter
	e.start(t, hipcall.WithMeter(ctx, &syncMeter), 1, 1) // sent at once, 429, back in the queue
	e.start(t, hipcall.WithPriority(ctx, hipcall.PriorityBackfill), 2, 2)
	e.start(t, hipcall.WithMeter(hipcall.WithPriority(ctx, hipcall.PriorityCard), &cardMeter), 3, 3)
	e.clock.AwaitSleepers(t, 1)
	e.clock.Advance(29 * time.Second)
	e.clock.AwaitSleepers(t, 1)
	if q, n := hipcall.Queued(e.c), len(e.srv.Requests()); q != 3 || n != 1 {
		t.Fatalf("after 29s: %d waiting, %d sent; want all 3 waiting and only the 429 sent", q, n)
	}
	e.clock.Advance(time.Second) // the pause ends; the bucket refilled meanwhile
	if s := e.recv(t); s.id != 3 || !hipcall.IsNotFound(s.err) {
		t.Fatalf("request %d: %v, want the card first", s.id, s.err)
	}
	var got []int64
	for range 2 {
		got = append(got, e.tick(t))
	}
	if !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("then served %v, want [1 2]", got)
	}
	ids, at := e.sent()
	if !slices.Equal(ids, []int64{1, 3, 1, 2}) || !slices.Equal(at, seconds(0, 30, 31, 32)) {
		t.Errorf("Hipcall saw %v at %v, want [1 3 1 2] at [0s 30s 31s 32s]", ids, at)
	}
	if s := cardMeter.Stats(); s.Requests != 1 || s.Waited != 30*time.Second {
		t.Errorf("card: %+v, want 1 request after 30s waited", s)
	}
	if s := syncMeter.Stats(); s.Requests != 2 || s.Retries != 1 || s.RateLimited != 1 || s.Waited != 31*time.Second {
		t.Errorf("sync: %+v, want 2 requests, 1 retry, one 429, 31s waited", s)
	}
	if s := e.c.Stats(); s.Requests != 4 || s.RateLimited != 1 || s.Waited != 32*time.Second {
		t.Errorf("client: %+v, want 4 requests, one 429, 32s waited", s)
	}
}

// TestBudgetAccountingAddsUp: with two requests of each priority waiting,
// each priority's Meter, the client's Stats, the metrics and the fake's
// log agree on what was sent and waited.
func TestBudgetAccountingAddsUp(t *testing.T) {
	e := setupBudget(t)
	ctx := context.Background()
	e.useBurst(t) // default priority (sync), sent at once
	all := []hipcall.Priority{hipcall.PriorityBackfill, hipcall.PrioritySync, hipcall.PriorityAction, hipcall.PriorityCard}
	meters := map[hipcall.Priority]*hipcall.Meter{}
	for _, p := range all {
		meters[p] = &hipcall.Meter{}
	}
	for i := range 8 {
		p := all[i%4]
		e.start(t, hipcall.WithMeter(hipcall.WithPriority(ctx, p), meters[p]), int64(i+1), i+1)
	}
	if got := gaugeValue(t, e.reg, "switchboard_hipcall_budget_waiting", "card"); got != 2 {
		t.Errorf("waiting{card} = %v, want 2", got)
	}
	var got []int64
	for range 8 {
		got = append(got, e.tick(t))
	}
	if want := []int64{4, 8, 3, 7, 2, 6, 1, 5}; !slices.Equal(got, want) {
		t.Errorf("served %v, want %v", got, want)
	}

	// Served at 1s..8s, all waiting since 0s: a priority's two waits
	// overlap and count once.
	waited := map[hipcall.Priority]time.Duration{
		hipcall.PriorityCard: 2 * time.Second, hipcall.PriorityAction: 4 * time.Second,
		hipcall.PrioritySync: 6 * time.Second, hipcall.PriorityBackfill: 8 * time.Second,
	}
	// The histogram has each wait on its own (and the first request's 0).
	count := map[hipcall.Priority]uint64{hipcall.PriorityCard: 2, hipcall.PriorityAction: 2, hipcall.PrioritySync: 3, hipcall.PriorityBackfill: 2}
	sum := map[hipcall.Priority]float64{hipcall.PriorityCard: 1 + 2, hipcall.PriorityAction: 3 + 4, hipcall.PrioritySync: 5 + 6, hipcall.PriorityBackfill: 7 + 8}
	var metered int64
	for _, p := range all {
		s := meters[p].Stats()
		metered += s.Requests
		if s.Requests != 2 || s.Retries != 0 || s.Waited != waited[p] {
			t.Errorf("%s meter: %+v, want 2 requests, waited %v", p, s, waited[p])
		}
		n, total := histogram(t, e.reg, "switchboard_hipcall_budget_wait_seconds", p.String())
		if n != count[p] || total != sum[p] {
			t.Errorf("wait_seconds{%s}: %d waits, %vs in all; want %d, %vs", p, n, total, count[p], sum[p])
		}
		if g := gaugeValue(t, e.reg, "switchboard_hipcall_budget_waiting", p.String()); g != 0 {
			t.Errorf("waiting{%s} = %v after all were served", p, g)
		}
	}
	s := e.c.Stats()
	if s.Requests != metered+1 || s.Requests != int64(len(e.srv.Requests())) || s.Waited != 8*time.Second {
		t.Errorf("client: %+v; meters %d requests (+1 unmetered), Hipcall saw %d; want 8s waited", s, metered, len(e.srv.Requests()))
	}
	if got := metricValue(t, e.reg, "switchboard_hipcall_requests_total", map[string]string{"method": "GET", "route": "/companies/{id}", "code": "404"}); got != 9 {
		t.Errorf("requests_total{404} = %v, want 9", got)
	}
}

// TestPriorityFromContext: WithPriority's value, DefaultPriority without
// one or for a value that is not a priority.
func TestPriorityFromContext(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		ctx  context.Context
		want hipcall.Priority
		name string
	}{
		{ctx, hipcall.PrioritySync, "sync"},
		{hipcall.WithPriority(ctx, hipcall.PriorityCard), hipcall.PriorityCard, "card"},
		{hipcall.WithPriority(ctx, hipcall.PriorityAction), hipcall.PriorityAction, "action"},
		{hipcall.WithPriority(ctx, hipcall.PriorityBackfill), hipcall.PriorityBackfill, "backfill"},
		{hipcall.WithPriority(hipcall.WithPriority(ctx, hipcall.PriorityCard), hipcall.PriorityBackfill), hipcall.PriorityBackfill, "backfill"},
		{hipcall.WithPriority(ctx, 9), hipcall.DefaultPriority, "sync"},
	} {
		if got := hipcall.PriorityFrom(tt.ctx); got != tt.want || got.String() != tt.name {
			t.Errorf("PriorityFrom = %v (%d), want %v", got, got, tt.want)
		}
	}
	if hipcall.DefaultPriority != hipcall.PrioritySync {
		t.Errorf("DefaultPriority = %v", hipcall.DefaultPriority)
	}
}

// gaugeValue returns the gauge's value for the priority label.
func gaugeValue(t *testing.T, reg *prometheus.Registry, name, priority string) float64 {
	t.Helper()
	for _, m := range family(t, reg, name) {
		if m.GetLabel()[0].GetValue() == priority {
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// histogram returns the histogram's sample count and sum for the
// priority label.
func histogram(t *testing.T, reg *prometheus.Registry, name, priority string) (uint64, float64) {
	t.Helper()
	for _, m := range family(t, reg, name) {
		if m.GetLabel()[0].GetValue() == priority {
			return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
		}
	}
	return 0, 0
}

// family returns the metrics of the family name.
func family(t *testing.T, reg *prometheus.Registry, name string) []*dto.Metric {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()
		}
	}
	return nil
}
