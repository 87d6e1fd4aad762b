package hipcall

import (
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
)

// Regions are the values hipcall.api.region accepts.
var Regions = []string{RegionGlobal, RegionTurkey}

// APIConfig is the hipcall.api section: how Switchboard reaches Hipcall's
// REST API (Insight Cards, the CRM sync).
type APIConfig struct {
	// BaseURL is the API base with /api/v3; it wins over Region. It must
	// be https, save to a loopback host (a local fake).
	BaseURL string `yaml:"base_url"`
	// Region picks the base URL when BaseURL is empty: global or tr.
	Region string `yaml:"region"`
	// Token is the API token (Hipcall > Settings > API). Empty turns
	// every feature that needs the API off, with a warning.
	Token conf.Secret `yaml:"token"`
	// RateLimitPerMinute is the client-side request rate; 0 turns the
	// client-side limit off (Hipcall's own limit still applies).
	RateLimitPerMinute int `yaml:"rate_limit_per_minute"`
	// Timeout bounds each HTTP attempt.
	Timeout time.Duration `yaml:"timeout"`
}

// DefaultAPIConfig is the hipcall.api section when nothing is written.
func DefaultAPIConfig() APIConfig {
	return APIConfig{Region: RegionGlobal, RateLimitPerMinute: DefaultRatePerMinute, Timeout: DefaultTimeout}
}

// apiRoot is the path every Hipcall API URL starts with.
const apiRoot = "/api/v3"

// Check trims the base URL, lower-cases the region and reports what is
// wrong.
func (c *APIConfig) Check() connectors.Problems {
	var ps connectors.Problems
	c.BaseURL = strings.TrimSpace(c.BaseURL)
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			ps.Addf("base_url", "must be an absolute http(s) URL such as %q, got %q", BaseURLGlobal, shownURL(c.BaseURL, nil))
		case sendsTokenInClear(u):
			ps.Addf("base_url", "%s, such as %q, got %q", httpAdvice, BaseURLGlobal, shownURL(c.BaseURL, u))
		case !strings.HasSuffix(strings.TrimRight(u.Path, "/"), apiRoot):
			// Without it every request is a 404 that reads like a missing record.
			ps.Addf("base_url", "must end with %s, Hipcall's API root, such as %q, got %q", apiRoot, BaseURLGlobal, shownURL(c.BaseURL, u))
		}
	}
	conf.OneOf(&ps, "region", &c.Region, Regions...)
	if c.RateLimitPerMinute < 0 {
		ps.Addf("rate_limit_per_minute", "must be 0 (no client-side limit) or more, got %d (Hipcall allows about 60 per minute)",
			c.RateLimitPerMinute)
	}
	conf.Positive(&ps, "timeout", c.Timeout)
	return ps
}

// Configured reports whether a token is set, so the API can be used.
func (c APIConfig) Configured() bool { return strings.TrimSpace(c.Token.Reveal()) != "" }

// Options are the client's options as the section configures them; the
// caller adds its Logger and Registerer.
func (c APIConfig) Options() Options {
	limit := rate.Inf
	if c.RateLimitPerMinute > 0 {
		limit = rate.Every(time.Minute / time.Duration(c.RateLimitPerMinute))
	}
	return Options{BaseURL: c.BaseURL, Region: c.Region, Token: c.Token.Reveal(), Timeout: c.Timeout, RateLimit: limit}
}

// UserIDs reads an owners: mapping of CRM owner ids to Hipcall user ids
// (whole numbers above 0, quoted or not), as the cards and sync sections
// write it. ps, when not nil, receives a problem for each bad entry, at
// path.<key>; bad entries are left out of the result.
func UserIDs(ps *connectors.Problems, path string, owners map[string]string) map[string]int64 {
	out := make(map[string]int64, len(owners))
	for _, k := range slices.Sorted(maps.Keys(owners)) {
		v := strings.TrimSpace(owners[k])
		id, err := strconv.ParseInt(v, 10, 64)
		switch {
		case strings.TrimSpace(k) == "":
			addf(ps, path, "each key must be a CRM owner id such as \"u-17\"")
		case err != nil:
			addf(ps, path+"."+k, "must be a Hipcall user id (a whole number above 0), got %q", owners[k])
		case id <= 0:
			addf(ps, path+"."+k, "must be a Hipcall user id (a whole number above 0), got %d", id)
		default:
			out[k] = id
		}
	}
	return out
}

func addf(ps *connectors.Problems, path, format string, args ...any) {
	if ps != nil {
		ps.Addf(path, format, args...)
	}
}
