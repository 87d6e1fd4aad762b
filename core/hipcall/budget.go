package hipcall

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// Priority orders the requests waiting for a Client's request budget (its
// client-side rate, Options.RateLimit and Burst, and the pauses Hipcall's
// rate-limit answers impose). When several requests wait, the next request
// allowed goes to the highest priority, and among requests of one priority
// to the one that has waited longest. A lower priority waits for as long as
// any higher one waits: under a steady stream of cards the sync makes no
// progress, on purpose, since a card that arrives after the agent answered
// is worthless while the rest can wait. Set it per call with WithPriority;
// the requests of a context without one have DefaultPriority.
//
// A priority only orders requests that wait; it never lets a request past
// the rate or a pause, and it never drops one: what waits stays in its
// caller's hands (a River job, a resumable sync) until its context ends.
type Priority int

// The priorities, highest first.
const (
	// PriorityCard is for Insight Cards (POST /calls/{uuid}/cards): a card
	// must reach the agent's screen while the phone rings.
	PriorityCard Priority = 4
	// PriorityAction is for the work after a call ends (comments, tags,
	// dispositions, tasks, recording downloads): someone may look at the
	// call soon, and a disposition must be set within Hipcall's 15 minutes,
	// but seconds late is harmless.
	PriorityAction Priority = 3
	// PrioritySync is for the CRM → Hipcall sync: bulk work that resumes
	// where it stopped, and for requests that say nothing
	// (DefaultPriority).
	PrioritySync Priority = 2
	// PriorityBackfill is for the reconciler paging GET /calls for calls
	// whose webhooks never came: it uses only what nothing else needs.
	PriorityBackfill Priority = 1
)

// DefaultPriority is the priority of a request whose context carries none
// (or carries a value that is not one of the four). It is PrioritySync:
// work that did not ask to go first waits behind cards and post-call
// actions, yet is not starved behind the reconciler's backfill, which must
// ask to yield.
const DefaultPriority = PrioritySync

// priorities lists the priorities, highest first.
var priorities = []Priority{PriorityCard, PriorityAction, PrioritySync, PriorityBackfill}

func (p Priority) valid() bool { return p >= PriorityBackfill && p <= PriorityCard }

// String returns the priority's name, as the metrics' priority label
// spells it: card, action, sync or backfill.
func (p Priority) String() string {
	switch p {
	case PriorityCard:
		return "card"
	case PriorityAction:
		return "action"
	case PrioritySync:
		return "sync"
	case PriorityBackfill:
		return "backfill"
	}
	return fmt.Sprintf("Priority(%d)", int(p))
}

type priorityKey struct{}

// WithPriority returns a context whose requests wait for the client's
// request budget with priority p. A value that is not one of the
// Priority constants means DefaultPriority.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

// PriorityFrom returns the priority requests made with ctx have:
// the one WithPriority set, else DefaultPriority.
func PriorityFrom(ctx context.Context) Priority {
	if p, ok := ctx.Value(priorityKey{}).(Priority); ok && p.valid() {
		return p
	}
	return DefaultPriority
}

// budget hands out a Client's requests: a token bucket (as a GCRA: the
// theoretical arrival time of the next request, tat, may run ahead of now
// by tolerance = (burst-1) intervals) and a pause that holds every
// request (Hipcall's window is spent, or a 429 asked to wait).
//
// A request that finds nobody waiting and a request allowed goes at once.
// Otherwise it joins the queue of its priority and blocks on its own
// channel; one dispatcher goroutine, running only while someone waits,
// sleeps (through Options.Sleep) until the next request is allowed and
// grants it to the head of the highest non-empty queue. A waiter whose
// context ends leaves its queue; one granted just as its context ended
// gives its token back. Nothing polls.
type budget struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
	// interval is the time one request costs (0: no client-side limit);
	// tolerance how far tat may run ahead of now, (burst-1) intervals.
	interval, tolerance time.Duration

	// waiting and waited are the metrics per priority, by queue (see
	// queueOf).
	waiting [4]prometheus.Gauge
	waited  [4]prometheus.Observer

	mu          sync.Mutex
	tat         time.Time
	pausedUntil time.Time
	queues      [4][]*waiter // by queueOf: highest priority first
	queued      int
	running     bool               // the dispatcher goroutine runs
	wake        context.CancelFunc // ends the dispatcher's sleep
	onChange    func()             // tests: called (under mu) when queued changes
}

// waiter is one request in a queue.
type waiter struct {
	prio    Priority
	ready   chan struct{} // closed when granted
	granted bool
}

// queueOf is p's queue, 0 for the highest.
func queueOf(p Priority) int { return int(PriorityCard - p) }

