package hipcall

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/hashicorp/go-hclog"
)

// Client talks to one Hipcall account through one token. It is safe for
// concurrent use; all goroutines share its request budget (the rate
// limit, handed out by Priority) and its pauses.
type Client struct {
	opts    Options
	rc      *resty.Client
	log     hclog.Logger
	metrics *metrics
	// budget hands out requests: the client-side rate, the pauses
	// (x-ratelimit-remaining 0, 429), the priorities.
	budget *budget

	// total meters every request of the client (Stats); a context's Meter
	// (WithMeter) meters its own share too.
	total Meter
}

// Stats counts what a Client (Client.Stats) or the requests made under one
// context (WithMeter, Meter.Stats) did, for a sync's summary. Requests and
// Retries count what Hipcall saw: a request and its retries are the same
// method, path, query and body, sent again.
type Stats struct {
	// Requests is the number of HTTP requests that reached Hipcall (got a
	// connection), retries included.
	Requests int64
	// Retries is how many of them were retries: resends of a request that
	// got no usable answer (a 429, a 5xx, a timeout or a dropped
	// connection after it reached Hipcall), whether the client resent it
	// itself or its caller did (a sync re-POSTing a create after looking
	// it up, re-sending a PATCH whose answer was lost).
	Retries int64
	// RateLimited is the number of 429 answers.
	RateLimited int64
	// Waited is the wall time during which at least one request was
	// waiting: for the client-side limiter, for a rate-limit window to
	// reset, or between retries. Waits of concurrent requests that overlap
	// count once, so it never exceeds the wall time they span.
	Waited time.Duration
}

// Meter counts the requests made with a context it is attached to
// (WithMeter): one sync run's share of a Client other users share. The
// zero Meter is ready to use; it is safe for concurrent use.
type Meter struct {
	requests, retries, limited atomic.Int64

	mu sync.Mutex
	// failed counts, by request signature, the requests that reached
	// Hipcall and got no usable answer and were not sent again yet.
	failed map[string]int
	// waiting is how many requests wait now, since when the first of them
	// started; waited the union of the waits that ended.
	waiting int
	since   time.Time
	waited  time.Duration
}

// maxFailedSignatures bounds the failed requests a Meter remembers (a
// caller that never resends them would otherwise grow it without end).
const maxFailedSignatures = 4096

// Stats returns what the Meter counted.
func (m *Meter) Stats() Stats {
	m.mu.Lock()
	waited := m.waited
	m.mu.Unlock()
	return Stats{Requests: m.requests.Load(), Retries: m.retries.Load(), RateLimited: m.limited.Load(), Waited: waited}
}

// sent counts a request that reached Hipcall, as a retry when an identical
// one got no usable answer before; failed says this one got none either.
func (m *Meter) sent(sig string, failed bool) {
	m.requests.Add(1)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failed[sig] > 0 {
		m.retries.Add(1)
		if m.failed[sig]--; m.failed[sig] == 0 {
			delete(m.failed, sig)
		}
	}
	if failed {
		if m.failed == nil || len(m.failed) >= maxFailedSignatures {
			m.failed = map[string]int{}
		}
		m.failed[sig]++
	}
}

func (m *Meter) startWait(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.waiting == 0 {
		m.since = now
	}
	m.waiting++
}

func (m *Meter) endWait(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.waiting--; m.waiting == 0 && now.After(m.since) {
		m.waited += now.Sub(m.since)
	}
}

type meterKey struct{}

// WithMeter returns a context whose requests m counts, besides the
// Client's own Stats.
func WithMeter(ctx context.Context, m *Meter) context.Context {
	return context.WithValue(ctx, meterKey{}, m)
}

// meters returns the meters a request made with ctx counts in.
func (c *Client) meters(ctx context.Context) []*Meter {
	if m, ok := ctx.Value(meterKey{}).(*Meter); ok && m != nil && m != &c.total {
		return []*Meter{&c.total, m}
	}
	return []*Meter{&c.total}
}

