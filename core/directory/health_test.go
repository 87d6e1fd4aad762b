package directory

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
)

// TestCheckDegradesReady: a connector whose Check fails (a CSV reload held
// by its shrink guard, say) makes Ready report its source degraded, in
// live mode as in index mode; when Check passes again Ready recovers, and
// an index source is rebuilt at once (an accepted shrink removes records,
// which only a rebuild applies).
func TestCheckDegradesReady(t *testing.T) {
	for _, mode := range []Mode{ModeLive, ModeIndex} {
		t.Run(string(mode), func(t *testing.T) {
			f := newFake(numbered(100)...)
			d := newDir(t, Options{
				Sources:       []Source{{Name: "crm", Connector: f, Mode: mode}},
				CheckInterval: 10 * time.Millisecond,
			})
			d.Start(context.Background())
			if ok, why := d.Ready(); !ok {
				t.Fatalf("Ready() = false, %q before any Check failed", why)
			}
			held := connectors.Errorf(connectors.ClassUnavailable, "Check", "degraded: a reload held since 10:00")
			f.set(func(f *fakeConn) { f.checkErr = held })
			connectortest.EventuallyWhy(t, 5*time.Second, func() (bool, string) {
				ok, why := d.Ready()
				return !ok && strings.Contains(why, `source "crm" degraded: its connector's Check failed`) &&
					strings.Contains(why, "a reload held since 10:00"), why
			})
			if err := d.Stats()[0].CheckError; !errors.Is(err, held) {
				t.Errorf("Stats CheckError = %v, want the Check's error", err)
			}
			builds := d.Stats()[0].Builds
			f.set(func(f *fakeConn) { f.checkErr = nil; f.contacts = numbered(101) })
			connectortest.EventuallyWhy(t, 5*time.Second, func() (bool, string) {
				ok, why := d.Ready()
				return ok, why
			})
			if mode == ModeIndex {
				// No refresh and no poll: only the recovery rebuilds.
				connectortest.Eventually(t, 5*time.Second, "a rebuild after the recovery", func() bool {
					return d.Stats()[0].Builds > builds && d.Lookup(context.Background(), "+442079400100").Found
				})
			}
		})
	}
}

// TestShrinkGuardLeavesGuardingConnectors: a connector that declares
// guards_shrink has had its smaller size accepted by its operator, so the
// directory applies it at once rather than holding it again.
func TestShrinkGuardLeavesGuardingConnectors(t *testing.T) {
	f := newFake(numbered(100)...)
	f.caps = append(f.caps, connectors.CapGuardsShrink)
	d := newDir(t, Options{Sources: []Source{{Name: "crm", Connector: f}}})
	f.set(func(f *fakeConn) { f.contacts = numbered(10) })
	if err := d.Rebuild(context.Background(), "crm"); err != nil {
		t.Fatalf("Rebuild = %v, want the smaller index applied", err)
	}
	if got := d.Stats()[0].Records; got != 10 {
		t.Errorf("index holds %d records, want 10", got)
	}
	if ok, why := d.Ready(); !ok {
		t.Errorf("Ready() = false, %q", why)
	}
}
