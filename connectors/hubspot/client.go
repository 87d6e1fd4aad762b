package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/hashicorp/go-hclog"
	"golang.org/x/time/rate"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Rate-limit policies HubSpot names in a 429's policyName.
const (
	policyTenSecondly = "TEN_SECONDLY_ROLLING"
	policySecondly    = "SECONDLY"
	policyDaily       = "DAILY"
)

// Retry timing.
const (
	backoffMin = 100 * time.Millisecond
	backoffMax = 2 * time.Second
	// maxRateWaits bounds how often one call waits out a 429 (a context
	// without deadline would otherwise wait for ever).
	maxRateWaits = 5
	// tenSecondWindow and searchWindow are HubSpot's rolling windows.
	tenSecondWindow = 10 * time.Second
	searchWindow    = time.Second
)

// clock is the time source of a client (tests replace it).
type clock struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

var realClock = clock{now: time.Now, sleep: sleepCtx}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// client sends requests to one HubSpot account through one token, within
// its rate limits. It is safe for concurrent use.
type client struct {
	rc         *resty.Client
	base, host string
	maxRetries int
	log        hclog.Logger
	clock      clock
	search     *rate.Limiter // search requests
	general    *rate.Limiter // every other request
	change     *rate.Limiter // changed-since searches, before search

	mu sync.Mutex
	// pausedUntil holds requests back after a 429, per limiter: search
	// (true) and the rest (false).
	pausedUntil map[bool]time.Time
}

func newClient(s *settings, log hclog.Logger, clk clock) *client {
	rc := resty.New().
		SetBaseURL(s.baseURL).
		SetAuthToken(s.token).
		SetTimeout(s.timeout).
		SetHeader("Accept", "application/json").
		SetHeader("User-Agent", "switchboard-connector-hubspot/"+Version).
		SetRetryCount(0).
		SetDisableWarn(true).
		SetLogger(restyLogger{log.Named("resty")})
	return &client{
		rc:          rc,
		base:        s.baseURL,
		host:        s.host,
		maxRetries:  s.maxRetries,
		log:         log,
		clock:       clk,
		search:      windowLimiter(s.searchPerSecond, searchWindow),
		general:     windowLimiter(s.requestsPer10s, tenSecondWindow),
		change:      windowLimiter(s.changeSearchPerSecond, searchWindow),
		pausedUntil: map[bool]time.Time{},
	}
}

// windowLimiter returns a token bucket that never lets more than n
// requests through in any rolling window: a burst of b = n/10 (at least 1)
// refilled at (n-b+1)/window, so that at most b + (n-b+1)·T/window < n+1
// requests pass in any stretch T shorter than the window.
//
// The refill is spread over the window stretched by limiterSlack, so that
// requests sent exactly at the limit and reaching HubSpot with network
// jitter (one a millisecond late, the next a millisecond early) still fit
// its rolling window: without it, a steady 5 lookups a second drew an
// occasional SECONDLY 429.
func windowLimiter(n int, window time.Duration) *rate.Limiter {
	b := max(1, n/10)
	return rate.NewLimiter(rate.Limit(float64(n-b+1)/(window.Seconds()*limiterSlack)), b)
}

// limiterSlack stretches a limiter's window (see windowLimiter).
const limiterSlack = 1.05

// call is one API request.
type call struct {
	op     string // the contract method, for errors
	method string
	path   string
	query  url.Values
	body   any
	search bool // counts against the search limit
	change bool // a changed-since search: also counts against its share
	// unsafe marks a request that is not idempotent (a create): once it
	// may have reached HubSpot, a network failure or a 5xx is not retried
	// but reported with an unknownOutcome cause (write.go decides what to
	// do); a 429, or a failure to connect, is still retried, as HubSpot
	// applied nothing.
	unsafe bool
}

// unknownOutcome is the cause of an unsafe request's error when HubSpot
// may or may not have applied it: its answer was lost (a dropped
// connection, a timeout, a cancelled call) or was a 5xx, which a gateway
// may send after HubSpot did the work.
type unknownOutcome struct{ cause error }

