package config

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Limits of hipcall.webhook.
const (
	// MinWebhookTokenLength is the shortest accepted hipcall.webhook.token.
	MinWebhookTokenLength = 16
	// MaxWebhookQueue is the largest accepted hipcall.webhook.queue_size.
	MaxWebhookQueue = 1_000_000
	// MaxWebhookWorkers is the largest accepted hipcall.webhook.workers.
	MaxWebhookWorkers = 256
	// MaxDedupWindow is the longest accepted hipcall.webhook.dedup_window.
	MaxDedupWindow = 24 * time.Hour
)

// WebhookConfig configures the endpoint Hipcall's webhooks are sent to
// (hipcall.webhook). Hipcall signs nothing and does not retry, so the URL
// is protected by a secret token, Basic Auth and/or a source allowlist,
// and every event is answered at once and handled afterwards.
type WebhookConfig struct {
	Enabled bool `yaml:"enabled"`
	// Path is the URL path; the token may follow it as one more segment
	// (/hipcall/webhook/<token>) or come as ?token=.
	Path string `yaml:"path"`
	// Token is the secret that must be in the path or the query.
	Token Secret `yaml:"token"`
	// BasicAuth, when set, is required too.
	BasicAuth *BasicAuth `yaml:"basic_auth"`
	// AllowFrom lists the source networks (CIDR, or a single address)
	// allowed to post; empty allows any.
	AllowFrom []string `yaml:"allow_from"`
	// QueueSize bounds the events waiting for a worker; a full queue drops
	// (counts and logs) new events.
	QueueSize int `yaml:"queue_size"`
	// Workers handle queued events concurrently.
	Workers int `yaml:"workers"`
	// DedupWindow is how long an (event, call) pair is remembered so that
	// a repeat is handled once.
	DedupWindow time.Duration `yaml:"dedup_window"`
	// InsecureNoAuth allows an endpoint without any authentication (local
	// trials only).
	InsecureNoAuth bool `yaml:"insecure_no_auth"`
	// Pos is where the section starts (or, when it is left out, the
	// nearest thing that is there).
	Pos Position `yaml:"-"`
}

// HasAuth reports whether any authentication is configured.
func (w WebhookConfig) HasAuth() bool {
	return w.Token != "" || w.BasicAuth != nil || len(w.AllowFrom) > 0
}

// defaultWebhook is hipcall.webhook's defaults.
func defaultWebhook() WebhookConfig {
	return WebhookConfig{
		Path:        "/hipcall/webhook",
		QueueSize:   10000,
		Workers:     4,
		DedupWindow: 10 * time.Minute,
	}
}

// hipcallEvents checks hipcall.api, hipcall.webhook and cards.
func (c *checker) hipcallEvents() {
	c.hipcallAPI()
	c.webhook()
	c.cards()
}

// tokenChar reports whether r may appear in a webhook token, which travels
// in a URL path or query unescaped.
func tokenChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r)
}

func (c *checker) webhook() {
	const p = "hipcall.webhook"
	w := &c.cfg.Hipcall.Webhook
	switch {
	case !strings.HasPrefix(w.Path, "/") || strings.HasSuffix(w.Path, "/") && w.Path != "/":
		c.addf(p+".path", "%s.path must start with \"/\" and not end with one, such as \"/hipcall/webhook\", got %q", p, w.Path)
	case w.Path == "/healthz" || w.Path == "/readyz" || w.Path == "/metrics":
		c.addf(p+".path", "%s.path %q is a built-in endpoint: choose another path", p, w.Path)
	case w.Enabled && c.cfg.Hipcall.SmartIVR.Enabled && w.Path == c.cfg.Hipcall.SmartIVR.Path:
		c.addf(p+".path", "%s.path %q is also hipcall.smart_ivr.path: give each endpoint its own path", p, w.Path)
	}
	if tok := w.Token.Reveal(); tok != "" {
		switch {
		case len(tok) < MinWebhookTokenLength:
			c.addf(p+".token", "%s.token is %d characters: use at least %d random characters (openssl rand -hex 16)",
				p, len(tok), MinWebhookTokenLength)
		case strings.IndexFunc(tok, func(r rune) bool { return !tokenChar(r) }) >= 0:
			c.addf(p+".token", "%s.token may only contain letters, digits, -, ., _ and ~ (it travels in the URL): "+
				"use openssl rand -hex 16", p)
		}
	}
	if a := w.BasicAuth; a != nil {
		switch {
		case a.Username == "" && a.Password == "":
			w.BasicAuth = nil // basic_auth with both empty (${USER:}) means none
		case a.Password == "":
			c.addf(p+".basic_auth.password", "%s.basic_auth.password is required when a username is set (set both, or neither)", p)
		case a.Username == "":
			c.addf(p+".basic_auth.username", "%s.basic_auth.username is required when a password is set (set both, or neither)", p)
		}
	}
	for i, s := range w.AllowFrom {
		s = strings.TrimSpace(s)
		if pr, err := netip.ParsePrefix(s); err == nil {
			w.AllowFrom[i] = pr.Masked().String()
			continue
		}
		if ip, err := netip.ParseAddr(s); err == nil {
			w.AllowFrom[i] = netip.PrefixFrom(ip, ip.BitLen()).String()
			continue
		}
		c.addf(p+".allow_from."+strconv.Itoa(i), "%s.allow_from[%d] must be a network such as \"203.0.113.0/24\" or an address, got %q",
			p, i, s)
	}
	if w.QueueSize < 1 || w.QueueSize > MaxWebhookQueue {
		c.addf(p+".queue_size", "%s.queue_size must be from 1 to %d, got %d", p, MaxWebhookQueue, w.QueueSize)
	}
	if w.Workers < 1 || w.Workers > MaxWebhookWorkers {
		c.addf(p+".workers", "%s.workers must be from 1 to %d, got %d", p, MaxWebhookWorkers, w.Workers)
	}
	if w.DedupWindow <= 0 || w.DedupWindow > MaxDedupWindow {
		c.addf(p+".dedup_window", "%s.dedup_window must be longer than 0 and at most 24h, such as \"10m\", got %s",
			p, formatDuration(w.DedupWindow))
	}
	if w.Enabled && !w.InsecureNoAuth && !w.HasAuth() && !c.tainted(p+".token") && !c.tainted(p+".basic_auth") {
		c.addf(p, "%s is enabled without authentication: Hipcall signs nothing, so set token (a secret in the URL), "+
			"basic_auth or allow_from, or set insecure_no_auth: true for a local trial", p)
	}
}
