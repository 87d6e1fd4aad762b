package directory

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync/atomic"

	"github.com/sony/gobreaker/v2"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// callerGone marks a live call cut short because the caller of Lookup went
// away: not the source's fault, so the breaker does not count it.
type callerGone struct{ err error }

func (e callerGone) Error() string { return "the lookup was cancelled: " + e.err.Error() }
func (e callerGone) Unwrap() error { return e.err }

// liveBreaker is a live source's circuit breaker, kept per process of a
// connector that is Generational: when a new process replaces the one the
// breaker judged (a hung plugin killed and relaunched by the manager's
// watchdog), the breaker is replaced by a fresh, closed one, so that the
// new process is asked at once instead of after the cooldown. gobreaker
// has no reset, hence the swap.
type liveBreaker struct {
	s   *source
	gen Generational // nil: the connector is not replaceable
	cur atomic.Pointer[generationBreaker]
}

// generationBreaker is the breaker for the process of one generation.
type generationBreaker struct {
	cb  *gobreaker.CircuitBreaker[*connectors.LookupResponse]
	gen uint64
}

func newLiveBreaker(s *source) *liveBreaker {
	b := &liveBreaker{s: s}
	b.gen, _ = s.Connector.(Generational)
	first := &generationBreaker{cb: newBreaker(s)}
	if b.gen != nil {
		first.gen = b.gen.Generation()
	}
	b.cur.Store(first)
	return b
}

// current returns the breaker for the connector's current process,
// replacing the previous one if the process changed.
func (b *liveBreaker) current() *gobreaker.CircuitBreaker[*connectors.LookupResponse] {
	cur := b.cur.Load()
	if b.gen == nil {
		return cur.cb
	}
	g := b.gen.Generation()
	if g == cur.gen {
		return cur.cb
	}
	next := &generationBreaker{cb: newBreaker(b.s), gen: g}
	if !b.cur.CompareAndSwap(cur, next) {
		return b.cur.Load().cb // another lookup swapped it
	}
	if st := cur.cb.State(); st != gobreaker.StateClosed {
		b.s.log.Info("the connector's process was replaced: circuit breaker closed, asking the new process",
			"was", st.String(), "generation", g)
	}
	return next.cb
}

// State is the current breaker's state.
func (b *liveBreaker) State() gobreaker.State { return b.current().State() }

// Execute runs fn through the current breaker.
func (b *liveBreaker) Execute(fn func() (*connectors.LookupResponse, error)) (*connectors.LookupResponse, error) {
	return b.current().Execute(fn)
}

func newBreaker(s *source) *gobreaker.CircuitBreaker[*connectors.LookupResponse] {
	failures := uint32(s.BreakerFailures)
	return gobreaker.NewCircuitBreaker[*connectors.LookupResponse](gobreaker.Settings{
		Name:        s.Name,
		MaxRequests: 1,
		Timeout:     s.BreakerCooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
		// Neither a caller giving up, nor a plugin that is not running (a
		// fast failure that never reached the CRM), nor a key lookup the
		// connector refuses (notHealth) says the CRM is unhealthy.
		IsExcluded: func(err error) bool {
			var (
				gone callerGone
				nh   notHealth
			)
			return errors.As(err, &gone) || errors.As(err, &nh) || errors.Is(err, connectors.ErrNotRunning)
		},
		OnStateChange: func(name string, from, to gobreaker.State) {
			switch to {
			case gobreaker.StateOpen:
				s.log.Warn("circuit breaker opened: skipping the source after repeated failures; check the CRM",
					"failures", failures, "retry_after", s.BreakerCooldown)
			default:
				s.log.Info("circuit breaker changed state", "from", from.String(), "to", to.String())
			}
		},
	})
}

