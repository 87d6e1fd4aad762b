package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"

	"github.com/switchboard-hq/switchboard/connectors"
)

// newDir builds a directory, builds its index sources and closes it at the
// end of the test.
func newDir(t *testing.T, opts Options) *Directory {
	t.Helper()
	if opts.Parser == nil {
		opts.Parser = gbParser(t)
	}
	d, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(d.Close)
	for _, s := range opts.Sources {
		if s.Mode == ModeIndex || s.Mode == "" {
			if err := d.Rebuild(context.Background(), s.Name); err != nil {
				t.Fatalf("Rebuild(%s): %v", s.Name, err)
			}
		}
	}
	return d
}

func sourceErrNames(res Result) []string {
	var out []string
	for _, e := range res.Errors {
		out = append(out, e.Source)
	}
	return out
}

func TestNewValidates(t *testing.T) {
	f := newFake()
	ok := Source{Name: "crm", Connector: f}
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no parser", Options{Sources: []Source{ok}}, "no phone parser"},
		{"no sources", Options{Parser: gbParser(t)}, "no sources"},
		{"unnamed", Options{Parser: gbParser(t), Sources: []Source{{Connector: f}}}, "no name"},
		{"bad name", Options{Parser: gbParser(t), Sources: []Source{{Name: "a b", Connector: f}}}, "name may hold"},
		{"duplicate", Options{Parser: gbParser(t), Sources: []Source{ok, ok}}, "used twice"},
		{"no connector", Options{Parser: gbParser(t), Sources: []Source{{Name: "x"}}}, "no connector"},
		{"bad mode", Options{Parser: gbParser(t), Sources: []Source{{Name: "x", Connector: f, Mode: "push"}}}, `unknown mode "push"`},
		{"negative timeout", Options{Parser: gbParser(t), Sources: []Source{{Name: "x", Connector: f, Timeout: -1}}}, "negative"},
		{"negative suffix", Options{Parser: gbParser(t), Sources: []Source{ok}, SuffixDigits: -1}, "negative"},
		{"negative deadline", Options{Parser: gbParser(t), Sources: []Source{ok}, Deadline: -time.Second}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(tt.opts)
			if err == nil {
				d.Close()
				t.Fatalf("New succeeded, want an error mentioning %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestLookupInvalidAsksNobody(t *testing.T) {
	f := newFake(contact("a", "+442045205757"))
	reg := prometheus.NewRegistry()
	d := newDir(t, Options{Sources: []Source{{Name: "live", Connector: f, Mode: ModeLive}}, Registerer: reg})
	for _, raw := range []string{"", "hello", "+"} {
		res := d.Lookup(context.Background(), raw)
		if res.InvalidNumber == nil {
			t.Errorf("Lookup(%q): InvalidNumber not set: %+v", raw, res)
		}
		if res.Via != ViaNone || res.Found || res.Outcome() != OutcomeInvalid {
			t.Errorf("Lookup(%q) = via %q found %v outcome %q", raw, res.Via, res.Found, res.Outcome())
		}
		if res.Duration <= 0 {
			t.Errorf("Lookup(%q): Duration not set", raw)
		}
	}
	if n := f.lookups.Load(); n != 0 {
		t.Errorf("connector asked %d times for invalid numbers", n)
	}
	if got := metricValue(t, reg, "switchboard_directory_lookups_total", "source", "", "via", "none", "outcome", "invalid"); got != 3 {
		t.Errorf("invalid lookups counted %v, want 3", got)
	}
}

func TestLookupSources(t *testing.T) {
	alice := contact("alice", "+44 20 4520 5757")
	bob := contact("bob", "+44 20 4520 5757")
	carol := contact("carol", "+44 20 7946 0001")
	down := connectors.Errorf(connectors.ClassUnavailable, "LookupByPhone", "CRM down")

	type src struct {
		name  string
		mode  Mode
		fake  *fakeConn
		setup func(*fakeConn)
	}
	tests := []struct {
		name       string
		sources    []src
		query      string
		suffix     int
		wantFound  bool
		wantAmbig  bool
		wantSource string
		wantVia    Via
		wantKeys   []string
		wantKind   connectors.MatchKind
		wantErrs   []string
		wantAsked  map[string]int64 // live lookups per source
	}{
		{
			name:    "first source that knows answers",
			sources: []src{{name: "one", fake: newFake(carol)}, {name: "two", fake: newFake(alice)}, {name: "three", fake: newFake(bob)}},
			query:   "+442045205757", wantFound: true, wantSource: "two", wantVia: ViaIndex,
			wantKeys: []string{"contact:alice"}, wantKind: connectors.MatchExact,
		},
		{
			name:    "order decides, not strength",
			sources: []src{{name: "live", mode: ModeLive, fake: newFake(alice)}, {name: "idx", fake: newFake(bob)}},
			query:   "02045205757", wantFound: true, wantSource: "live", wantVia: ViaLive,
			wantKeys: []string{"contact:alice"}, wantKind: connectors.MatchExact,
			wantAsked: map[string]int64{"live": 1},
		},
		{
			name:    "ambiguous within one source",
			sources: []src{{name: "idx", fake: newFake(alice, bob, carol)}},
			query:   "+442045205757", wantAmbig: true, wantSource: "idx", wantVia: ViaIndex,
			wantKeys: []string{"contact:alice", "contact:bob"}, wantKind: connectors.MatchExact,
		},
		{
			name: "falls back past an erroring live source",
			sources: []src{
				{name: "broken", mode: ModeLive, fake: newFake(bob), setup: func(f *fakeConn) { f.lookupErr = down }},
				{name: "idx", fake: newFake(alice)},
			},
			query: "+442045205757", wantFound: true, wantSource: "idx", wantVia: ViaIndex,
			wantKeys: []string{"contact:alice"}, wantKind: connectors.MatchExact, wantErrs: []string{"broken"},
			wantAsked: map[string]int64{"broken": 1},
		},
		{
			name: "falls back past a panicking live source",
			sources: []src{
				{name: "panicky", mode: ModeLive, fake: newFake(bob), setup: func(f *fakeConn) { f.panicky = true }},
				{name: "idx", fake: newFake(alice)},
			},
			query: "+442045205757", wantFound: true, wantSource: "idx", wantVia: ViaIndex,
			wantKeys: []string{"contact:alice"}, wantKind: connectors.MatchExact, wantErrs: []string{"panicky"},
		},
		{
			name:    "not found anywhere",
			sources: []src{{name: "idx", fake: newFake(carol)}, {name: "live", mode: ModeLive, fake: newFake(carol)}},
			query:   "+442045205757", wantVia: ViaNone, wantAsked: map[string]int64{"live": 1},
		},
		{
			name: "live answers are re-checked: loose matches dropped, kind recomputed",
			sources: []src{{name: "live", mode: ModeLive, fake: newFake(), setup: func(f *fakeConn) {
				f.lookupResult = func(*connectors.LookupRequest) []connectors.Match {
					wrong := contact("wrong", "+44 161 496 0000")
					right := contact("right", "+44 20 7946 0000", "+44 20 4520 5757")
					return []connectors.Match{
						{Contact: &wrong, Kind: connectors.MatchExact, Phone: wrong.Phones[0]},
						{Contact: &right, Kind: connectors.MatchSuffix, Phone: right.Phones[0]},
					}
				}
			}}},
			query: "+442045205757", wantFound: true, wantSource: "live", wantVia: ViaLive,
			wantKeys: []string{"contact:right"}, wantKind: connectors.MatchExact,
		},
		{
			name: "live: only the strongest kind is kept, duplicates dropped",
			sources: []src{{name: "live", mode: ModeLive, fake: newFake(), setup: func(f *fakeConn) {
				f.lookupResult = func(*connectors.LookupRequest) []connectors.Match {
					weak := contact("weak", "+44 113 420 5757") // same last 6 digits
					strong := contact("strong", "+44 20 4520 5757")
					co := company("co", "+44 20 4520 5757")
					return []connectors.Match{
						{Contact: &weak}, {Contact: &strong}, {Company: &co}, {Contact: &strong},
					}
				}
			}}},
			query: "+442045205757", suffix: 6, wantAmbig: true, wantSource: "live", wantVia: ViaLive,
			wantKeys: []string{"contact:strong", "company:co"}, wantKind: connectors.MatchExact,
		},
		{
			name:    "suffix match through the index",
			sources: []src{{name: "idx", fake: newFake(contact("sfx", "+44 161 420 5757"), carol)}},
			query:   "+442045205757", suffix: 6, wantFound: true, wantSource: "idx", wantVia: ViaIndex,
			wantKeys: []string{"contact:sfx"}, wantKind: connectors.MatchSuffix,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sources []Source
			for _, s := range tt.sources {
				if s.setup != nil {
					s.fake.set(s.setup)
				}
				sources = append(sources, Source{Name: s.name, Connector: s.fake, Mode: s.mode})
			}
			d := newDir(t, Options{Sources: sources, SuffixDigits: tt.suffix})
			res := d.Lookup(context.Background(), tt.query)
			if res.InvalidNumber != nil {
				t.Fatalf("Lookup(%q): invalid: %v", tt.query, res.InvalidNumber)
			}
			if res.Found != tt.wantFound || res.Ambiguous != tt.wantAmbig {
				t.Errorf("Found=%v Ambiguous=%v, want %v %v (matches %v, errors %v)", res.Found, res.Ambiguous, tt.wantFound, tt.wantAmbig, keys(res.Matches), res.Errors)
			}
			if res.Source != tt.wantSource || res.Via != tt.wantVia {
				t.Errorf("Source=%q Via=%q, want %q %q", res.Source, res.Via, tt.wantSource, tt.wantVia)
			}
			if !slices.Equal(keys(res.Matches), tt.wantKeys) {
				t.Errorf("Matches = %v, want %v", keys(res.Matches), tt.wantKeys)
			}
			for _, m := range res.Matches {
				if m.Kind != tt.wantKind {
					t.Errorf("%s: kind %q, want %q", m.Key(), m.Kind, tt.wantKind)
				}
			}
			if tt.wantFound && (res.Match == nil || res.Match.Key() != tt.wantKeys[0]) {
				t.Errorf("Match = %v, want %s", res.Match, tt.wantKeys[0])
			}
			if !tt.wantFound && res.Match != nil {
				t.Errorf("Match set although not found: %s", res.Match.Key())
			}
			if !slices.Equal(sourceErrNames(res), tt.wantErrs) {
				t.Errorf("Errors from %v, want %v (%v)", sourceErrNames(res), tt.wantErrs, res.Errors)
			}
			if res.Duration <= 0 {
				t.Error("Duration not set")
			}
			for _, s := range tt.sources {
				if want, ok := tt.wantAsked[s.name]; ok && s.fake.lookups.Load() != want {
					t.Errorf("source %s asked %d times, want %d", s.name, s.fake.lookups.Load(), want)
				}
			}
		})
	}
}

func TestLookupDeadline(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *fakeConn)
	}{
		{"connectors honour ctx", func(f *fakeConn) { f.hang = true }},
		{"connectors ignore ctx", func(f *fakeConn) { f.deaf = make(chan struct{}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sources []Source
			var fakes []*fakeConn
			for _, name := range []string{"h1", "h2", "h3", "h4", "h5", "h6"} {
				f := newFake(contact("a", "+442045205757"))
				f.set(tt.setup)
				fakes = append(fakes, f)
				sources = append(sources, Source{Name: name, Connector: f, Mode: ModeLive, Timeout: 50 * time.Millisecond})
			}
			t.Cleanup(func() {
				for _, f := range fakes {
					if f.deaf != nil {
						close(f.deaf)
					}
				}
			})
			d := newDir(t, Options{Sources: sources, Deadline: 200 * time.Millisecond, Cache: CacheOptions{Size: 10, NegativeTTL: time.Hour}})

			start := time.Now()
			res := d.Lookup(context.Background(), "+442045205757")
			elapsed := time.Since(start)
			if elapsed > 450*time.Millisecond {
				t.Errorf("Lookup took %v; the overall deadline is 200ms", elapsed)
			}
			if elapsed < 150*time.Millisecond {
				t.Errorf("Lookup took only %v; four 50ms timeouts should have passed", elapsed)
			}
			if res.Found || res.Via != ViaNone {
				t.Errorf("Found=%v Via=%q, want not found", res.Found, res.Via)
			}
			if got := sourceErrNames(res); !slices.Equal(got, []string{"h1", "h2", "h3", "h4", "h5", "h6"}) {
				t.Fatalf("errors from %v, want every source", got)
			}
			if !errors.Is(res.Errors[0].Err, context.DeadlineExceeded) {
				t.Errorf("first error %v is not a timeout", res.Errors[0].Err)
			}
			if !errors.Is(res.Errors[5].Err, ErrDeadline) {
				t.Errorf("last error %v is not ErrDeadline", res.Errors[5].Err)
			}
			if d.cache.len() != 0 {
				t.Error("a result with errors was cached")
			}
		})
	}
}

func TestLookupCallerCancelled(t *testing.T) {
	f := newFake(contact("a", "+442045205757"))
	f.hang = true
	d := newDir(t, Options{Sources: []Source{{Name: "live", Connector: f, Mode: ModeLive, BreakerFailures: 1}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Result)
	go func() { done <- d.Lookup(ctx, "+442045205757") }()
	eventually(t, 2*time.Second, "the call to start", func() bool { return f.lookups.Load() == 1 })
	cancel()
	res := <-done
	if len(res.Errors) != 1 || !errors.Is(res.Errors[0].Err, context.Canceled) {
		t.Fatalf("errors = %v, want one cancellation", res.Errors)
	}
	// The caller going away is not the source's fault.
	if st := d.Stats()[0].Breaker; st != "closed" {
		t.Errorf("breaker %q after a cancelled call, want closed", st)
	}
}

func TestBreaker(t *testing.T) {
	down := connectors.Errorf(connectors.ClassUnavailable, "LookupByPhone", "CRM down")
	f := newFake(contact("a", "+442045205757"))
	f.lookupErr = down
	reg := prometheus.NewRegistry()
	d := newDir(t, Options{
		Sources:    []Source{{Name: "live", Connector: f, Mode: ModeLive, BreakerCooldown: 100 * time.Millisecond}},
		Registerer: reg,
	})
	for i := range 5 {
		res := d.Lookup(context.Background(), "+442045205757")
		if len(res.Errors) != 1 || connectors.ClassOf(res.Errors[0].Err) != connectors.ClassUnavailable {
			t.Fatalf("lookup %d: errors %v, want the CRM's error", i+1, res.Errors)
		}
	}
	if got := f.lookups.Load(); got != 5 {
		t.Fatalf("connector asked %d times, want 5", got)
	}
	// Five consecutive failures open the breaker: the source is skipped.
	start := time.Now()
	res := d.Lookup(context.Background(), "+442045205757")
	if got := f.lookups.Load(); got != 5 {
		t.Errorf("connector asked again with the breaker open (%d calls)", got)
	}
	if len(res.Errors) != 1 || !errors.Is(res.Errors[0].Err, gobreaker.ErrOpenState) {
		t.Errorf("errors %v, want the open breaker", res.Errors)
	}
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("skipping an open source took %v", took)
	}
	if st := d.Stats()[0].Breaker; st != "open" {
		t.Errorf("Stats breaker = %q, want open", st)
	}
	if got := metricValue(t, reg, "switchboard_connector_errors_total", "source", "live", "class", "circuit_open"); got != 1 {
		t.Errorf("circuit_open errors counted %v, want 1", got)
	}
	if got := metricValue(t, reg, "switchboard_connector_errors_total", "source", "live", "class", "unavailable"); got != 5 {
		t.Errorf("unavailable errors counted %v, want 5", got)
	}

	// After the cooldown one trial goes through; success closes it.
	f.set(func(f *fakeConn) { f.lookupErr = nil })
	eventually(t, 3*time.Second, "the breaker to let a trial through", func() bool {
		return d.Lookup(context.Background(), "+442045205757").Found
	})
	if st := d.Stats()[0].Breaker; st != "closed" {
		t.Errorf("breaker %q after a successful trial, want closed", st)
	}
}

func TestCache(t *testing.T) {
	clk := newClock()
	f := newFake(contact("a", "+442045205757"))
	d := newDir(t, Options{
		Sources: []Source{{Name: "live", Connector: f, Mode: ModeLive}},
		Cache:   CacheOptions{Size: 100, PositiveTTL: time.Minute, NegativeTTL: 10 * time.Second},
		Now:     clk.Now,
	})
	tests := []struct {
		name      string
		query     string
		advance   time.Duration
		wantVia   Via
		wantFound bool
		wantCalls int64
	}{
		{"positive miss", "+442045205757", 0, ViaLive, true, 1},
		{"positive hit, other spelling", "02045205757", 59 * time.Second, ViaCache, true, 1},
		{"positive expired", "+442045205757", time.Second, ViaLive, true, 2},
		{"negative miss", "+442079460001", 0, ViaNone, false, 3},
		{"negative hit", "+442079460001", 9 * time.Second, ViaCache, false, 3},
		{"negative expired", "+442079460001", time.Second, ViaNone, false, 4},
	}
	for _, tt := range tests {
		clk.advance(tt.advance)
		res := d.Lookup(context.Background(), tt.query)
		if res.Via != tt.wantVia || res.Found != tt.wantFound {
			t.Errorf("%s: Via=%q Found=%v, want %q %v", tt.name, res.Via, res.Found, tt.wantVia, tt.wantFound)
		}
		if got := f.lookups.Load(); got != tt.wantCalls {
			t.Errorf("%s: connector called %d times, want %d", tt.name, got, tt.wantCalls)
		}
		if res.Via == ViaCache {
			if res.Found && res.Source != "live" {
				t.Errorf("%s: cached Source = %q, want the original source", tt.name, res.Source)
			}
			if res.Query.Raw != tt.query {
				t.Errorf("%s: cached Query.Raw = %q, want this lookup's %q", tt.name, res.Query.Raw, tt.query)
			}
			if res.Found && res.Match != &res.Matches[0] {
				t.Errorf("%s: Match does not point into Matches", tt.name)
			}
			if res.Duration <= 0 {
				t.Errorf("%s: Duration not set", tt.name)
			}
		}
	}

	// A caller changing its result does not change the cache.
	res := d.Lookup(context.Background(), "+442045205757")
	res.Matches[0].Kind = "tampered"
	if again := d.Lookup(context.Background(), "+442045205757"); again.Via != ViaCache || again.Matches[0].Kind != connectors.MatchExact {
		t.Errorf("cache changed by a caller: via %q kind %q", again.Via, again.Matches[0].Kind)
	}
}

func TestCacheSkipsErrors(t *testing.T) {
	broken := newFake()
	broken.lookupErr = connectors.Errorf(connectors.ClassUnavailable, "LookupByPhone", "CRM down")
	idx := newFake(contact("a", "+442045205757"))
	d := newDir(t, Options{
		Sources: []Source{{Name: "broken", Connector: broken, Mode: ModeLive}, {Name: "idx", Connector: idx}},
		Cache:   CacheOptions{Size: 100, PositiveTTL: time.Minute, NegativeTTL: time.Minute},
	})
	for i := range 2 {
		for _, q := range []string{"+442045205757", "+442079460001"} {
			if res := d.Lookup(context.Background(), q); res.Via == ViaCache || len(res.Errors) != 1 {
				t.Errorf("round %d, %s: via %q, errors %v; want asked again with the error", i, q, res.Via, res.Errors)
			}
		}
	}
	if got := broken.lookups.Load(); got != 4 {
		t.Errorf("failing source asked %d times, want 4 (nothing cached)", got)
	}
}

func TestIndexNotReady(t *testing.T) {
	f := newFake(contact("a", "+442045205757"))
	d, err := New(Options{Parser: gbParser(t), Sources: []Source{{Name: "idx", Connector: f}},
		Cache: CacheOptions{Size: 10, NegativeTTL: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	res := d.Lookup(context.Background(), "+442045205757")
	if res.Found || len(res.Errors) != 1 || !errors.Is(res.Errors[0].Err, ErrNotReady) {
		t.Fatalf("before the build: found %v, errors %v; want ErrNotReady", res.Found, res.Errors)
	}
	if ready, why := d.Ready(); ready || !strings.Contains(why, `"idx"`) {
		t.Errorf("Ready() = %v, %q; want false naming idx", ready, why)
	}
	if err := d.Rebuild(context.Background(), "idx"); err != nil {
		t.Fatal(err)
	}
	if res := d.Lookup(context.Background(), "+442045205757"); !res.Found {
		t.Errorf("after the build: not found (errors %v); a not-ready answer must not be cached", res.Errors)
	}
}

func TestRebuild(t *testing.T) {
	f := newFake(contact("old", "+442045205757"))
	reg := prometheus.NewRegistry()
	clk := newClock()
	d := newDir(t, Options{
		Sources:    []Source{{Name: "idx", Connector: f}},
		Cache:      CacheOptions{Size: 10, PositiveTTL: time.Hour, NegativeTTL: time.Hour},
		Registerer: reg,
		Now:        clk.Now,
	})
	lookup := func(q string) Result { return d.Lookup(context.Background(), q) }
	if res := lookup("+442045205757"); !res.Found || res.Match.Contact.ID != "old" {
		t.Fatalf("before: %v", keys(res.Matches))
	}
	if res := lookup("+442079460001"); res.Found {
		t.Fatal("new number found before it exists")
	}

	// A successful rebuild swaps the index and clears the cache.
	f.set(func(f *fakeConn) {
		f.contacts = []connectors.Contact{contact("new", "+442079460001"), contact("also", "+442079460002")}
	})
	clk.advance(time.Minute)
	if err := d.Rebuild(context.Background(), "idx"); err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	if res := lookup("+442079460001"); !res.Found || res.Via != ViaIndex || res.Match.Contact.ID != "new" {
		t.Errorf("after rebuild: found %v via %q %v", res.Found, res.Via, keys(res.Matches))
	}
	if res := lookup("+442045205757"); res.Found {
		t.Errorf("old record still found (via %q) after the rebuild", res.Via)
	}
	st := d.Stats()[0]
	if st.Records != 2 || st.Builds != 2 || st.LastBuildError != nil || !st.Ready || !st.LastSuccess.Equal(clk.Now()) {
		t.Errorf("Stats after rebuild = %+v", st)
	}
	if got := metricValue(t, reg, "switchboard_index_records", "source", "idx"); got != 2 {
		t.Errorf("index records gauge = %v, want 2", got)
	}

	// A failed rebuild keeps the old index.
	boom := connectors.Errorf(connectors.ClassUnavailable, "ListContacts", "CRM down")
	f.set(func(f *fakeConn) {
		f.contacts = nil
		f.listErr = boom
	})
	if err := d.Rebuild(context.Background(), "idx"); !errors.Is(err, boom) {
		t.Fatalf("Rebuild error = %v, want the CRM's", err)
	}
	if res := lookup("+442079460002"); !res.Found || res.Via != ViaIndex {
		t.Errorf("after a failed rebuild: found %v via %q; the old index must stay", res.Found, res.Via)
	}
	st = d.Stats()[0]
	if st.Records != 2 || st.BuildErrors != 1 || !errors.Is(st.LastBuildError, boom) || !st.Ready {
		t.Errorf("Stats after failed rebuild = %+v", st)
	}
	if got := metricValue(t, reg, "switchboard_index_build_errors_total", "source", "idx"); got != 1 {
		t.Errorf("build errors counted %v, want 1", got)
	}

	if err := d.Rebuild(context.Background(), "nope"); err == nil || !strings.Contains(err.Error(), "no source") {
		t.Errorf("Rebuild(unknown) = %v", err)
	}
}

func TestRebuildLiveSource(t *testing.T) {
	d := newDir(t, Options{Sources: []Source{{Name: "live", Connector: newFake(), Mode: ModeLive}}})
	if err := d.Rebuild(context.Background(), "live"); err == nil {
		t.Error("Rebuild of a live source succeeded")
	}
	if ready, why := d.Ready(); !ready {
		t.Errorf("a live-only directory is not ready: %s", why)
	}
}

func TestStartBuildsRetriesAndRefreshes(t *testing.T) {
	boom := connectors.Errorf(connectors.ClassUnavailable, "ListContacts", "CRM down")
	good := newFake(contact("g", "+442045205757"))
	flaky := newFake(contact("f", "+442079460001"))
	flaky.listErr = boom
	d, err := New(Options{Parser: gbParser(t), Sources: []Source{
		{Name: "good", Connector: good, Refresh: 20 * time.Millisecond},
		{Name: "flaky", Connector: flaky},
		{Name: "live", Connector: newFake(), Mode: ModeLive},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.retryMin, d.retryMax = 5*time.Millisecond, 20*time.Millisecond

	d.Start(context.Background())
	d.Start(context.Background()) // second call does nothing

	eventually(t, 5*time.Second, "the flaky source to fail twice", func() bool {
		for _, st := range d.Stats() {
			if st.Name == "flaky" {
				return st.BuildErrors >= 2
			}
		}
		return false
	})
	if ready, why := d.Ready(); ready || !strings.Contains(why, "flaky") || !strings.Contains(why, "CRM down") {
		t.Errorf("Ready() = %v, %q; want not ready, naming flaky and its error", ready, why)
	}
	short, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := d.WaitReady(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitReady with a flaky source = %v, want a deadline error", err)
	}

	flaky.set(func(f *fakeConn) { f.listErr = nil })
	ctx, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if err := d.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	if res := d.Lookup(context.Background(), "+442079460001"); !res.Found || res.Source != "flaky" {
		t.Errorf("flaky source not answering after its build: %+v", res)
	}

	// Refresh picks up new data without anyone asking.
	good.set(func(f *fakeConn) { f.contacts = []connectors.Contact{contact("n", "+442079469999")} })
	eventually(t, 5*time.Second, "the refresh to pick up the new record", func() bool {
		return d.Lookup(context.Background(), "+442079469999").Found
	})

	d.Close() // returns once the refresh loops have stopped
}

func TestWaitReadyAfterClose(t *testing.T) {
	f := newFake()
	f.listErr = errors.New("never works")
	d, err := New(Options{Parser: gbParser(t), Sources: []Source{{Name: "idx", Connector: f}}})
	if err != nil {
		t.Fatal(err)
	}
	d.Start(context.Background())
	d.Close()
	if err := d.WaitReady(context.Background()); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("WaitReady after Close = %v, want a closed error", err)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	idx := newFake(contact("a", "+442045205757"), contact("b", "+442079460000"), contact("c", "+442079460000"))
	d := newDir(t, Options{
		Sources:    []Source{{Name: "idx", Connector: idx}},
		Registerer: reg,
		Cache:      CacheOptions{Size: 10, PositiveTTL: time.Hour},
	})
	d.Lookup(context.Background(), "+442045205757")
	d.Lookup(context.Background(), "+442045205757")
	d.Lookup(context.Background(), "+442079460000")
	d.Lookup(context.Background(), "+442079461111")
	for _, tt := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"source", "idx", "via", "index", "outcome", "found"}, 1},
		{[]string{"source", "idx", "via", "cache", "outcome", "found"}, 1},
		{[]string{"source", "idx", "via", "index", "outcome", "ambiguous"}, 1},
		{[]string{"source", "", "via", "none", "outcome", "not_found"}, 1},
	} {
		if got := metricValue(t, reg, "switchboard_directory_lookups_total", tt.labels...); got != tt.want {
			t.Errorf("lookups%v = %v, want %v", tt.labels, got, tt.want)
		}
	}
	if n := metricValue(t, reg, "switchboard_directory_lookup_seconds"); n != 4 {
		t.Errorf("lookup histogram observed %v lookups, want 4", n)
	}
	if n := metricValue(t, reg, "switchboard_index_records", "source", "idx"); n != 3 {
		t.Errorf("index records = %v, want 3", n)
	}
	if n := metricValue(t, reg, "switchboard_index_bytes", "source", "idx"); n <= 0 {
		t.Errorf("switchboard_index_bytes = %v, want > 0", n)
	}
	if n := metricValue(t, reg, "switchboard_index_build_seconds", "source", "idx"); n <= 0 {
		t.Errorf("index build seconds = %v, want > 0", n)
	}
	// A second directory on the same registry shares the collectors.
	d2, err := New(Options{Parser: gbParser(t), Sources: []Source{{Name: "x", Connector: idx}}, Registerer: reg})
	if err != nil {
		t.Fatalf("second directory on one registry: %v", err)
	}
	d2.Close()
}

// TestConcurrentLookupsDuringRebuilds runs lookups while the index is
// swapped (run with -race).
func TestConcurrentLookupsDuringRebuilds(t *testing.T) {
	f := newFake(contact("a", "+442045205757"), contact("b", "+442079460001"))
	d := newDir(t, Options{
		Sources: []Source{{Name: "idx", Connector: f}},
		Cache:   CacheOptions{Size: 4, PositiveTTL: time.Hour, NegativeTTL: time.Hour},
	})
	stop := make(chan struct{})
	errs := make(chan string, 4)
	for range 4 {
		go func() {
			for {
				select {
				case <-stop:
					errs <- ""
					return
				default:
				}
				if res := d.Lookup(context.Background(), "+442045205757"); !res.Found {
					errs <- fmt.Sprintf("not found during rebuilds: %+v", res)
					return
				}
			}
		}()
	}
	for range 20 {
		if err := d.Rebuild(context.Background(), "idx"); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	for range 4 {
		if msg := <-errs; msg != "" {
			t.Error(msg)
		}
	}
}

// TestBreakerIgnoresPluginNotRunning: a plugin being restarted fails fast
// without touching the CRM; those failures must not open the breaker, or
// lookups would stay skipped for the cooldown after the plugin is back.
func TestBreakerIgnoresPluginNotRunning(t *testing.T) {
	f := newFake(contact("a", "+442045205757"))
	f.lookupErr = &connectors.Error{Class: connectors.ClassUnavailable, Op: "LookupByPhone",
		Message: "plugin \"live\" is restarting; retry shortly", Err: connectors.ErrNotRunning}
	d := newDir(t, Options{
		Sources: []Source{{Name: "live", Connector: f, Mode: ModeLive, BreakerCooldown: time.Hour}},
	})
	for i := range 20 {
		if res := d.Lookup(context.Background(), "+442045205757"); res.Found {
			t.Fatalf("lookup %d found a record while the plugin is down", i)
		}
	}
	if st := d.Stats()[0].Breaker; st != "closed" {
		t.Fatalf("breaker %q after plugin-down failures, want closed", st)
	}
	f.lookupErr = nil // the plugin is back
	if res := d.Lookup(context.Background(), "+442045205757"); !res.Found {
		t.Fatalf("lookup after the plugin came back: %+v, want found at once", res)
	}
}

// gatedLister holds the listing at page gate (counting from 1) until
// release is closed, telling reached when it gets there.
type gatedLister struct {
	*fakeConn
	gate     int
	pages    atomic.Int32
	reached  chan struct{}
	release  chan struct{}
	reachOne sync.Once
}

func (g *gatedLister) ListContacts(ctx context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	if int(g.pages.Add(1)) == g.gate {
		g.reachOne.Do(func() { close(g.reached) })
		select {
		case <-g.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.fakeConn.ListContacts(ctx, req)
}

// TestBuildProgress: while a first build runs, Ready and Stats say how
// far it has got; once it ends, neither mentions a build.
func TestBuildProgress(t *testing.T) {
	f := newFake(contact("a", "+442045205751"), contact("b", "+442045205752"), contact("c", "+442045205753"),
		contact("d", "+442045205754"), contact("e", "+442045205755"), contact("f", "+442045205756"),
		contact("g", "+442045205757"))
	f.pageSize = 2
	g := &gatedLister{fakeConn: f, gate: 4, reached: make(chan struct{}), release: make(chan struct{})}
	d, err := New(Options{Parser: gbParser(t), Sources: []Source{{Name: "idx", Connector: g}}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	done := make(chan error, 1)
	go func() { done <- d.Rebuild(context.Background(), "idx") }()
	<-g.reached
	// Page 4 is asked for only once page 3 is queued, so page 1 is indexed
	// (pages are fetched one ahead of the indexing).
	ready, why := d.Ready()
	if ready || !strings.Contains(why, `index of source "idx" not built yet (building: `) || !strings.Contains(why, " records listed in ") {
		t.Errorf("Ready() during the build = %v, %q; want the build's progress", ready, why)
	}
	if st := d.Stats()[0]; st.Building < 2 || st.Building > 6 || st.BuildingFor <= 0 {
		t.Errorf("Stats during the build: Building %d, BuildingFor %s; want 2 to 6 records and a duration", st.Building, st.BuildingFor)
	}
	close(g.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if ready, why := d.Ready(); !ready || strings.Contains(why, "building") {
		t.Errorf("Ready() after the build = %v, %q", ready, why)
	}
	if st := d.Stats()[0]; st.Building != 0 || st.BuildingFor != 0 || st.Records != 7 {
		t.Errorf("Stats after the build: Building %d, BuildingFor %s, Records %d", st.Building, st.BuildingFor, st.Records)
	}
}

func TestInMemory(t *testing.T) {
	idx := newDir(t, Options{Sources: []Source{{Name: "idx", Connector: newFake()}}})
	if !idx.InMemory() {
		t.Error("a directory of indexes: InMemory() = false")
	}
	mixed := newDir(t, Options{Sources: []Source{{Name: "idx", Connector: newFake()}, {Name: "live", Mode: ModeLive, Connector: newFake()}}})
	if mixed.InMemory() {
		t.Error("a directory with a live source: InMemory() = true")
	}
}
