package hipcall_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/core/fakehipcall"
	"github.com/switchboard-hq/switchboard/core/hipcall"
)

const (
	token    = "secret-token-123"
	callUUID = "0b8c5f8e-4a7e-4cbb-9d1e-2f1f3f0a9c11"
	cardRt   = "POST /calls/{uuid}/cards"
)

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// env is a client wired to a fake Hipcall sharing a fake clock.
type env struct {
	c     *hipcall.Client
	srv   *fakehipcall.Server
	clock *fakehipcall.Clock
	reg   *prometheus.Registry
}

// setup starts a fake (unlimited rate unless srvOpts says otherwise) and a
// client without client-side limiting, both on a fake clock. mod adjusts
// the client's options.
func setup(t *testing.T, srvOpts fakehipcall.Options, mod func(*hipcall.Options)) *env {
	t.Helper()
	clock := fakehipcall.NewClock(epoch)
	if srvOpts.Token == "" {
		srvOpts.Token = token
	}
	if srvOpts.RateLimit == 0 {
		srvOpts.RateLimit = fakehipcall.Unlimited
	}
	srvOpts.Now = clock.Now
	srv := fakehipcall.NewServer(srvOpts)
	t.Cleanup(srv.Close)
	reg := prometheus.NewRegistry()
	opts := hipcall.Options{
		BaseURL:      srv.URL(),
		Token:        token,
		Timeout:      5 * time.Second,
		RateLimit:    rate.Inf,
		RetryWaitMin: 100 * time.Millisecond,
		RetryWaitMax: time.Second,
		Registerer:   reg,
		Now:          clock.Now,
		Sleep:        clock.Sleep,
	}
	if mod != nil {
		mod(&opts)
	}
	c, err := hipcall.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &env{c: c, srv: srv, clock: clock, reg: reg}
}

func ptr[T any](v T) *T { return &v }

func statuses(srv *fakehipcall.Server) []int {
	var out []int
	for _, r := range srv.Requests() {
		out = append(out, r.Status)
	}
	return out
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var card = []hipcall.Row{
	hipcall.Title("Acme Ltd").WithLink("https://crm.example/acme"),
	hipcall.ShortText("Account", "Gold").WithApps("crm://acme", "crm://acme"),
	hipcall.User("Owner", 42),
}

func TestPushCard(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, nil)
	res, err := e.c.PushCard(context.Background(), callUUID, card)
	if err != nil {
		t.Fatalf("PushCard: %v", err)
	}
	if res.CallID != callUUID || len(res.Card) != len(card) {
		t.Errorf("result = %+v, want call %s with %d rows", res, callUUID, len(card))
	}
	got := e.srv.Cards(callUUID)
	if len(got) != 1 || len(got[0]) != 3 || *got[0][2].UserID != 42 || *got[0][0].Link != "https://crm.example/acme" {
		t.Errorf("fake recorded %+v, want the pushed card", got)
	}
	if e.srv.ShownCard(callUUID) == nil {
		t.Error("the card is not on screen")
	}
	if s := e.c.Stats(); s.Requests != 1 || s.Retries != 0 {
		t.Errorf("stats = %+v, want 1 request, 0 retries", s)
	}
	if got := metricValue(t, e.reg, "switchboard_hipcall_requests_total", map[string]string{"method": "POST", "route": "/calls/{uuid}/cards", "code": "201"}); got != 1 {
		t.Errorf("requests_total{201} = %v, want 1", got)
	}
}

func TestPushCardInvalidRowsNotSent(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, nil)
	_, err := e.c.PushCard(context.Background(), callUUID, []hipcall.Row{hipcall.Title("A").WithApps("ios://x", "")})
	var ce *hipcall.CardError
	if !errors.As(err, &ce) {
		t.Fatalf("PushCard = %v, want a *CardError", err)
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Errorf("%d requests sent for an invalid card, want 0", n)
	}
}

func TestPushCard422DecodedNotRetried(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, nil)
	e.srv.Script(cardRt, fakehipcall.Fault{Status: 422, Body: `{"errors":{"card":["card[0].label: unexpected key for a title row"]}}`})
	_, err := e.c.PushCard(context.Background(), callUUID, card)
	var ae *hipcall.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("PushCard = %v, want *APIError", err)
	}
	if ae.Status != 422 || len(ae.Fields["card"]) != 1 || !strings.Contains(ae.Fields["card"][0], "unexpected key") {
		t.Errorf("APIError = %+v, want 422 with the card field error", ae)
	}
	if !hipcall.IsValidation(err) {
		t.Error("IsValidation = false")
	}
	if n := e.srv.Count(cardRt); n != 1 {
		t.Errorf("card POSTs = %d, want 1 (no retry of a 422)", n)
	}
	if len(e.srv.Cards(callUUID)) != 0 {
		t.Error("a card was recorded")
	}
}

