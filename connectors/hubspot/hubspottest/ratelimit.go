package hubspottest

import (
	"net/http"
	"strconv"
	"time"
)

// Rate-limit windows.
const (
	tenSecondWindow = 10 * time.Second
	searchWindow    = time.Second
)

// Rate-limit headers, as HubSpot sends them on every answer but search's.
const (
	HeaderDaily          = "X-HubSpot-RateLimit-Daily"
	HeaderDailyRemaining = "X-HubSpot-RateLimit-Daily-Remaining"
	HeaderInterval       = "X-HubSpot-RateLimit-Interval-Milliseconds"
	HeaderMax            = "X-HubSpot-RateLimit-Max"
	HeaderRemaining      = "X-HubSpot-RateLimit-Remaining"
)

// tokenLimits counts one token's requests.
type tokenLimits struct {
	tenSecond []time.Time // accepted requests (search excepted) in the last ten seconds
	search    []time.Time // accepted searches in the last second
	day       time.Time   // the UTC day dayCount counts
	dayCount  int
}

// rateLimit counts a request against the token's limits and sets the
// rate-limit headers. It returns the policy that refuses the request, or ""
// when it may go ahead.
func (s *Server) rateLimit(token string, search bool, hdr http.Header) string {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.limits[token]
	if l == nil {
		l = &tokenLimits{}
		s.limits[token] = l
	}
	if day := now.UTC().Truncate(24 * time.Hour); !day.Equal(l.day) {
		l.day, l.dayCount = day, 0
	}
	l.tenSecond = within(l.tenSecond, now, tenSecondWindow)
	l.search = within(l.search, now, searchWindow)

	policy := ""
	switch {
	case s.opts.DailyLimit > 0 && l.dayCount >= s.opts.DailyLimit:
		policy = PolicyDaily
	case search && s.opts.SearchPerSecond > 0 && len(l.search) >= s.opts.SearchPerSecond:
		policy = PolicySecondly
	case !search && s.opts.TenSecondLimit > 0 && len(l.tenSecond) >= s.opts.TenSecondLimit:
		policy = PolicyTenSecondly
	}
	if policy == "" {
		l.dayCount++
		if search {
			l.search = append(l.search, now)
		} else {
			l.tenSecond = append(l.tenSecond, now)
		}
	}
	if !search {
		if s.opts.DailyLimit > 0 {
			hdr.Set(HeaderDaily, strconv.Itoa(s.opts.DailyLimit))
			hdr.Set(HeaderDailyRemaining, strconv.Itoa(max(0, s.opts.DailyLimit-l.dayCount)))
		}
		if s.opts.TenSecondLimit > 0 {
			hdr.Set(HeaderInterval, strconv.Itoa(int(tenSecondWindow/time.Millisecond)))
			hdr.Set(HeaderMax, strconv.Itoa(s.opts.TenSecondLimit))
			hdr.Set(HeaderRemaining, strconv.Itoa(max(0, s.opts.TenSecondLimit-len(l.tenSecond))))
		}
	}
	return policy
}

// within drops the times at or before now-window (a rolling window).
func within(times []time.Time, now time.Time, window time.Duration) []time.Time {
	cut := now.Add(-window)
	i := 0
	for i < len(times) && !times[i].After(cut) {
		i++
	}
	return append(times[:0], times[i:]...)
}