// New returns a Client, or an error naming every bad option.
func New(opts Options) (*Client, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, fmt.Errorf("hipcall: %w", err)
	}
	base, err := url.Parse(o.BaseURL) // checked by withDefaults
	if err != nil {
		return nil, fmt.Errorf("hipcall: base URL: %w", err)
	}
	rc := resty.NewWithClient(tokenStaysHome(o.HTTPClient, base)).
		SetBaseURL(o.BaseURL).
		SetAuthToken(o.Token).
		SetHeader("Accept", "application/json").
		SetHeader("User-Agent", "switchboard-hipcall").
		SetRetryCount(0).
		SetDisableWarn(true).
		SetLogger(restyLogger{o.Logger.Named("resty")})
	if o.Logger.IsTrace() {
		rc.SetDebug(true).OnRequestLog(func(rl *resty.RequestLog) error {
			if rl.Header.Get("Authorization") != "" {
				rl.Header.Set("Authorization", "Bearer [REDACTED]")
			}
			return nil
		})
	}
	return &Client{
		opts:    o,
		rc:      rc,
		log:     o.Logger,
		metrics: m,
		budget:  newBudget(o.RateLimit, o.Burst, o.Now, o.Sleep, m),
	}, nil
}

// BaseURL returns the API base URL the client sends to.
func (c *Client) BaseURL() string { return c.opts.BaseURL }

// TokenDigest returns a non-reversible digest of the client's token (a
// domain-separated SHA-256, hex): enough to notice that a state was made
// with another token, never enough to recover it.
func (c *Client) TokenDigest() string {
	sum := sha256.Sum256([]byte("switchboard state binding\x00" + c.opts.Token))
	return hex.EncodeToString(sum[:16])
}

// Stats returns the client's counters, over every request since it was
// created.
func (c *Client) Stats() Stats { return c.total.Stats() }

// request describes one API call.
type request struct {
	method string
	// route is the path template relative to the base URL, with {name}
	// placeholders filled from params (path-escaped). It is the metrics'
	// route label.
	route  string
	params map[string]string
	query  url.Values
	body   any
	// retryPOST opts a POST into retries after it may have reached
	// Hipcall (duplicates harmless).
	retryPOST bool
	// whole decodes the entire 2xx body into out, not only its "data".
	whole bool
	// advice, when not nil, says what to do about an error answer, for
	// this endpoint ("" for the status's generic hint).
	advice func(*APIError) string
	// maybeApplied says what to do when a request that is not retried
	// may have been applied ("" for the generic message).
	maybeApplied string
}

// path returns the request's escaped path, for messages.
func (r *request) path() string {
	p := r.route
	for k, v := range r.params {
		p = strings.ReplaceAll(p, "{"+k+"}", url.PathEscape(v))
	}
	return p
}

func (r *request) idempotent() bool { return r.method != http.MethodPost || r.retryPOST }

// signature identifies the request as Hipcall sees it (method, path,
// query, body), to tell its retries.
func (r *request) signature() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s?%s\n", r.method, r.path(), r.query.Encode())
	if r.body != nil {
		b, _ := json.Marshal(r.body)
		h.Write(b)
	}
	return string(h.Sum(nil))
}

// attempt is the outcome of sending a request once.
type attempt struct {
	status  int
	header  http.Header
	body    []byte
	reached bool // the request got a connection, so it may have reached Hipcall
	err     error
}

