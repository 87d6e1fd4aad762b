package rest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/tidwall/gjson"

	"github.com/switchboard-hq/switchboard/connectors"
)

// clock is the connector's time, replaced in tests.
type clock struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

var realClock = clock{now: time.Now, sleep: func(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}}

// maxBody is the largest answer read (64 MiB).
const maxBody = 64 << 20

// maxRateWaits bounds the 429s one call waits out.
const maxRateWaits = 5

// client sends the configured requests: authentication, the rate limits,
// retries and the classification of failures.
type client struct {
	s     *settings
	hc    *http.Client
	clock clock
	log   hclog.Logger
	oauth *tokenSource // with auth.oauth2

	mu          sync.Mutex
	pausedUntil time.Time // no request before it (a rate limit)
	pauseReason string
}

func newClient(s *settings, clk clock, log hclog.Logger) *client {
	c := &client{s: s, hc: &http.Client{
		Transport: http.DefaultTransport.(*http.Transport).Clone(),
		// Redirects are not followed: a redirected request would carry the
		// credentials to wherever the answer points.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, clock: clk, log: log}
	if s.auth.kind == "oauth2" {
		c.oauth = newTokenSource(s, c.hc)
	}
	return c
}

func (cl *client) closeIdle() { cl.hc.CloseIdleConnections() }

// call is one request, ready to send.
type call struct {
	op     string
	method string
	url    *url.URL
	header http.Header
	body   []byte
}

// response is a 2xx answer.
type response struct {
	header http.Header
	body   []byte
}

func (r *response) json() gjson.Result { return gjson.ParseBytes(r.body) }

// host is the API's host, for messages.
func (cl *client) host() string { return cl.s.baseURL.Host }

// do sends c and returns its 2xx answer. Every request the connector makes
// reads (lists, searches, gets), so failures that say nothing was done
// (network errors, 5xx, 429) are retried: at most max_retries times for
// failures, and up to maxRateWaits rate-limit waits, all within ctx.
func (cl *client) do(ctx context.Context, c call) (*response, error) {
	retries, rateWaits, refreshed := 0, 0, false
	for {
		if err := cl.waitTurn(ctx, c.op); err != nil {
			return nil, err
		}
		status, header, body, err := cl.send(ctx, c, refreshed)
		if err != nil {
			var ce *connectors.Error
			if errors.As(err, &ce) {
				return nil, err
			}
			if ctx.Err() != nil {
				return nil, ctxError(c.op, ctx)
			}
			if retries < cl.s.maxRetries {
				cl.log.Debug("retrying request", "op", c.op, "path", c.url.Path, "error", redactURL(err))
				if err := cl.backoff(ctx, c.op, retries); err != nil {
					return nil, err
				}
				retries++
				continue
			}
			return nil, connectors.Errorf(connectors.ClassUnavailable, c.op,
				"cannot reach the API at %s (after %d attempts): %s; check base_url and the network", cl.host(), retries+1, redactURL(err))
		}
		cl.noteLimits(header)
		if status >= 200 && status < 300 {
			return &response{header: header, body: body}, nil
		}
		msg := describe(c, status, body)
		switch {
		case status == http.StatusTooManyRequests:
			rateWaits++
			wait, known := cl.retryWait(header, rateWaits)
			if wait > cl.s.rate.maxWait {
				cl.pause(wait, msg)
				return nil, connectors.Errorf(connectors.ClassRateLimited, c.op,
					"%s; the API's limit resets in %s, more than rate_limit.max_wait (%s): failing now rather than waiting (a daily budget?)",
					msg, roundWait(wait), roundWait(cl.s.rate.maxWait))
			}
			if rateWaits > maxRateWaits {
				return nil, connectors.Errorf(connectors.ClassRateLimited, c.op, "%s, %d times in a row; giving up", msg, rateWaits)
			}
			cl.pause(wait, msg)
			cl.log.Debug("rate limited; waiting", "op", c.op, "wait", wait, "announced", known)
			continue
		case status >= 500 || status == http.StatusRequestTimeout:
			if retries < cl.s.maxRetries {
				cl.log.Debug("retrying request", "op", c.op, "path", c.url.Path, "status", status)
				if err := cl.backoff(ctx, c.op, retries); err != nil {
					return nil, err
				}
				retries++
				continue
			}
			return nil, connectors.Errorf(connectors.ClassUnavailable, c.op, "%s, after %d attempts", msg, retries+1)
		case status == http.StatusUnauthorized && cl.oauth != nil && !refreshed:
			// The access token may have expired early (clock skew,
			// revocation): get a new one and try once more.
			refreshed = true
			continue
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			return nil, connectors.Errorf(connectors.ClassUnauthorized, c.op,
				"%s: the API refused %s; check auth: in the connector's config", msg, cl.s.auth.describe())
		case status == http.StatusNotFound:
			return nil, &connectors.Error{Class: connectors.ClassBadConfig, Op: c.op, Err: &statusError{status},
				Message: msg + ": check base_url and the request's path in the connector's config"}
		default:
			return nil, &connectors.Error{Class: connectors.ClassBadConfig, Op: c.op, Err: &statusError{status},
				Message: msg + ": the API refused the request the connector's config describes; check its query, body and paging"}
		}
	}
}

// statusError is the cause of a 4xx, for callers that handle one.
type statusError struct{ status int }

func (e *statusError) Error() string { return "HTTP " + strconv.Itoa(e.status) }

func httpStatus(err error) int {
	var se *statusError
	if errors.As(err, &se) {
		return se.status
	}
	return 0
}

func (a authSettings) describe() string {
	if a.description == "" {
		return "the request (no auth: is configured)"
	}
	return a.description
}

// send makes one attempt. A *connectors.Error is final; another error is
// a network failure.
func (cl *client) send(ctx context.Context, c call, refreshed bool) (int, http.Header, []byte, error) {
	rctx, cancel := context.WithTimeout(ctx, cl.s.timeout)
	defer cancel()
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
	}
	u := *c.url
	if cl.s.auth.kind == "api_key" && cl.s.auth.query != "" {
		q := u.Query()
		q.Set(cl.s.auth.query, cl.s.auth.value)
		u.RawQuery = q.Encode()
	}
	req, err := http.NewRequestWithContext(rctx, c.method, u.String(), body)
	if err != nil {
		return 0, nil, nil, connectors.Errorf(connectors.ClassBadConfig, c.op, "cannot build the request %s %s: %s", c.method, c.url.Path, redactURL(err))
	}
	for k, v := range cl.s.headers {
		req.Header.Set(k, v)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	if c.body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	switch a := cl.s.auth; a.kind {
	case "api_key":
		if a.header != "" {
			req.Header.Set(a.header, a.value)
		}
	case "basic":
		req.SetBasicAuth(a.username, a.password)
	case "bearer":
		req.Header.Set("Authorization", "Bearer "+a.value)
	case "oauth2":
		tok, err := cl.oauth.token(ctx, c.op)
		if err != nil {
			return 0, nil, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := cl.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return 0, nil, nil, err
	}
	if len(data) > maxBody {
		return 0, nil, nil, connectors.Errorf(connectors.ClassUnavailable, c.op, "the answer to %s %s is over %d MiB; ask for smaller pages (paging.max_limit)", c.method, c.url.Path, maxBody>>20)
	}
	if resp.StatusCode == http.StatusUnauthorized && cl.oauth != nil && !refreshed {
		cl.oauth.invalidate(strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer "))
	}
	return resp.StatusCode, resp.Header, data, nil
}

// describe is an error answer in one line: the status and what the API
// said (its error fields, else the start of the body).
func describe(c call, status int, body []byte) string {
	j := gjson.ParseBytes(body)
	var parts []string
	for _, p := range []string{"error", "message", "error_info", "error_description", "detail", "title"} {
		if v := j.Get(p); v.Type == gjson.String && strings.TrimSpace(v.Str) != "" {
			parts = append(parts, strings.TrimSpace(v.Str))
		}
	}
	what := strings.Join(parts, ": ")
	if what == "" {
		what = strings.TrimSpace(string(body))
		if len(what) > 200 {
			what = what[:200] + "…"
		}
	}
	if what == "" {
		what = http.StatusText(status)
	}
	return fmt.Sprintf("%s %s answered %d: %s", c.method, c.url.Path, status, what)
}

// waitTurn waits out a rate-limit pause, or fails at once with a
// rate_limited error when it would last past max_wait or the call's
// deadline.
func (cl *client) waitTurn(ctx context.Context, op string) error {
	if ctx.Err() != nil {
		return ctxError(op, ctx)
	}
	cl.mu.Lock()
	until, why := cl.pausedUntil, cl.pauseReason
	cl.mu.Unlock()
	wait := until.Sub(cl.clock.now())
	if wait <= 0 {
		return nil
	}
	if wait > cl.s.rate.maxWait {
		return connectors.Errorf(connectors.ClassRateLimited, op,
			"the API's rate limit holds requests back for another %s, more than rate_limit.max_wait (%s): %s",
			roundWait(wait), roundWait(cl.s.rate.maxWait), why)
	}
	if dl, ok := ctx.Deadline(); ok && dl.Before(cl.clock.now().Add(wait)) {
		return connectors.Errorf(connectors.ClassRateLimited, op,
			"the API's rate limit holds requests back for another %s, past this call's deadline: %s", roundWait(wait), why)
	}
	if err := cl.clock.sleep(ctx, wait); err != nil {
		return ctxError(op, ctx)
	}
	return nil
}

// pause holds every request back for d.
func (cl *client) pause(d time.Duration, why string) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if until := cl.clock.now().Add(d); until.After(cl.pausedUntil) {
		cl.pausedUntil, cl.pauseReason = until, why
	}
}

// noteLimits reads the remaining-requests header: at 0, requests wait for
// the reset the other header announces.
func (cl *client) noteLimits(h http.Header) {
	rem := strings.TrimSpace(h.Get(cl.s.rate.remaining))
	if rem == "" {
		return
	}
	if n, err := strconv.ParseFloat(rem, 64); err != nil || n > 0 {
		return
	}
	if wait, ok := cl.resetWait(h); ok && wait > 0 {
		cl.pause(wait, "the API announced that no request is left until its limit resets ("+cl.s.rate.remaining+": 0)")
	}
}

// resetWait reads the reset header: seconds to wait, or a Unix time.
func (cl *client) resetWait(h http.Header) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get(cl.s.rate.reset))
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		return 0, false
	}
	unix := cl.s.rate.resetMode == "unix" || (cl.s.rate.resetMode == "auto" && f > 1e9)
	if unix {
		return time.Unix(0, int64(f*1e9)).Sub(cl.clock.now()), true
	}
	return time.Duration(f * float64(time.Second)), true
}

