package cards

import (
	"context"
	"errors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/fakehipcall"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

const cardsRoute = "POST /calls/{uuid}/cards"

// stubDirectory answers every number with res.
type stubDirectory struct{ res directory.Result }

func (s stubDirectory) Lookup(ctx context.Context, raw string) directory.Result { return s.res }

type serviceFixture struct {
	svc   *Service
	fake  *fakehipcall.Server
	reg   *prometheus.Registry
	ended map[string]bool
}

func newServiceFixture(t *testing.T, res directory.Result, mutate func(*ServiceOptions)) *serviceFixture {
	t.Helper()
	fake := fakehipcall.NewServer(fakehipcall.Options{Token: "right-token", RateLimit: fakehipcall.Unlimited})
	t.Cleanup(fake.Close)
	client, err := hipcall.New(hipcall.Options{
		BaseURL: fake.URL(), Token: "right-token", RateLimit: rate.Inf,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Options{
		Card:    Spec{Title: TitleSpec{Text: "{{ .record.name }}"}, Rows: []RowSpec{{Label: "Company", Text: "{{ .record.company }}"}}},
		UserRow: &UserRowSpec{Label: "Owner", Owners: map[string]int64{"u-17": 42}},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &serviceFixture{fake: fake, reg: prometheus.NewRegistry(), ended: map[string]bool{}}
	opts := ServiceOptions{
		Builder: b, Directory: stubDirectory{res}, Pusher: client, Registerer: f.reg,
		Ended: func(uuid string) bool { return f.ended[uuid] },
	}
	if mutate != nil {
		mutate(&opts)
	}
	f.svc, err = NewService(opts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func event(body string) *webhook.Event {
	ev, err := webhook.Parse([]byte(body))
	if err != nil {
		panic(err)
	}
	ev.Received = time.Now()
	return ev
}

const inbound = `{"event":"call_init","data":{"uuid":"call-1","direction":"inbound","caller_number":"+442045205757"}}`

func counter(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label != "" && !hasLabel(m, label) {
				continue
			}
			if m.Counter != nil {
				sum += m.Counter.GetValue()
			}
			if m.Histogram != nil {
				sum += float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return sum
}

func hasLabel(m *dto.Metric, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetValue() == value {
			return true
		}
	}
	return false
}

func TestServiceOutcomes(t *testing.T) {
	found := SampleResult("u-17")
	notFound := directory.Result{Via: directory.ViaNone}
	failed := directory.Result{Via: directory.ViaNone, Errors: []directory.SourceError{{Source: "crm", Err: errors.New("timeout")}}}
	ambiguous := SampleResult("")
	ambiguous.Found, ambiguous.Ambiguous, ambiguous.Match = false, true, nil

	cases := []struct {
		name            string
		res             directory.Result
		body            string
		faults          []fakehipcall.Fault
		outcome, reason string
		cards, requests int
		errContains     string
	}{
		{name: "inbound, found", res: found, body: inbound, outcome: OutcomePushed, cards: 1, requests: 1},
		{name: "outbound, found", res: found, body: `{"event":"call_init","data":{"uuid":"call-1","direction":"outbound","callee_number":"+442045205757"}}`, outcome: OutcomePushed, cards: 1, requests: 1},
		{name: "internal", res: found, body: `{"event":"call_init","data":{"uuid":"call-1","direction":"internal","caller_number":"1001"}}`, outcome: OutcomeSkipped, reason: SkipInternal},
		{name: "no uuid", res: found, body: `{"event":"call_init","data":{"direction":"inbound","caller_number":"1"}}`, outcome: OutcomeSkipped, reason: SkipNoCall},
		{name: "no number", res: found, body: `{"event":"call_init","data":{"uuid":"call-1","direction":"inbound"}}`, outcome: OutcomeSkipped, reason: SkipNoNumber},
		{name: "unknown caller, no fallback", res: notFound, body: inbound, outcome: OutcomeSkipped, reason: SkipUnknownCaller},
		{name: "ambiguous, no card", res: ambiguous, body: inbound, outcome: OutcomeSkipped, reason: SkipAmbiguous},
		{name: "lookup failed", res: failed, body: inbound, outcome: OutcomeFailed, reason: FailLookup, errContains: "timeout"},
		{name: "500, 500, 201", res: found, body: inbound, faults: []fakehipcall.Fault{{Status: 500}, {Status: 500}},
			outcome: OutcomePushed, cards: 1, requests: 3},
		{name: "422 is not retried", res: found, body: inbound,
			faults:  []fakehipcall.Fault{{Status: 422, Body: `{"errors":{"card":["call is not ringing"]}}`}},
			outcome: OutcomeFailed, reason: FailRejected, requests: 1, errContains: "call is not ringing"},
		{name: "401", res: found, body: inbound, faults: []fakehipcall.Fault{{Status: 401}},
			outcome: OutcomeFailed, reason: FailUnauthorized, requests: 1},
		{name: "failures beyond the client's retries: pushed within the deadline", res: found, body: inbound,
			faults:  []fakehipcall.Fault{{Drop: true}, {Status: 503}, {Drop: true}, {Status: 500}, {Drop: true}, {Status: 502}, {Drop: true}},
			outcome: OutcomePushed, cards: 1, requests: 8},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newServiceFixture(t, tc.res, nil)
			f.fake.Script(cardsRoute, tc.faults...)
			ev := event(tc.body)
			if !f.svc.Wants(ev) {
				t.Fatal("call_init not wanted")
			}
			r := f.svc.Handle(context.Background(), ev)
			if r.Outcome != tc.outcome || r.Reason != tc.reason {
				t.Fatalf("Handle = %s/%s (%v), want %s/%s", r.Outcome, r.Reason, r.Err, tc.outcome, tc.reason)
			}
			if tc.errContains != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), tc.errContains)) {
				t.Errorf("error %v lacks %q", r.Err, tc.errContains)
			}
			if got := len(f.fake.Cards("call-1")); got != tc.cards {
				t.Errorf("%d cards accepted, want %d", got, tc.cards)
			}
			if got := f.fake.Count(cardsRoute); got != tc.requests {
				t.Errorf("%d card requests, want %d", got, tc.requests)
			}
			switch tc.outcome {
			case OutcomePushed:
				if counter(t, f.reg, "switchboard_cards_pushed_total", "") != 1 || counter(t, f.reg, "switchboard_cards_latency_seconds", "") != 1 {
					t.Error("pushed and latency not counted")
				}
			case OutcomeFailed:
				if counter(t, f.reg, "switchboard_cards_failed_total", tc.reason) != 1 {
					t.Errorf("failed{%s} not counted", tc.reason)
				}
			case OutcomeSkipped:
				if counter(t, f.reg, "switchboard_cards_skipped_total", tc.reason) != 1 {
					t.Errorf("skipped{%s} not counted", tc.reason)
				}
			}
		})
	}
}

func TestServiceRetryAfter(t *testing.T) {
	f := newServiceFixture(t, SampleResult("u-17"), nil)
	f.fake.TooManyRequests(cardsRoute, "1")
	start := time.Now()
	if r := f.svc.Handle(context.Background(), event(inbound)); r.Outcome != OutcomePushed {
		t.Fatalf("Handle = %+v", r)
	}
	reqs := f.fake.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	if gap := reqs[1].At.Sub(reqs[0].At); gap < 900*time.Millisecond {
		t.Errorf("retried %s after the 429, want after Retry-After: 1 (s)", gap)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("took too long")
	}
}

func TestServiceAbandonsOnHangup(t *testing.T) {
	f := newServiceFixture(t, SampleResult("u-17"), nil)
	f.fake.Delay(cardsRoute, 1, 10*time.Second) // Hipcall is slow
	done := make(chan webhook.Result, 1)
	go func() { done <- f.svc.Handle(context.Background(), event(inbound)) }()
	// Wait until the push is in flight, then hang up.
	deadline := time.Now().Add(5 * time.Second)
	for f.fake.Count(cardsRoute) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the push never started")
		}
		time.Sleep(time.Millisecond) // polling
	}
	hungUp := time.Now()
	f.svc.CallEnded("call-1")
	select {
	case r := <-done:
		if r.Outcome != OutcomeFailed || r.Reason != FailAbandoned {
			t.Errorf("Handle = %s/%s (%v), want failed/abandoned", r.Outcome, r.Reason, r.Err)
		}
		if d := time.Since(hungUp); d > time.Second {
			t.Errorf("abandoning took %s", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the push was not abandoned")
	}
	f.svc.mu.Lock()
	defer f.svc.mu.Unlock()
	if len(f.svc.inflight) != 0 {
		t.Errorf("inflight not cleaned up: %v", f.svc.inflight)
	}
}

// TestServiceHangupAfterSend: a card Hipcall accepts is pushed, even when
// the call's call_hangup arrives while the push is in flight.
func TestServiceHangupAfterSend(t *testing.T) {
	f := newServiceFixture(t, SampleResult("u-17"), nil)
	f.fake.Delay(cardsRoute, 1, 150*time.Millisecond) // answered within the grace
	done := make(chan webhook.Result, 1)
	go func() { done <- f.svc.Handle(context.Background(), event(inbound)) }()
	connectortest.Eventually(t, 5*time.Second, "the push in flight", func() bool { return f.fake.Count(cardsRoute) > 0 })
	f.svc.CallEnded("call-1")
	select {
	case r := <-done:
		if r.Outcome != OutcomePushed {
			t.Errorf("Handle = %s/%s (%v), want pushed: Hipcall accepted the card", r.Outcome, r.Reason, r.Err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Handle did not return")
	}
}

func TestServiceSkipsEndedCalls(t *testing.T) {
	f := newServiceFixture(t, SampleResult("u-17"), nil)
	f.ended["call-1"] = true
	if r := f.svc.Handle(context.Background(), event(inbound)); r.Reason != SkipCallEnded {
		t.Errorf("Handle = %+v, want skipped/call_ended", r)
	}
	if f.fake.Count(cardsRoute) != 0 {
		t.Error("a card was pushed for an ended call")
	}
}

func TestServiceDeadline(t *testing.T) {
	f := newServiceFixture(t, SampleResult("u-17"), func(o *ServiceOptions) { o.PushDeadline = 100 * time.Millisecond })
	f.fake.Delay(cardsRoute, 1, 10*time.Second)
	r := f.svc.Handle(context.Background(), event(inbound))
	if r.Outcome != OutcomeFailed || r.Reason != FailDeadline {
		t.Errorf("slow Hipcall: Handle = %s/%s (%v), want failed/deadline", r.Outcome, r.Reason, r.Err)
	}

	// A Hipcall that keeps failing is retried until the deadline.
	f = newServiceFixture(t, SampleResult("u-17"), func(o *ServiceOptions) { o.PushDeadline = 700 * time.Millisecond })
	f.fake.FailN(cardsRoute, 1000, 500)
	start := time.Now()
	r = f.svc.Handle(context.Background(), event(inbound))
	if r.Outcome != OutcomeFailed || r.Reason != FailDeadline {
		t.Errorf("failing Hipcall: Handle = %s/%s (%v), want failed/deadline", r.Outcome, r.Reason, r.Err)
	}
	if d := time.Since(start); d < 600*time.Millisecond || d > 3*time.Second {
		t.Errorf("gave up after %s, want at the 700ms deadline", d)
	}
	if n := f.fake.Count(cardsRoute); n <= 6 {
		t.Errorf("%d requests: want retries beyond the client's own 6 attempts", n)
	}
}

func TestServiceWants(t *testing.T) {
	f := newServiceFixture(t, SampleResult(""), func(o *ServiceOptions) { o.OnEvents = []string{"call_bridged"} })
	if f.svc.Wants(event(inbound)) || !f.svc.Wants(event(`{"event":"call_bridged"}`)) {
		t.Error("Wants does not follow OnEvents")
	}
	if _, err := NewService(ServiceOptions{}); err == nil || !strings.Contains(err.Error(), "builder") {
		t.Errorf("NewService without options: %v", err)
	}
}

// priorityPusher records the priority each push waits with.
type priorityPusher struct {
	Pusher
	got *[]hipcall.Priority
}

func (p priorityPusher) PushCard(ctx context.Context, callUUID string, card []hipcall.Row) (*hipcall.CardResult, error) {
	*p.got = append(*p.got, hipcall.PriorityFrom(ctx))
	return p.Pusher.PushCard(ctx, callUUID, card)
}

// TestServicePushesWithCardPriority: a card waits for the token's request
// budget ahead of everything else, whatever the caller's context says.
func TestServicePushesWithCardPriority(t *testing.T) {
	var got []hipcall.Priority
	f := newServiceFixture(t, SampleResult("u-17"), func(o *ServiceOptions) {
		o.Pusher = priorityPusher{Pusher: o.Pusher, got: &got}
	})
	ctx := hipcall.WithPriority(context.Background(), hipcall.PriorityBackfill)
	if r := f.svc.Handle(ctx, event(inbound)); r.Outcome != OutcomePushed {
		t.Fatalf("Handle = %s/%s (%v)", r.Outcome, r.Reason, r.Err)
	}
	if len(got) != 1 || got[0] != hipcall.PriorityCard {
		t.Errorf("pushed with priorities %v, want [card]", got)
	}
}
