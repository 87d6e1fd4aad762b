package ringlog

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

func rec(caller, outcome string) *Record {
	return &Record{Time: time.Now(), FrontEnd: FrontEndSmartIVR, Caller: caller, E164: caller, Outcome: outcome}
}

func TestAddRecentNewestFirstAndBounded(t *testing.T) {
	l := New(3)
	for i := 1; i <= 5; i++ {
		if id := l.Add(rec(fmt.Sprintf("+9050600000%d", i), OutcomeFound)); id != uint64(i) {
			t.Fatalf("Add #%d returned id %d", i, id)
		}
	}
	got := l.Recent(Filter{}, 0)
	if len(got) != 3 || got[0].ID != 5 || got[2].ID != 3 {
		t.Fatalf("Recent = %v, want ids 5,4,3", ids(got))
	}
	if _, ok := l.Get(2); ok {
		t.Error("Get(2) found a record the log no longer holds")
	}
	if r, ok := l.Get(4); !ok || r.Caller != "+90506000004" {
		t.Errorf("Get(4) = %+v, %v", r, ok)
	}
	if _, ok := l.Get(6); ok {
		t.Error("Get(6) found a record not yet recorded")
	}
	if got := l.Recent(Filter{}, 2); len(got) != 2 || got[0].ID != 5 {
		t.Errorf("Recent limit 2 = %v", ids(got))
	}
	if n := l.Last(); n != 5 {
		t.Errorf("recorded = %d, want 5", n)
	}
}

func TestDefaultSize(t *testing.T) {
	if New(0).Size() != DefaultSize {
		t.Errorf("New(0).Size() = %d", New(0).Size())
	}
}

func TestFilter(t *testing.T) {
	l := New(100)
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	add := func(r *Record, at time.Duration) { r.Time = base.Add(at); l.Add(r) }
	add(&Record{Caller: "+90 506 123 45 67", E164: "+905061234567", Outcome: OutcomeFound, UUID: "u1"}, 0)
	add(&Record{Caller: "0212 444 55 66", National: "2124445566", Outcome: OutcomeUnknown, Fallback: "lookup_error", UUID: "u2"}, time.Minute)
	add(&Record{Caller: "<script>", Outcome: OutcomeInvalid, FrontEnd: FrontEndRingostat, UUID: "u1"}, 2*time.Minute)
	for _, tc := range []struct {
		name string
		f    Filter
		want []uint64
	}{
		{"all", Filter{}, []uint64{3, 2, 1}},
		{"digits with spaces", Filter{Number: "506 123"}, []uint64{1}},
		{"national", Filter{Number: "444"}, []uint64{2}},
		{"no digits: substring of what was sent", Filter{Number: "<scr"}, []uint64{3}},
		{"outcome", Filter{Outcome: OutcomeUnknown}, []uint64{2}},
		{"fallback", Filter{Outcome: OutcomeFallback}, []uint64{2}},
		{"since", Filter{Since: base.Add(time.Minute)}, []uint64{3, 2}},
		{"until", Filter{Until: base.Add(time.Minute)}, []uint64{1}},
		{"front end", Filter{FrontEnd: FrontEndRingostat}, []uint64{3}},
		{"uuid", Filter{UUID: "u1"}, []uint64{3, 1}},
	} {
		if got := ids(l.Recent(tc.f, 0)); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := ids(l.ByUUID("u1")); fmt.Sprint(got) != "[3 1]" {
		t.Errorf("ByUUID = %v", got)
	}
}

func TestRecentAcrossBatches(t *testing.T) {
	l := New(1000)
	for range 700 {
		l.Add(rec("+905061234567", OutcomeFound))
	}
	if got := l.Recent(Filter{}, 0); len(got) != 700 || got[0].ID != 700 || got[699].ID != 1 {
		t.Fatalf("Recent = %d records", len(got))
	}
}

func TestWatchWakesOnceForManyAdds(t *testing.T) {
	l := New(10)
	wake, cancel := l.Watch()
	defer cancel()
	select {
	case <-wake:
		t.Fatal("woken before anything was added")
	default:
	}
	for range 5 {
		l.Add(rec("+905061234567", OutcomeFound)) // never blocks
	}
	<-wake
	select {
	case <-wake:
		t.Error("woken twice for adds made before the first wake-up was read")
	default:
	}
	if got := l.After(0, Filter{}, 0); len(got.Records) != 5 || got.Next != 5 {
		t.Errorf("After(0) = %d records, next %d", len(got.Records), got.Next)
	}
	cancel()
	cancel() // twice is fine
	if l.Watchers() != 0 {
		t.Errorf("Watchers = %d after cancel", l.Watchers())
	}
	l.Add(rec("+905061234567", OutcomeFound))
	select {
	case <-wake:
		t.Error("woken after cancel")
	default:
	}
}

func TestAfter(t *testing.T) {
	l := New(10)
	for i := range 14 { // 1..4 are overwritten
		outcome := OutcomeFound
		if i%2 == 1 {
			outcome = OutcomeUnknown
		}
		l.Add(rec(fmt.Sprintf("+90506%07d", i+1), outcome))
	}
	for _, tc := range []struct {
		name       string
		after      uint64
		f          Filter
		limit      int
		ids        []uint64
		next       uint64
		left, lost int
	}{
		{"nothing new", 14, Filter{}, 0, nil, 14, 0, 0},
		{"a cursor ahead of the log", 20, Filter{}, 0, nil, 20, 0, 0},
		{"the newest, oldest first", 11, Filter{}, 0, []uint64{12, 13, 14}, 14, 0, 0},
		{"a limit keeps the newest", 8, Filter{}, 2, []uint64{13, 14}, 14, 4, 0},
		{"filtered", 8, Filter{Outcome: OutcomeUnknown}, 0, []uint64{10, 12, 14}, 14, 0, 0},
		{"filtered and limited", 4, Filter{Outcome: OutcomeUnknown}, 1, []uint64{14}, 14, 4, 0},
		{"records no longer held are lost", 1, Filter{}, 0, []uint64{5, 6, 7, 8, 9, 10, 11, 12, 13, 14}, 14, 0, 3},
		{"from the start", 0, Filter{Number: "0000014"}, 0, []uint64{14}, 14, 0, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := l.After(tc.after, tc.f, tc.limit)
			if !slices.Equal(ids(got.Records), tc.ids) || got.Next != tc.next || got.Left != tc.left || got.Lost != tc.lost {
				t.Errorf("After(%d) = ids %v next %d left %d lost %d; want %v next %d left %d lost %d",
					tc.after, ids(got.Records), got.Next, got.Left, got.Lost, tc.ids, tc.next, tc.left, tc.lost)
			}
		})
	}
}

