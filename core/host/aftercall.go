package host

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/riverqueue/river"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/aftercall"
	"github.com/switchboard-hq/switchboard/core/calljobs"
	"github.com/switchboard-hq/switchboard/core/config"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/journal"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

// The after-call flow (issue 11): the webhook processor records every
// event in the journal before answering; the journal's workers plan and
// run the post-call actions. The journal is opened by Serve, not Build,
// so that `switchboard validate` creates no file.

// buildAfterCall compiles hipcall.after_call (so validate reports its
// problems) when the webhook is on.
func (h *Host) buildAfterCall(cfg *config.Config) error {
	ac := cfg.Hipcall.AfterCall
	if len(ac.Actions) == 0 {
		return nil
	}
	if !cfg.Hipcall.Webhook.Enabled {
		h.Logger.Warn("hipcall.after_call is off: it has actions but hipcall.webhook is not enabled, so no call_hangup arrives")
		return nil
	}
	if h.Hipcall == nil {
		h.Logger.Warn("hipcall.after_call is off: it has actions but hipcall.api.token is empty (set HIPCALL_TOKEN)")
		return nil
	}
	writers := aftercall.WriteCaps{}
	for _, p := range h.Plugins {
		writers[p.Name()] = p.Info()
	}
	a, err := aftercall.New(ac, aftercall.Options{Owners: hipcall.UserIDs(nil, "", cfg.Sync.Owners), Writers: writers})
	var ps connectors.Problems
	switch {
	case errors.As(err, &ps):
		return &config.Problems{List: cfg.Locate("hipcall.after_call", ps)}
	case err != nil:
		return fmt.Errorf("hipcall.after_call: %w", err)
	}
	h.AfterCall = a
	return nil
}

// crmConnector is the connector a post-call write goes to, by its
// connectors: entry name.
func (h *Host) crmConnector(name string) (connectors.Connector, bool) {
	for _, p := range h.Plugins {
		if p.Name() == name {
			return p, true
		}
	}
	return nil, false
}

// learn puts a contact a post-call action created into the index.
func (h *Host) learn(source string, c connectors.Contact) {
	if err := h.Directory.Learn(source, c); err != nil {
		h.Logger.Named("aftercall").Warn("a created contact is recognised only after the next poll or rebuild", "source", source, "contact", c.ID, "error", err)
	}
}

// journalRecorder is the webhook processor's journal until Serve opens it:
// events that arrive before (there are none: the server is not listening
// yet) or after it closes are refused. marks carries the cards the fast
// path handled to markCards.
type journalRecorder struct {
	j     atomic.Pointer[journal.Journal]
	marks chan cardMark
}

// cardMark is a card the fast path handled.
type cardMark struct {
	uuid string
	res  webhook.Result
}

func (r *journalRecorder) Record(ctx context.Context, ev *webhook.Event, body []byte) error {
	j := r.j.Load()
	if j == nil {
		return fmt.Errorf("the journal is not open")
	}
	return calljobs.Recorder{J: j}.Record(ctx, ev, body)
}

// startJournal opens the journal, registers the after-call workers and
// starts them; the returned func stops them within the shutdown timeout.
func (h *Host) startJournal(ctx context.Context) (stop func(), err error) {
	if h.recorder == nil {
		return func() {}, nil
	}
	log := h.Logger.Named("journal")
	j, err := journal.Open(ctx, h.Config.Journal, journal.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	m, err := calljobs.NewMetrics(h.Registry)
	if err != nil {
		j.Stop(ctx)
		return nil, err
	}
	deps := calljobs.Deps{Journal: j, Directory: h.Directory, WaitReady: h.Directory.WaitReady,
		CRM: h.crmConnector, Learn: h.learn, Logger: h.Logger.Named("aftercall"), Metrics: m}
	if h.cards != nil {
		deps.Card = h.cards.Handle
	}
	closeLinks := func() {}
	if h.AfterCall != nil {
		deps.Actions, deps.API = h.AfterCall, calljobs.HipcallAPI{Client: h.Hipcall}
		links, closeStore, err := h.syncLinks(ctx)
		if err != nil {
			log.Warn("tasks are linked only to the ids the webhook carries: the sync state cannot be read", "error", err)
		} else {
			deps.Links, closeLinks = links, closeStore
		}
	}
	calljobs.Register(deps)
	var periodic []*river.PeriodicJob
	if rc := h.Config.Hipcall.AfterCall.Reconcile; h.AfterCall != nil && rc.Interval > 0 {
		calljobs.RegisterReconciler(deps, h.Hipcall, rc)
		periodic = append(periodic, calljobs.ReconcileJob(rc.Interval))
	}
	if err := j.Start(ctx, periodic...); err != nil {
		j.Stop(ctx)
		closeLinks()
		return nil, err
	}
	h.recorder.j.Store(j)
	marked := make(chan struct{})
	go func() {
		defer close(marked)
		markCards(j, h.recorder.marks, log)
	}()
	return func() {
		h.recorder.j.Store(nil)
		close(h.recorder.marks)
		<-marked
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.Config.Server.ShutdownTimeout)
		defer cancel()
		if err := j.Stop(sctx); err != nil {
			log.Warn("journal shutdown: running jobs were cut short; they run again after the restart", "error", err)
		}
		closeLinks()
	}, nil
}

// cardMarker is the card service as the webhook's fast path runs it: each
// card it handled settles the call_init's durable job (on SQLite the job
// is then never queued) and is marked in the journal, off the card's path
// (markCards), so that a job already queued does nothing and operators see
// the card's outcome.
type cardMarker struct {
	webhook.Handler
	rec *journalRecorder
	log hclog.Logger
}

func (m cardMarker) Handle(ctx context.Context, ev *webhook.Event) webhook.Result {
	res := m.Handler.Handle(ctx, ev)
	if res.Outcome == webhook.OutcomeFailed || ev.UUID() == "" {
		return res // the journal's job tries the card once more
	}
	if j := m.rec.j.Load(); j != nil {
		j.Settle(calljobs.CardKey(ev.UUID()))
	}
	// A mark that does not fit is skipped: a job that is queued anyway
	// then pushes a second card, which Hipcall accepts and does not show.
	select {
	case m.rec.marks <- cardMark{uuid: ev.UUID(), res: res}:
	default:
		m.log.Debug("card marks are behind; the journal will check this card again", "call", ev.UUID())
	}
	return res
}

// markBatch caps the marks written in one statement; markEvery is how
// long marks gather before they are written (a queued job checks its
// card's mark calljobs.CardRecheck after it is queued: far later).
const (
	markBatch = 512
	markEvery = 200 * time.Millisecond
)

// markCards records the cards the fast path handled, in batches of what
// gathered over markEvery, until marks closes.
func markCards(j *journal.Journal, marks <-chan cardMark, log hclog.Logger) {
	batch := make(map[string]webhook.Result, markBatch)
	write := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := calljobs.CardsDone(ctx, j, batch); err != nil {
			log.Warn("could not record that cards were handled; the journal will check them again", "cards", len(batch), "error", err)
		}
		clear(batch)
	}
	t := time.NewTicker(markEvery)
	defer t.Stop()
	for {
		select {
		case m, ok := <-marks:
			if !ok {
				write()
				return
			}
			batch[m.uuid] = m.res
			if len(batch) >= markBatch {
				write()
			}
		case <-t.C:
			write()
		}
	}
}

// CallEnded passes the hangup on to the card service.
func (m cardMarker) CallEnded(uuid string) {
	if l, ok := m.Handler.(webhook.CallEndedListener); ok {
		l.CallEnded(uuid)
	}
}
