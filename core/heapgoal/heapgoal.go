// Package heapgoal sizes the garbage collector's headroom from what the
// host holds for the long run: its indexes.
//
// Go's default (GOGC=100) lets the heap grow to twice what is live before
// it collects. For a host whose live heap is mostly an index (a million
// contacts: about 125 MB, packed and pointer-free, so cheap to mark), that
// doubles its resident memory as soon as anything allocates steadily: a
// ring's garbage, a poll that lists records again. The headroom a host
// needs is set by how fast it allocates, not by the size of its index, so
// once the indexes are large the collector is given a fixed headroom
// (MinHeadroom, or Share of what is live if that is more) instead of
// 100% of them. GOGC in the environment is the operator's choice and is
// left alone.
package heapgoal

import (
	"os"
	"runtime/debug"
	"sync"
)

const (
	// Base is what the host keeps live besides its indexes (its code's
	// data, the journal's caches, the HTTP server), roughly.
	Base = 48 << 20
	// MinHeadroom is the least the heap may grow between collections.
	MinHeadroom = 64 << 20
	// Share is the headroom, as a share of what is live, for hosts so
	// large that it exceeds MinHeadroom.
	Share = 0.25
	// MinPercent bounds how often the collector runs on a very large
	// index; the default GOGC (100) is the other bound.
	MinPercent = 25
)

// Percent is the GOGC for a host whose indexes hold indexBytes: the
// headroom over what is live, as a percentage of it, between MinPercent
// and 100.
func Percent(indexBytes int64) int {
	live := Base + max(indexBytes, 0)
	head := max(int64(MinHeadroom), int64(Share*float64(live)))
	return int(min(max(100*head/live, MinPercent), 100))
}

// Fitter applies Percent to the process as the indexes change.
type Fitter struct {
	mu       sync.Mutex
	disabled bool
	current  int
	set      func(int) int // debug.SetGCPercent; tests catch it
}

// New is a Fitter for this process: one that does nothing when the
// environment sets GOGC.
func New() *Fitter {
	_, userSet := os.LookupEnv("GOGC")
	return &Fitter{disabled: userSet, current: 100, set: debug.SetGCPercent}
}

// Fit sets the collector's target for indexes holding indexBytes in all,
// when it changes. It is safe for concurrent use.
func (f *Fitter) Fit(indexBytes int64) {
	if f == nil || f.disabled {
		return
	}
	p := Percent(indexBytes)
	f.mu.Lock()
	defer f.mu.Unlock()
	if p != f.current {
		f.set(p)
		f.current = p
	}
}