func TestConcurrentAddReadSubscribe(t *testing.T) {
	l := New(64)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				l.Add(rec(fmt.Sprintf("+90506%07d", w*1000+i), OutcomeFound))
			}
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wake, cancel := l.Watch()
			defer cancel()
			var cursor uint64
			for range 100 {
				l.Recent(Filter{Number: "506"}, 10)
				select {
				case <-wake:
					b := l.After(cursor, Filter{}, 16)
					if len(b.Records) > 0 && b.Records[len(b.Records)-1].ID != b.Next {
						t.Errorf("After: newest record %d, next %d", b.Records[len(b.Records)-1].ID, b.Next)
					}
					cursor = b.Next
				default:
				}
			}
		}()
	}
	wg.Wait()
	got := l.Recent(Filter{}, 0)
	if len(got) != 64 || got[0].ID != 2000 {
		t.Fatalf("after 2000 adds: %d records, newest %d", len(got), got[0].ID)
	}
	for i := 1; i < len(got); i++ {
		if got[i].ID != got[i-1].ID-1 {
			t.Fatalf("ids not consecutive: %v", ids(got))
		}
	}
}

func TestParty(t *testing.T) {
	for _, tc := range []struct {
		p         Party
		key, name string
	}{
		{Party{Kind: "contact", ID: "42", First: "Ada", Last: "Lovelace"}, "contact:42", "Ada Lovelace"},
		{Party{Kind: "contact", ID: "7", Last: "Byron"}, "contact:7", "Byron"},
		{Party{Kind: "company", ID: "9", Last: "Acme"}, "company:9", "Acme"},
		{Party{}, "", ""},
	} {
		if tc.p.Key() != tc.key || tc.p.Name() != tc.name {
			t.Errorf("%+v: Key %q Name %q", tc.p, tc.p.Key(), tc.p.Name())
		}
	}
}

func ids(rs []Record) []uint64 {
	out := make([]uint64, len(rs))
	for i := range rs {
		out[i] = rs[i].ID
	}
	return out
}

// BenchmarkRecord measures Add on the ring path, without and with a
// subscriber (that keeps up, and one that never reads: dropped).
func BenchmarkRecord(b *testing.B) {
	r := &Record{Time: time.Now(), FrontEnd: FrontEndSmartIVR, UUID: "a2b7bf8f-0000", Caller: "+905061234567", E164: "+905061234567",
		Outcome: OutcomeFound, Match: Party{Kind: "contact", ID: "C042", First: "Ada"}, Source: "customers", Via: "index", MatchKind: "exact",
		Rule: "known", Destination: "1093", Answer: "rule"}
	b.Run("no_subscriber", func(b *testing.B) {
		l := New(0)
		b.ReportAllocs()
		for b.Loop() {
			l.Add(r)
		}
	})
	b.Run("watcher", func(b *testing.B) {
		l := New(0)
		wake, cancel := l.Watch()
		defer cancel()
		go func() {
			var cursor uint64
			for {
				select {
				case <-wake:
					cursor = l.After(cursor, Filter{}, 20).Next
				case <-b.Context().Done():
					return
				}
			}
		}()
		b.ReportAllocs()
		for b.Loop() {
			l.Add(r)
		}
	})
	b.Run("stalled_watcher", func(b *testing.B) {
		l := New(0)
		_, cancel := l.Watch()
		defer cancel()
		b.ReportAllocs()
		for b.Loop() {
			l.Add(r)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		l := New(0)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.Add(r)
			}
		})
	})
}
