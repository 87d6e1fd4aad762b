package connectortest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

func (r *runner) testChangedSince(t *testing.T) {
	if !r.desc.Has(connectors.CapChangedSince) {
		t.Skip("the connector does not declare changed_since")
	}
	for _, l := range listers {
		if !r.desc.Has(l.cap) {
			continue
		}
		t.Run(l.kind, func(t *testing.T) {
			all := r.pageAll(t, r.conn.host, l, 0, time.Time{})
			var times []time.Time
			for _, rc := range all {
				if rc.updated.IsZero() {
					t.Errorf("%s: record %s has no UpdatedAt; with changed_since every record needs one", l.op, rc.id)
				}
				times = append(times, rc.updated)
			}
			if t.Failed() || len(times) == 0 {
				return
			}
			sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
			thresholds := []time.Time{times[0], times[len(times)/2], times[len(times)-1], times[len(times)-1].Add(time.Second)}
			for _, since := range thresholds {
				var want []string
				for _, rc := range all {
					if !rc.updated.Before(since) {
						want = append(want, rc.id)
					}
				}
				got := ids(r.pageAll(t, r.conn.host, l, 4, since))
				checkSet(t, fmt.Sprintf("%s changed since %s", l.op, since.Format(time.RFC3339Nano)), got, want)
			}
		})
	}
}

// call is one connector call the deadline and concurrency checks make.
type call struct {
	op string
	do func(ctx context.Context, c connectors.Connector) (string, error)
}

// calls returns the read calls the connector declares: a lookup, a
// first page of each list and a lookup by key, each answering a
// comparable summary.
func (r *runner) calls() []call {
	var out []call
	if r.desc.Has(connectors.CapLookup) {
		out = append(out, call{"LookupByPhone", func(ctx context.Context, c connectors.Connector) (string, error) {
			resp, err := c.LookupByPhone(ctx, r.request(SharedPhone, 0))
			if err != nil {
				return "", err
			}
			var keys []string
			for _, m := range resp.Matches {
				keys = append(keys, m.Key())
			}
			sort.Strings(keys)
			return strings.Join(keys, ","), nil
		}})
	}
	for _, l := range listers {
		if !r.desc.Has(l.cap) {
			continue
		}
		out = append(out, call{l.op, func(ctx context.Context, c connectors.Connector) (string, error) {
			recs, next, err := l.list(ctx, c, &connectors.ListRequest{PageSize: 5})
			if err != nil {
				return "", err
			}
			return strings.Join(ids(recs), ",") + " next:" + fmt.Sprint(next != ""), nil
		}})
	}
	if r.configured.Has(connectors.CapLookupByKey) { // a capability some blocks turn on
		out = append(out, r.keyCall())
	}
	return out
}

// grace is how long after a caller's deadline a connector may still be
// running the call.
const grace = 2 * time.Second

func (r *runner) testDeadlines(t *testing.T) {
	c := r.conn.host
	for _, cl := range r.calls() {
		t.Run(cl.op, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if _, err := cl.do(ctx, c); !errors.Is(err, context.Canceled) {
				t.Errorf("%s with a cancelled context: error %v; want context.Canceled", cl.op, err)
			}
			ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
			defer cancel()
			if _, err := cl.do(ctx, c); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s past its deadline: error %v; want context.DeadlineExceeded", cl.op, err)
			}
		})
	}
	if r.s.Stall == nil {
		return
	}
	t.Run("stalled_backend", func(t *testing.T) {
		release := r.s.Stall(t, r.config)
		released := false
		defer func() {
			if !released {
				release()
			}
		}()
		for _, cl := range r.calls() {
			for _, mode := range []string{"deadline", "cancel"} {
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				want := context.DeadlineExceeded
				if mode == "cancel" {
					timer := time.AfterFunc(150*time.Millisecond, cancel)
					defer timer.Stop()
					want = context.Canceled
				}
				start := time.Now()
				_, err := cl.do(ctx, c)
				cancel()
				if !errors.Is(err, want) {
					t.Errorf("%s (%s) on a stalled backend: error %v; want %v", cl.op, mode, err, want)
				}
				if !r.waitIdle(start.Add(300*time.Millisecond + grace)) {
					t.Fatalf("%s (%s): the connector was still running the call %v after the caller gave up; "+
						"pass the request's context to every backend call", cl.op, mode, grace)
				}
			}
		}
		release()
		released = true
		for _, cl := range r.calls() {
			if _, err := cl.do(r.ctx(t), c); err != nil {
				t.Errorf("%s after the backend recovered: %v", cl.op, err)
			}
		}
	})
}

