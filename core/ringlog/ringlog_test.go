package ringlog

import (
	"fmt"
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
	if n, _ := l.Stats(); n != 5 {
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

func TestSubscribeDropsForSlowSubscriber(t *testing.T) {
	l := New(10)
	ch, cancel := l.Subscribe(2)
	defer cancel()
	for range 5 {
		l.Add(rec("+905061234567", OutcomeFound)) // never blocks
	}
	if got := (<-ch).ID; got != 1 {
		t.Errorf("first record id %d, want 1", got)
	}
	if got := (<-ch).ID; got != 2 {
		t.Errorf("second record id %d, want 2", got)
	}
	select {
	case r := <-ch:
		t.Errorf("got record %d, want the rest dropped", r.ID)
	default:
	}
	if _, dropped := l.Stats(); dropped != 3 {
		t.Errorf("dropped = %d, want 3", dropped)
	}
	cancel()
	cancel() // twice is fine
	if l.Subscribers() != 0 {
		t.Errorf("Subscribers = %d after cancel", l.Subscribers())
	}
	l.Add(rec("+905061234567", OutcomeFound))
	select {
	case r := <-ch:
		t.Errorf("got record %d after cancel", r.ID)
	default:
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
			ch, cancel := l.Subscribe(8)
			defer cancel()
			for range 100 {
				l.Recent(Filter{Number: "506"}, 10)
				select {
				case <-ch:
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
	b.Run("subscriber", func(b *testing.B) {
		l := New(0)
		ch, cancel := l.Subscribe(1024)
		defer cancel()
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-ch:
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
	b.Run("stalled_subscriber", func(b *testing.B) {
		l := New(0)
		_, cancel := l.Subscribe(1)
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