// unknownOutcomeText is unknownOutcome's text, which the messages of the
// errors it causes contain.
const unknownOutcomeText = "HubSpot may or may not have applied it"

func (e *unknownOutcome) Error() string { return unknownOutcomeText }
func (e *unknownOutcome) Unwrap() error { return e.cause }

// isUnknownOutcome reports whether err is an unsafe request's failure
// whose outcome is unknown.
func isUnknownOutcome(err error) bool {
	var u *unknownOutcome
	return errors.As(err, &u)
}

// statusError is the cause of an error HubSpot answered with a 4xx
// status, for callers that handle some (a 409, a 404) themselves.
type statusError struct {
	status int
	api    apiError
}

func (e *statusError) Error() string { return e.api.describe(e.status) }

// httpStatus returns the 4xx status and body of an error HubSpot
// answered, or 0.
func httpStatus(err error) (int, *apiError) {
	var se *statusError
	if errors.As(err, &se) {
		return se.status, &se.api
	}
	return 0, nil
}

// apiError is HubSpot's error body.
type apiError struct {
	Status        string `json:"status"`
	Message       string `json:"message"`
	CorrelationID string `json:"correlationId"`
	Category      string `json:"category"`
	ErrorType     string `json:"errorType"`
	PolicyName    string `json:"policyName"`
}

// describe is the error's message with its category and correlation id.
func (e *apiError) describe(status int) string {
	msg := strings.TrimSpace(e.Message)
	if msg == "" {
		msg = http.StatusText(status)
	}
	var tags []string
	if e.Category != "" {
		tags = append(tags, e.Category)
	}
	if e.CorrelationID != "" {
		tags = append(tags, "correlationId "+e.CorrelationID)
	}
	if len(tags) > 0 {
		msg += " (" + strings.Join(tags, ", ") + ")"
	}
	return fmt.Sprintf("HubSpot answered %d: %s", status, msg)
}

