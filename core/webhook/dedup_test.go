package webhook

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestDedupWindow(t *testing.T) {
	c := &clock{t: time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC)}
	d := NewDedup(10*time.Minute, 0, c.now)
	steps := []struct {
		advance time.Duration
		key     string
		seen    bool
	}{
		{0, "a", false},
		{0, "a", true},
		{0, "b", false},
		{9*time.Minute + 59*time.Second, "a", true}, // still inside a's window
		{time.Second, "a", false},                   // a's window (from first sight) is over
		{0, "a", true},                              // and a starts a new one
		{0, "b", false},                             // b's window ended too
		{10 * time.Minute, "a", false},
	}
	for i, s := range steps {
		c.advance(s.advance)
		if got := d.Seen(s.key); got != s.seen {
			t.Errorf("step %d: Seen(%q) = %v, want %v", i, s.key, got, s.seen)
		}
	}
	if d.Len() != 1 {
		t.Errorf("Len = %d, want 1 (b expired)", d.Len())
	}
}

func TestDedupIsBounded(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	d := NewDedup(time.Hour, 100, c.now)
	for i := range 1000 {
		c.advance(time.Millisecond)
		d.Seen(fmt.Sprint(i))
	}
	if d.Len() != 100 {
		t.Errorf("Len = %d, want the capacity 100", d.Len())
	}
	if d.Evicted() != 900 {
		t.Errorf("Evicted = %d, want 900", d.Evicted())
	}
	if !d.Has("999") || d.Has("0") || !d.Has("900") || d.Has("899") {
		t.Error("the newest keys should be kept and the oldest forgotten")
	}
	if len(d.order)-d.head != 100 {
		t.Errorf("order holds %d live entries, want 100", len(d.order)-d.head)
	}
}

func TestDedupEnded(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	d := NewDedup(time.Minute, 0, c.now)
	d.Seen(dedupKey(CallInit, "x"))
	if d.Ended("x") {
		t.Error("call_init is not a hangup")
	}
	d.Seen(dedupKey(CallHangup, "x"))
	if !d.Ended("x") {
		t.Error("hangup not seen")
	}
	c.advance(time.Minute)
	if d.Ended("x") {
		t.Error("the hangup is remembered for the window only")
	}
}

func TestDedupConcurrent(t *testing.T) {
	d := NewDedup(time.Minute, 1000, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := 0
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				if !d.Seen(fmt.Sprint(i % 250)) {
					mu.Lock()
					firsts++
					mu.Unlock()
				}
				_ = w
			}
		}()
	}
	wg.Wait()
	if firsts != 250 {
		t.Errorf("%d keys seen first, want 250", firsts)
	}
}