func TestPushCardRetries5xx(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, nil)
	e.srv.Fail(cardRt, 500, 500)
	if _, err := e.c.PushCard(context.Background(), callUUID, card); err != nil {
		t.Fatalf("PushCard: %v", err)
	}
	if got := statuses(e.srv); !sameInts(got, []int{500, 500, 201}) {
		t.Errorf("statuses = %v, want [500 500 201]", got)
	}
	if n := len(e.srv.Cards(callUUID)); n != 1 {
		t.Errorf("cards = %d, want 1", n)
	}
	if s := e.c.Stats(); s.Retries != 2 || s.Requests != 3 {
		t.Errorf("stats = %+v, want 3 requests, 2 retries", s)
	}
	slept := e.clock.Slept()
	if len(slept) != 2 || slept[0] > 100*time.Millisecond || slept[1] > 200*time.Millisecond {
		t.Errorf("backoffs = %v, want 2 waits within [0,100ms] and [0,200ms]", slept)
	}
	if got := metricValue(t, e.reg, "switchboard_hipcall_retries_total", map[string]string{"reason": "5xx"}); got != 2 {
		t.Errorf("retries_total{5xx} = %v, want 2", got)
	}
}

func TestRetriesExhausted(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, func(o *hipcall.Options) { o.MaxRetries = 2 })
	e.srv.FailN("GET /companies/{id}", 5, 503)
	_, err := e.c.GetCompany(context.Background(), 1)
	var ae *hipcall.APIError
	if !errors.As(err, &ae) || ae.Status != 503 || ae.Attempts != 3 {
		t.Fatalf("GetCompany = %v, want a 503 after 3 attempts", err)
	}
	if n := e.srv.Count("GET /companies/{id}"); n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}
}

func TestNotFoundNotRetried(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, nil)
	_, err := e.c.GetCompany(context.Background(), 99)
	if !hipcall.IsNotFound(err) {
		t.Fatalf("GetCompany = %v, want not found", err)
	}
	if n := len(e.srv.Requests()); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter string
		want       time.Duration
	}{
		{"seconds", "7", 7 * time.Second},
		{"http date", epoch.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
		{"capped", "3600", 90 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, fakehipcall.Options{}, nil)
			e.srv.TooManyRequests(cardRt, tt.retryAfter)
			if _, err := e.c.PushCard(context.Background(), callUUID, card); err != nil {
				t.Fatalf("PushCard: %v", err)
			}
			if got := e.clock.Slept(); len(got) != 1 || got[0] != tt.want {
				t.Errorf("waits = %v, want [%v]", got, tt.want)
			}
			if s := e.c.Stats(); s.RateLimited != 1 || s.Retries != 1 || s.Waited != tt.want {
				t.Errorf("stats = %+v, want 1 rate-limited, 1 retry, waited %v", s, tt.want)
			}
			if got := statuses(e.srv); !sameInts(got, []int{429, 201}) {
				t.Errorf("statuses = %v, want [429 201]", got)
			}
		})
	}
}