// do sends c, retrying as the rules in the package documentation say, and
// decodes a 2xx body into out.
func (cl *client) do(ctx context.Context, c call, out any) error {
	// retries counts retries after failures (5xx, network); rateWaits the
	// 429s waited out, which do not use up retries.
	retries, rateWaits := 0, 0
	for {
		if err := cl.waitTurn(ctx, c); err != nil {
			return err
		}
		req := cl.rc.R().SetContext(ctx)
		if c.query != nil {
			req.SetQueryParamsFromValues(c.query)
		}
		if c.body != nil {
			req.SetBody(c.body)
		}
		resp, err := req.Execute(c.method, c.path)
		if err != nil {
			reason := "network failure"
			if isTimeout(err) {
				reason = "timeout"
			}
			if c.unsafe && !notSent(err) {
				if ctx.Err() != nil {
					reason, err = "the call ended", ctx.Err()
				}
				return &connectors.Error{Class: connectors.ClassUnavailable, Op: c.op, Err: &unknownOutcome{cause: err},
					Message: fmt.Sprintf("%s %s at %s got no answer (%s: %s): %s", c.method, c.path, cl.host, reason, redactURL(err), unknownOutcomeText)}
			}
			if ctx.Err() != nil {
				return ctxError(c.op, ctx)
			}
			if retries < cl.maxRetries {
				cl.log.Debug("retrying HubSpot request", "op", c.op, "path", c.path, "reason", reason, "error", err)
				if err := cl.backoff(ctx, c, retries); err != nil {
					return err
				}
				retries++
				continue
			}
			return connectors.Errorf(connectors.ClassUnavailable, c.op,
				"cannot reach HubSpot at %s (%s after %d attempts): %v; check base_url, the network and https://status.hubspot.com",
				cl.host, reason, retries+1, redactURL(err))
		}

		status := resp.StatusCode()
		if status >= 200 && status < 300 {
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(resp.Body(), out); err != nil {
				return connectors.Errorf(connectors.ClassUnavailable, c.op,
					"HubSpot at %s answered %s %s with a body that is not the expected JSON (%v): is base_url the HubSpot API's root?",
					cl.host, c.method, c.path, err)
			}
			return nil
		}
		var ae apiError
		_ = json.Unmarshal(resp.Body(), &ae)
		switch {
		case status == http.StatusTooManyRequests:
			if ae.PolicyName == policyDaily {
				return connectors.Errorf(connectors.ClassRateLimited, c.op,
					"%s: the account's daily API limit is used up until midnight (the account's time zone); "+
						"lower the connector's refresh rate or raise the HubSpot tier", ae.describe(status))
			}
			rateWaits++
			wait := cl.rateWait(&ae, resp.Header(), rateWaits)
			if rateWaits > maxRateWaits {
				return connectors.Errorf(connectors.ClassRateLimited, c.op, "%s, %d times in a row; giving up", ae.describe(status), rateWaits)
			}
			cl.pause(c.search, wait)
			cl.log.Debug("HubSpot rate limit reached; pausing", "op", c.op, "policy", ae.PolicyName, "wait", wait)
			continue
		case status >= 500 && c.unsafe:
			return &connectors.Error{Class: connectors.ClassUnavailable, Op: c.op, Err: &unknownOutcome{},
				Message: fmt.Sprintf("%s: %s", ae.describe(status), unknownOutcomeText)}
		case status >= 500:
			if retries < cl.maxRetries {
				cl.log.Debug("retrying HubSpot request", "op", c.op, "path", c.path, "status", status)
				if err := cl.backoff(ctx, c, retries); err != nil {
					return err
				}
				retries++
				continue
			}
			return connectors.Errorf(connectors.ClassUnavailable, c.op, "%s, after %d attempts; HubSpot is failing, see https://status.hubspot.com",
				ae.describe(status), retries+1)
		case status == http.StatusUnauthorized:
			return connectors.Errorf(connectors.ClassUnauthorized, c.op,
				"%s: HubSpot refused the token; check token: in the connector's config (a private app token, not an API key)", ae.describe(status))
		case status == http.StatusForbidden && c.unsafe:
			return connectors.Errorf(connectors.ClassUnauthorized, c.op,
				"%s: the token lacks a scope; give the private app crm.objects.contacts.write (logging calls and creating contacts need it)",
				ae.describe(status))
		case status == http.StatusForbidden:
			return connectors.Errorf(connectors.ClassUnauthorized, c.op,
				"%s: the token lacks a scope; give the private app crm.objects.contacts.read and crm.objects.companies.read", ae.describe(status))
		case status == http.StatusNotFound:
			return connectors.Errorf(connectors.ClassBadConfig, c.op,
				"%w for %s %s%s: is base_url the HubSpot API's root (%s)?", &statusError{status, ae}, c.method, cl.base, c.path, DefaultBaseURL)
		default:
			return connectors.Errorf(connectors.ClassInvalidRequest, c.op, "%w", &statusError{status, ae})
		}
	}
}

// waitTurn waits for any 429 pause and the client-side limiter. It fails
// at once with a rate_limited error when the caller's deadline would pass
// before the turn comes.
func (cl *client) waitTurn(ctx context.Context, c call) error {
	if err := ctx.Err(); err != nil {
		return ctxError(c.op, ctx)
	}
	cl.mu.Lock()
	until := cl.pausedUntil[c.search]
	cl.mu.Unlock()
	if wait := until.Sub(cl.clock.now()); wait > 0 {
		if dl, ok := ctx.Deadline(); ok && dl.Before(until) {
			return connectors.Errorf(connectors.ClassRateLimited, c.op,
				"HubSpot's rate limit holds requests back for another %s, past this call's deadline", wait.Round(time.Millisecond))
		}
		if err := cl.clock.sleep(ctx, wait); err != nil {
			return ctxError(c.op, ctx)
		}
	}
	if c.change {
		if err := cl.change.Wait(ctx); err != nil {
			if ctx.Err() != nil {
				return ctxError(c.op, ctx)
			}
			return connectors.Errorf(connectors.ClassRateLimited, c.op,
				"the connector's own limit of %g changed-since searches per second (rate_limit.change_search_per_second) would hold this call past its deadline",
				limitPerWindow(cl.change, true))
		}
	}
	lim, what := cl.general, "requests per 10 seconds"
	if c.search {
		lim, what = cl.search, "searches per second"
	}
	if err := lim.Wait(ctx); err != nil {
		if ctx.Err() != nil {
			return ctxError(c.op, ctx)
		}
		return connectors.Errorf(connectors.ClassRateLimited, c.op,
			"the connector's own limit of %g %s (rate_limit in its config) would hold this call past its deadline",
			limitPerWindow(lim, c.search), what)
	}
	return nil
}

