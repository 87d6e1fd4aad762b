package webhook

import (
	"sync"
	"time"
)

// DefaultDedupCapacity bounds a Dedup store's entries when no capacity is
// given.
const DefaultDedupCapacity = 200_000

// Dedup is a bounded, time-keyed set of (event, id) keys: a key is
// remembered for the window from when it was first seen, and when the set
// is full the oldest keys are forgotten first. It also answers whether a
// call has ended (its call_hangup was seen). It is safe for concurrent use.
type Dedup struct {
	window   time.Duration
	capacity int
	now      func() time.Time

	mu      sync.Mutex
	seen    map[string]time.Time
	order   []dedupEntry // in the order seen, so also in expiry order
	head    int          // order[head:] is live
	evicted int64
}

type dedupEntry struct {
	key string
	at  time.Time
}

// NewDedup returns a store remembering keys for window, holding at most
// capacity keys (DefaultDedupCapacity when 0), on the clock now (time.Now
// when nil).
func NewDedup(window time.Duration, capacity int, now func() time.Time) *Dedup {
	if capacity <= 0 {
		capacity = DefaultDedupCapacity
	}
	if now == nil {
		now = time.Now
	}
	return &Dedup{window: window, capacity: capacity, now: now, seen: map[string]time.Time{}}
}

// Seen records key and reports whether it was already recorded within the
// window.
func (d *Dedup) Seen(key string) bool {
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire(now)
	if at, ok := d.seen[key]; ok && now.Sub(at) < d.window {
		return true
	}
	for len(d.seen) >= d.capacity && d.head < len(d.order) {
		d.drop(d.order[d.head])
		d.head++
		d.evicted++
	}
	d.seen[key] = now
	d.order = append(d.order, dedupEntry{key: key, at: now})
	d.compact()
	return false
}

// Has reports whether key was recorded within the window, without
// recording it.
func (d *Dedup) Has(key string) bool {
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	at, ok := d.seen[key]
	return ok && now.Sub(at) < d.window
}

// Ended reports whether the call's call_hangup was seen within the window.
func (d *Dedup) Ended(uuid string) bool {
	return uuid != "" && d.Has(dedupKey(CallHangup, uuid))
}

// Len is the number of keys held.
func (d *Dedup) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.seen)
}

// Evicted counts keys forgotten before their window ended because the
// store was full.
func (d *Dedup) Evicted() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.evicted
}

// expire forgets the keys whose window has passed.
func (d *Dedup) expire(now time.Time) {
	for d.head < len(d.order) && now.Sub(d.order[d.head].at) >= d.window {
		d.drop(d.order[d.head])
		d.head++
	}
}

// drop forgets e's key unless it was recorded again since.
func (d *Dedup) drop(e dedupEntry) {
	if at, ok := d.seen[e.key]; ok && at.Equal(e.at) {
		delete(d.seen, e.key)
	}
}

// compact reclaims the consumed front of order.
func (d *Dedup) compact() {
	if d.head > 1024 && d.head > len(d.order)/2 {
		n := copy(d.order, d.order[d.head:])
		clear(d.order[n:])
		d.order = d.order[:n]
		d.head = 0
	}
}
