package ringtime

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/routing"
)

// lookuper answers from a function; inMemory says whether it claims to
// answer from memory.
type lookuper struct {
	inMemory bool
	lookup   func(ctx context.Context) directory.Result
}

func (l lookuper) Lookup(ctx context.Context, _ string) directory.Result { return l.lookup(ctx) }
func (l lookuper) InMemory() bool                                        { return l.inMemory }

type decider struct{ panics bool }

func (d decider) Decide(res directory.Result, _ routing.Call, _ string) routing.Decision {
	if d.panics {
		panic("rule broke")
	}
	return routing.Decision{Destination: "1093", Rule: "known"}
}

// TestDecideInMemory: a lookup that answers from memory runs on the
// caller's goroutine (a deadline that has already passed does not stop
// it, since nothing could wait), and a panic is still recovered; a
// lookup that may wait is bounded by the deadline.
func TestDecideInMemory(t *testing.T) {
	found := func(context.Context) directory.Result { return directory.Result{Found: true, Source: "idx"} }
	for _, tt := range []struct {
		name     string
		dir      lookuper
		router   decider
		deadline time.Duration
		wantOK   bool
		panicked bool
	}{
		{"in memory", lookuper{inMemory: true, lookup: found}, decider{}, time.Second, true, false},
		{"in memory, deadline already passed", lookuper{inMemory: true, lookup: found}, decider{}, -time.Second, true, false},
		{"in memory, a rule panics", lookuper{inMemory: true, lookup: found}, decider{panics: true}, time.Second, true, true},
		{"may wait, answers in time", lookuper{lookup: found}, decider{}, time.Second, true, false},
		{"may wait, a rule panics", lookuper{lookup: found}, decider{panics: true}, time.Second, true, true},
		{"may wait, too slow", lookuper{lookup: func(ctx context.Context) directory.Result {
			<-ctx.Done()
			return directory.Result{}
		}}, decider{}, 10 * time.Millisecond, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, ok := Decide(context.Background(), tt.deadline, tt.dir, tt.router, routing.Call{Caller: "+442045205757"}, "hipcall")
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if !ok {
				return
			}
			if (out.Panicked != nil) != tt.panicked {
				t.Errorf("Panicked = %v, want a panic: %v", out.Panicked, tt.panicked)
			}
			if !tt.panicked && (out.Decision.Destination != "1093" || !out.Lookup.Found) {
				t.Errorf("got %+v", out)
			}
		})
	}
}

// TestStringishPlainAgrees: the plain-string fast path answers what
// json.Unmarshal answers.
func TestStringishPlainAgrees(t *testing.T) {
	for _, raw := range []string{`""`, `"+442045205757"`, `"a b"`, `"é"`, `"a\"b"`, `"a\\b"`, `"\u0041"`, `"tab	"`, `"`, `"x`, `"\x7f"`, `123`, `null`} {
		got, present, err := Stringish(json.RawMessage(raw))
		var want string
		werr := json.Unmarshal([]byte(raw), &want)
		if raw == "123" {
			want, werr = "123", nil
		}
		if raw == "null" {
			if present || err != nil {
				t.Errorf("null: present %v, err %v", present, err)
			}
			continue
		}
		if (err == nil) != (werr == nil) || (err == nil && (got != want || !present)) {
			t.Errorf("%s: got %q %v %v, want %q %v", raw, got, present, err, want, werr)
		}
	}
}
