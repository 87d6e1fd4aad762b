package hipcall

import (
	"context"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// TestBudgetGrantedThenCancelledGivesBack: a waiter granted a request just
// as its context ended (wait sees both at once) gives it back, so the next
// request goes at once instead of a second later.
func TestBudgetGrantedThenCancelledGivesBack(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	m, err := newMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := newBudget(rate.Every(time.Second), 1, clock.Now, clock.Sleep, m)
	ctx := context.Background()
	if err := b.wait(ctx, PrioritySync, nil); err != nil { // the burst
		t.Fatal(err)
	}
	w := &waiter{prio: PriorityCard, ready: make(chan struct{})}
	b.mu.Lock()
	b.enqueue(w)
	b.mu.Unlock()
	clock.AwaitSleepers(t, 1)
	clock.Advance(time.Second)
	select {
	case <-w.ready:
	case <-time.After(awaitTimeout):
		t.Fatal("the waiter was not granted")
	}
	b.mu.Lock()
	b.leave(w) // what wait does when ctx ended
	d := b.delay(clock.Now())
	b.mu.Unlock()
	if d != 0 {
		t.Fatalf("after the grant was given back the next request waits %v, want 0", d)
	}
	if err := b.wait(ctx, PrioritySync, nil); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	d = b.delay(clock.Now())
	b.mu.Unlock()
	if d != time.Second {
		t.Errorf("then the next waits %v, want 1s", d)
	}
}

// TestBudgetBucket: the GCRA bucket allows Burst at once, then one per
// interval, and refills to Burst (no more) when idle.
func TestBudgetBucket(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	m, _ := newMetrics(nil)
	b := newBudget(rate.Every(time.Minute/60), 5, func() time.Time { return now }, nil, m)
	for i := range 5 {
		if d := b.delay(now); d != 0 {
			t.Fatalf("request %d of the burst waits %v", i+1, d)
		}
		b.take(now)
	}
	if d := b.delay(now); d != time.Second {
		t.Fatalf("sixth waits %v, want 1s", d)
	}
	now = now.Add(time.Hour)
	for range 5 {
		b.take(now)
	}
	if d := b.delay(now); d != time.Second {
		t.Errorf("after an idle hour the burst is %v short, want 5 and then 1s", d)
	}
	inf := newBudget(rate.Inf, 1, func() time.Time { return now }, nil, m)
	for range 100 {
		inf.take(now)
	}
	if d := inf.delay(now); d != 0 {
		t.Errorf("rate.Inf waits %v", d)
	}
}
