package host

import (
	"context"
	"fmt"

	"github.com/switchboard-hq/switchboard/core/callview"
	"github.com/switchboard-hq/switchboard/core/console"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/journal"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/server"
)

// consoleMount builds the operator console for the admin listener: the
// ring log the front ends record into, decisions explained by this host's
// directory and rules, the journal's calls (when the webhook journals
// them) and the connectors' health.
func (h *Host) consoleMount() (server.Mount, error) {
	opts := console.Options{
		Rings:     h.Rings,
		Explainer: explainer{h},
		Targets:   h.answeredTargets(),
		Health:    health{h},
		Quality:   quality{h},
		Done:      h.done,
		Logger:    h.Logger.Named("console"),
	}
	if h.flow != nil {
		opts.Flow = h.flow
	}
	if h.Hipcall != nil { // the sync needs Hipcall's API
		runs := newSyncRuns(h.Config.Sync.Store.StoreOptions())
		opts.Syncs = runs
		h.closers = append(h.closers, runs.close)
	}
	if h.Config.Hipcall.Webhook.Enabled {
		calls := newJournalCalls(h.Config.Journal)
		opts.Calls = calls
		h.closers = append(h.closers, calls.close)
	}
	return console.New(opts)
}

// answeredTargets are the decision points of the phone systems this host
// answers: a Hipcall-only setup is not shown what Ringostat would get.
func (h *Host) answeredTargets() []string {
	var out []string
	for _, fe := range frontEnds {
		if fe.target != nil && fe.endpoint(h.Config).on {
			out = append(out, fe.target(h.Parser).Name)
		}
	}
	return out
}

// explainer explains a number's decision now, with the host's data and
// rules (console.Explainer).
type explainer struct{ h *Host }

func (e explainer) Explain(ctx context.Context, caller, target string) (directory.Result, routing.Explanation) {
	res := e.h.Directory.Lookup(ctx, caller)
	return res, e.h.Router.Explain(res, routing.Call{Caller: caller}, target)
}

// health is the connectors' state for the console (console.Health).
type health struct{ h *Host }

func (hh health) Sources() []directory.SourceStats { return hh.h.Directory.Stats() }

func (hh health) Plugins() []console.Plugin {
	out := make([]console.Plugin, len(hh.h.Plugins))
	for i, p := range hh.h.Plugins {
		out[i] = console.Plugin{Name: p.Name(), Up: p.Up(), Restarts: p.Restarts(), Pid: p.Pid()}
	}
	return out
}

// journalCalls reads the journal the host writes, through a reader of its
// own opened on first use (as `switchboard calls` does).
type journalCalls struct{ lazy[*journal.Reader] }

func newJournalCalls(cfg journal.Config) *journalCalls {
	return &journalCalls{lazy[*journal.Reader]{open: func(ctx context.Context) (*journal.Reader, error) {
		r, err := journal.OpenReader(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("open the journal to read calls: %w", err)
		}
		return r, nil
	}}}
}

func (j *journalCalls) List(ctx context.Context, f callview.Filter) ([]callview.Call, int, error) {
	r, err := j.get(ctx)
	if err != nil {
		return nil, 0, err
	}
	return callview.List(ctx, r, f)
}

func (j *journalCalls) Get(ctx context.Context, uuid string) (*callview.Call, error) {
	r, err := j.get(ctx)
	if err != nil {
		return nil, err
	}
	return callview.Get(ctx, r, uuid)
}

func (j *journalCalls) Retry(ctx context.Context, uuid string, jobID int64, force bool) (string, error) {
	r, err := j.get(ctx)
	if err != nil {
		return "", err
	}
	out, err := callview.Retry(ctx, r, callview.StepRef{JobID: jobID}, force)
	return out.Message, err
}

func (j *journalCalls) Resolve(ctx context.Context, uuid string, jobID int64, target string) (string, error) {
	r, err := j.get(ctx)
	if err != nil {
		return "", err
	}
	out, err := callview.Resolve(ctx, r, callview.StepRef{JobID: jobID}, target)
	return out.Message, err
}