// waitIdle polls until no call runs inside the connector, or until.
func (r *runner) waitIdle(until time.Time) bool {
	for {
		if r.conn.inflight.Running() == 0 {
			return true
		}
		if time.Now().After(until) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *runner) testConcurrency(t *testing.T) {
	calls := r.calls()
	want := map[string]string{}
	for _, cl := range calls {
		got, err := cl.do(r.ctx(t), r.conn.host)
		if err != nil {
			t.Fatalf("%s: %v", cl.op, err)
		}
		want[cl.op] = got
	}
	const workers, rounds = 6, 2
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*len(calls))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				cl := calls[(w+i)%len(calls)]
				got, err := cl.do(r.ctx(t), r.conn.host)
				switch {
				case err != nil:
					errs <- fmt.Errorf("%s (concurrent): %w", cl.op, err)
				case got != want[cl.op]:
					errs <- fmt.Errorf("%s (concurrent): %s; serially %s", cl.op, got, want[cl.op])
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func (r *runner) testReconfigure(t *testing.T) {
	calls := r.calls()
	before := map[string]string{}
	for _, cl := range calls {
		got, err := cl.do(r.ctx(t), r.conn.host)
		if err != nil {
			t.Fatalf("%s: %v", cl.op, err)
		}
		before[cl.op] = got
	}
	check := func(when string) {
		for _, cl := range calls {
			got, err := cl.do(r.ctx(t), r.conn.host)
			switch {
			case err != nil:
				t.Errorf("%s %s: %v", cl.op, when, err)
			case got != before[cl.op]:
				t.Errorf("%s %s: %s; before %s", cl.op, when, got, before[cl.op])
			}
		}
	}
	if !r.configure(t, r.conn.host, r.config) {
		t.Fatal("the same block was rejected the second time")
	}
	check("after configuring the same block again")
	if len(r.s.BadConfigs) > 0 {
		bc := r.s.BadConfigs[0]
		resp, err := r.conn.host.Configure(r.ctx(t), &connectors.ConfigureRequest{
			Config: bc.Config, DefaultRegion: Region, BaseDir: r.s.BaseDir,
		})
		if err == nil && len(resp.Problems) == 0 {
			t.Fatalf("bad config %q accepted", bc.Name)
		}
		check(fmt.Sprintf("after the rejected block %q (a rejected block must leave the previous configuration serving)", bc.Name))
	}
}

// largePageBytes is the size of the big page: over gRPC's 4 MB default.
const largePageBytes = 5 << 20

func (r *runner) testLargePage(t *testing.T) {
	if !r.desc.Has(connectors.CapListContacts) {
		t.Skip("the connector does not list contacts")
	}
	n := min(r.s.MaxPageSize, 1000)
	data := r.dataset(LargeDataset(n, largePageBytes/n+1))
	block := r.s.Fixture(t, data)
	c := r.serve(t)
	if !r.configure(t, c.host, block) {
		t.Fatal("the fixture's block for the large dataset was rejected")
	}
	resp, err := c.host.ListContacts(r.ctx(t), &connectors.ListRequest{PageSize: n})
	if err != nil {
		t.Fatalf("ListContacts(page size %d) of %d contacts of %d bytes: %v", n, n, largePageBytes/n, err)
	}
	size := 0
	for _, ct := range resp.Contacts {
		size += len(ct.FirstName) + len(ct.LastName) + len(ct.ID)
		if want := data.Contact(ct.ID); want == nil || ct.LastName != want.LastName {
			t.Fatalf("contact %s came back altered (last name of %d bytes)", ct.ID, len(ct.LastName))
		}
	}
	if size <= 4<<20 {
		t.Fatalf("the first page held %d contacts, %d bytes; asked for %d: set Suite.MaxPageSize to the connector's largest page",
			len(resp.Contacts), size, n)
	}
	got := ids(listedContacts(resp))
	if resp.NextCursor != "" { // the rest, if the connector pages below n after all
		got = append(got, ids(r.pageFrom(t, c.host, listers[0], n, resp.NextCursor))...)
	}
	checkSet(t, "ListContacts of the large dataset", got, idsOf(data))
}

func idsOf(d *Records) []string {
	out := make([]string, len(d.Contacts))
	for i, c := range d.Contacts {
		out[i] = c.ID
	}
	return out
}

func listedContacts(resp *connectors.ListContactsResponse) []record {
	out := make([]record, len(resp.Contacts))
	for i, ct := range resp.Contacts {
		out[i] = record{id: ct.ID, updated: ct.UpdatedAt}
	}
	return out
}
