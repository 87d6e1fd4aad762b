package connectortest_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors/connectortest"
)

func TestEventuallyReturnsOnceTheConditionHolds(t *testing.T) {
	var n atomic.Int32
	go func() {
		for range 3 {
			n.Add(1)
		}
	}()
	connectortest.Eventually(t, 5*time.Second, "three increments", func() bool { return n.Load() == 3 })
}

// recorder is a testing.TB that records Fatalf instead of stopping the test.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.failed = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	panic(r) // stop the caller, as FailNow's runtime.Goexit would
}

func fails(r *recorder, f func()) (msg string) {
	defer func() {
		if p := recover(); p != r {
			panic(p)
		}
		msg = r.failed
	}()
	f()
	return ""
}

func TestEventuallyFailsWithWhatAndWhy(t *testing.T) {
	r := &recorder{TB: t}
	msg := fails(r, func() {
		connectortest.Eventually(r, 20*time.Millisecond, "the impossible", func() bool { return false })
	})
	if !strings.Contains(msg, "the impossible") || !strings.Contains(msg, "20ms") {
		t.Fatalf("failure message %q names neither what was awaited nor the time", msg)
	}
	checks := 0
	msg = fails(r, func() {
		connectortest.EventuallyWhy(r, 20*time.Millisecond, func() (bool, string) {
			checks++
			return false, fmt.Sprintf("check %d failed", checks)
		})
	})
	if want := fmt.Sprintf("check %d failed", checks); !strings.HasSuffix(msg, want) {
		t.Fatalf("failure message %q does not end with the last reason %q", msg, want)
	}
}

func TestSyncBufferConcurrentWriters(t *testing.T) {
	var b connectortest.SyncBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				fmt.Fprint(&b, "x")
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := len(b.String()); got != 800 {
		t.Fatalf("len = %d, want 800", got)
	}
	bs := b.Bytes()
	bs[0] = 'y'
	if b.String()[0] != 'x' {
		t.Fatal("Bytes returned the buffer itself, not a copy")
	}
}
