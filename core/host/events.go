package host

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/time/rate"

	"github.com/switchboard-hq/switchboard/core/cards"
	"github.com/switchboard-hq/switchboard/core/config"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/server"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

// cardOptions turns the cards section into the builder's templates.
func cardOptions(k config.CardsConfig) cards.Options {
	spec := func(t config.CardTitleConfig, rows []config.CardRowConfig) cards.Spec {
		s := cards.Spec{Title: cards.TitleSpec{Text: t.Text, Link: t.Link}}
		for _, r := range rows {
			s.Rows = append(s.Rows, cards.RowSpec{Label: r.Label, Text: r.Text, Link: r.Link})
		}
		return s
	}
	o := cards.Options{Card: spec(k.Title, k.Rows)}
	if u := k.UserRow; u != nil {
		o.UserRow = &cards.UserRowSpec{Label: u.Label, Owners: u.Owners}
	}
	if t := k.UnknownCaller; t != nil {
		s := spec(t.Title, t.Rows)
		o.UnknownCaller = &s
	}
	if t := k.Ambiguous; t != nil {
		s := spec(t.Title, t.Rows)
		o.Ambiguous = &s
	}
	return o
}

// buildCardBuilder compiles and test-renders the card templates when cards
// are enabled (or at least a title is written), and returns their problems
// at their file:line:col.
func (h *Host) buildCardBuilder(cfg *config.Config) []config.Problem {
	k := cfg.Cards
	if !k.Enabled && k.Title.Text == "" {
		return nil
	}
	b, err := cards.New(cardOptions(k))
	if err == nil {
		h.Cards = b
		return nil
	}
	var te *cards.TemplateErrors
	if !errors.As(err, &te) {
		return []config.Problem{{Pos: cfg.PosOf("cards"), Message: err.Error()}}
	}
	problems := make([]config.Problem, 0, len(te.List))
	for _, e := range te.List {
		path := "cards." + e.Path
		problems = append(problems, config.Problem{
			Pos:     cfg.PosIn(path, e.Line, e.Col),
			Message: fmt.Sprintf("%s: %s", path, e.Message),
		})
	}
	return problems
}

// hipcallClient builds the Hipcall API client from hipcall.api, or nil
// when no token is set.
func hipcallClient(cfg *config.Config, h *Host) (*hipcall.Client, error) {
	a := cfg.Hipcall.API
	if !a.Configured() {
		return nil, nil
	}
	limit := rate.Inf
	if a.RateLimitPerMinute > 0 {
		limit = rate.Every(time.Minute / time.Duration(a.RateLimitPerMinute))
	}
	c, err := hipcall.New(hipcall.Options{
		BaseURL:    a.BaseURL,
		Region:     a.Region,
		Token:      a.Token.Reveal(),
		Timeout:    a.Timeout,
		RateLimit:  limit,
		Logger:     h.Logger.Named("hipcall"),
		Registerer: h.Registry,
	})
	if err != nil {
		return nil, fmt.Errorf("hipcall.api: %w", err)
	}
	return c, nil
}

// buildEvents builds the Hipcall client, the card service and the webhook
// processor the configuration asks for, warning about what is configured
// but cannot work.
func (h *Host) buildEvents(cfg *config.Config) error {
	log := h.Logger
	var err error
	if h.Hipcall, err = hipcallClient(cfg, h); err != nil {
		return err
	}
	wh := cfg.Hipcall.Webhook
	var handler webhook.Handler
	dedup := webhook.NewDedup(wh.DedupWindow, 0, nil)
	switch {
	case !cfg.Cards.Enabled:
	case h.Hipcall == nil:
		log.Warn("Insight Cards are off: cards.enabled is true but hipcall.api.token is empty (set HIPCALL_TOKEN)")
	case !wh.Enabled:
		log.Warn("Insight Cards are off: cards.enabled is true but hipcall.webhook is not enabled, so no call_init arrives")
	default:
		svc, err := cards.NewService(cards.ServiceOptions{
			Builder:      h.Cards,
			Directory:    h.Directory,
			Pusher:       h.Hipcall,
			OnEvents:     cfg.Cards.OnEvents,
			PushDeadline: cfg.Cards.PushDeadline,
			Ended:        dedup.Ended,
			Registerer:   h.Registry,
			Logger:       log.Named("cards"),
		})
		if err != nil {
			return err
		}
		handler = svc
	}
	if !wh.Enabled {
		return nil
	}
	if wh.InsecureNoAuth && !wh.HasAuth() {
		log.Warn("hipcall.webhook accepts events without authentication (insecure_no_auth): anyone who can reach it can post")
	}
	auth := webhook.AuthOptions{Token: wh.Token.Reveal(), InsecureNoAuth: wh.InsecureNoAuth}
	if wh.BasicAuth != nil {
		auth.Username, auth.Password = wh.BasicAuth.Username, wh.BasicAuth.Password.Reveal()
	}
	for _, s := range wh.AllowFrom {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return fmt.Errorf("hipcall.webhook.allow_from: %w", err)
		}
		auth.AllowFrom = append(auth.AllowFrom, p)
	}
	h.Webhook, err = webhook.New(webhook.Options{
		Path:         wh.Path,
		Auth:         auth,
		MaxBodyBytes: cfg.Server.MaxBodyBytes,
		QueueSize:    wh.QueueSize,
		Workers:      wh.Workers,
		Dedup:        dedup,
		Handler:      handler,
		Logger:       log.Named("webhook"),
		Registerer:   h.Registry,
	})
	return err
}

// webhookOptions mounts the webhook processor, if there is one.
func (h *Host) webhookOptions() *server.WebhookOptions {
	if h.Webhook == nil {
		return nil
	}
	return &server.WebhookOptions{Path: h.Config.Hipcall.Webhook.Path, Handler: h.Webhook}
}

// startWebhook starts the webhook workers; the returned func drains them
// within the shutdown timeout.
func (h *Host) startWebhook(ctx context.Context) (stop func()) {
	if h.Webhook == nil {
		return func() {}
	}
	h.Webhook.Start(ctx)
	return func() {
		if err := h.Webhook.Stop(h.Config.Server.ShutdownTimeout); err != nil {
			h.Logger.Warn("webhook shutdown", "error", err)
		}
	}
}
