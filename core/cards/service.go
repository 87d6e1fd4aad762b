package cards

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

// DefaultPushDeadline bounds a card's lookup, render and push, retries
// included.
const DefaultPushDeadline = 20 * time.Second

// Lookuper finds the caller; *directory.Directory satisfies it.
type Lookuper interface {
	Lookup(ctx context.Context, raw string) directory.Result
}

// Pusher sends a card to Hipcall; *hipcall.Client satisfies it (and
// retries 5xx, 429 and network failures within ctx).
type Pusher interface {
	PushCard(ctx context.Context, callUUID string, card []hipcall.Row) (*hipcall.CardResult, error)
}

// ServiceOptions configure a Service.
type ServiceOptions struct {
	// Builder renders the cards. Required.
	Builder *Builder
	// Directory finds the caller. Required.
	Directory Lookuper
	// Pusher sends the card. Required.
	Pusher Pusher
	// OnEvents are the events that trigger a card (default call_init).
	OnEvents []string
	// PushDeadline bounds lookup and push, retries included (default
	// DefaultPushDeadline).
	PushDeadline time.Duration
	// Ended reports whether a call's call_hangup has arrived; nil means
	// never. (*webhook.Processor).Ended or (*webhook.Dedup).Ended.
	Ended func(uuid string) bool
	// Registerer receives the metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// Logger receives details at debug level; the per-event line is the
	// webhook processor's.
	Logger hclog.Logger
	// Now is the clock for the latency metric (default time.Now).
	Now func() time.Time
}

// Outcomes of Handle (label of switchboard_webhook_handled_total).
const (
	OutcomePushed  = "pushed"
	OutcomeSkipped = "skipped"
	OutcomeFailed  = "failed"
)

// Reasons a card was skipped (label of switchboard_cards_skipped_total).
const (
	SkipNoCall        = "no_call"        // no call payload or no uuid
	SkipInternal      = "internal"       // an internal call: no customer
	SkipNoNumber      = "no_number"      // no customer number in the payload
	SkipCallEnded     = "call_ended"     // call_hangup came before the work started
	SkipUnknownCaller = "unknown_caller" // nobody found and no unknown_caller card
	SkipAmbiguous     = "ambiguous"      // several records and no ambiguous card
)

// Reasons a card failed (label of switchboard_cards_failed_total).
const (
	FailLookup       = "lookup_failed" // the CRM could not answer and nothing was found
	FailAbandoned    = "abandoned"     // the call ended while the card was being pushed
	FailDeadline     = "deadline"      // push_deadline passed
	FailRejected     = "rejected"      // Hipcall refused the card (422), or it was invalid
	FailUnauthorized = "unauthorized"  // Hipcall refused the token (401/403)
	FailRateLimited  = "rate_limited"  // still 429 after the retries
	FailHipcall      = "hipcall_error" // Hipcall kept failing (5xx) or answered oddly
	FailNetwork      = "network"       // no answer from Hipcall
	FailShutdown     = "shutdown"      // the host stopped
)

var (
	errCallEnded = errors.New("the call ended (call_hangup arrived) before its card was accepted")
	errDeadline  = errors.New("the push deadline passed")
)

// hangupGrace is how long a push already sent may still be answered after
// the call's call_hangup arrives. An answer within it is the truth (the
// card was accepted, or refused); without one the push is abandoned.
var hangupGrace = 500 * time.Millisecond

// Service is the webhook handler that pushes Insight Cards: for each
// triggering event it finds the customer, renders the card and pushes it.
// When the call's call_hangup arrives it makes no new attempt, and abandons
// an attempt in flight that Hipcall has not answered within hangupGrace.
type Service struct {
	opts    ServiceOptions
	metrics *metrics

	mu       sync.Mutex
	inflight map[string]map[uint64]*pushing
	next     uint64
}

