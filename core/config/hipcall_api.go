package config

import (
	"net/url"
	"strings"
	"time"
)

// Hipcall API regions accepted by hipcall.api.region.
var hipcallRegions = []string{"global", "tr"}

// HipcallAPIConfig is how Switchboard reaches Hipcall's REST API
// (hipcall.api): Insight Cards and, later, CRM sync.
type HipcallAPIConfig struct {
	// BaseURL is the API base with /api/v3; it wins over Region.
	BaseURL string `yaml:"base_url"`
	// Region picks the base URL when BaseURL is empty: global or tr.
	Region string `yaml:"region"`
	// Token is the API token (Hipcall > Settings > API). Empty turns
	// every feature that needs the API off, with a warning.
	Token Secret `yaml:"token"`
	// RateLimitPerMinute is the client-side request rate; 0 turns the
	// client-side limit off (Hipcall's own limit still applies).
	RateLimitPerMinute int `yaml:"rate_limit_per_minute"`
	// Timeout bounds each HTTP attempt.
	Timeout time.Duration `yaml:"timeout"`
	// Pos is where the section starts (or, when it is left out, the
	// nearest thing that is there).
	Pos Position `yaml:"-"`
}

// Configured reports whether a token is set, so the API can be used.
func (a HipcallAPIConfig) Configured() bool { return strings.TrimSpace(a.Token.Reveal()) != "" }

// defaultHipcallAPI is hipcall.api's defaults.
func defaultHipcallAPI() HipcallAPIConfig {
	return HipcallAPIConfig{Region: "global", RateLimitPerMinute: 60, Timeout: 10 * time.Second}
}

// hipcallAPI checks hipcall.api.
func (c *checker) hipcallAPI() {
	const p = "hipcall.api"
	a := &c.cfg.Hipcall.API
	a.BaseURL = strings.TrimSpace(a.BaseURL)
	if a.BaseURL != "" {
		u, err := url.Parse(a.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			c.addf(p+".base_url", "%s.base_url must be an absolute http(s) URL such as \"https://use.hipcall.com/api/v3\", got %q", p, a.BaseURL)
		}
	}
	c.oneOf(p+".region", &a.Region, hipcallRegions)
	if a.RateLimitPerMinute < 0 {
		c.addf(p+".rate_limit_per_minute", "%s.rate_limit_per_minute must be 0 (no client-side limit) or more, got %d "+
			"(Hipcall allows about 60 per minute)", p, a.RateLimitPerMinute)
	}
	c.positive(p+".timeout", a.Timeout)
}