// retryWait is how long to wait after a 429: Retry-After (seconds or an
// HTTP date), else the reset header, else an exponential backoff from 1 s.
func (cl *client) retryWait(h http.Header, n int) (time.Duration, bool) {
	if ra := strings.TrimSpace(h.Get("Retry-After")); ra != "" {
		if s, err := strconv.ParseFloat(ra, 64); err == nil && s >= 0 {
			return time.Duration(s * float64(time.Second)), true
		}
		if t, err := http.ParseTime(ra); err == nil {
			return max(t.Sub(cl.clock.now()), 0), true
		}
	}
	if d, ok := cl.resetWait(h); ok {
		return max(d, 0), true
	}
	return time.Second << min(n-1, 5), false
}

// backoff waits before a retry: 250 ms, 500 ms, 1 s..., failing at once
// when the wait would pass the call's deadline.
func (cl *client) backoff(ctx context.Context, op string, retry int) error {
	d := 250 * time.Millisecond << min(retry, 5)
	if dl, ok := ctx.Deadline(); ok && dl.Before(cl.clock.now().Add(d)) {
		return connectors.Errorf(connectors.ClassUnavailable, op, "the API at %s is failing and this call's deadline leaves no time to retry", cl.host())
	}
	if err := cl.clock.sleep(ctx, d); err != nil {
		return ctxError(op, ctx)
	}
	return nil
}

func roundWait(d time.Duration) time.Duration {
	if d >= time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(10 * time.Millisecond)
}

// ctxError is the error of a call whose context ended.
func ctxError(op string, ctx context.Context) error {
	err := ctx.Err()
	if err == nil {
		err = context.Canceled
	}
	msg := "the call was cancelled"
	if errors.Is(err, context.DeadlineExceeded) {
		msg = "the call's deadline passed before the API answered"
	}
	return &connectors.Error{Class: connectors.ClassUnavailable, Op: op, Message: msg, Err: err}
}

// redactURL drops the URL from a transport error: its query may hold an
// API key.
func redactURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
