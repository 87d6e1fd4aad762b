package pipedrivetest

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Rate-limit headers, on every answer of /api/... (401s and 404s
// included) while Options.RateLimit is on.
const (
	// HeaderLimit is how many requests a window admits.
	HeaderLimit = "X-Ratelimit-Limit"
	// HeaderRemaining is how many more the current window admits.
	HeaderRemaining = "X-Ratelimit-Remaining"
	// HeaderReset is how many seconds (a whole number, rounded up) until
	// the current window ends, or, when the daily budget is spent, until
	// the next UTC midnight.
	HeaderReset = "X-Ratelimit-Reset"
)

// DefaultCosts returns the daily-budget cost of a request to each route.
// The figures are invented (the reference says only that each request
// costs tokens): a read of one record 1, a list page 10, a search 20, a
// call log 10. A request that matched no route costs 1; the token endpoint
// costs nothing and is not rate limited.
func DefaultCosts() map[string]int {
	return map[string]int{
		RouteToken: 0, RoutePerson: 1, RouteOrganization: 1,
		RoutePersons: 10, RouteOrganizations: 10,
		RoutePersonsSearch: 20, RouteOrganizationsSearch: 20,
		RouteCallLogs: 10,
	}
}

// limiter counts the company's requests. The fake holds one company
// account: every credential shares these limits.
type limiter struct {
	windowStart time.Time // zero before the first admitted request
	count       int       // requests admitted in the current window
	day         time.Time // the UTC day spent counts
	spent       int       // tokens spent that day
}

// rateLimit sets the rate-limit headers for a request and, when charge,
// counts it against the window and charges its cost to the daily budget.
// When the request is refused it returns the 429 to answer. An uncharged
// request (one that failed authentication) is never refused.
//
// Windows are fixed, not rolling: one starts with the first request
// admitted after the previous one ended, and lasts Options.RateWindow. A
// refused request is neither counted nor charged.
func (s *Server) rateLimit(route string, charge bool, hdr http.Header) (reply, bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	l := &s.limits
	window := s.opts.RateWindow
	if !l.windowStart.IsZero() && !now.Before(l.windowStart.Add(window)) {
		l.windowStart, l.count = time.Time{}, 0
	}
	if day := now.UTC().Truncate(24 * time.Hour); !day.Equal(l.day) {
		l.day, l.spent = day, 0
	}
	cost, ok := s.opts.Costs[route]
	if !ok {
		cost = 1
	}
	refused := ""
	if charge {
		switch {
		case s.opts.DailyBudget > 0 && l.spent+cost > s.opts.DailyBudget:
			refused = "daily"
		case s.opts.RateLimit > 0 && l.count >= s.opts.RateLimit:
			refused = "window"
		default:
			if l.windowStart.IsZero() {
				l.windowStart = now
			}
			l.count++
			l.spent += cost
		}
	}

	// The announced reset: the window's end, or a whole window from now
	// when none is running; the next UTC midnight when the budget is spent.
	end := now.Add(window)
	if !l.windowStart.IsZero() {
		end = l.windowStart.Add(window)
	}
	if refused == "daily" {
		end = l.day.Add(24 * time.Hour)
	}
	reset := max(int64(math.Ceil(end.Sub(now).Seconds())), 1)
	if s.opts.RateLimit > 0 {
		remaining := s.opts.RateLimit - l.count
		if refused == "daily" {
			remaining = 0
		}
		hdr.Set(HeaderLimit, strconv.Itoa(s.opts.RateLimit))
		hdr.Set(HeaderRemaining, strconv.Itoa(max(remaining, 0)))
		hdr.Set(HeaderReset, strconv.FormatInt(reset, 10))
	}
	if refused == "" {
		return reply{}, false
	}
	if s.opts.RetryAfter {
		hdr.Set("Retry-After", strconv.FormatInt(reset, 10))
	}
	if refused == "daily" {
		return apiError(http.StatusTooManyRequests, "Daily token budget exhausted",
			fmt.Sprintf("the company has spent %d of its %d tokens today (this request costs %d); the budget renews at 00:00 UTC, in %d s",
				l.spent, s.opts.DailyBudget, cost, reset)), true
	}
	return apiError(http.StatusTooManyRequests, "Too many requests",
		fmt.Sprintf("more than %d requests in %s; retry in %d s (x-ratelimit-reset)", s.opts.RateLimit, window, reset)), true
}
