package connectortest

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// maxPoll caps the interval between two checks of a condition in
// Eventually and EventuallyWhy.
const maxPoll = 50 * time.Millisecond

// Eventually checks cond until it holds, and fails t if it does not within
// the given time. what says what is awaited ("the reload to pick up the new
// file"), for the failure message. The checks start 1 ms apart and back off
// to 50 ms: the interval only paces the polling; nothing relies on a sleep
// being long enough.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	EventuallyWhy(t, within, func() (bool, string) { return cond(), what })
}

// EventuallyWhy is Eventually for a condition that says why it does not
// hold yet; the last reason goes into the failure message.
func EventuallyWhy(t testing.TB, within time.Duration, cond func() (ok bool, why string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for delay := time.Millisecond; ; delay = min(2*delay, maxPoll) {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, why)
		}
		time.Sleep(delay) // paces the polling, not a synchronisation
	}
}

// SyncBuffer is a bytes.Buffer safe for concurrent use: a log sink that a
// test reads while the code under test writes to it. The zero value is
// ready to use.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Bytes returns a copy of what was written so far.
func (b *SyncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
