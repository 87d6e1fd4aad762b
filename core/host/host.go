// Package host assembles a running Switchboard from a loaded configuration:
// the plugin manager and its connector processes, the directory over them,
// the router, and the HTTP server. The CLI, the end-to-end tests and the
// benchmarks all build the host through this one package.
package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/aftercall"
	"github.com/switchboard-hq/switchboard/core/cards"
	"github.com/switchboard-hq/switchboard/core/config"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/doctor"
	"github.com/switchboard-hq/switchboard/core/extmgmt"
	"github.com/switchboard-hq/switchboard/core/heapgoal"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/logging"
	"github.com/switchboard-hq/switchboard/core/ringlog"
	"github.com/switchboard-hq/switchboard/core/ringtime"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/server"
	"github.com/switchboard-hq/switchboard/core/webhook"
	"github.com/switchboard-hq/switchboard/plugins/manager"
)

// Options tune how a host is built.
type Options struct {
	// Logger overrides the logger built from the config's log section.
	Logger hclog.Logger
	// LogOutput is where the built logger writes (default os.Stderr).
	LogOutput io.Writer
	// ValidateOnly starts each plugin only to check its configuration
	// (no files opened, no connections) and stops it again.
	ValidateOnly bool
	// ConnectorLog collects the warnings the plugins log (the numbers
	// they drop while loading) for Diagnose. It must be a sink of Logger
	// when Logger is set; nil: the host collects them itself when it
	// builds the logger, and not otherwise.
	ConnectorLog *doctor.LogCollector
	// LoadWhole asks every connector to keep what a lookup needs, index
	// mode included (no ConfigureRequest.ListedOnly), so that what a
	// connector reports while loading (the numbers it drops) is reported
	// before Build returns: `switchboard doctor`.
	LoadWhole bool
}

// Host is a built Switchboard. Close it to stop every plugin process.
type Host struct {
	Config    *config.Config
	Logger    hclog.Logger
	Registry  *prometheus.Registry
	Parser    *phone.Parser
	Manager   *manager.Manager
	Plugins   []*manager.Plugin
	Directory *directory.Directory
	Router    *routing.Router
	// Hipcall is the Hipcall API client, nil without hipcall.api.token.
	Hipcall *hipcall.Client
	// Cards renders Insight Cards, nil when cards are off (events.go).
	Cards *cards.Builder
	// Webhook receives Hipcall's webhooks, nil when hipcall.webhook is off.
	Webhook *webhook.Processor
	// AfterCall plans the post-call actions, nil when there are none
	// (aftercall.go).
	AfterCall *aftercall.Actions

	// Rings is the log of recent rings every front end records into, for
	// the console (console.go).
	Rings *ringlog.Log

	// recorder is the webhook's journal, opened by Serve.
	recorder *journalRecorder
	// done is closed when Serve ends or Close runs: the console's live
	// feeds end with it.
	done     chan struct{}
	doneOnce sync.Once
	// closers release what the server's endpoints opened (the console's
	// journal reader), at Close.
	closers []func()
	// cards pushes Insight Cards, nil when they are off.
	cards *cards.Service
	// connectorLog holds the plugins' warnings, for Diagnose (nil: none
	// collected).
	connectorLog *doctor.LogCollector
	// flow is External Management's compiled flow and speedDialAllow
	// Speed Dial's allow condition, when they are on (keyfronts.go).
	flow           *extmgmt.Flow
	speedDialAllow func(map[string]any) (bool, error)

	server *server.Server
}