func TestRateLimited429WithoutRetryAfterWaitsForReset(t *testing.T) {
	e := setup(t, fakehipcall.Options{RateLimit: 1}, nil)
	// Another client with the same token used up the window.
	other, err := hipcall.New(hipcall.Options{BaseURL: e.srv.URL(), Token: token, RateLimit: rate.Inf, Now: e.clock.Now, Sleep: e.clock.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.ListCompanies(context.Background(), hipcall.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(20 * time.Second)
	if _, err := e.c.ListCompanies(context.Background(), hipcall.ListOptions{}); err != nil {
		t.Fatalf("ListCompanies: %v", err)
	}
	if got := statuses(e.srv); !sameInts(got, []int{200, 429, 200}) {
		t.Errorf("statuses = %v, want [200 429 200]", got)
	}
	if got := e.clock.Slept(); len(got) != 1 || got[0] != 40*time.Second {
		t.Errorf("waits = %v, want [40s] (until x-ratelimit-reset)", got)
	}
}

func TestRemainingZeroWaitsForReset(t *testing.T) {
	e := setup(t, fakehipcall.Options{RateLimit: 2}, nil)
	ctx := context.Background()
	for i := range 5 {
		if _, err := e.c.ListCompanies(ctx, hipcall.ListOptions{}); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if got := statuses(e.srv); !sameInts(got, []int{200, 200, 200, 200, 200}) {
		t.Errorf("statuses = %v, want five 200s and no 429", got)
	}
	if got := e.clock.Slept(); len(got) != 2 || got[0] != time.Minute || got[1] != time.Minute {
		t.Errorf("waits = %v, want [1m 1m] (two window resets)", got)
	}
	if s := e.c.Stats(); s.RateLimited != 0 || s.Waited != 2*time.Minute {
		t.Errorf("stats = %+v, want no 429 and 2m waited", s)
	}
}

func TestClientSideLimiter(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, func(o *hipcall.Options) {
		o.RateLimit = rate.Every(time.Second)
		o.Burst = 1
	})
	for range 3 {
		if _, err := e.c.ListExtensions(context.Background(), hipcall.ListOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.clock.TotalSlept(); got != 2*time.Second {
		t.Errorf("limiter waited %v, want 2s for 3 requests at 1/s burst 1", got)
	}
}

func TestContextCancelledWhileWaiting(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, func(o *hipcall.Options) {
		o.Sleep = nil // real sleeping
		o.Now = nil
		o.RateLimit = rate.Every(time.Hour)
		o.Burst = 1
	})
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := e.c.GetCompany(ctx, 1); !hipcall.IsNotFound(err) {
		t.Fatalf("first request: %v", err)
	}
	go cancel()
	_, err := e.c.GetCompany(ctx, 1)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("GetCompany = %v, want context.Canceled", err)
	}
	if n := len(e.srv.Requests()); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

func TestUnauthorized(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, func(o *hipcall.Options) { o.Token = "wrong" })
	_, err := e.c.ListCompanies(context.Background(), hipcall.ListOptions{})
	if !hipcall.IsUnauthorized(err) {
		t.Fatalf("ListCompanies = %v, want unauthorized", err)
	}
	if !strings.Contains(err.Error(), "check the token and that it belongs to this region's base URL") {
		t.Errorf("message %q does not say what to do", err)
	}
	if n := len(e.srv.Requests()); n != 1 {
		t.Errorf("requests = %d, want 1 (no retry of a 401)", n)
	}
}

func TestTimeoutRetried(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, func(o *hipcall.Options) { o.Timeout = 500 * time.Millisecond })
	co := e.srv.AddCompany(hipcall.Company{Name: "Acme"})
	e.srv.Delay("GET /companies/{id}", 1, 5*time.Second) // cut short by Close
	got, err := e.c.GetCompany(context.Background(), co.ID)
	if err != nil {
		t.Fatalf("GetCompany: %v", err)
	}
	if got.Name != "Acme" {
		t.Errorf("company = %+v", got)
	}
	if n := e.srv.Count("GET /companies/{id}"); n != 2 {
		t.Errorf("requests = %d, want 2", n)
	}
	if got := metricValue(t, e.reg, "switchboard_hipcall_retries_total", map[string]string{"reason": "timeout"}); got != 1 {
		t.Errorf("retries_total{timeout} = %v, want 1", got)
	}
}

func TestCardRetriedOnTimeout(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, func(o *hipcall.Options) { o.Timeout = 300 * time.Millisecond })
	e.srv.Delay(cardRt, 1, time.Second)
	if _, err := e.c.PushCard(context.Background(), callUUID, card); err != nil {
		t.Fatalf("PushCard: %v", err)
	}
	if n := e.srv.Count(cardRt); n != 2 {
		t.Errorf("card POSTs = %d, want 2", n)
	}
	// The slow first card still lands: a harmless duplicate.
	connectortest.Eventually(t, 5*time.Second, "both cards", func() bool { return len(e.srv.Cards(callUUID)) == 2 })
	if e.srv.ShownCard(callUUID) == nil {
		t.Error("no card on screen")
	}
}

func TestCreateCompanyNotRetriedOnTimeout(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, func(o *hipcall.Options) { o.Timeout = 300 * time.Millisecond })
	e.srv.Delay("POST /companies", 1, time.Second)
	_, err := e.c.CreateCompany(context.Background(), hipcall.CompanyInput{Name: "Acme", ExternalID: ptr("crm-1")})
	var re *hipcall.RequestError
	if !errors.As(err, &re) || !re.MaybeApplied || re.Attempts != 1 {
		t.Fatalf("CreateCompany = %v, want a RequestError with MaybeApplied after 1 attempt", err)
	}
	if !strings.Contains(err.Error(), "look the record up") {
		t.Errorf("message %q does not say what to do", err)
	}
	if n := e.srv.Count("POST /companies"); n != 1 {
		t.Errorf("POSTs = %d, want 1", n)
	}
	// The slow create did happen; a retry would have made a second one.
	connectortest.Eventually(t, 5*time.Second, "the slow create", func() bool { return len(e.srv.Companies()) == 1 })
	co, err := e.c.GetCompanyByExternalID(context.Background(), "crm-1")
	if err != nil || co.Name != "Acme" {
		t.Errorf("lookup after the timeout = %+v, %v", co, err)
	}
}

