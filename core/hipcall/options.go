package hipcall

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// Hipcall's regions and their API base URLs.
const (
	RegionGlobal = "global"
	RegionTurkey = "tr"

	BaseURLGlobal = "https://use.hipcall.com/api/v3"
	BaseURLTurkey = "https://use.hipcall.com.tr/api/v3"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultBurst        = 5
	DefaultMaxRetries   = 5
	DefaultRetryWaitMin = 250 * time.Millisecond
	DefaultRetryWaitMax = 10 * time.Second
	DefaultMaxRetryWait = 90 * time.Second
	// DefaultFetchTimeout bounds one download attempt of Fetch.
	DefaultFetchTimeout = 5 * time.Minute
	// DefaultMaxFetchBytes caps what Fetch downloads (256 MiB: some 9
	// hours of 64 kbit/s MP3, over 4 hours of 8 kHz 16-bit WAV).
	DefaultMaxFetchBytes = 256 << 20
	// DefaultRatePerMinute is Hipcall's observed limit per token.
	DefaultRatePerMinute = 60
)

// DefaultRateLimit is DefaultRatePerMinute as a rate.
var DefaultRateLimit = rate.Every(time.Minute / DefaultRatePerMinute)

// NoRetries, as Options.MaxRetries, turns retries off.
const NoRetries = -1

// Options configure a Client. Only Token and a BaseURL or Region are needed.
type Options struct {
	// BaseURL is the API base, with /api/v3 ("https://use.hipcall.com/api/v3").
	// It wins over Region. It must be https, save to a loopback host
	// (127.0.0.0/8, ::1, localhost: a local fake), as the token is sent
	// with every request.
	BaseURL string
	// Region picks the base URL when BaseURL is empty: "global" (default)
	// or "tr".
	Region string
	// Token is the API token, sent as "Authorization: Bearer <token>". It is
	// never logged.
	Token string
	// Timeout bounds each attempt (default 10s). The caller's context
	// bounds the whole call, retries included.
	Timeout time.Duration
	// RateLimit is the client-side request rate (default 60 per minute);
	// rate.Inf turns the client-side limiter off. Burst is the bucket size
	// (default 5). Requests that wait for it, or for a pause Hipcall's
	// rate-limit answers impose, are served by Priority (WithPriority),
	// first come first served within one.
	RateLimit rate.Limit
	Burst     int
	// MaxRetries is how many times a failed request is retried (default 5;
	// NoRetries for none).
	MaxRetries int
	// RetryWaitMin and RetryWaitMax bound the exponential backoff (defaults
	// 250ms and 10s); each wait is drawn uniformly from zero up to the
	// current bound (full jitter).
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	// MaxRetryWait caps a wait asked for by Hipcall, by Retry-After or by
	// x-ratelimit-reset (default 90s).
	MaxRetryWait time.Duration
	// FetchTimeout bounds one download attempt of Fetch, body included
	// (default 5 minutes); MaxFetchBytes caps the download's size
	// (default 256 MiB).
	FetchTimeout  time.Duration
	MaxFetchBytes int64
	// Logger receives debug lines per request; at trace level also resty's
	// request dumps, with Authorization redacted. Default: no logging.
	Logger hclog.Logger
	// Registerer receives the client's metrics; nil registers nothing.
	// Clients sharing a Registerer share the metrics.
	Registerer prometheus.Registerer
	// HTTPClient replaces the default HTTP client (tests). Its Timeout
	// is left alone; Options.Timeout applies per attempt.
	HTTPClient *http.Client
	// Now and Sleep replace the clock used for rate limiting and retry
	// waits (tests). Sleep must return ctx.Err() when ctx ends first. The
	// waits for the request budget are slept by one goroutine of the
	// client for every waiting request, with a context of its own that
	// ends when it must look again (a new pause, nobody left waiting).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// withDefaults validates o and fills in its zero fields.
func (o Options) withDefaults() (Options, error) {
	var errs []error
	if strings.TrimSpace(o.Token) == "" {
		errs = append(errs, errors.New("token is empty: set the Hipcall API token (Hipcall > Settings > API)"))
	}
	if o.BaseURL == "" {
		switch strings.ToLower(o.Region) {
		case "", RegionGlobal:
			o.BaseURL = BaseURLGlobal
		case RegionTurkey:
			o.BaseURL = BaseURLTurkey
		default:
			errs = append(errs, fmt.Errorf("unknown region %q: use %q or %q, or set a base URL", o.Region, RegionGlobal, RegionTurkey))
		}
	}
	if o.BaseURL != "" {
		u, err := url.Parse(o.BaseURL)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			errs = append(errs, fmt.Errorf("base URL %q is not an absolute http(s) URL: use e.g. %s", shownURL(o.BaseURL, nil), BaseURLGlobal))
		case sendsTokenInClear(u):
			errs = append(errs, fmt.Errorf("base URL %q %s: use e.g. %s", shownURL(o.BaseURL, u), httpAdvice, BaseURLGlobal))
		}
		o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.RateLimit == 0 {
		o.RateLimit = DefaultRateLimit
	}
	if o.Burst == 0 {
		o.Burst = DefaultBurst
	}
	switch {
	case o.MaxRetries == 0:
		o.MaxRetries = DefaultMaxRetries
	case o.MaxRetries < 0:
		o.MaxRetries = 0
	}
	if o.RetryWaitMin == 0 {
		o.RetryWaitMin = DefaultRetryWaitMin
	}
	if o.RetryWaitMax == 0 {
		o.RetryWaitMax = DefaultRetryWaitMax
	}
	if o.MaxRetryWait == 0 {
		o.MaxRetryWait = DefaultMaxRetryWait
	}
	if o.FetchTimeout == 0 {
		o.FetchTimeout = DefaultFetchTimeout
	}
	if o.MaxFetchBytes == 0 {
		o.MaxFetchBytes = DefaultMaxFetchBytes
	}
	if o.FetchTimeout < 0 || o.MaxFetchBytes < 0 {
		errs = append(errs, errors.New("FetchTimeout and MaxFetchBytes must not be negative"))
	}
	if o.Timeout < 0 || o.RateLimit < 0 || o.Burst < 0 || o.RetryWaitMin < 0 || o.RetryWaitMax < o.RetryWaitMin || o.MaxRetryWait < 0 {
		errs = append(errs, errors.New("timeouts, waits, rate and burst must not be negative, and RetryWaitMax must not be below RetryWaitMin"))
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if len(errs) > 0 {
		return o, fmt.Errorf("hipcall: invalid options: %w", errors.Join(errs...))
	}
	return o, nil
}

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
