package hipcall

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// ErrTooLarge is wrapped by Fetch's error when the download is larger than
// Options.MaxFetchBytes. It is permanent (IsPermanent).
var ErrTooLarge = errors.New("download too large")

// fetchRoute is the route label of Fetch's requests in the metrics.
const fetchRoute = "fetch"

// Fetch downloads rawURL, a call's record_url or voicemail_url, into w.
//
// Those links are short-lived pre-signed URLs, usually on a storage host
// that is not Hipcall's API: the API token is sent only to the API's own
// origin (the scheme, host and port of the base URL), never to another
// host, and it is dropped when a redirect leaves that origin. A download
// is bounded by Options.FetchTimeout per attempt and Options.MaxFetchBytes
// in size (over it: an error wrapping ErrTooLarge). Requests to another
// host do not count against Hipcall's rate limit or in Stats.
//
// It is retried (timeouts, network errors, 408, 429, 5xx) only while
// nothing was written to w. On an error, w may hold part of the download:
// discard it. A 403 or 404 usually means the link expired: list the call
// again for a fresh one and fetch it at once.
func (c *Client) Fetch(ctx context.Context, rawURL string, w io.Writer) error {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("hipcall: fetch: the link is not an absolute http(s) URL; pass a call's record_url or voicemail_url as Hipcall lists it: %w", ErrInvalidInput)
	}
	base, err := url.Parse(c.opts.BaseURL)
	if err != nil {
		return fmt.Errorf("hipcall: fetch: base URL: %w", err)
	}
	where := redactURL(u)
	api := sameOrigin(u, base)
	var meters []*Meter
	if api {
		meters = c.meters(ctx)
	}
	sig := "GET " + where
	for n := 1; ; n++ {
		if api {
			if err := c.waitTurn(ctx, meters); err != nil {
				return &RequestError{Method: http.MethodGet, Path: where, Attempts: n - 1, Err: err}
			}
		}
		f := c.fetchOnce(ctx, u, base, api, w)
		if api {
			if f.reached {
				failed := f.err != nil || f.status == http.StatusTooManyRequests || f.status >= 500
				for _, m := range meters {
					m.sent(sig, failed)
				}
			}
			c.noteRateHeaders(f.header)
		}
		if f.final != nil {
			return f.final
		}
		retriesLeft := n <= c.opts.MaxRetries && f.written == 0 && ctx.Err() == nil
		freq := &request{method: http.MethodGet, route: fetchRoute}
		if f.err != nil {
			reason := "network"
			if isTimeout(f.err) {
				reason = "timeout"
			}
			if !retriesLeft {
				re := &RequestError{Method: http.MethodGet, Path: where, Attempts: n, Err: f.err}
				if f.written > 0 {
					re.advice = fmt.Sprintf("the download broke off after %d bytes: discard them and fetch again (list the call again first if the link may have expired)", f.written)
				} else if ctx.Err() == nil {
					re.advice = "check network access to the recording's host, or raise Options.FetchTimeout"
				}
				return re
			}
			if err := c.backoff(ctx, meters, freq, n, reason); err != nil {
				return &RequestError{Method: http.MethodGet, Path: where, Attempts: n, Err: err}
			}
			continue
		}
		if f.status >= 200 && f.status < 300 {
			return nil
		}
		apiErr := &APIError{Status: f.status, Method: http.MethodGet, Path: where, Detail: f.detail, Attempts: n}
		apiErr.advice = fetchAdvice(f.status, api)
		retryable := f.status == http.StatusRequestTimeout || f.status == http.StatusTooManyRequests || f.status >= 500
		if !retryable || !retriesLeft {
			return apiErr
		}
		reason := "5xx"
		if f.status == http.StatusTooManyRequests {
			reason = "429"
			for _, m := range meters {
				m.limited.Add(1)
			}
			if wait, _ := c.serverWait(f.header); wait > 0 {
				c.countRetry(freq, n, reason, wait)
				if err := c.sleep(ctx, meters, wait); err != nil {
					return &RequestError{Method: http.MethodGet, Path: where, Attempts: n, Err: err}
				}
				continue
			}
		}
		if err := c.backoff(ctx, meters, freq, n, reason); err != nil {
			return &RequestError{Method: http.MethodGet, Path: where, Attempts: n, Err: err}
		}
	}
}

