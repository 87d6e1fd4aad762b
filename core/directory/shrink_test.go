package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
)

// numbered returns n contacts c0..c(n-1) with the numbers +4420794600NN.
func numbered(n int) []connectors.Contact {
	out := make([]connectors.Contact, n)
	for i := range out {
		out[i] = contact(fmt.Sprintf("c%d", i), fmt.Sprintf("+4420794%05d", i))
	}
	return out
}

func TestShrinkGuard(t *testing.T) {
	type step struct {
		records int  // what the connector lists on this rebuild
		held    bool // the rebuild is held
		serving int  // records the index answers from afterwards
	}
	tests := []struct {
		name      string
		maxShrink float64
		steps     []step
	}{
		{"cut to nothing, then back to normal", 0, []step{{0, true, 100}, {101, false, 101}}},
		{"cut to a tenth, then back to normal", 0, []step{{10, true, 100}, {98, false, 98}}},
		{"a drop below the share", 0, []step{{60, false, 60}}},
		{"exactly the share", 0, []step{{50, false, 50}}},
		{"a stricter share", 0.2, []step{{70, true, 100}, {95, false, 95}}},
		{"a looser share", 0.95, []step{{10, false, 10}}},
		{"the guard off", 1, []step{{0, false, 0}}},
		{"confirmed by the next rebuild", 0, []step{{10, true, 100}, {12, false, 12}}},
		{"confirmed at zero", 0, []step{{0, true, 100}, {0, false, 0}}},
		{"not confirmed by a different size", 0, []step{{0, true, 100}, {30, true, 100}, {10, true, 100}, {100, false, 100}}},
		{"a failed rebuild neither confirms nor lifts", 0, []step{{10, true, 100}, {-1, true, 100}, {11, false, 11}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(numbered(100)...)
			reg := prometheus.NewRegistry()
			logs := &connectortest.SyncBuffer{}
			d := newDir(t, Options{
				Sources:    []Source{{Name: "crm", Connector: f}},
				MaxShrink:  tt.maxShrink,
				Registerer: reg,
				Logger:     hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Debug}),
				Cache:      CacheOptions{Size: 10, PositiveTTL: 1 << 40, NegativeTTL: 1 << 40},
			})
			holds := 0
			for i, st := range tt.steps {
				boom := errors.New("CRM down")
				f.set(func(f *fakeConn) {
					f.listErr = nil
					if st.records < 0 {
						f.listErr = boom
					} else {
						f.contacts = numbered(st.records)
					}
				})
				err := d.Rebuild(context.Background(), "crm")
				switch {
				case st.records < 0:
					if !errors.Is(err, boom) {
						t.Fatalf("step %d: Rebuild = %v, want the CRM's error", i, err)
					}
				case st.held:
					holds++
					if !errors.Is(err, ErrRebuildHeld) {
						t.Fatalf("step %d: Rebuild = %v, want it held", i, err)
					}
				case err != nil:
					t.Fatalf("step %d: Rebuild = %v, want it applied", i, err)
				}

				if got := d.Stats()[0].Records; got != st.serving {
					t.Errorf("step %d: index holds %d records, want %d", i, got, st.serving)
				}
				// The last record served answers; one past it does not.
				last := fmt.Sprintf("+4420794%05d", st.serving-1)
				if res := d.Lookup(context.Background(), last); st.serving > 0 && (!res.Found || res.Match.Contact.ID != fmt.Sprintf("c%d", st.serving-1)) {
					t.Errorf("step %d: lookup of %s = %v, want c%d", i, last, keys(res.Matches), st.serving-1)
				}
				if res := d.Lookup(context.Background(), fmt.Sprintf("+4420794%05d", st.serving)); res.Found {
					t.Errorf("step %d: %s found (%v) beyond the %d records served", i, res.Query.E164, keys(res.Matches), st.serving)
				}

				ready, why := d.Ready()
				held := d.Stats()[0].Held
				if st.held || (st.records < 0 && i > 0 && tt.steps[i-1].held) {
					if ready || !strings.Contains(why, `source "crm" degraded: a rebuild is held`) ||
						!strings.Contains(why, "answering from the previous index") || held == "" {
						t.Errorf("step %d: Ready() = %v, %q; Held %q; want not ready, saying why", i, ready, why, held)
					}
				} else if !ready || held != "" {
					t.Errorf("step %d: Ready() = %v, %q; Held %q; want ready", i, ready, why, held)
				}
				if got := metricValue(t, reg, "switchboard_directory_rebuilds_held_total", "source", "crm"); got != float64(holds) && !(holds == 0 && got == -1) {
					t.Errorf("step %d: holds counted %v, want %d", i, got, holds)
				}
			}
			if n := strings.Count(logs.String(), "[ERROR] index rebuild held"); n != holds {
				t.Errorf("%d holds logged, want %d; log:\n%s", n, holds, logs)
			}
		})
	}
}

