package host

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/config"
	"github.com/switchboard-hq/switchboard/core/crmsync"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/store"
)

// SyncOptions tune a sync engine built from the host.
type SyncOptions struct {
	// Connector overrides sync.source: the connector to read.
	Connector string
	// OnProgress and ProgressInterval are passed to the engine.
	OnProgress       func(crmsync.Progress)
	ProgressInterval time.Duration
	// Logger overrides the host's logger for the engine.
	Logger hclog.Logger
}

// syncProblems checks the sync's field mappings (crmsync.ValidateFields),
// each at its field's position.
func syncProblems(cfg *config.Config) []config.Problem {
	var out []config.Problem
	for _, r := range []struct {
		res  store.Resource
		opts crmsync.ResourceOptions
		path string
	}{
		{store.Companies, cfg.Sync.Companies, "sync.companies.fields"},
		{store.Contacts, cfg.Sync.Contacts, "sync.contacts.fields"},
	} {
		if !r.opts.Enabled {
			continue
		}
		for field, spec := range r.opts.Fields {
			for _, secret := range secretFields(cfg) {
				if strings.Contains(spec, "fields."+secret) || strings.Contains(spec, `fields["`+secret+`"]`) {
					out = append(out, config.Problem{Pos: cfg.PosOf(r.path + "." + field), Message: fmt.Sprintf(
						"%s.%s: reads %s, the field of a hashed lookup key (a PIN): the sync would send it to Hipcall; map another field", r.path, field, secret)})
				}
			}
		}
		for _, fe := range crmsync.ValidateFields(r.res, r.opts.Fields) {
			at := r.path + "." + fe.Field
			if _, ok := r.opts.Fields[fe.Field]; !ok {
				at = r.path // a default the mapping lacks: the mapping itself
			}
			out = append(out, config.Problem{Pos: cfg.PosOf(at), Message: r.path + ": " + fe.Err.Error()})
		}
	}
	return out
}

// secretFields are the record fields of the connectors' hashed lookup
// keys (PINs): nothing may copy them elsewhere.
func secretFields(cfg *config.Config) []string {
	var out []string
	for _, c := range cfg.Connectors {
		keys, _ := directory.ParseKeys(c.Keys)
		for _, k := range keys {
			if k.Hash != directory.HashNone {
				out = append(out, k.Field)
			}
		}
	}
	return out
}

// syncSources picks the connectors the sync reads: the one named (or
// sync.source), else every connector that can list records.
func (h *Host) syncSources(name string) ([]crmsync.Source, error) {
	if name == "" {
		name = h.Config.Sync.Source
	}
	var out []crmsync.Source
	for _, p := range h.Plugins {
		if name != "" && p.Name() != name {
			continue
		}
		info := p.Info()
		if !info.Has(connectors.CapListCompanies) && !info.Has(connectors.CapListContacts) {
			if name != "" {
				return nil, fmt.Errorf("connector %q (%s) cannot list records, so it cannot be synced", name, info.Name)
			}
			continue
		}
		out = append(out, crmsync.Source{Name: p.Name(), Connector: p})
	}
	switch {
	case len(out) > 0:
		return out, nil
	case name != "":
		return nil, fmt.Errorf("no connector named %q: use one of %s", name, h.connectorNames())
	default:
		return nil, errors.New("no connector can list records: the sync needs one (the CSV connector can)")
	}
}

// NewSync builds the CRM → Hipcall sync engine and opens its state store;
// close the store when done.
func (h *Host) NewSync(ctx context.Context, o SyncOptions) (*crmsync.Engine, store.Store, error) {
	cfg := h.Config
	if h.Hipcall == nil {
		return nil, nil, errors.New("the sync needs Hipcall's API, and hipcall.api.token is empty: set it (such as ${HIPCALL_TOKEN})")
	}
	sources, err := h.syncSources(o.Connector)
	if err != nil {
		return nil, nil, fmt.Errorf("sync: %w", err)
	}
	st, err := store.Open(ctx, cfg.Sync.Store.StoreOptions())
	if err != nil {
		return nil, nil, fmt.Errorf("sync: %w", err)
	}
	log := o.Logger
	if log == nil {
		log = h.Logger.Named("sync")
	}
	opts := cfg.Sync.Options()
	opts.Client, opts.Store, opts.Sources, opts.Parser = h.Hipcall, st, sources, h.Parser
	opts.OnProgress, opts.ProgressInterval, opts.Logger = o.OnProgress, o.ProgressInterval, log
	eng, err := crmsync.New(opts)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return eng, st, nil
}

