package host

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboard-hq/switchboard/core/cards"
	"github.com/switchboard-hq/switchboard/core/config"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/server"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

// buildCardBuilder compiles and test-renders the card templates when cards
// are enabled (or at least a title is written), and returns their problems
// at their file:line:col.
func (h *Host) buildCardBuilder(cfg *config.Config) []config.Problem {
	if !cfg.Cards.Wanted() {
		return nil
	}
	b, err := cards.New(cfg.Cards.Options())
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
	o := a.Options()
	o.Logger, o.Registerer = h.Logger.Named("hipcall"), h.Registry
	c, err := hipcall.New(o)
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
		h.cards = svc
		handler = svc
	}
	if !wh.Enabled {
		return nil
	}
	if wh.InsecureNoAuth && !wh.HasAuth() {
		log.Warn("hipcall.webhook accepts events without authentication (insecure_no_auth): anyone who can reach it can post")
	}
	o, err := wh.Options()
	if err != nil {
		return fmt.Errorf("hipcall.webhook: %w", err)
	}
	o.MaxBodyBytes, o.Dedup, o.Handler = cfg.Server.MaxBodyBytes, dedup, handler
	o.Logger, o.Registerer = log.Named("webhook"), h.Registry
	h.recorder = &journalRecorder{marks: make(chan cardMark, 10000)}
	o.Journal = h.recorder
	if handler != nil {
		o.Handler = cardMarker{Handler: handler, rec: h.recorder, log: log.Named("cards")}
	}
	if h.Webhook, err = webhook.New(o); err != nil {
		return err
	}
	return h.buildAfterCall(cfg)
}

// webhookOptions mounts the webhook processor, if there is one.
func (h *Host) webhookOptions() *server.WebhookOptions {
	if h.Webhook == nil {
		return nil
	}
	wh := h.Config.Hipcall.Webhook
	return &server.WebhookOptions{Path: wh.Path, Handler: h.Webhook, InsecureNoAuth: wh.InsecureNoAuth && !wh.HasAuth()}
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