func TestDroppedConnection(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, nil)
	e.srv.Drop("POST /companies", 1)
	_, err := e.c.CreateCompany(context.Background(), hipcall.CompanyInput{Name: "Acme"})
	var re *hipcall.RequestError
	if !errors.As(err, &re) || !re.MaybeApplied {
		t.Fatalf("CreateCompany = %v, want MaybeApplied", err)
	}
	e.srv.Drop("GET /companies", 1)
	if _, err := e.c.ListCompanies(context.Background(), hipcall.ListOptions{}); err != nil {
		t.Fatalf("ListCompanies after a drop: %v", err)
	}
	if got := metricValue(t, e.reg, "switchboard_hipcall_retries_total", map[string]string{"reason": "network"}); got != 1 {
		t.Errorf("retries_total{network} = %v, want 1", got)
	}
}

func TestPOSTRetriedWhenNeverSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connection refused
	clock := fakehipcall.NewClock(epoch)
	c, err := hipcall.New(hipcall.Options{
		BaseURL: "http://" + addr + "/api/v3", Token: token, RateLimit: rate.Inf,
		MaxRetries: 2, Now: clock.Now, Sleep: clock.Sleep,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateCompany(context.Background(), hipcall.CompanyInput{Name: "Acme"})
	var re *hipcall.RequestError
	if !errors.As(err, &re) || re.MaybeApplied || re.Attempts != 3 {
		t.Fatalf("CreateCompany = %v, want a RequestError after 3 attempts, not MaybeApplied", err)
	}
}

func TestTokenNeverLogged(t *testing.T) {
	var buf bytes.Buffer
	logger := hclog.New(&hclog.LoggerOptions{Output: &buf, Level: hclog.Trace})
	e := setup(t, fakehipcall.Options{}, func(o *hipcall.Options) { o.Logger = logger })
	if _, err := e.c.PushCard(context.Background(), callUUID, card); err != nil {
		t.Fatal(err)
	}
	if buf.Len() == 0 {
		t.Fatal("nothing logged at trace level")
	}
	if strings.Contains(buf.String(), token) {
		t.Errorf("the token appears in the log:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "[REDACTED]") {
		t.Errorf("no redacted Authorization in the request dump:\n%s", buf.String())
	}
}

func TestCompanies(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, nil)
	ctx := context.Background()
	co, err := e.c.CreateCompany(ctx, hipcall.CompanyInput{
		Name: "Acme", ExternalID: ptr("  crm/42 ü  "), WebsiteURL: "https://acme.example",
		Phones: []hipcall.Phone{{Country: "TR", Number: "+905321234567"}},
		Emails: []hipcall.Email{{Email: "info@acme.example"}},
	})
	if err != nil {
		t.Fatalf("CreateCompany: %v", err)
	}
	if co.ID == 0 || co.ExternalID == nil || *co.ExternalID != "crm/42 ü" {
		t.Fatalf("created %+v, want an id and the trimmed external id", co)
	}
	if len(co.Phones) != 1 || co.Phones[0].Order != 1 || co.Emails[0].Email != "info@acme.example" {
		t.Errorf("phones/emails = %+v %+v", co.Phones, co.Emails)
	}

	byExt, err := e.c.GetCompanyByExternalID(ctx, "crm/42 ü")
	if err != nil || byExt.ID != co.ID {
		t.Fatalf("GetCompanyByExternalID = %+v, %v", byExt, err)
	}
	if _, err := e.c.GetCompanyByExternalID(ctx, "crm/43"); !hipcall.IsNotFound(err) {
		t.Errorf("unknown external id: %v, want not found", err)
	}

	up, err := e.c.UpdateCompany(ctx, co.ID, hipcall.Patch{"description": "Widgets", "external_id": 1234})
	if err != nil {
		t.Fatalf("UpdateCompany: %v", err)
	}
	if up.Description != "Widgets" || up.ExternalID == nil || *up.ExternalID != "1234" || up.Name != "Acme" {
		t.Errorf("updated %+v, want description set, integer external id as string, name kept", up)
	}
	for _, clear := range []any{nil, "   "} {
		up, err = e.c.UpdateCompany(ctx, co.ID, hipcall.Patch{"external_id": clear})
		if err != nil || up.ExternalID != nil {
			t.Errorf("clearing external_id with %#v = %+v, %v; want null", clear, up, err)
		}
	}
	got, err := e.c.GetCompany(ctx, co.ID)
	if err != nil || got.ExternalID != nil || got.Description != "Widgets" {
		t.Errorf("GetCompany = %+v, %v", got, err)
	}

	_, err = e.c.UpdateCompany(ctx, co.ID, hipcall.Patch{"external_id": strings.Repeat("x", 256)})
	if !hipcall.IsValidation(err) || !strings.Contains(err.Error(), "external_id") {
		t.Errorf("256-char external id: %v, want a 422 on external_id", err)
	}
	if _, err := e.c.UpdateCompany(ctx, co.ID, hipcall.Patch{"external_id": strings.Repeat("é", 255)}); err != nil {
		t.Errorf("255-char external id: %v", err)
	}
}

func TestCreateRaceExternalIDTaken(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, nil)
	ctx := context.Background()
	if _, err := e.c.CreateCompany(ctx, hipcall.CompanyInput{Name: "A", ExternalID: ptr("crm-1")}); err != nil {
		t.Fatal(err)
	}
	_, err := e.c.CreateCompany(ctx, hipcall.CompanyInput{Name: "A again", ExternalID: ptr(" crm-1 ")})
	if !hipcall.IsExternalIDTaken(err) {
		t.Fatalf("duplicate create = %v, want external id taken", err)
	}
	if !strings.Contains(err.Error(), "look it up by external id") {
		t.Errorf("message %q does not say what to do", err)
	}
	// A contact may share the company's external id.
	if _, err := e.c.CreateContact(ctx, hipcall.ContactInput{FirstName: "Jo", ExternalID: ptr("crm-1")}); err != nil {
		t.Errorf("contact with a company's external id: %v", err)
	}
	_, err = e.c.CreateContact(ctx, hipcall.ContactInput{FirstName: "Jo 2", ExternalID: ptr("crm-1")})
	if !hipcall.IsExternalIDTaken(err) {
		t.Errorf("duplicate contact = %v, want external id taken", err)
	}
	// PATCHing another company onto the taken id is refused too.
	other, err := e.c.CreateCompany(ctx, hipcall.CompanyInput{Name: "B"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.UpdateCompany(ctx, other.ID, hipcall.Patch{"external_id": "crm-1"}); !hipcall.IsExternalIDTaken(err) {
		t.Errorf("PATCH onto a taken id = %v, want external id taken", err)
	}
	if n := e.srv.Count("POST /companies"); n != 3 {
		t.Errorf("company POSTs = %d, want 3 (no retry of a 422)", n)
	}
}

func TestPaging(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, nil)
	ctx := context.Background()
	for i := range 25 {
		e.srv.AddCompany(hipcall.Company{Name: "C" + string(rune('A'+i))})
	}
	first, err := e.c.ListCompanies(ctx, hipcall.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Data) != 10 || first.Meta != (hipcall.Meta{Count: 25, Offset: 0, Limit: 10}) {
		t.Errorf("default page = %d items, meta %+v; want 10, {25 0 10}", len(first.Data), first.Meta)
	}
	var ids []int64
	for off := 0; ; off += 10 {
		p, err := e.c.ListCompanies(ctx, hipcall.ListOptions{Limit: 10, Offset: off, Sort: hipcall.SortIDAsc})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Data {
			ids = append(ids, c.ID)
		}
		if off+len(p.Data) >= p.Meta.Count {
			break
		}
	}
	if len(ids) != 25 {
		t.Fatalf("paged %d companies, want 25", len(ids))
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatalf("ids not ascending: %v", ids)
		}
	}
	past, err := e.c.ListCompanies(ctx, hipcall.ListOptions{Limit: 100, Offset: 30})
	if err != nil || len(past.Data) != 0 || past.Meta.Count != 25 {
		t.Errorf("page past the end = %+v, %v", past, err)
	}
	if _, err := e.c.ListCompanies(ctx, hipcall.ListOptions{Limit: 101}); err == nil {
		t.Error("limit 101 accepted")
	}
}

