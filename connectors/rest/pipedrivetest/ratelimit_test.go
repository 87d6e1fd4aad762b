package pipedrivetest

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// step is one request of a rate-limit scenario, after advancing the clock.
type step struct {
	name          string
	advance       time.Duration
	path          string
	noAuth        bool
	status        int
	remaining     int
	reset         int
	infoHas       string // for a 429
	wantRetryAfer string
}

func runSteps(t *testing.T, s *Server, clock *Clock, steps []step) {
	t.Helper()
	for _, st := range steps {
		clock.Advance(st.advance)
		a := do(t, s, req{path: st.path, noAuth: st.noAuth})
		if a.status != st.status {
			t.Fatalf("%s: status %d, want %d (%s)", st.name, a.status, st.status, a.raw)
		}
		if st.status == http.StatusTooManyRequests {
			a.wantError(t, 429, st.infoHas)
		}
		if got := a.header.Get(HeaderRemaining); got != strconv.Itoa(st.remaining) {
			t.Errorf("%s: %s = %q, want %d", st.name, HeaderRemaining, got, st.remaining)
		}
		if got := a.header.Get(HeaderReset); got != strconv.Itoa(st.reset) {
			t.Errorf("%s: %s = %q, want %d", st.name, HeaderReset, got, st.reset)
		}
		if got := a.header.Get("Retry-After"); got != st.wantRetryAfer {
			t.Errorf("%s: Retry-After = %q, want %q", st.name, got, st.wantRetryAfer)
		}
	}
}

func TestRateLimitWindow(t *testing.T) {
	s, clock := start(t, Options{RateLimit: 3, RateWindow: 2 * time.Second})
	s.Seed()
	runSteps(t, s, clock, []step{
		{name: "401s are announced, not counted", path: "/api/v2/persons", noAuth: true, status: 401, remaining: 3, reset: 2},
		{name: "first request starts a window", path: "/api/v2/persons", status: 200, remaining: 2, reset: 2},
		{name: "half a second in", advance: 500 * time.Millisecond, path: "/api/v2/persons/1", status: 200, remaining: 1, reset: 2},
		{name: "1.1 s in: a 404 counts too", advance: 600 * time.Millisecond, path: "/api/v2/deals", status: 404, remaining: 0, reset: 1},
		{name: "over the limit", path: "/api/v2/persons/search?term=ada", status: 429, remaining: 0, reset: 1, infoHas: "more than 3 requests in 2s"},
		{name: "a millisecond before the window ends", advance: 899 * time.Millisecond, path: "/api/v2/persons", status: 429, remaining: 0, reset: 1, infoHas: "retry in 1 s"},
		{name: "the window ends: recovery", advance: time.Millisecond, path: "/api/v2/persons", status: 200, remaining: 2, reset: 2},
		{name: "a 401 within a window", path: "/api/v2/persons", noAuth: true, status: 401, remaining: 2, reset: 2},
		{name: "a 400 is counted", path: "/api/v2/persons?limit=0", status: 400, remaining: 1, reset: 2},
		{name: "long after: a new window", advance: time.Hour, path: "/api/v2/organizations", status: 200, remaining: 2, reset: 2},
	})
	if a := get(t, s, "/api/v2/persons"); a.header.Get(HeaderLimit) != "3" {
		t.Errorf("%s = %q", HeaderLimit, a.header.Get(HeaderLimit))
	}
	// The 429s were recorded with their status.
	n := 0
	for _, r := range s.Log().Requests() {
		if r.Status == 429 {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d requests logged with 429, want 2", n)
	}
}

func TestRateLimitRetryAfter(t *testing.T) {
	s, clock := start(t, Options{RateLimit: 1, RateWindow: 10 * time.Second, RetryAfter: true})
	runSteps(t, s, clock, []step{
		{name: "admitted: no Retry-After", path: "/api/v2/persons", status: 200, remaining: 0, reset: 10},
		{name: "refused", advance: 2500 * time.Millisecond, path: "/api/v2/persons", status: 429, remaining: 0, reset: 8, infoHas: "retry in 8 s", wantRetryAfer: "8"},
	})
}

func TestRateLimitOff(t *testing.T) {
	s, _ := start(t, Options{RateLimit: Unlimited})
	for i := 0; i < 50; i++ {
		if a := get(t, s, "/api/v2/persons"); a.status != 200 || a.header.Get(HeaderLimit) != "" {
			t.Fatalf("request %d: %d %v", i, a.status, a.header)
		}
	}
}

func TestDailyBudget(t *testing.T) {
	s, clock := start(t, Options{RateLimit: 1000, RateWindow: time.Second, DailyBudget: 25})
	s.Seed()
	// The clock is at 2026-12-01 10:00:00.5 UTC: midnight is 13:59:59.5 away.
	const toMidnight = 14 * 3600
	runSteps(t, s, clock, []step{
		{name: "list costs 10", path: "/api/v2/persons", status: 200, remaining: 999, reset: 1},
		{name: "another list", path: "/api/v2/organizations", status: 200, remaining: 998, reset: 1},
		{name: "a third list is over budget", path: "/api/v2/persons", status: 429, remaining: 0, reset: toMidnight, infoHas: "spent 20 of its 25 tokens today (this request costs 10)"},
		{name: "a search costs 20", path: "/api/v2/persons/search?term=ada", status: 429, remaining: 0, reset: toMidnight, infoHas: "costs 20"},
		{name: "a get costs 1", path: "/api/v2/persons/1", status: 200, remaining: 997, reset: 1},
		{name: "and a 404 costs 1", path: "/api/v2/nothing", status: 404, remaining: 996, reset: 1},
		{name: "get", path: "/api/v2/persons/2", status: 200, remaining: 995, reset: 1},
		{name: "get", path: "/api/v2/persons/3", status: 200, remaining: 994, reset: 1},
		{name: "get: 25 spent", path: "/api/v2/persons/4", status: 200, remaining: 993, reset: 1},
		{name: "spent", path: "/api/v2/persons/5", status: 429, remaining: 0, reset: toMidnight, infoHas: "renews at 00:00 UTC"},
		{name: "a minute before midnight", advance: 13*time.Hour + 59*time.Minute, path: "/api/v2/persons/5", status: 429, remaining: 0, reset: 60, infoHas: "in 60 s"},
		{name: "the next day", advance: time.Minute, path: "/api/v2/persons", status: 200, remaining: 999, reset: 1},
	})
}

func TestCustomCosts(t *testing.T) {
	s, clock := start(t, Options{RateLimit: 1000, DailyBudget: 3, Costs: map[string]int{RoutePersons: 1, RouteCallLogs: 3}})
	runSteps(t, s, clock, []step{
		{name: "1", path: "/api/v2/persons", status: 200, remaining: 999, reset: 2},
		{name: "2", path: "/api/v2/persons", status: 200, remaining: 998, reset: 2},
		{name: "3", path: "/api/v2/persons", status: 200, remaining: 997, reset: 2},
		{name: "4", path: "/api/v2/persons", status: 429, remaining: 0, reset: 14 * 3600, infoHas: "costs 1"},
	})
	defer func() {
		if recover() == nil {
			t.Error("a cost for an unknown route did not panic")
		}
	}()
	New(Options{Costs: map[string]int{"GET /api/v2/deals": 1}})
}