// Build starts the plugins named in cfg and assembles the directory and the
// router. Every problem found (bad routing rules, bad connector config
// blocks, plugins that will not start) is returned at once as
// *config.Problems with file:line:col positions. On error nothing is left
// running.
func Build(ctx context.Context, cfg *config.Config, opts Options) (h *Host, err error) {
	log, connectorLog := opts.Logger, opts.ConnectorLog
	if log == nil {
		if connectorLog == nil {
			connectorLog = doctor.NewLogCollector()
		}
		log = logging.NewWithSink(cfg.Log, opts.LogOutput, connectorLog)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	h = &Host{Config: cfg, Logger: log, Registry: reg, Rings: ringlog.New(0), done: make(chan struct{}), connectorLog: connectorLog}
	var problems []config.Problem
	h.Parser, err = phone.NewParser(cfg.Phone.DefaultRegion) // checked by config.Load
	if err != nil {
		return nil, fmt.Errorf("phone: %w", err)
	}
	h.Parser = h.Parser.WithNationalMatch(cfg.Phone.NationalMatch) // the directory's index and live re-check match with it

	h.Router, err = routing.New(routing.Options{
		Config:     cfg.Routing,
		Targets:    Targets(h.Parser),
		Logger:     log.Named("routing"),
		Registerer: reg,
	})
	if err != nil {
		var ps connectors.Problems
		if !errors.As(err, &ps) {
			return nil, fmt.Errorf("routing: %w", err)
		}
		problems = append(problems, cfg.Locate("routing", ps)...)
	}

	mgr := manager.New(manager.Options{Config: cfg.Plugins, Logger: log, Registerer: reg})
	h.Manager = mgr
	defer func() {
		if err != nil {
			mgr.Shutdown()
		}
	}()

	sources, ps := h.startConnectors(ctx, cfg, opts)
	problems = append(problems, ps...)
	problems = append(problems, h.buildCardBuilder(cfg)...)
	problems = append(problems, syncProblems(cfg)...)
	problems = append(problems, crossChecks(cfg)...) // checks.go
	if h.Router != nil {
		problems = append(problems, h.compileKeyFronts(cfg)...) // keyfronts.go
	}
	if len(problems) > 0 {
		return nil, &config.Problems{List: problems}
	}

	h.Directory, err = directory.New(directory.Options{
		Sources:       sources,
		Parser:        h.Parser,
		SuffixDigits:  cfg.Phone.SuffixMatchDigits,
		Deadline:      cfg.Directory.Deadline,
		Cache:         cfg.Directory.Cache,
		MaxShrink:     cfg.Directory.MaxShrink,
		CheckInterval: cfg.Directory.CheckInterval,
		Logger:        log.Named("directory"),
		Registerer:    reg,
		IndexBytes:    heapgoal.New().Fit,
	})
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	if err := h.buildEvents(cfg); err != nil {
		return nil, err
	}
	// The server is built here, not in Serve, so that `switchboard
	// validate` meets every problem serve could meet.
	if h.server, err = h.buildServer(); err != nil {
		return nil, &config.Problems{List: []config.Problem{{Pos: cfg.PosOf("server"), Message: err.Error()}}}
	}
	return h, nil
}

// startConnectors starts the plugin of every connector (validate-only:
// each checks its block and starts nothing), and returns the directory's
// sources and every problem, placed in the file.
func (h *Host) startConnectors(ctx context.Context, cfg *config.Config, opts Options) ([]directory.Source, []config.Problem) {
	var (
		sources  []directory.Source
		problems []config.Problem
	)
	add := func(pos config.Position, format string, args ...any) {
		problems = append(problems, config.Problem{Pos: pos, Message: fmt.Sprintf(format, args...)})
	}
	for i := range cfg.Connectors {
		c := &cfg.Connectors[i]
		block, err := c.ConfigYAML()
		if err != nil {
			add(c.Pos, "connector %q: config block: %v", c.Name, err)
			continue
		}
		spec := c.LaunchConfig.Spec(c.Name)
		spec.Config, spec.DefaultRegion, spec.BaseDir, spec.ValidateOnly = block, cfg.Phone.DefaultRegion, cfg.BaseDir, opts.ValidateOnly
		// An index-mode source is answered from the host's own index: its
		// connector may keep less (the CSV connector keeps no rows).
		spec.ListedOnly = c.Mode == directory.ModeIndex && !opts.LoadWhole
		p, err := h.Manager.Start(ctx, spec)
		var ce *manager.ConfigError
		switch {
		case errors.As(err, &ce):
			for _, pr := range ce.Problems {
				at := "config"
				if pr.Path != "" {
					at += "." + pr.Path
				}
				add(c.ConfigPos(pr.Path), "connector %q (%s plugin): %s: %s", c.Name, c.Plugin, at, pr.Message)
			}
			continue
		case err != nil:
			add(c.Pos, "connector %q: %v", c.Name, err)
			continue
		}
		if err := checkCapabilities(c, p.Info()); err != nil {
			add(c.Pos, "connector %q: %v", c.Name, err)
		}
		h.Plugins = append(h.Plugins, p)
		sources = append(sources, c.SourceConfig.Source(c.Name, p))
	}
	return sources, problems
}

// checkCapabilities refuses a mode the connector cannot serve.
func checkCapabilities(c *config.Connector, info connectors.DescribeResponse) error {
	switch c.Mode {
	case directory.ModeIndex:
		if !info.Has(connectors.CapListContacts) && !info.Has(connectors.CapListCompanies) {
			return fmt.Errorf("mode index needs a connector that can list records, and %s %s cannot: use mode: live", info.Name, info.Version)
		}
	case directory.ModeLive:
		if !info.Has(connectors.CapLookup) {
			return fmt.Errorf("mode live needs a connector with live lookups, and %s %s has none: use mode: index", info.Name, info.Version)
		}
	}
	return c.SourceConfig.CheckCapabilities(info) // keys: a live source must look them up itself
}

// Ready reports whether rings are answered from CRM data, for /readyz:
// not ready (false) when a live source's plugin is down or an index is not
// built yet, with the reasons; ready with reasons when degraded: answered,
// but from an index whose plugin is down (changes wait), a held rebuild,
// or a source whose check fails.
func (h *Host) Ready() (bool, []string) {
	var notReady, degraded []string
	for _, p := range h.Plugins {
		if p.Up() {
			continue
		}
		if h.Directory.AnswersFromIndex(p.Name()) {
			degraded = append(degraded, fmt.Sprintf("plugin %s is down (restarts: %d): rings are answered from its index; changes wait until it is back",
				p.Name(), p.Restarts()))
			continue
		}
		notReady = append(notReady, fmt.Sprintf("plugin %s is down (restarts: %d)", p.Name(), p.Restarts()))
	}
	nr, dg := h.Directory.Health()
	notReady, degraded = append(notReady, nr...), append(degraded, dg...)
	if len(notReady) > 0 {
		return false, append(notReady, degraded...)
	}
	return true, degraded
}

// Decide looks a number up and routes it for target (a phone system's
// decision point): what `switchboard lookup` prints.
func (h *Host) Decide(ctx context.Context, call routing.Call, target string) (directory.Result, routing.Decision) {
	res := h.Directory.Lookup(ctx, call.Caller)
	return res, h.Router.Decide(res, call, target)
}

// Server is the HTTP server Build made for the host's configuration.
func (h *Host) Server() (*server.Server, error) { return h.server, nil }

// buildServer builds the HTTP server for the host's configuration: the
// webhook receiver and every front end in frontEnds, mounted. The error
// lists every problem.
func (h *Host) buildServer() (*server.Server, error) {
	opts := server.Options{
		Config:   h.Config.Server,
		Ready:    h.Ready,
		Registry: h.Registry,
		Logger:   h.Logger,
	}
	var errs []error
	for _, fe := range frontEnds {
		if !fe.endpoint(h.Config).on {
			continue
		}
		m, err := fe.mount(h)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		opts.Mounts = append(opts.Mounts, ringtime.Recording(m, h.Rings))
	}
	if wh := h.webhookOptions(); wh != nil {
		opts.Mounts = append(opts.Mounts, wh.Mount())
	}
	if m, err := h.consoleMount(); err != nil {
		errs = append(errs, fmt.Errorf("console: %w", err))
	} else {
		opts.AdminMounts = append(opts.AdminMounts, m)
	}
	srv, err := server.New(opts)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return srv, nil
}

// Serve builds the indexes in the background and serves HTTP until ctx is
// done. Rings that arrive before the indexes are built get the default
// extension (and /readyz says not ready).
func (h *Host) Serve(ctx context.Context) error {
	srv, err := h.Server()
	if err != nil {
		return err
	}
	h.Directory.Start(ctx)
	go func() {
		select {
		case <-srv.Serving():
			h.Logger.Info("serving", "addr", srv.Addr(), "admin", srv.AdminAddr(), "connectors", h.connectorNames())
		case <-ctx.Done():
		}
	}()
	stopJournal, err := h.startJournal(ctx)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	defer stopJournal() // after the webhook queue drained
	stopWebhook := h.startWebhook(ctx)
	defer h.startSync(ctx)() // scheduled sync (sync.go), stopped after the server
	go func() {
		<-ctx.Done()
		h.doneOnce.Do(func() { close(h.done) }) // the console's live feeds end before the server waits for them
	}()
	err = srv.ListenAndServe(ctx)
	stopWebhook() // after the server: no event arrives while the queue drains
	return err
}

func (h *Host) connectorNames() string {
	names := make([]string, len(h.Plugins))
	for i, p := range h.Plugins {
		names[i] = p.Name()
	}
	return strings.Join(names, ",")
}

// WaitReady blocks until Ready or ctx is done.
func (h *Host) WaitReady(ctx context.Context) error {
	for _, p := range h.Plugins {
		if err := p.WaitUp(ctx); err != nil {
			return fmt.Errorf("plugin %s: %w", p.Name(), err)
		}
	}
	return h.Directory.WaitReady(ctx)
}

// Close stops the directory and every plugin process.
func (h *Host) Close() {
	h.doneOnce.Do(func() { close(h.done) })
	for _, c := range h.closers {
		c()
	}
	if h.Directory != nil {
		h.Directory.Close()
	}
	if h.Manager != nil {
		h.Manager.Shutdown()
	}
}