func TestContacts(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, nil)
	ctx := context.Background()
	co := e.srv.AddCompany(hipcall.Company{Name: "Acme"})
	ct, err := e.c.CreateContact(ctx, hipcall.ContactInput{
		FirstName: "Jane", LastName: "Doe", ExternalID: ptr("p-1"), CompanyID: &co.ID,
		CustomFields: map[string]any{"tier": "gold"},
		Phones:       []hipcall.Phone{{Country: "TR", Number: "+90 532 123 45 67"}},
		Emails:       []hipcall.Email{{Email: "jane@acme.example"}},
	})
	if err != nil {
		t.Fatalf("CreateContact: %v", err)
	}
	if ct.CompanyID == nil || *ct.CompanyID != co.ID || ct.CustomFields["tier"] != "gold" || len(ct.Phones) != 1 {
		t.Errorf("created %+v", ct)
	}
	if _, err := e.c.CreateContact(ctx, hipcall.ContactInput{FirstName: "X", CompanyID: ptr(int64(999))}); !hipcall.IsValidation(err) {
		t.Errorf("unknown company id: %v, want 422", err)
	}

	up, err := e.c.UpdateContact(ctx, ct.ID, hipcall.Patch{"job_title": "CTO", "last_name": nil})
	if err != nil || up.JobTitle != "CTO" || up.LastName != "" || up.FirstName != "Jane" {
		t.Errorf("UpdateContact = %+v, %v", up, err)
	}
	if _, err := e.c.UpdateContact(ctx, ct.ID, hipcall.Patch{"phones": []hipcall.Phone{{Number: "1"}}}); err == nil {
		t.Error("PATCH with phones accepted by the client")
	}
	if n := e.srv.Count("PATCH /contacts/{id}"); n != 1 {
		t.Errorf("PATCHes sent = %d, want 1 (phones refused before sending)", n)
	}

	byExt, err := e.c.GetContactByExternalID(ctx, "p-1")
	if err != nil || byExt.ID != ct.ID {
		t.Errorf("GetContactByExternalID = %+v, %v", byExt, err)
	}
	page, err := e.c.ListContacts(ctx, hipcall.ListOptions{Sort: hipcall.SortIDAsc})
	if err != nil || page.Meta.Count != 1 || page.Data[0].ID != ct.ID {
		t.Errorf("ListContacts = %+v, %v", page, err)
	}
}

