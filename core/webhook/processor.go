package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/core/lenient"
	"github.com/switchboard-hq/switchboard/core/server"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultPath        = "/hipcall/webhook"
	DefaultQueueSize   = 10000
	DefaultWorkers     = 4
	DefaultDedupWindow = 10 * time.Minute
)

// Handler does the work an event calls for, after it was answered.
type Handler interface {
	// Wants reports whether the event is worth queueing; events it does
	// not want are logged as ignored at once.
	Wants(ev *Event) bool
	// Handle does the work. ctx ends when the processor shuts down
	// without time to finish.
	Handle(ctx context.Context, ev *Event) Result
}

// CallEndedListener is implemented by handlers that want to hear at once,
// when the event arrives and not when a worker reaches it, that a call
// ended (its call_hangup came), to abandon work for it.
type CallEndedListener interface {
	CallEnded(uuid string)
}

// Recorder stores an event durably (the host's journal). When set, the
// processor answers 200 only after Record returned nil: an event Hipcall
// was told we accepted survives a crash. body is the request body as
// received.
type Recorder interface {
	Record(ctx context.Context, ev *Event, body []byte) error
}

// recordTimeout bounds Record: past it the event is answered 503 (Hipcall
// counts a failure rather than a silent loss).
const recordTimeout = 2 * time.Second

// Result is what handling an event came to, for its log line.
type Result struct {
	// Outcome is a short word ("pushed", "skipped", "failed"); it labels
	// switchboard_webhook_handled_total, so keep the set small.
	Outcome string
	// Reason details the outcome ("unknown_caller", "rejected").
	Reason string
	// Err is the error behind a failure.
	Err error
	// Fields are more key/value pairs for the log line. Never pass
	// secrets.
	Fields []any
}

// Outcomes the processor itself gives.
const (
	OutcomeIgnored   = "ignored"
	OutcomeDuplicate = "duplicate"
	OutcomeDropped   = "dropped"
	OutcomeFailed    = "failed"
)

