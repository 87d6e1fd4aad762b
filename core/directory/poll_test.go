package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

// newChangedFake is a fake that declares changed_since.
func newChangedFake(contacts ...connectors.Contact) *fakeConn {
	f := newFake(contacts...)
	f.caps = append(f.caps, connectors.CapChangedSince)
	return f
}

// answer says what a lookup of q found: "contact:a", "contact:a contact:b"
// (ambiguous) or "" (nothing).
func answer(d *Directory, q string) string {
	return strings.Join(keys(d.Lookup(context.Background(), q).Matches), " ")
}

// TestPollEndToEnd: a started directory polls a connector that can say
// what changed, and every kind of upsert reaches Lookup within a few
// polls, without a rebuild, through a cache that holds the old answers.
func TestPollEndToEnd(t *testing.T) {
	f := newChangedFake(contact("a", "+442045205757"), contact("b", "+442079460001"))
	d, err := New(Options{
		Parser:  gbParser(t),
		Sources: []Source{{Name: "idx", Connector: f, Refresh: time.Hour, Poll: 10 * time.Millisecond}},
		Cache:   CacheOptions{Size: 100, PositiveTTL: time.Hour, NegativeTTL: time.Hour},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d.Start(ctx)
	if err := d.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	builds := d.Stats()[0].Builds

	// Cached answers that the changes below must replace.
	for q, want := range map[string]string{"+442079460099": "", "+442045205757": "contact:a", "+442079460001": "contact:b"} {
		if got := answer(d, q); got != want {
			t.Fatalf("before: %s answers %q, want %q", q, got, want)
		}
	}

	// A new record.
	f.upsert(contact("c", "+442079460099"))
	eventually(t, 5*time.Second, "the new contact c answers +442079460099", func() bool {
		return answer(d, "+442079460099") == "contact:c"
	})

	// A changed number: the new one matches, the old one stops matching.
	f.upsert(contact("a", "+442079460055"))
	eventually(t, 5*time.Second, "a answers its new number only", func() bool {
		return answer(d, "+442079460055") == "contact:a" && answer(d, "+442045205757") == ""
	})

	// A record that takes b's number makes it ambiguous.
	f.upsert(contact("d", "+442079460001"))
	eventually(t, 5*time.Second, "+442079460001 is ambiguous between b and d", func() bool {
		return answer(d, "+442079460001") == "contact:b contact:d"
	})

	st := d.Stats()[0]
	if st.Builds != builds {
		t.Errorf("the changes took %d rebuilds; they must arrive without one", st.Builds-builds)
	}
	if st.Records != 4 || st.Changed != 3 || st.Changes < 3 || st.Polls == 0 || st.LastPollError != nil {
		t.Errorf("Stats = %+v; want 4 records, 3 changed, at least 3 changes applied", st)
	}

	// A rebuild folds the changes into the base and answers the same.
	if err := d.Rebuild(ctx, "idx"); err != nil {
		t.Fatal(err)
	}
	if st := d.Stats()[0]; st.Changed != 0 || st.Records != 4 {
		t.Errorf("after the rebuild: %d changed records laid over %d; want 0 over 4", st.Changed, st.Records)
	}
	for q, want := range map[string]string{
		"+442079460099": "contact:c", "+442079460055": "contact:a", "+442045205757": "", "+442079460001": "contact:b contact:d",
	} {
		if got := answer(d, q); got != want {
			t.Errorf("after the rebuild: %s answers %q, want %q", q, got, want)
		}
	}
}

// TestPollStepByStep drives polls by hand: what a poll applies, that a
// change seen again is not applied twice, national and suffix matching
// over the overlay, companies, and failures.
func TestPollStepByStep(t *testing.T) {
	f := newChangedFake(contact("a", "02045205757"), contact("b", "+442079460001"))
	f.caps = append(f.caps, connectors.CapListCompanies)
	f.companies = []connectors.Company{company("k", "+442079460777")}
	d := newDir(t, Options{Sources: []Source{{Name: "idx", Connector: f}}, SuffixDigits: 7})
	ctx := context.Background()
	poll := func() int {
		t.Helper()
		n, err := d.Poll(ctx, "idx")
		if err != nil {
			t.Fatalf("Poll: %v", err)
		}
		return n
	}
	if n := poll(); n != 0 {
		t.Fatalf("nothing changed, but a poll applied %d records", n)
	}
	// Records the build listed come back within the overlap window; the
	// same UpdatedAt says they are known.
	f.set(func(f *fakeConn) {
		now := time.Now()
		f.contacts = slices.Clone(f.contacts)
		for i := range f.contacts {
			f.contacts[i].UpdatedAt = now
		}
		f.companies = slices.Clone(f.companies)
		f.companies[0].UpdatedAt = now
	})
	if err := d.Rebuild(ctx, "idx"); err != nil {
		t.Fatal(err)
	}
	if n := poll(); n != 0 {
		t.Errorf("a poll after a rebuild that listed the same records applied %d, want 0", n)
	}
	f.upsert(contact("a", "02045205758"))
	if n := poll(); n != 1 {
		t.Errorf("poll applied %d records, want 1", n)
	}
	if n := poll(); n != 0 {
		t.Errorf("the same change seen again was applied %d times", n)
	}
	for q, want := range map[string]string{
		"02045205758":   "contact:a", // national, over the overlay
		"02045205757":   "",          // a's old number
		"+442079460001": "contact:b",
		"+442079460777": "company:k",
		"+12079460777":  "company:k", // suffix: the last 7 digits
	} {
		if got := answer(d, q); got != want {
			t.Errorf("%s answers %q, want %q", q, got, want)
		}
	}
	// A company changes number; b's old suffix neighbour goes with it.
	f.set(func(f *fakeConn) {
		f.companies = []connectors.Company{company("k", "+442079460001")}
		f.companies[0].UpdatedAt = time.Now()
	})
	if n := poll(); n != 1 {
		t.Errorf("poll applied %d records, want the company", n)
	}
	if got := answer(d, "+442079460001"); got != "contact:b company:k" {
		t.Errorf("+442079460001 answers %q, want b and k", got)
	}
	if got := answer(d, "+12079460777"); got != "" {
		t.Errorf("k's old number still answers by suffix: %q", got)
	}

	// A failed poll keeps what the index has and is counted.
	boom := connectors.Errorf(connectors.ClassUnavailable, "ListContacts", "CRM down")
	f.set(func(f *fakeConn) { f.listErr = boom })
	if _, err := d.Poll(ctx, "idx"); !errors.Is(err, boom) {
		t.Errorf("Poll error = %v, want the CRM's", err)
	}
	if got := answer(d, "02045205758"); got != "contact:a" {
		t.Errorf("after a failed poll: %q", got)
	}
	if st := d.Stats()[0]; st.PollErrors != 1 || !errors.Is(st.LastPollError, boom) {
		t.Errorf("Stats after a failed poll = %+v", st)
	}
	if _, err := d.Poll(ctx, "nope"); err == nil {
		t.Error("Poll of an unknown source worked")
	}
}

// TestPollNeedsChangedSince: a connector that cannot say what changed is
// not polled, and the poller stops.
func TestPollNeedsChangedSince(t *testing.T) {
	f := newFake(contact("a", "+442045205757"))
	d := newDir(t, Options{Sources: []Source{{Name: "idx", Connector: f}}})
	if _, err := d.Poll(context.Background(), "idx"); !errors.Is(err, errNoChangedSince) {
		t.Errorf("Poll = %v, want errNoChangedSince", err)
	}
	if f.changedLists.Load() != 0 {
		t.Error("a connector without changed_since was asked what changed")
	}
}

// TestPollConcurrentLookups: lookups, polls and rebuilds at once, under
// -race; a record that never changes is found throughout, and a changing
// one always answers with one of its numbers.
func TestPollConcurrentLookups(t *testing.T) {
	f := newChangedFake(contact("a", "+442045205757"), contact("b", "+442079460001"))
	d := newDir(t, Options{
		Sources: []Source{{Name: "idx", Connector: f}},
		Cache:   CacheOptions{Size: 4, PositiveTTL: time.Hour, NegativeTTL: time.Hour},
	})
	ctx := context.Background()
	stop := make(chan struct{})
	errs := make(chan string, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if got := answer(d, "+442045205757"); got != "contact:a" {
					errs <- fmt.Sprintf("the unchanged record answered %q", got)
					return
				}
				d.Lookup(ctx, "+442079460001")
			}
		}()
	}
	for i := range 50 {
		f.upsert(contact("b", fmt.Sprintf("+4420794600%02d", i)))
		if _, err := d.Poll(ctx, "idx"); err != nil {
			t.Fatal(err)
		}
		if got := answer(d, fmt.Sprintf("+4420794600%02d", i)); got != "contact:b" {
			t.Fatalf("change %d: b's new number answers %q", i, got)
		}
		if i%10 == 9 {
			if err := d.Rebuild(ctx, "idx"); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}

func TestPollConfig(t *testing.T) {
	if got := DefaultSourceConfig().Poll; got != DefaultPoll {
		t.Errorf("default poll = %s, want %s", got, DefaultPoll)
	}
	for _, tc := range []struct {
		poll time.Duration
		ok   bool
	}{{0, true}, {time.Second, true}, {-time.Second, false}, {time.Millisecond, false}} {
		c := DefaultSourceConfig()
		c.Poll = tc.poll
		if ps := c.Check(); (len(ps) == 0) != tc.ok {
			t.Errorf("poll %s: problems %v", tc.poll, ps)
		}
	}
	if s := (SourceConfig{Poll: time.Second}).Source("x", newFake()); s.Poll != time.Second {
		t.Errorf("Source() dropped poll: %+v", s)
	}
	if _, err := New(Options{Parser: gbParser(t), Sources: []Source{{Name: "x", Connector: newFake(), Poll: -1}}}); err == nil {
		t.Error("a negative poll was accepted")
	}
}

// TestPollLookBack: a poll looks DefaultPollOverlap back before the previous
// one, except for a connector that declares changed_since_exact, which is
// asked from one second before: it would otherwise list again every record
// it stamped in the last half minute, all of them after a start.
func TestPollLookBack(t *testing.T) {
	for _, tc := range []struct {
		name  string
		exact bool
		want  time.Duration
	}{
		{"changed_since", false, DefaultPollOverlap},
		{"changed_since_exact", true, exactPollOverlap},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newChangedFake(contact("a", "+442045205757"))
			if tc.exact {
				f.caps = append(f.caps, connectors.CapChangedSinceExact)
			}
			d := newDir(t, Options{Sources: []Source{{Name: "idx", Connector: f, Refresh: time.Hour}}})
			ctx := context.Background()
			if err := d.Rebuild(ctx, "idx"); err != nil {
				t.Fatal(err)
			}
			for range 2 { // the first poll starts from the build, the second from the first
				before := time.Now()
				if _, err := d.Poll(ctx, "idx"); err != nil {
					t.Fatal(err)
				}
				f.mu.Lock()
				since := f.lastSince
				f.mu.Unlock()
				if back := before.Sub(since); back < tc.want || back > tc.want+5*time.Second {
					t.Errorf("poll asked for changes since %s before it started, want about %s", back, tc.want)
				}
			}
		})
	}
}

