package ringtime

import (
	"context"
	"net/http"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/ringlog"
	"github.com/switchboard-hq/switchboard/core/server"
)

// Recording (issue 15) makes a front end's endpoint record every ring it
// answers in log, for the operator console: the request's context carries
// the ring's record, Decide fills in the lookup and decision, CountFallback
// the fallback, Answered the answer, and the record is added to log when
// the handler returns (also when it panics, as a panic fallback) and when
// the endpoint's rate limit answers (OnLimited). A nil log returns m as it
// is. The front end is m.Name ("smart_ivr", "ringostat").
//
// Per ring this costs the record (one allocation holding the record and
// the context that carries it) and the request's copy for that context.
func Recording(m server.Mount, log *ringlog.Log) server.Mount {
	if log == nil {
		return m
	}
	next, name := m.Handler, m.Name
	m.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := startRing(r, name)
		finished := false
		defer func() {
			if !finished { // a panic on its way to the server's recovery
				rc.rec.Fallback, rc.rec.Answer = FallbackPanic, OutcomeFallback
				rc.rec.Reason = "panic while serving the request"
				rc.finish(log)
			}
		}()
		next.ServeHTTP(w, r.WithContext(rc))
		finished = true
		rc.finish(log)
	})
	if limited := m.OnLimited; limited != nil {
		m.OnLimited = func(w http.ResponseWriter, r *http.Request) {
			rc := startRing(r, name)
			limited(w, r.WithContext(rc))
			if rc.rec.Fallback == "" {
				rc.rec.Fallback = FallbackRateLimited
			}
			rc.finish(log)
		}
	}
	return m
}

// ringKey finds a ring's record in a context.
type ringKey struct{}

// ringCtx is both the request's context and the ring's record, so carrying
// the record costs no allocation of its own. Only the request's goroutine
// writes rec; Decide's goroutine only reads the embedded Context.
type ringCtx struct {
	context.Context
	rec ringlog.Record
}

func (c *ringCtx) Value(key any) any {
	if key == (ringKey{}) {
		return c
	}
	return c.Context.Value(key)
}

func startRing(r *http.Request, frontEnd string) *ringCtx {
	return &ringCtx{Context: r.Context(), rec: ringlog.Record{
		Time: time.Now(), FrontEnd: frontEnd, Outcome: ringlog.OutcomeNone,
	}}
}

func (c *ringCtx) finish(log *ringlog.Log) {
	c.rec.Latency = time.Since(c.rec.Time)
	log.Add(&c.rec)
}

// ringOf returns the ring being recorded in ctx, or nil.
func ringOf(ctx context.Context) *ringCtx {
	rc, _ := ctx.Value(ringKey{}).(*ringCtx)
	return rc
}

// Answered tells the ring log (if the endpoint is Recording) what a front
// end answered: the destination (its default on a fallback; "" for none),
// its outcome (OutcomeRule, ... or its own), the rule and the reason or
// fallback detail. Front ends call it where they log their answer.
func Answered(r *http.Request, dest, outcome, rule, reason string) {
	if rc := ringOf(r.Context()); rc != nil {
		rc.rec.Destination, rc.rec.Answer, rc.rec.Rule, rc.rec.Reason = dest, outcome, rule, reason
	}
}

// noteFallback records a fallback's reason in the ring being recorded.
func noteFallback(r *http.Request, reason string) {
	if rc := ringOf(r.Context()); rc != nil {
		rc.rec.Fallback = reason
	}
}

// noteCall records what the phone system sent, before the lookup.
func (c *ringCtx) noteCall(caller, uuid string) {
	c.rec.Caller, c.rec.UUID = caller, uuid
}

// noteResult records the lookup and decision in the ring being recorded.
func (c *ringCtx) noteResult(out *Result) {
	res, rec := &out.Lookup, &c.rec
	rec.E164, rec.National = res.Query.E164, res.Query.National
	rec.Source, rec.Via, rec.LookupLatency = res.Source, string(res.Via), res.Duration
	switch {
	case res.InvalidNumber != nil:
		rec.Outcome, rec.NotE164 = ringlog.OutcomeInvalid, res.InvalidNumber.Error()
	case res.Found && res.Match != nil:
		rec.Outcome, rec.Match, rec.MatchKind = ringlog.OutcomeFound, party(res.Match), string(res.Match.Kind)
	case res.Ambiguous:
		rec.Outcome = ringlog.OutcomeAmbiguous
		rec.Candidates = make([]ringlog.Party, len(res.Matches))
		for i := range res.Matches {
			rec.Candidates[i] = party(&res.Matches[i])
		}
		if len(res.Matches) > 0 {
			rec.MatchKind = string(res.Matches[0].Kind)
		}
	default:
		rec.Outcome = ringlog.OutcomeUnknown
	}
	if rec.E164 == "" && rec.NotE164 == "" {
		rec.NotE164 = "no country known: looked up by its national number only"
	}
	if len(res.Errors) > 0 {
		rec.LookupErrors = make([]string, len(res.Errors))
		for i, e := range res.Errors {
			rec.LookupErrors[i] = e.Error()
		}
	}
	d := &out.Decision
	rec.Destination, rec.Rule, rec.Reason = d.Destination, d.Rule, d.Reason
}

// party is m as the ring log keeps it, sharing m's strings.
func party(m *connectors.Match) ringlog.Party {
	switch {
	case m.Contact != nil:
		return ringlog.Party{Kind: "contact", ID: m.Contact.ID, First: m.Contact.FirstName, Last: m.Contact.LastName}
	case m.Company != nil:
		return ringlog.Party{Kind: "company", ID: m.Company.ID, Last: m.Company.Name}
	}
	return ringlog.Party{}
}

// NoteLookup tells the ring log (if the endpoint is Recording) what the
// phone system sent and the lookup a front end made itself, outside
// Decide (External Management's steps); the answer follows with
// Answered.
func NoteLookup(r *http.Request, caller, uuid string, res directory.Result) {
	if rc := ringOf(r.Context()); rc != nil {
		rc.noteCall(caller, uuid)
		rc.noteResult(&Result{Lookup: res})
	}
}