func fetchAdvice(status int, api bool) string {
	switch {
	case status == http.StatusForbidden || status == http.StatusNotFound || status == http.StatusGone:
		return "the link has expired or is not valid (record and voicemail links are short-lived pre-signed URLs): list the call again for a fresh link and fetch it at once"
	case status == http.StatusUnauthorized && api:
		return "check the token and that it belongs to this region's base URL"
	case status == http.StatusTooManyRequests:
		return "the recording's host is rate limiting; retry later"
	case status >= 500:
		return "the recording's host is failing; retry later"
	}
	return ""
}

// fetched is the outcome of one download attempt.
type fetched struct {
	status  int
	header  http.Header
	detail  string // an error answer's body, shortened
	written int64  // bytes written to w
	reached bool   // an HTTP answer came, or the request may have been sent
	err     error  // no (whole) answer: a network error or a timeout
	final   error  // an error that ends Fetch at once (w failed, too large)
}

// fetchOnce makes one download attempt.
func (c *Client) fetchOnce(ctx context.Context, u, base *url.URL, withToken bool, w io.Writer) fetched {
	actx, cancel := context.WithTimeout(ctx, c.opts.FetchTimeout)
	defer cancel()
	var gotConn atomic.Bool // as in send: without a connection, nothing was sent
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { gotConn.Store(true) },
	})
	req, err := http.NewRequestWithContext(actx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fetched{final: fmt.Errorf("hipcall: fetch %s: %w: %w", redactURL(u), err, ErrInvalidInput)}
	}
	req.Header.Set("User-Agent", "switchboard-hipcall")
	if withToken {
		req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	}
	hc := tokenStaysHome(c.opts.HTTPClient, base)
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		c.metrics.requests.WithLabelValues(http.MethodGet, fetchRoute, "error").Inc()
		c.log.Debug("hipcall fetch failed", "url", redactURL(u), "error", err)
		return fetched{err: err, reached: gotConn.Load()}
	}
	defer resp.Body.Close()
	code := resp.StatusCode
	c.metrics.requests.WithLabelValues(http.MethodGet, fetchRoute, strconv.Itoa(code)).Inc()
	f := fetched{status: code, header: resp.Header, reached: true}
	if code < 200 || code >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		f.detail = truncate(strings.TrimSpace(string(b)), 200)
		c.metrics.seconds.WithLabelValues(http.MethodGet, fetchRoute).Observe(time.Since(start).Seconds())
		return f
	}
	limit := c.opts.MaxFetchBytes
	tooLarge := fmt.Errorf("hipcall: fetch %s: %w: it is over %d bytes (Options.MaxFetchBytes); raise the cap, or leave this recording out", redactURL(u), ErrTooLarge, limit)
	if resp.ContentLength > limit {
		f.final = tooLarge
		return f
	}
	cw := &countingWriter{w: w}
	_, err = io.Copy(cw, io.LimitReader(resp.Body, limit))
	f.written = cw.n
	c.metrics.seconds.WithLabelValues(http.MethodGet, fetchRoute).Observe(time.Since(start).Seconds())
	switch {
	case cw.err != nil:
		f.final = fmt.Errorf("hipcall: fetch %s: write the download: %w", redactURL(u), cw.err)
	case err != nil:
		f.err = err
	case cw.n == limit:
		if n, _ := io.ReadFull(resp.Body, make([]byte, 1)); n > 0 {
			f.final = tooLarge
		}
	}
	c.log.Debug("hipcall fetch", "url", redactURL(u), "status", code, "bytes", f.written, "duration", time.Since(start))
	return f
}

// countingWriter counts what it writes and keeps the writer's error apart
// from the reader's.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (cw *countingWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	if err != nil {
		cw.err = err
	}
	return n, err
}

// sameOrigin reports whether u has base's scheme, host and port.
func sameOrigin(u, base *url.URL) bool {
	return strings.EqualFold(u.Scheme, base.Scheme) && strings.EqualFold(hostPort(u), hostPort(base))
}

func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// redactURL returns u without its query, fragment and user info, where a
// pre-signed link carries its signature: fit for messages and logs.
func redactURL(u *url.URL) string {
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return r.String()
}