// syncMetrics count scheduled syncs.
type syncMetrics struct {
	runs        *prometheus.CounterVec
	records     *prometheus.CounterVec
	lastSuccess prometheus.Gauge
}

func newSyncMetrics(reg prometheus.Registerer) *syncMetrics {
	m := &syncMetrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_sync_runs_total",
			Help: "Scheduled CRM → Hipcall sync runs, by outcome (done, failed: some records failed, error: the run could not be done, busy: another run held the lease, skipped: the previous run was still going).",
		}, []string{"outcome"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_sync_records_total",
			Help: "Records handled by scheduled syncs, by resource and outcome (created, updated, unchanged, skipped, failed).",
		}, []string{"resource", "outcome"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "switchboard_sync_last_success_timestamp_seconds",
			Help: "When the last scheduled sync without failed records finished (unix seconds).",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.runs, m.records, m.lastSuccess)
	}
	return m
}

func (m *syncMetrics) observe(s *crmsync.Summary) {
	for res, c := range map[store.Resource]crmsync.Counts{store.Companies: s.Companies, store.Contacts: s.Contacts} {
		for outcome, n := range map[string]int64{"created": c.Created, "updated": c.Updated, "unchanged": c.Unchanged, "skipped": c.Skipped, "failed": c.Failed} {
			m.records.WithLabelValues(string(res), outcome).Add(float64(n))
		}
	}
}

// startSync runs the sync every sync.interval inside serve, one run at a
// time: a tick that finds the previous run still going is skipped. The
// first run starts at once. stop ends the schedule, waits for a run in
// progress (it stops at its next record) and closes the state store.
func (h *Host) startSync(ctx context.Context) (stop func()) {
	cfg := h.Config.Sync
	if cfg.Interval <= 0 {
		return func() {}
	}
	log := h.Logger.Named("sync")
	eng, st, err := h.NewSync(ctx, SyncOptions{Logger: log})
	if err != nil {
		log.Error("scheduled sync is off", "error", err)
		return func() {}
	}
	m := newSyncMetrics(h.Registry)
	ctx, cancel := context.WithCancel(ctx)
	var running atomic.Bool
	var wg sync.WaitGroup
	done := make(chan struct{})
	runOnce := func() {
		defer wg.Done()
		defer running.Store(false)
		sum, err := eng.Run(ctx, crmsync.RunOptions{})
		switch {
		case errors.Is(err, crmsync.ErrBusy):
			m.runs.WithLabelValues("busy").Inc()
			log.Info("scheduled sync skipped", "reason", err)
			return
		case err != nil:
			m.runs.WithLabelValues("error").Inc()
			log.Error("scheduled sync failed", "error", err)
		case sum.Failed() > 0:
			m.runs.WithLabelValues("failed").Inc()
		default:
			m.runs.WithLabelValues("done").Inc()
			m.lastSuccess.SetToCurrentTime()
		}
		m.observe(sum)
		log.Info("scheduled sync finished", "companies", fmt.Sprintf("%+v", sum.Companies), "contacts", fmt.Sprintf("%+v", sum.Contacts),
			"requests", sum.Requests, "rate_limited", sum.RateLimited, "wall", sum.Wall.Round(time.Millisecond))
	}
	tick := func() {
		if !running.CompareAndSwap(false, true) {
			m.runs.WithLabelValues("skipped").Inc()
			log.Warn("scheduled sync tick skipped: the previous run is still going", "interval", cfg.Interval)
			return
		}
		wg.Add(1)
		go runOnce()
	}
	go func() {
		defer close(done)
		t := time.NewTicker(cfg.Interval)
		defer t.Stop()
		tick()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				tick()
			}
		}
	}()
	log.Info("scheduled sync on", "interval", cfg.Interval)
	return func() {
		cancel()
		<-done
		wg.Wait() // a run stops at its next record
		if err := st.Close(); err != nil {
			log.Warn("closing the sync state store", "error", err)
		}
	}
}
