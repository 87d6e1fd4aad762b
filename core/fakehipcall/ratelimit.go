package fakehipcall

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// window is one token's fixed rate-limit window.
type window struct {
	start time.Time
	count int
}

// rateLimit counts a request against the token's window, sets the
// x-ratelimit-* headers (and Retry-After if configured), and reports
// whether the request is over the limit.
func (s *Server) rateLimit(token string, hdr http.Header) bool {
	if s.opts.RateLimit < 0 {
		return false
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.windows[token]
	if w == nil || !now.Before(w.start.Add(time.Minute)) {
		w = &window{start: now}
		s.windows[token] = w
	}
	end := w.start.Add(time.Minute)
	// Announce the reset as a whole second at or after the window's end,
	// so that a client waiting until then finds a new window.
	reset := int64(math.Ceil(float64(end.UnixNano()) / 1e9))
	over := w.count >= s.opts.RateLimit
	if !over {
		w.count++
	}
	hdr.Set("x-ratelimit-limit", strconv.Itoa(s.opts.RateLimit))
	hdr.Set("x-ratelimit-remaining", strconv.Itoa(s.opts.RateLimit-w.count))
	hdr.Set("x-ratelimit-reset", strconv.FormatInt(reset, 10))
	if over && s.opts.RetryAfter {
		secs := int64(math.Ceil(time.Unix(reset, 0).Sub(now).Seconds()))
		hdr.Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
	}
	return over
}