// do sends req, retrying as the rules allow, and decodes a 2xx body's
// "data" into out (when out is not nil).
func (c *Client) do(ctx context.Context, req request, out any) error {
	path := req.path()
	sig := req.signature()
	meters := c.meters(ctx)
	for n := 1; ; n++ {
		if err := c.waitTurn(ctx, meters); err != nil {
			return &RequestError{Method: req.method, Path: path, Attempts: n - 1, Err: err}
		}
		a := c.send(ctx, &req)
		if a.reached {
			failed := a.err != nil || a.status == http.StatusTooManyRequests || a.status >= 500
			for _, m := range meters {
				m.sent(sig, failed)
			}
		}
		c.noteRateHeaders(a.header)
		retriesLeft := n <= c.opts.MaxRetries

		if a.err != nil {
			if ctx.Err() != nil {
				return &RequestError{Method: req.method, Path: path, Attempts: n, Err: a.err}
			}
			reason := "network"
			if isTimeout(a.err) {
				reason = "timeout"
			}
			safe := req.idempotent() || !a.reached
			if !safe || !retriesLeft {
				re := &RequestError{Method: req.method, Path: path, Attempts: n, MaybeApplied: !safe, Err: a.err}
				if !safe {
					re.advice = req.maybeApplied
				}
				return re
			}
			if err := c.backoff(ctx, meters, &req, n, reason); err != nil {
				return &RequestError{Method: req.method, Path: path, Attempts: n, Err: err}
			}
			continue
		}

		if a.status >= 200 && a.status < 300 {
			return decodeData(a.body, out, req.whole, req.method, path)
		}
		apiErr := decodeAPIError(a.status, req.method, path, a.body)
		apiErr.Attempts = n
		if req.advice != nil {
			apiErr.advice = req.advice(apiErr)
		}
		switch {
		case a.status == http.StatusTooManyRequests:
			for _, m := range meters {
				m.limited.Add(1)
			}
			wait, fromRetryAfter := c.serverWait(a.header)
			apiErr.RetryAfter = wait
			if !retriesLeft {
				return apiErr
			}
			// A 429 was refused before it was processed: safe to resend
			// even a POST.
			if wait <= 0 {
				if err := c.backoff(ctx, meters, &req, n, "429"); err != nil {
					return &RequestError{Method: req.method, Path: path, Attempts: n, Err: err}
				}
				continue
			}
			c.pause(wait, fromRetryAfter)
			c.countRetry(&req, n, "429", wait)
		case a.status >= 500 && req.idempotent() && retriesLeft:
			if err := c.backoff(ctx, meters, &req, n, "5xx"); err != nil {
				return &RequestError{Method: req.method, Path: path, Attempts: n, Err: err}
			}
		default:
			return apiErr
		}
	}
}

// send makes one HTTP attempt.
func (c *Client) send(ctx context.Context, req *request) attempt {
	actx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	// GotConn runs in this goroutine, inside Execute, when the transport
	// hands the request a connection. If it never ran, the request was
	// never written anywhere: it surely did not reach Hipcall. (Checking
	// WroteRequest instead would race: the transport's write loop may
	// still write the request after Execute gave up on the timeout.)
	var gotConn atomic.Bool
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { gotConn.Store(true) },
	})
	r := c.rc.R().SetContext(actx)
	if len(req.params) > 0 {
		r.SetPathParams(req.params)
	}
	if len(req.query) > 0 {
		r.SetQueryParamsFromValues(req.query)
	}
	if req.body != nil {
		r.SetHeader("Content-Type", "application/json").SetBody(req.body)
	}
	start := time.Now()
	resp, err := r.Execute(req.method, req.route)
	elapsed := time.Since(start)
	c.metrics.seconds.WithLabelValues(req.method, req.route).Observe(elapsed.Seconds())
	if err != nil {
		c.metrics.requests.WithLabelValues(req.method, req.route, "error").Inc()
		c.log.Debug("hipcall request failed", "method", req.method, "route", req.route, "duration", elapsed, "error", err)
		return attempt{err: err, reached: gotConn.Load()}
	}
	code := resp.StatusCode()
	c.metrics.requests.WithLabelValues(req.method, req.route, strconv.Itoa(code)).Inc()
	c.log.Debug("hipcall request", "method", req.method, "route", req.route, "status", code, "duration", elapsed)
	return attempt{status: code, header: resp.Header(), body: resp.Body(), reached: true}
}

// waitTurn waits, in the order of ctx's Priority, until no pause holds
// requests (Hipcall's rate-limit window is spent, a 429 asked to wait) and
// the client-side rate allows one. A wait that ctx ends uses no request.
func (c *Client) waitTurn(ctx context.Context, meters []*Meter) error {
	return c.budget.wait(ctx, PriorityFrom(ctx), meters)
}

// sleep waits d through the Sleep hook, as a wait of the meters: from
// the clock's time before to its time after (a wait cut short by ctx
// counts as far as it went).
func (c *Client) sleep(ctx context.Context, meters []*Meter, d time.Duration) error {
	start := c.opts.Now()
	for _, m := range meters {
		m.startWait(start)
	}
	err := c.opts.Sleep(ctx, d)
	end := c.opts.Now()
	for _, m := range meters {
		m.endWait(end)
	}
	return err
}