// NewService checks the options and registers the metrics.
func NewService(opts ServiceOptions) (*Service, error) {
	var errs []error
	if opts.Builder == nil {
		errs = append(errs, errors.New("a card builder (ServiceOptions.Builder) is required"))
	}
	if opts.Directory == nil {
		errs = append(errs, errors.New("a directory (ServiceOptions.Directory) is required to find callers"))
	}
	if opts.Pusher == nil {
		errs = append(errs, errors.New("a Hipcall client (ServiceOptions.Pusher) is required to push cards"))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("cards: %w", errors.Join(errs...))
	}
	if len(opts.OnEvents) == 0 {
		opts.OnEvents = []string{webhook.CallInit}
	}
	if opts.PushDeadline <= 0 {
		opts.PushDeadline = DefaultPushDeadline
	}
	if opts.Ended == nil {
		opts.Ended = func(string) bool { return false }
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("cards: %w", err)
	}
	return &Service{opts: opts, metrics: m, inflight: map[string]map[uint64]*pushing{}}, nil
}

// Wants reports whether the event triggers a card.
func (s *Service) Wants(ev *webhook.Event) bool { return slices.Contains(s.opts.OnEvents, ev.Name) }

// pushing is a card being made for a call that may end meanwhile.
type pushing struct {
	cancel context.CancelCauseFunc
	ended  chan struct{} // closed when the call's call_hangup arrives
	once   sync.Once
}

// end notes the hangup: no new attempt starts, and what is in flight is
// cancelled unless it is answered within hangupGrace.
func (p *pushing) end() {
	p.once.Do(func() {
		close(p.ended)
		time.AfterFunc(hangupGrace, func() { p.cancel(errCallEnded) })
	})
}

// hungUp reports whether the call's call_hangup has arrived.
func (p *pushing) hungUp() bool {
	select {
	case <-p.ended:
		return true
	default:
		return false
	}
}

// CallEnded ends every push in flight for the call (see pushing.end).
func (s *Service) CallEnded(uuid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.inflight[uuid] {
		p.end()
	}
}

// track registers a push for uuid so that CallEnded can end it; the
// returned func unregisters it.
func (s *Service) track(uuid string, cancel context.CancelCauseFunc) (*pushing, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.next
	s.next++
	if s.inflight[uuid] == nil {
		s.inflight[uuid] = map[uint64]*pushing{}
	}
	p := &pushing{cancel: cancel, ended: make(chan struct{})}
	s.inflight[uuid][id] = p
	return p, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.inflight[uuid], id)
		if len(s.inflight[uuid]) == 0 {
			delete(s.inflight, uuid)
		}
	}
}