// Options configure a Processor.
type Options struct {
	// Path is the endpoint's path (default DefaultPath); a token may
	// follow it as one more segment.
	Path string
	// Auth says how requests authenticate. Required (or InsecureNoAuth).
	Auth AuthOptions
	// MaxBodyBytes caps a body (default: the server's, server.DefaultConfig).
	MaxBodyBytes int64
	// QueueSize bounds the events waiting for a worker (default
	// DefaultQueueSize).
	QueueSize int
	// Workers handle events concurrently (default DefaultWorkers).
	Workers int
	// Dedup remembers (event, call) pairs and hangups; default a store
	// with DefaultDedupWindow. Share it with handlers that ask Ended.
	Dedup *Dedup
	// Handler does the work; nil logs every event as ignored.
	Handler Handler
	// Journal, when set, stores every authenticated, well-formed event
	// that is not a duplicate before it is answered (see Recorder).
	Journal Recorder
	// Logger receives one line per event; nil discards.
	Logger hclog.Logger
	// Registerer receives the metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Processor answers webhook requests at once and handles their events
// afterwards on a bounded queue with a pool of workers. Mount it as an
// http.Handler; Start the workers; Stop drains.
type Processor struct {
	opts    Options
	auth    *auth
	dedup   *Dedup
	log     hclog.Logger
	metrics *metrics
	queue   chan *Event

	mu      sync.RWMutex // guards closed against sends on a closed queue
	closed  bool
	started bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// New checks the options and returns a Processor whose workers are not
// started yet.
func New(opts Options) (*Processor, error) {
	if opts.Path == "" {
		opts.Path = DefaultPath
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = server.DefaultConfig().MaxBodyBytes
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Dedup == nil {
		opts.Dedup = NewDedup(DefaultDedupWindow, 0, opts.Now)
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	a, err := newAuth(opts.Path, opts.Auth)
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	p := &Processor{
		opts:  opts,
		auth:  a,
		dedup: opts.Dedup,
		log:   opts.Logger,
		queue: make(chan *Event, opts.QueueSize),
	}
	p.metrics, err = newMetrics(opts.Registerer, func() float64 { return float64(len(p.queue)) })
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	return p, nil
}

// Ended reports whether the call's call_hangup has arrived (within the
// dedup window).
func (p *Processor) Ended(uuid string) bool { return p.dedup.Ended(uuid) }

// Start runs the workers until Stop (or until ctx ends, which abandons
// the work in hand). It may be called once.
func (p *Processor) Start(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started || p.closed {
		return
	}
	p.started = true
	ctx, p.cancel = context.WithCancel(context.WithoutCancel(ctx))
	for range p.opts.Workers {
		p.wg.Add(1)
		go p.work(ctx)
	}
}

// Stop stops taking events (later ones are answered 200 and counted as
// dropped), lets the workers finish the queue within timeout, then
// abandons what is left (counted as dropped) and returns an error saying
// how much that was.
func (p *Processor) Stop(timeout time.Duration) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.queue)
	started := p.started
	p.mu.Unlock()

	if !started {
		n := 0
		for ev := range p.queue {
			p.drop(ev, dropShutdown)
			n++
		}
		return abandoned(n)
	}
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
		p.cancel()
		return nil
	case <-t.C:
	}
	left := len(p.queue)
	p.cancel() // in-flight work ends; workers drop the rest
	select {
	case <-done:
	case <-time.After(time.Second):
	}
	return abandoned(left)
}

func abandoned(n int) error {
	if n == 0 {
		return nil
	}
	return fmt.Errorf("webhook: %d queued event(s) were not handled before the shutdown timeout (raise the shutdown timeout, or add workers)", n)
}

// work handles queued events until the queue is closed and empty.
func (p *Processor) work(ctx context.Context) {
	defer p.wg.Done()
	for ev := range p.queue {
		if ctx.Err() != nil {
			p.drop(ev, dropShutdown)
			continue
		}
		res := p.handle(ctx, ev)
		p.done(ev, res)
	}
}

// handle runs the handler, turning a panic into a failure.
func (p *Processor) handle(ctx context.Context, ev *Event) (res Result) {
	defer func() {
		if v := recover(); v != nil {
			res = Result{Outcome: OutcomeFailed, Reason: "panic", Err: fmt.Errorf("handler panic: %v", v),
				Fields: []any{"stack", string(debug.Stack())}}
		}
	}()
	return p.opts.Handler.Handle(ctx, ev)
}

// ServeHTTP authenticates, reads and parses the event, and answers at once.
func (p *Processor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reply(w, http.StatusMethodNotAllowed, `{"error":"use POST"}`)
		return
	}
	if status, reason := p.auth.check(r); status != 0 {
		p.metrics.authFailures.WithLabelValues(reason).Inc()
		p.log.Warn("webhook refused", "status", status, "reason", reason, "remote", r.RemoteAddr)
		if reason == authBasicMissing || reason == authBasicWrong {
			w.Header().Set("WWW-Authenticate", `Basic realm="switchboard"`)
		}
		if status == http.StatusForbidden {
			reply(w, status, `{"error":"forbidden"}`)
			return
		}
		reply(w, status, `{"error":"unauthorized"}`)
		return
	}
	received := p.opts.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, p.opts.MaxBodyBytes+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe) || err == nil && int64(len(body)) > p.opts.MaxBodyBytes:
		p.log.Warn("webhook refused", "status", http.StatusRequestEntityTooLarge, "reason", "body_too_large", "limit", p.opts.MaxBodyBytes)
		reply(w, http.StatusRequestEntityTooLarge, `{"error":"body too large"}`)
		return
	case err != nil:
		p.log.Warn("webhook refused", "status", http.StatusBadRequest, "reason", "read_failed", "error", err)
		reply(w, http.StatusBadRequest, `{"error":"could not read the body"}`)
		return
	}
	ev, err := Parse(body)
	if errors.Is(err, ErrDuplicateKey) {
		// Ambiguous: refused like a body that is not JSON, never read one
		// way or the other.
		p.log.Warn("webhook refused", "status", http.StatusBadRequest, "reason", lenient.ProblemDuplicateKey, "error", err, "bytes", len(body))
		reply(w, http.StatusBadRequest, `{"error":"body is ambiguous: a JSON object in it holds the same key twice (keys are compared case-insensitively)"}`)
		return
	}
	if err != nil {
		p.log.Warn("webhook refused", "status", http.StatusBadRequest, "reason", "not_json", "error", err, "bytes", len(body))
		reply(w, http.StatusBadRequest, `{"error":"body is not a JSON object"}`)
		return
	}
	ev.Received = received
	if p.opts.Journal != nil && !p.duplicate(ev) {
		ctx, cancel := context.WithTimeout(r.Context(), recordTimeout)
		err := p.opts.Journal.Record(ctx, ev, body)
		cancel()
		if err != nil {
			p.metrics.notRecorded.Inc()
			p.log.Error("webhook refused: the event could not be stored in the journal, so it was not accepted",
				"status", http.StatusServiceUnavailable, "event", ev.Name, "call", ev.UUID(), "error", err)
			reply(w, http.StatusServiceUnavailable, `{"error":"the event could not be stored; it was not accepted"}`)
			return
		}
	}
	reply(w, http.StatusOK, `{"status":"`+p.accept(ev)+`"}`)
}

