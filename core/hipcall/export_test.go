package hipcall

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// awaitTimeout bounds the waits of the helpers below: a test that reaches
// it has failed (it never paces a test).
const awaitTimeout = 10 * time.Second

// Queued returns how many requests wait for c's request budget.
func Queued(c *Client) int {
	c.budget.mu.Lock()
	defer c.budget.mu.Unlock()
	return c.budget.queued
}

// AwaitQueued blocks until exactly n requests wait for c's request budget.
func AwaitQueued(t testing.TB, c *Client, n int) {
	t.Helper()
	b := c.budget
	signal := make(chan struct{}, 1)
	b.mu.Lock()
	b.onChange = func() {
		select {
		case signal <- struct{}{}:
		default:
		}
	}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.onChange = nil
		b.mu.Unlock()
	}()
	timeout := time.NewTimer(awaitTimeout)
	defer timeout.Stop()
	for {
		q := Queued(c)
		if q == n {
			return
		}
		select {
		case <-signal:
		case <-timeout.C:
			t.Fatalf("%d requests wait for the budget, want %d", q, n)
		}
	}
}

// ManualClock is a fake clock that moves only when told: Sleep blocks
// until Advance reaches its end (or its context ends).
type ManualClock struct {
	mu       sync.Mutex
	now      time.Time
	sleepers []*sleeper
	changed  chan struct{} // closed and replaced when sleepers change
}

type sleeper struct {
	until time.Time
	done  chan struct{}
}

// NewManualClock returns a ManualClock set to start.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{now: start, changed: make(chan struct{})}
}

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep blocks until the clock has advanced by d, or ctx ends.
func (c *ManualClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	if d <= 0 {
		c.mu.Unlock()
		return ctx.Err()
	}
	s := &sleeper{until: c.now.Add(d), done: make(chan struct{})}
	c.sleepers = append(c.sleepers, s)
	c.notify()
	c.mu.Unlock()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		if i := slices.Index(c.sleepers, s); i >= 0 {
			c.sleepers = slices.Delete(c.sleepers, i, i+1)
			c.notify()
		}
		c.mu.Unlock()
		return ctx.Err()
	}
}

// Advance moves the clock by d, waking the sleeps that end by then.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.sleepers[:0]
	for _, s := range c.sleepers {
		if s.until.After(c.now) {
			kept = append(kept, s)
		} else {
			close(s.done)
		}
	}
	clear(c.sleepers[len(kept):])
	c.sleepers = kept
	c.notify()
}

// AwaitSleepers blocks until exactly n goroutines sleep on the clock.
func (c *ManualClock) AwaitSleepers(t testing.TB, n int) {
	t.Helper()
	timeout := time.NewTimer(awaitTimeout)
	defer timeout.Stop()
	for {
		c.mu.Lock()
		k, changed := len(c.sleepers), c.changed
		c.mu.Unlock()
		if k == n {
			return
		}
		select {
		case <-changed:
		case <-timeout.C:
			t.Fatalf("%d goroutines sleep on the clock, want %d", k, n)
		}
	}
}

func (c *ManualClock) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}