// Handle finds the customer of the event's call, renders the card and
// pushes it within the push deadline.
func (s *Service) Handle(ctx context.Context, ev *webhook.Event) webhook.Result {
	call := ev.Call
	if call == nil || call.UUID == "" {
		return s.skip(SkipNoCall)
	}
	if call.Direction == webhook.Internal {
		return s.skip(SkipInternal)
	}
	number := call.CustomerNumber()
	if number == "" {
		return s.skip(SkipNoNumber)
	}
	if s.opts.Ended(call.UUID) {
		return s.skip(SkipCallEnded)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	pushing, untrack := s.track(call.UUID, cancel)
	defer untrack()
	if s.opts.Ended(call.UUID) { // the hangup came while registering
		return s.skip(SkipCallEnded)
	}
	ctx, stop := context.WithTimeoutCause(ctx, s.opts.PushDeadline, errDeadline)
	defer stop()
	// A card goes before every other request waiting for the token's
	// budget: one that arrives after the agent answered is worthless.
	ctx = hipcall.WithPriority(ctx, hipcall.PriorityCard)

	res := s.opts.Directory.Lookup(ctx, number)
	fields := []any{"match", res.Outcome()}
	if res.Found && res.Match != nil {
		fields = append(fields, "record", res.Match.Key(), "source", res.Source)
	}
	if ctx.Err() != nil {
		return s.fail(s.classify(ctx, ctx.Err()), fmt.Errorf("looking the caller up: %w", context.Cause(ctx)), fields)
	}
	if !res.Found && !res.Ambiguous && len(res.Errors) > 0 {
		return s.fail(FailLookup, fmt.Errorf("looking the caller up: %w", errors.Join(sourceErrors(res.Errors)...)), fields)
	}
	card := s.opts.Builder.Build(res, call)
	fields = append(fields, "card", string(card.Kind))
	if len(card.Problems) > 0 {
		fields = append(fields, "template_problems", card.Problems)
	}
	if card.Rows == nil {
		reason := SkipUnknownCaller
		if card.Kind == KindAmbiguous {
			reason = SkipAmbiguous
		}
		r := s.skip(reason)
		r.Fields = fields
		return r
	}

	if err := s.push(ctx, pushing, call.UUID, card.Rows); err != nil {
		reason := s.classify(ctx, err)
		switch {
		case errors.Is(err, errCallEnded): // no attempt after the hangup
			reason = FailAbandoned
		case reason == FailAbandoned: // an attempt cut off after the grace
			err = fmt.Errorf("%w: Hipcall did not answer the push within %s after call_hangup, so whether it shows the card is unknown",
				errCallEnded, hangupGrace)
		}
		return s.fail(reason, err, fields)
	}
	latency := s.opts.Now().Sub(ev.Received)
	s.metrics.pushed.Inc()
	s.metrics.latency.Observe(latency.Seconds())
	return webhook.Result{Outcome: OutcomePushed, Fields: append(fields, "rows", len(card.Rows))}
}

// push sends the card, and sends it again after a pause while Hipcall
// keeps failing in a way worth retrying (the client has its own retries;
// this goes on until the push deadline). A duplicate card is harmless:
// the screen keeps the first.
func (s *Service) push(ctx context.Context, p *pushing, uuid string, rows []hipcall.Row) error {
	for round := 0; ; round++ {
		if p.hungUp() { // no new attempt once the call has ended
			return errCallEnded
		}
		_, err := s.opts.Pusher.PushCard(ctx, uuid, rows)
		if err == nil || ctx.Err() != nil {
			return err // an answer that came after the hangup is still the truth
		}
		switch s.classify(ctx, err) {
		case FailHipcall, FailNetwork, FailRateLimited:
		default:
			return err
		}
		pause := min(retryPause<<round, 2*time.Second)
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-p.ended:
			t.Stop()
			return errCallEnded
		case <-ctx.Done():
			t.Stop()
			return err
		}
	}
}

// retryPause is the first pause between rounds of push retries; it
// doubles up to 2s.
var retryPause = 250 * time.Millisecond

func sourceErrors(list []directory.SourceError) []error {
	errs := make([]error, len(list))
	for i, e := range list {
		errs[i] = e
	}
	return errs
}

func (s *Service) skip(reason string) webhook.Result {
	s.metrics.skipped.WithLabelValues(reason).Inc()
	return webhook.Result{Outcome: OutcomeSkipped, Reason: reason}
}

func (s *Service) fail(reason string, err error, fields []any) webhook.Result {
	s.metrics.failed.WithLabelValues(reason).Inc()
	return webhook.Result{Outcome: OutcomeFailed, Reason: reason, Err: err, Fields: fields}
}

// classify names why a push failed.
func (s *Service) classify(ctx context.Context, err error) string {
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errCallEnded):
		return FailAbandoned
	case errors.Is(cause, errDeadline):
		return FailDeadline
	case cause != nil:
		return FailShutdown
	}
	var ce *hipcall.CardError
	var ae *hipcall.APIError
	var re *hipcall.RequestError
	switch {
	case errors.As(err, &ce), hipcall.IsValidation(err):
		return FailRejected
	case errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden):
		return FailUnauthorized
	case hipcall.IsRateLimited(err):
		return FailRateLimited
	case errors.As(err, &re):
		return FailNetwork
	}
	return FailHipcall
}