// duplicate reports whether the event was seen within the dedup window,
// without marking it seen (accept does).
func (p *Processor) duplicate(ev *Event) bool {
	key := ev.dedupKey()
	return key != "" && p.dedup.Has(key)
}

// accept dedups and queues an event and says what became of it.
func (p *Processor) accept(ev *Event) string {
	p.metrics.events.WithLabelValues(eventLabel(ev.Name)).Inc()
	if key := ev.dedupKey(); key != "" && p.dedup.Seen(key) {
		p.metrics.deduplicated.Inc()
		p.logEvent(hclog.Info, ev, Result{Outcome: OutcomeDuplicate})
		return OutcomeDuplicate
	}
	if ev.Name == CallHangup && ev.UUID() != "" {
		if l, ok := p.opts.Handler.(CallEndedListener); ok {
			l.CallEnded(ev.UUID())
		}
	}
	if p.opts.Handler == nil || !p.opts.Handler.Wants(ev) {
		p.done(ev, Result{Outcome: OutcomeIgnored})
		return OutcomeIgnored
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		p.drop(ev, dropShutdown)
		return OutcomeDropped
	}
	select {
	case p.queue <- ev:
		return "queued"
	default:
		p.drop(ev, dropQueueFull)
		return OutcomeDropped
	}
}

// drop counts and logs an event that will not be handled.
func (p *Processor) drop(ev *Event, reason string) {
	p.metrics.dropped.WithLabelValues(reason).Inc()
	p.logEvent(hclog.Warn, ev, Result{Outcome: OutcomeDropped, Reason: reason})
}

// done counts and logs a handled (or ignored) event.
func (p *Processor) done(ev *Event, res Result) {
	p.metrics.handled.WithLabelValues(res.Outcome).Inc()
	level := hclog.Info
	switch {
	case res.Reason == "panic":
		level = hclog.Error
	case res.Outcome == OutcomeFailed:
		level = hclog.Warn
	}
	p.logEvent(level, ev, res)
}

// logEvent writes the event's one log line.
func (p *Processor) logEvent(level hclog.Level, ev *Event, res Result) {
	fields := make([]any, 0, 14+len(res.Fields))
	name := ev.Name
	if name == "" {
		name = ev.RawName
	}
	if len(name) > 64 {
		name = name[:64] + "..."
	}
	fields = append(fields, "event", name)
	if !ev.Known() {
		fields = append(fields, "known", false)
	}
	if ev.Legacy {
		fields = append(fields, "legacy", true)
	}
	if ev.Call != nil {
		fields = append(fields, "uuid", ev.Call.UUID, "direction", ev.Call.Direction)
	}
	fields = append(fields, "outcome", res.Outcome)
	if res.Reason != "" {
		fields = append(fields, "reason", res.Reason)
	}
	fields = append(fields, "latency", p.opts.Now().Sub(ev.Received))
	if res.Err != nil {
		fields = append(fields, "error", res.Err.Error())
	}
	fields = append(fields, res.Fields...)
	p.log.Log(level, "webhook event", fields...)
}

// reply writes a small JSON answer.
func reply(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}