func TestContactPhonesAndEmails(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, nil)
	ctx := context.Background()
	ct, err := e.c.CreateContact(ctx, hipcall.ContactInput{FirstName: "Jane", Phones: []hipcall.Phone{{Number: "+90 (532) 000/01"}}})
	if err != nil {
		t.Fatal(err)
	}
	more := []hipcall.Phone{{Number: "+902"}, {Number: "+903"}, {Number: "+904"}, {Number: "+905"}, {Number: "+906"}}
	got, err := e.c.AddContactPhones(ctx, ct.ID, more)
	if err != nil || len(got.Phones) != 6 {
		t.Fatalf("AddContactPhones to 6 = %+v, %v", got, err)
	}
	_, err = e.c.AddContactPhones(ctx, ct.ID, []hipcall.Phone{{Number: "+907"}})
	var ae *hipcall.APIError
	if !errors.As(err, &ae) || ae.Status != 422 || len(ae.Fields["phones"]) == 0 {
		t.Fatalf("7th phone = %v, want a 422 on phones", err)
	}
	if err := e.c.DeleteContactPhone(ctx, ct.ID, "+90 (532) 000/01"); err != nil {
		t.Fatalf("DeleteContactPhone with spaces and a slash: %v", err)
	}
	if err := e.c.DeleteContactPhone(ctx, ct.ID, "+90 (532) 000/01"); !hipcall.IsNotFound(err) {
		t.Errorf("deleting it again = %v, want not found", err)
	}
	if _, err := e.c.AddContactPhones(ctx, ct.ID, []hipcall.Phone{{Number: "+907"}}); err != nil {
		t.Errorf("adding after a delete: %v", err)
	}

	if _, err := e.c.AddContactEmails(ctx, ct.ID, []hipcall.Email{{Email: "a+b@x.example"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.c.DeleteContactEmail(ctx, ct.ID, "a+b@x.example"); err != nil {
		t.Fatalf("DeleteContactEmail: %v", err)
	}
	final, _ := e.srv.Contact(ct.ID)
	if len(final.Phones) != 6 || len(final.Emails) != 0 {
		t.Errorf("stored contact = %+v, want 6 phones, no emails", final)
	}
}

func TestExtensions(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, nil)
	e.srv.AddExtension(hipcall.Extension{Name: "Sales", Number: "101", TargetType: "team", TargetID: 3})
	exts, err := e.c.ListExtensions(context.Background(), hipcall.ListOptions{})
	if err != nil || len(exts.Data) != 1 || exts.Data[0].Number != "101" || exts.Data[0].TargetID != 3 {
		t.Fatalf("ListExtensions = %+v, %v", exts, err)
	}
}

// metricValue returns the value of the counter with exactly these labels,
// or 0 when there is none.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, lp := range m.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func TestConcurrentCallersShareRateLimit(t *testing.T) {
	e := setup(t, fakehipcall.Options{RateLimit: 5}, nil)
	const n = 12
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := e.c.PushCard(context.Background(), "call-"+string(rune('a'+i)), card)
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("PushCard: %v", err)
		}
	}
	total := 0
	for i := range n {
		total += len(e.srv.Cards("call-" + string(rune('a'+i))))
	}
	if total != n {
		t.Errorf("cards = %d, want %d", total, n)
	}
}