// backoff logs a retry and waits the n-th backoff.
func (c *Client) backoff(ctx context.Context, meters []*Meter, req *request, n int, reason string) error {
	d := backoffDelay(c.opts.RetryWaitMin, c.opts.RetryWaitMax, n, rand.Float64())
	c.countRetry(req, n, reason, d)
	return c.sleep(ctx, meters, d)
}

func (c *Client) countRetry(req *request, n int, reason string, wait time.Duration) {
	c.metrics.retries.WithLabelValues(reason).Inc()
	c.log.Debug("hipcall retrying", "method", req.method, "route", req.route, "attempt", n, "reason", reason, "wait", wait)
}

// backoffDelay is the full-jitter backoff after the n-th attempt (n >= 1):
// a uniform draw (r in [0,1)) from zero to min(max, min*2^(n-1)).
func backoffDelay(lo, hi time.Duration, n int, r float64) time.Duration {
	bound := hi
	if n-1 < 62 && lo > 0 {
		if b := lo << (n - 1); b > 0 && b < hi {
			bound = b
		}
	}
	return time.Duration(r * float64(bound))
}

// serverWait reads how long a 429 asks to wait: Retry-After (seconds or an
// HTTP date) when present, else until x-ratelimit-reset. It reports whether
// the wait came from Retry-After. The wait is capped at MaxRetryWait.
func (c *Client) serverWait(h http.Header) (time.Duration, bool) {
	now := c.opts.Now()
	if d, ok := parseRetryAfter(h.Get("Retry-After"), now); ok {
		return min(d, c.opts.MaxRetryWait), true
	}
	if reset, ok := parseReset(h); ok {
		return min(max(reset.Sub(now), 0), c.opts.MaxRetryWait), false
	}
	return 0, false
}

// noteRateHeaders pauses every request until the window resets once
// x-ratelimit-remaining reaches 0.
func (c *Client) noteRateHeaders(h http.Header) {
	if h == nil || strings.TrimSpace(h.Get("x-ratelimit-remaining")) != "0" {
		return
	}
	reset, ok := parseReset(h)
	if !ok {
		return
	}
	if d := min(reset.Sub(c.opts.Now()), c.opts.MaxRetryWait); d > 0 {
		c.pause(d, false)
	}
}

// pause stops requests for d from now. An exact pause (Retry-After)
// replaces the current one; otherwise a pause only ever extends.
func (c *Client) pause(d time.Duration, exact bool) {
	if c.budget.pause(c.opts.Now().Add(d), exact) {
		c.log.Debug("hipcall rate limit reached; pausing requests", "wait", d)
	}
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// parseReset reads x-ratelimit-reset (unix seconds).
func parseReset(h http.Header) (time.Time, bool) {
	secs, err := strconv.ParseInt(strings.TrimSpace(h.Get("x-ratelimit-reset")), 10, 64)
	if err != nil || secs <= 0 {
		return time.Time{}, false
	}
	return time.Unix(secs, 0), true
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// decodeData decodes {"data": ...} into out, or the whole body when whole
// is set.
func decodeData(body []byte, out any, whole bool, method, path string) error {
	if out == nil || len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	var target any = &struct {
		Data any `json:"data"`
	}{Data: out}
	if whole {
		target = out
	}
	if err := json.Unmarshal(body, target); err != nil {
		return fmt.Errorf("hipcall: %s %s: decode answer: %w (Hipcall's API may have changed; report this with the body: %s)",
			method, path, err, truncate(string(body), 200))
	}
	return nil
}

// restyLogger sends resty's own log lines to hclog.
type restyLogger struct{ l hclog.Logger }

func (r restyLogger) Errorf(format string, v ...any) { r.l.Debug(fmt.Sprintf(format, v...)) }
func (r restyLogger) Warnf(format string, v ...any)  { r.l.Debug(fmt.Sprintf(format, v...)) }
func (r restyLogger) Debugf(format string, v ...any) { r.l.Trace(fmt.Sprintf(format, v...)) }