// askLive calls the source's LookupByPhone through its breaker under
// min(timeout, what is left of the overall deadline) and re-checks the
// answer. ctx is the caller's context, dctx the one with the overall
// deadline.
func (d *Directory) askLive(ctx, dctx context.Context, s *source, n phone.Number) ([]connectors.Match, error) {
	callCtx, cancel := context.WithTimeout(dctx, s.Timeout)
	defer cancel()
	req := &connectors.LookupRequest{E164: n.E164, National: n.National, Raw: n.Raw}

	resp, err := s.breaker.Execute(func() (*connectors.LookupResponse, error) {
		resp, err := callWithin(callCtx, "LookupByPhone", func(ctx context.Context) (*connectors.LookupResponse, error) {
			return s.Connector.LookupByPhone(ctx, req)
		})
		if err != nil && ctx.Err() != nil {
			return nil, callerGone{err: err}
		}
		return resp, err
	})
	if err != nil {
		class := errorClass(err)
		if class != "canceled" {
			d.metrics.connectorError(s.Name, class)
		}
		return nil, describeLiveError(s, err)
	}
	if resp == nil {
		return nil, nil
	}
	return d.recheck(n, resp.Matches), nil
}

// callWithin makes a connector's call op and returns when it answers or
// ctx ends, whichever is first, so that a connector that ignores its
// context cannot hold the lookup past its deadline (its goroutine ends
// when it returns).
func callWithin[T any](ctx context.Context, op string, call func(context.Context) (T, error)) (T, error) {
	type answer struct {
		resp T
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- answer{err: connectors.Errorf(connectors.ClassPluginBug, op,
					"connector panicked: %v; report this to the connector's author", p)}
			}
		}()
		resp, err := call(ctx)
		ch <- answer{resp, err}
	}()
	select {
	case a := <-ch:
		return a.resp, a.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// errorClass names an error for the connector error metric.
func errorClass(err error) string {
	switch {
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		return "circuit_open"
	case errors.As(err, new(callerGone)):
		return "canceled"
	}
	if c := connectors.ClassOf(err); c != "" {
		return string(c)
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "unknown"
}

// describeLiveError says what happened and what to do.
func describeLiveError(s *source, err error) error {
	switch errorClass(err) {
	case "circuit_open":
		return fmt.Errorf("skipped: circuit breaker open after %d consecutive failures, retried after %v; check the CRM: %w",
			s.BreakerFailures, s.BreakerCooldown, err)
	case "timeout":
		return fmt.Errorf("no answer within %v (or the overall deadline); check the CRM's latency or raise the source's timeout: %w",
			s.Timeout, err)
	}
	return fmt.Errorf("live lookup failed: %w", err)
}

// recheck re-checks a connector's matches against the query with the
// parser's rule (phone.Parser.Match: the host's national_match; a connector
// may match loosely, or more strictly: bundled ones use phone.Match, the
// same_country rule), records the kind and phone
// that really matched, drops records that do not match, sorts strongest
// first and keeps only the strongest kind.
func (d *Directory) recheck(q phone.Number, in []connectors.Match) []connectors.Match {
	out := make([]connectors.Match, 0, len(in))
	for _, m := range in {
		if m.Contact == nil && m.Company == nil {
			continue
		}
		kind, p := d.bestPhone(q, &m)
		if kind == "" {
			continue
		}
		m.Kind, m.Phone = kind, p
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Kind.Strength() > out[j].Kind.Strength() })
	strongest := out[0].Kind
	end := 1
	for end < len(out) && out[end].Kind == strongest {
		end++
	}
	return out[:end]
}

// bestPhone finds the record's strongest match with q: the phone the
// connector named first, then every phone of the record.
func (d *Directory) bestPhone(q phone.Number, m *connectors.Match) (connectors.MatchKind, connectors.Phone) {
	var (
		best     connectors.MatchKind
		bestP    connectors.Phone
		consider = func(p connectors.Phone) {
			n, ok := readStored(d.parser, &p)
			if !ok {
				return
			}
			if k := d.parser.Match(q, n, d.suffixDigits); k.Strength() > best.Strength() {
				best, bestP = k, p
			}
		}
	)
	consider(m.Phone)
	phones := []connectors.Phone(nil)
	if m.Contact != nil {
		phones = m.Contact.Phones
	} else {
		phones = m.Company.Phones
	}
	for _, p := range phones {
		if best == connectors.MatchExact {
			break
		}
		consider(p)
	}
	return best, bestP
}
