package directory

import (
	"testing"
	"time"
)

func TestLRU(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	later := t0.Add(time.Hour)
	res := func(src string) Result { return Result{Source: src} }

	type step struct {
		op      string // put|get|clear
		key     string
		at      time.Time
		expires time.Time
		want    string // get: Source of the hit, "" for a miss
	}
	tests := []struct {
		name    string
		max     int
		steps   []step
		wantLen int
	}{
		{"hit and miss", 2, []step{
			{op: "put", key: "a", expires: later},
			{op: "get", key: "a", at: t0, want: "a"},
			{op: "get", key: "b", at: t0, want: ""},
		}, 1},
		{"evicts least recently used", 2, []step{
			{op: "put", key: "a", expires: later},
			{op: "put", key: "b", expires: later},
			{op: "get", key: "a", at: t0, want: "a"}, // a is now newer than b
			{op: "put", key: "c", expires: later},    // evicts b
			{op: "get", key: "b", at: t0, want: ""},
			{op: "get", key: "a", at: t0, want: "a"},
			{op: "get", key: "c", at: t0, want: "c"},
		}, 2},
		{"expires at its time", 2, []step{
			{op: "put", key: "a", expires: t0.Add(time.Minute)},
			{op: "get", key: "a", at: t0.Add(time.Minute - 1), want: "a"},
			{op: "get", key: "a", at: t0.Add(time.Minute), want: ""},
		}, 0},
		{"put replaces", 1, []step{
			{op: "put", key: "a", expires: t0.Add(time.Second)},
			{op: "put", key: "a", expires: later},
			{op: "get", key: "a", at: t0.Add(time.Minute), want: "a"},
		}, 1},
		{"clear", 3, []step{
			{op: "put", key: "a", expires: later},
			{op: "put", key: "b", expires: later},
			{op: "clear"},
			{op: "get", key: "a", at: t0, want: ""},
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newLRU(tt.max)
			for i, s := range tt.steps {
				switch s.op {
				case "put":
					c.put(s.key, res(s.key), s.expires)
				case "clear":
					c.clear()
				case "get":
					got, ok := c.get(s.key, s.at)
					if ok != (s.want != "") || got.Source != s.want {
						t.Fatalf("step %d: get(%q) = %q, %v; want %q", i, s.key, got.Source, ok, s.want)
					}
				}
			}
			if c.len() != tt.wantLen {
				t.Errorf("len() = %d, want %d", c.len(), tt.wantLen)
			}
		})
	}
}