// TestIndexBytesReported: Options.IndexBytes hears what every index holds
// after each build and each poll that changes one, summed over sources.
func TestIndexBytesReported(t *testing.T) {
	a := newChangedFake(contact("a", "+442045205757"))
	b := newFake(contact("b", "+442079460001"), contact("c", "+442079460002"))
	var (
		mu    sync.Mutex
		heard []int64
	)
	d, err := New(Options{
		Parser: gbParser(t),
		Sources: []Source{
			{Name: "a", Connector: a, Refresh: time.Hour},
			{Name: "b", Connector: b, Refresh: time.Hour},
		},
		IndexBytes: func(total int64) { mu.Lock(); heard = append(heard, total); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	for _, name := range []string{"a", "b"} {
		if err := d.Rebuild(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	total := func() int64 {
		var n int64
		for _, s := range d.sources {
			n += int64(s.index.Load().bytesUsed())
		}
		return n
	}
	mu.Lock()
	if len(heard) != 2 || heard[0] <= 0 || heard[1] != total() || heard[1] <= heard[0] {
		t.Errorf("after two builds heard %v, want two growing totals ending at %d", heard, total())
	}
	mu.Unlock()

	a.upsert(contact("d", "+442079460099"))
	if n, err := d.Poll(ctx, "a"); err != nil || n != 1 {
		t.Fatalf("poll: %d, %v", n, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(heard) != 3 || heard[2] != total() || heard[2] <= heard[1] {
		t.Errorf("after a poll that changed a heard %v, want a third, larger total %d", heard, total())
	}
}