func newBudget(limit rate.Limit, burst int, now func() time.Time, sleep func(context.Context, time.Duration) error, m *metrics) *budget {
	b := &budget{now: now, sleep: sleep}
	if limit != rate.Inf && limit > 0 {
		// Capped so that far-fetched rates (one a century) cannot overflow.
		const limitNS = float64(math.MaxInt64 / 4)
		iv := min(float64(time.Second)/float64(limit), limitNS)
		b.interval = max(time.Duration(math.Round(iv)), 1)
		b.tolerance = time.Duration(min(float64(max(burst-1, 0))*float64(b.interval), limitNS))
	}
	for _, p := range priorities {
		b.waiting[queueOf(p)] = m.waiting.WithLabelValues(p.String())
		b.waited[queueOf(p)] = m.waitSeconds.WithLabelValues(p.String())
	}
	return b
}

// wait returns once a request of priority p may be sent, or with ctx's
// error (never having used the budget) once ctx ends. The time it waits
// is a wait of the meters.
func (b *budget) wait(ctx context.Context, p Priority, meters []*Meter) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	start := b.now()
	if b.queued == 0 && b.delay(start) == 0 {
		b.take(start)
		b.mu.Unlock()
		b.waited[queueOf(p)].Observe(0)
		return nil
	}
	w := &waiter{prio: p, ready: make(chan struct{})}
	b.enqueue(w)
	b.mu.Unlock()

	for _, m := range meters {
		m.startWait(start)
	}
	var err error
	select {
	case <-w.ready:
	case <-ctx.Done():
	}
	if err = ctx.Err(); err != nil {
		b.mu.Lock()
		b.leave(w)
		b.mu.Unlock()
	}
	end := b.now()
	for _, m := range meters {
		m.endWait(end)
	}
	b.waited[queueOf(p)].Observe(max(end.Sub(start), 0).Seconds())
	return err
}

// delay is how long from now until the next request is allowed: until
// the pause ends and the bucket has a request.
func (b *budget) delay(now time.Time) time.Duration {
	d := max(b.pausedUntil.Sub(now), 0)
	if b.interval > 0 {
		d = max(d, b.tat.Add(-b.tolerance).Sub(now))
	}
	return d
}

// take uses the bucket's next request at now.
func (b *budget) take(now time.Time) {
	if b.interval == 0 {
		return
	}
	if b.tat.Before(now) {
		b.tat = now
	}
	b.tat = b.tat.Add(b.interval)
}

// enqueue adds w behind the waiters of its priority and starts the
// dispatcher if it is not running.
func (b *budget) enqueue(w *waiter) {
	i := queueOf(w.prio)
	b.queues[i] = append(b.queues[i], w)
	b.queued++
	b.waiting[i].Inc()
	if !b.running {
		b.running = true
		go b.dispatch()
	}
	b.changed()
}

// leave takes w, whose context ended, out of its queue; when it was
// granted meanwhile, its request goes back to the bucket.
func (b *budget) leave(w *waiter) {
	if w.granted {
		if b.interval > 0 {
			b.tat = b.tat.Add(-b.interval)
		}
		b.kick() // the next request may be allowed sooner
		return
	}
	i := queueOf(w.prio)
	if k := slices.Index(b.queues[i], w); k >= 0 {
		b.queues[i] = slices.Delete(b.queues[i], k, k+1)
		b.queued--
		b.waiting[i].Dec()
		if b.queued == 0 {
			b.kick() // let the dispatcher end now rather than after its sleep
		}
		b.changed()
	}
}

// dispatch grants requests as they are allowed, highest priority first,
// until nobody waits.
func (b *budget) dispatch() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.queued > 0 {
		now := b.now()
		if d := b.delay(now); d > 0 {
			ctx, cancel := context.WithCancel(context.Background())
			b.wake = cancel
			b.mu.Unlock()
			err := b.sleep(ctx, d)
			cancel()
			b.mu.Lock()
			// A sleep kick ended early must look again; one that ran its
			// course with nothing new ends when the request is allowed,
			// even by a clock a Sleep hook does not move (no spinning).
			full := err == nil && b.wake != nil
			b.wake = nil
			if !full || b.queued == 0 {
				continue
			}
			now = b.now()
		}
		b.take(now)
		w := b.pop()
		w.granted = true
		close(w.ready)
	}
	b.running = false
}

// pop removes and returns the first waiter of the highest non-empty
// queue; there is one.
func (b *budget) pop() *waiter {
	for i, q := range b.queues {
		if len(q) > 0 {
			w := q[0]
			q[0] = nil
			b.queues[i] = q[1:]
			b.queued--
			b.waiting[i].Dec()
			b.changed()
			return w
		}
	}
	panic("hipcall: budget: pop from an empty queue")
}

// kick ends the dispatcher's current sleep, so that it looks again.
func (b *budget) kick() {
	if b.wake != nil {
		b.wake()
		b.wake = nil
	}
}

func (b *budget) changed() {
	if b.onChange != nil {
		b.onChange()
	}
}

// pause holds every request until until. An exact pause (Retry-After)
// replaces the current one; otherwise a pause only ever extends. It
// reports whether the pause changed.
func (b *budget) pause(until time.Time, exact bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !exact && !until.After(b.pausedUntil) {
		return false
	}
	b.pausedUntil = until
	b.kick()
	return true
}