// limitPerWindow is the configured n of a windowLimiter, for messages.
func limitPerWindow(l *rate.Limiter, search bool) float64 {
	window := tenSecondWindow
	if search {
		window = searchWindow
	}
	return math.Round(float64(l.Limit())*window.Seconds()*limiterSlack) + float64(l.Burst()) - 1
}

// rateWait is how long to pause after the nth 429 in a row: Retry-After if
// HubSpot sent one, else the policy's window (a second for SECONDLY) or,
// for the ten-second window, a backoff from one second up to the window.
func (cl *client) rateWait(ae *apiError, hdr http.Header, n int) time.Duration {
	if s := hdr.Get("Retry-After"); s != "" {
		if secs, err := strconv.Atoi(s); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second
		}
	}
	if ae.PolicyName == policySecondly {
		return searchWindow
	}
	return min(time.Second<<(n-1), tenSecondWindow)
}

// pause holds back requests of one limiter for d.
func (cl *client) pause(search bool, d time.Duration) {
	until := cl.clock.now().Add(d)
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if until.After(cl.pausedUntil[search]) {
		cl.pausedUntil[search] = until
	}
}

// backoff waits before retry number retry+1: full jitter up to an
// exponential bound.
func (cl *client) backoff(ctx context.Context, c call, retry int) error {
	bound := min(backoffMin<<retry, backoffMax)
	d := time.Duration(rand.Int64N(int64(bound)) + 1)
	if dl, ok := ctx.Deadline(); ok && cl.clock.now().Add(d).After(dl) {
		return ctxErrorOr(c.op, ctx, connectors.Errorf(connectors.ClassUnavailable, c.op,
			"HubSpot at %s failed and the call's deadline leaves no time to retry", cl.host))
	}
	if err := cl.clock.sleep(ctx, d); err != nil {
		return ctxError(c.op, ctx)
	}
	return nil
}

// ctxError is the error of a call whose context ended: classified
// unavailable, wrapping the context's error so errors.Is finds it.
func ctxError(op string, ctx context.Context) error {
	err := ctx.Err()
	if err == nil {
		err = context.Canceled
	}
	msg := "the call was cancelled"
	if errors.Is(err, context.DeadlineExceeded) {
		msg = "the call's deadline passed before HubSpot answered"
	}
	return &connectors.Error{Class: connectors.ClassUnavailable, Op: op, Message: msg, Err: err}
}

// ctxErrorOr is ctxError when ctx has ended, else err.
func ctxErrorOr(op string, ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctxError(op, ctx)
	}
	return err
}

// notSent reports whether a request failed before any of it reached
// HubSpot: the connection could not be made.
func notSent(err error) bool {
	var oe *net.OpError
	var de *net.DNSError
	return errors.As(err, &de) || (errors.As(err, &oe) && oe.Op == "dial")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// redactURL returns err's text without the request URL's query, which
// never holds the token but may be long.
func redactURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// restyLogger sends resty's own messages to hclog at debug level.
type restyLogger struct{ log hclog.Logger }

func (l restyLogger) Errorf(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l restyLogger) Warnf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l restyLogger) Debugf(format string, v ...any) { l.log.Trace(fmt.Sprintf(format, v...)) }