func TestShrinkGuardMessages(t *testing.T) {
	f := newFake(numbered(200)...)
	logs := &connectortest.SyncBuffer{}
	d := newDir(t, Options{
		Sources: []Source{{Name: "crm", Connector: f, Refresh: 300e9}},
		Logger:  hclog.New(&hclog.LoggerOptions{Output: logs}),
	})
	f.set(func(f *fakeConn) { f.contacts = numbered(20) })
	err := d.Rebuild(context.Background(), "crm")
	const what = "the rebuild listed 20 records against the 200 served: 180 (90%) fewer, more than directory.max_shrink 50%"
	if err == nil || !strings.Contains(err.Error(), what) {
		t.Errorf("Rebuild = %v; want %q", err, what)
	}
	for _, want := range []string{
		"[ERROR] index rebuild held: " + what + "; still answering from the previous index",
		"the next rebuild (in 5m0s) applies them when it finds about as many again",
		"restart Switchboard",
		"directory.max_shrink: 1 turns the guard off",
		"served=200 listed=20",
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if _, why := d.Ready(); !strings.Contains(why, what) {
		t.Errorf("Ready reason %q lacks %q", why, what)
	}
	f.set(func(f *fakeConn) { f.contacts = numbered(21) })
	if err := d.Rebuild(context.Background(), "crm"); err != nil {
		t.Fatalf("confirming rebuild: %v", err)
	}
	if !strings.Contains(logs.String(), "[WARN]  index rebuild confirmed the smaller size of the held one: applying it: source=crm records=21 was=200") {
		t.Errorf("the confirmation is not logged:\n%s", logs)
	}
}

func TestMaxShrinkValidated(t *testing.T) {
	for _, share := range []float64{-0.5, 1.5} {
		d, err := New(Options{Parser: gbParser(t), Sources: []Source{{Name: "x", Connector: newFake()}}, MaxShrink: share})
		if err == nil {
			d.Close()
			t.Errorf("MaxShrink %v accepted", share)
		} else if !strings.Contains(err.Error(), "above 0 and at most 1") {
			t.Errorf("MaxShrink %v: %v", share, err)
		}
	}
	for _, tt := range []struct {
		share float64
		ok    bool
	}{{0.5, true}, {1, true}, {0.01, true}, {0, false}, {-1, false}, {2, false}} {
		c := DefaultConfig()
		c.MaxShrink = tt.share
		ps := c.Check()
		if ok := len(ps) == 0; ok != tt.ok {
			t.Errorf("Config.Check with max_shrink %v = %v, want ok %v", tt.share, ps, tt.ok)
		}
		if !tt.ok && (len(ps) != 1 || ps[0].Path != "max_shrink") {
			t.Errorf("max_shrink %v: problems %v, want one at max_shrink", tt.share, ps)
		}
	}
	if DefaultConfig().MaxShrink != DefaultMaxShrink {
		t.Errorf("default max_shrink %v, want %v", DefaultConfig().MaxShrink, DefaultMaxShrink)
	}
}