func TestLookupTrimsExternalID(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, nil)
	e.srv.AddContact(hipcall.Contact{FirstName: "Jo", ExternalID: ptr("p-9")})
	if _, err := e.c.GetContactByExternalID(context.Background(), "  p-9 "); err != nil {
		t.Errorf("lookup with spaces: %v", err)
	}
	if _, err := e.c.GetContactByExternalID(context.Background(), "  "); err == nil || len(e.srv.Requests()) != 1 {
		t.Errorf("blank external id: %v, want an error without a request", err)
	}
}

// TestMeterCountsCallersResends: a Meter counts the requests made with its
// context only, and a caller's resend of a request that got no usable
// answer (a POST answered 5xx, which the client does not resend) as a
// retry, as Hipcall sees it; a different request is not one.
func TestMeterCountsCallersResends(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, nil)
	e.srv.Fail("POST /companies", 500)
	e.srv.TooManyRequests("GET /companies/{id}", "")
	in := hipcall.CompanyInput{Name: "Acme", ExternalID: ptr("crm-1")}
	var m hipcall.Meter
	ctx := hipcall.WithMeter(context.Background(), &m)
	if _, err := e.c.CreateCompany(ctx, in); err == nil {
		t.Fatal("CreateCompany answered 500 succeeded")
	}
	if _, err := e.c.GetCompanyByExternalID(ctx, "crm-1"); !hipcall.IsNotFound(err) {
		t.Fatalf("lookup: %v", err)
	}
	co, err := e.c.CreateCompany(ctx, in) // the caller's resend
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.CreateCompany(ctx, hipcall.CompanyInput{Name: "Other", ExternalID: ptr("crm-2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.GetCompany(ctx, co.ID); err != nil { // 429, then resent by the client
		t.Fatal(err)
	}
	if _, err := e.c.GetCompany(context.Background(), co.ID); err != nil { // not metered
		t.Fatal(err)
	}
	if s := m.Stats(); s.Requests != 6 || s.Retries != 2 || s.RateLimited != 1 {
		t.Errorf("meter = %+v, want 6 requests, 2 retries (the re-POST and the 429's resend), 1 rate-limited", s)
	}
	if s := e.c.Stats(); s.Requests != 7 || s.Retries != 2 {
		t.Errorf("client stats = %+v, want 7 requests, 2 retries", s)
	}
}
