package fakeapi

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Clock is a fake clock whose Sleep advances it at once. Share one between
// a fake server (its Options.Now) and the client under test (its Now and
// Sleep) to test waits of seconds, minutes or days instantly: token
// expiry, rate-limit windows, retry delays. Its methods are safe for
// concurrent use.
type Clock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

// NewClock returns a Clock set to start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Sleep advances the clock by d and records d, unless ctx has ended.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept = append(c.slept, d)
	return nil
}

// Slept returns every duration passed to Sleep, in order.
func (c *Clock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.slept)
}

// TotalSlept returns the sum of every duration passed to Sleep.
func (c *Clock) TotalSlept() time.Duration {
	var total time.Duration
	for _, d := range c.Slept() {
		total += d
	}
	return total
}
