package directory

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/switchboard-hq/switchboard/connectors"
)

// replaceableConn is a fakeConn standing for a process that can be
// replaced (a supervised plugin): it implements Generational.
type replaceableConn struct {
	*fakeConn
	gen atomic.Uint64
}

func (c *replaceableConn) Generation() uint64 { return c.gen.Load() }

var _ Generational = (*replaceableConn)(nil)

// TestBreakerClosesWhenTheProcessIsReplaced (issue 13): a live source's
// breaker opened by a hung plugin lets the next lookup through as soon as
// the plugin's process has been replaced, not after its cooldown.
func TestBreakerClosesWhenTheProcessIsReplaced(t *testing.T) {
	c := &replaceableConn{fakeConn: newFake(contact("a", "+442045205757"))}
	c.lookupErr = connectors.Errorf(connectors.ClassUnavailable, "LookupByPhone", "no answer (plugin hung)")
	d := newDir(t, Options{
		Sources: []Source{{Name: "live", Connector: c, Mode: ModeLive, BreakerFailures: 2, BreakerCooldown: time.Hour}},
	})
	for range 2 {
		d.Lookup(context.Background(), "+442045205757")
	}
	res := d.Lookup(context.Background(), "+442045205757")
	if len(res.Errors) != 1 || !errors.Is(res.Errors[0].Err, gobreaker.ErrOpenState) {
		t.Fatalf("errors %v, want the open breaker", res.Errors)
	}

	// The same process answering again is still skipped for the cooldown.
	c.set(func(f *fakeConn) { f.lookupErr = nil })
	if res := d.Lookup(context.Background(), "+442045205757"); res.Found {
		t.Fatal("the source was asked with its breaker open and no new process")
	}
	if got := c.lookups.Load(); got != 2 {
		t.Fatalf("connector asked %d times, want 2", got)
	}

	// A new process: asked at once.
	c.gen.Add(1)
	if res := d.Lookup(context.Background(), "+442045205757"); !res.Found {
		t.Fatalf("lookup after the process was replaced: %+v, want found at once", res)
	}
	if st := d.Stats()[0].Breaker; st != "closed" {
		t.Errorf("breaker %q after the replacement, want closed", st)
	}

	// The new process's own failures open the breaker again.
	c.set(func(f *fakeConn) { f.lookupErr = errors.New("CRM down") })
	for range 3 {
		d.Lookup(context.Background(), "+442045205757")
	}
	if st := d.Stats()[0].Breaker; st != "open" {
		t.Errorf("breaker %q after the new process failed twice, want open", st)
	}
	if got := c.lookups.Load(); got != 5 {
		t.Errorf("connector asked %d times, want 5 (2, 1, then 2 until the breaker opened)", got)
	}
}

// TestBreakerWithoutGenerations: a connector that is not Generational
// keeps the breaker for its cooldown (nothing says it was replaced).
func TestBreakerWithoutGenerations(t *testing.T) {
	f := newFake(contact("a", "+442045205757"))
	f.lookupErr = errors.New("CRM down")
	d := newDir(t, Options{
		Sources: []Source{{Name: "live", Connector: f, Mode: ModeLive, BreakerFailures: 1, BreakerCooldown: time.Hour}},
	})
	d.Lookup(context.Background(), "+442045205757")
	f.set(func(f *fakeConn) { f.lookupErr = nil })
	if res := d.Lookup(context.Background(), "+442045205757"); res.Found || f.lookups.Load() != 1 {
		t.Errorf("asked %d times (found %v), want the open breaker to skip it", f.lookups.Load(), res.Found)
	}
}
