package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/hubspot/hubspottest"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// lookup asks for a number as the host sends it.
func lookup(t *testing.T, c *Connector, number string) (*connectors.LookupResponse, error) {
	t.Helper()
	p, _ := phone.NewParser("GB")
	n, err := p.ParseCaller(number)
	if err != nil {
		t.Fatalf("ParseCaller(%s): %v", number, err)
	}
	return c.LookupByPhone(ctx(t), &connectors.LookupRequest{E164: n.E164, National: n.National, Raw: number})
}

func matchSummary(resp *connectors.LookupResponse) []string {
	var out []string
	for _, m := range resp.Matches {
		out = append(out, m.Key()+"/"+string(m.Kind)+"/"+m.Phone.Raw)
	}
	return out
}

func TestLookupSearchRequest(t *testing.T) {
	s := newFake(t, unlimited)
	c := configured(t, blockFor(s, "fields:\n  balance: {property: balance, type: number}\n"), nil, nil)
	if _, err := lookup(t, c, "+442045205757"); err != nil {
		t.Fatal(err)
	}
	reqs := s.Requests()
	last := reqs[len(reqs)-1]
	if last.Route != hubspottest.RouteSearch || last.Path != "/crm/v3/objects/contacts/search" {
		t.Fatalf("last request %s %s", last.Method, last.Path)
	}
	var body struct {
		FilterGroups []struct {
			Filters []map[string]string `json:"filters"`
		} `json:"filterGroups"`
		Properties []string `json:"properties"`
		Limit      int      `json:"limit"`
	}
	if err := json.Unmarshal(last.Body, &body); err != nil {
		t.Fatal(err)
	}
	var groups []string
	for _, g := range body.FilterGroups {
		var fs []string
		for _, f := range g.Filters {
			fs = append(fs, f["propertyName"]+" "+f["operator"]+" "+f["value"])
		}
		groups = append(groups, strings.Join(fs, " AND "))
	}
	want := []string{
		"phone EQ +442045205757", "mobilephone EQ +442045205757",
		"hs_searchable_calculated_phone_number EQ 2045205757", "hs_searchable_calculated_mobile_number EQ 2045205757",
	}
	if !reflect.DeepEqual(groups, want) {
		t.Errorf("filter groups %q; want %q", groups, want)
	}
	for _, p := range []string{"firstname", "lastname", "phone", "mobilephone", "company", "hubspot_owner_id", "associatedcompanyid", "balance"} {
		if !contains(body.Properties, p) {
			t.Errorf("properties %v lack %s", body.Properties, p)
		}
	}
	if body.Limit < 2 || body.Limit > 200 {
		t.Errorf("limit %d", body.Limit)
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func TestLookupMatchesOnlyTrueMatches(t *testing.T) {
	s := newFake(t, unlimited)
	put := func(id string, props map[string]string) {
		t.Helper()
		if err := s.Put(hubspottest.Contacts, hubspottest.Object{ID: id, Properties: props}); err != nil {
			t.Fatal(err)
		}
	}
	put("1", map[string]string{"firstname": "Ada", "phone": "+442045205757", "associatedcompanyid": "ignored"})
	put("2", map[string]string{"firstname": "Bea", "phone": "020 4520 5757 ext. 12"})
	put("3", map[string]string{"firstname": "Canadian", "phone": "+1 204 520 5757"}) // same national digits, other country
	put("4", map[string]string{"firstname": "Dee", "mobilephone": "0044 20 4520 5757"})
	// HubSpot cannot compute a searchable number from a field holding two
	// numbers, so search cannot find this one (the index can).
	put("7", map[string]string{"firstname": "Two", "phone": "020 4520 5757 / 07700 900123"})
	put("5", map[string]string{"firstname": "Unrelated", "phone": "+44 20 7946 0000"})
	c := configured(t, blockFor(s, ""), nil, nil)

	resp, err := lookup(t, c, "442045205757")
	if err != nil {
		t.Fatal(err)
	}
	got := matchSummary(resp)
	want := []string{
		"contact:1/exact/+442045205757",
		"contact:2/exact/020 4520 5757 ext. 12",
		"contact:4/exact/0044 20 4520 5757",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("matches %q; want %q (the Canadian number shares the national digits but is not a match)", got, want)
	}
	if resp.Matches[1].Phone.Extension != "12" || resp.Matches[1].Phone.Label != LabelPhone || resp.Matches[2].Phone.Label != LabelMobile {
		t.Errorf("matched phones %+v", resp.Matches)
	}

	list, err := c.ListContacts(ctx(t), &connectors.ListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if two := list.Contacts[len(list.Contacts)-1]; two.ID != "7" || len(two.Phones) != 2 || two.Phones[1].Raw != "07700 900123" {
		t.Errorf("a field with two numbers lists both: %+v", two)
	}

	// A number the parser cannot place in a country (07700 900xxx is
	// reserved for drama) is a national match.
	put("6", map[string]string{"firstname": "Emre", "mobilephone": "07700 900123"})
	resp, err = lookup(t, c, "+447700900123")
	if err != nil {
		t.Fatal(err)
	}
	if got := matchSummary(resp); !reflect.DeepEqual(got, []string{"contact:6/national/07700 900123"}) {
		t.Errorf("national: %q", got)
	}
	resp, err = lookup(t, c, "+447700900999")
	if err != nil || len(resp.Matches) != 0 {
		t.Errorf("unknown number: %v %v", matchSummary(resp), err)
	}
	resp, err = c.LookupByPhone(ctx(t), &connectors.LookupRequest{Raw: "not a number"})
	if err != nil || len(resp.Matches) != 0 {
		t.Errorf("garbage number: %v, %v; want no match and no error", resp, err)
	}
}

func TestLookupSeesSearchLag(t *testing.T) {
	clk := newFakeClock()
	opts := unlimited
	opts.Now, opts.SearchLag = clk.Now, 3*time.Second
	s := newFake(t, opts)
	c := configured(t, blockFor(s, ""), nil, nil)
	id := s.Create(hubspottest.Contacts, map[string]string{"firstname": "Ada", "phone": "+44 20 4520 5757"})
	if resp, err := lookup(t, c, "+442045205757"); err != nil || len(resp.Matches) != 0 {
		t.Fatalf("a record created now was found by search at once: %v %v", matchSummary(resp), err)
	}
	list, err := c.ListContacts(ctx(t), &connectors.ListRequest{})
	if err != nil || len(list.Contacts) != 1 || list.Contacts[0].ID != id {
		t.Fatalf("the list API sees the new record at once: %+v %v", list, err)
	}
	clk.Sleep(context.Background(), 3*time.Second)
	if resp, err := lookup(t, c, "+442045205757"); err != nil || len(resp.Matches) != 1 {
		t.Fatalf("after the lag: %v %v", matchSummary(resp), err)
	}
}

func TestListContactsAndCompanies(t *testing.T) {
	s := newFake(t, unlimited)
	updated := time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)
	for _, co := range []hubspottest.Object{
		{ID: "500", Properties: map[string]string{"name": "Acme", "domain": "acme.example", "phone": "+44 20 7946 0000",
			"hubspot_owner_id": "77", "customer_tier": "gold"}, UpdatedAt: updated},
		{ID: "501", Properties: map[string]string{"name": "Beta"}},
	} {
		if err := s.Put(hubspottest.Companies, co); err != nil {
			t.Fatal(err)
		}
	}
	for i, ct := range []hubspottest.Object{
		{ID: "10", Properties: map[string]string{"firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.com",
			"phone": "+44 20 4520 5757", "company": "Acme", "jobtitle": "Analyst", "hubspot_owner_id": "77",
			"balance": "1500.5", "vip": "true", "renewal": "2025-09-01", "tier": "gold"},
			Companies: []string{"500", "501"}, UpdatedAt: updated},
		{ID: "11", Properties: map[string]string{"firstname": "Bo", "balance": "lots", "vip": "Evet",
			"renewal": "1756684800000"}, Companies: []string{"501"}},
		{ID: "12", Properties: map[string]string{"firstname": "Cy"}},
	} {
		_ = i
		if err := s.Put(hubspottest.Contacts, ct); err != nil {
			t.Fatal(err)
		}
	}
	c := configured(t, blockFor(s, `page_size: 2
fields:
  balance: {property: balance, type: number}
  vip: {property: vip, type: bool}
  renewal: {property: renewal, type: date}
  tier: {property: tier}
company_fields:
  tier: {property: customer_tier}
`), nil, nil)

	var contacts []connectors.Contact
	cursor, pages := "", 0
	for {
		resp, err := c.ListContacts(ctx(t), &connectors.ListRequest{Cursor: cursor, PageSize: 50})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Contacts) > 2 {
			t.Errorf("page of %d; page_size is 2", len(resp.Contacts))
		}
		contacts = append(contacts, resp.Contacts...)
		pages++
		if cursor = resp.NextCursor; cursor == "" {
			break
		}
	}
	if pages != 2 || len(contacts) != 3 {
		t.Fatalf("%d pages, %d contacts", pages, len(contacts))
	}
	ada := contacts[0]
	want := connectors.Contact{
		ID: "10", FirstName: "Ada", LastName: "Lovelace", CompanyID: "500", CompanyName: "Acme",
		Emails: []string{"ada@example.com"}, OwnerID: "77", JobTitle: "Analyst",
		Phones:    []connectors.Phone{{Raw: "+44 20 4520 5757", Label: "phone", E164: "+442045205757"}},
		Fields:    map[string]any{"balance": 1500.5, "vip": true, "renewal": "2025-09-01T00:00:00Z", "tier": "gold"},
		UpdatedAt: updated,
	}
	if !reflect.DeepEqual(ada, want) {
		t.Errorf("contact 10:\n %+v\nwant %+v", ada, want)
	}
	if bo := contacts[1]; bo.CompanyID != "501" || bo.Fields["balance"] != nil || bo.Fields["tier"] != "" ||
		bo.Fields["vip"] != true || bo.Fields["renewal"] != "2025-09-01T00:00:00Z" {
		t.Errorf("contact 11: %+v (an unreadable number field is nil, an empty string field \"\", "+
			"evet is true, a date in epoch milliseconds reads)", bo)
	}
	if cy := contacts[2]; cy.CompanyID != "" || cy.Phones != nil {
		t.Errorf("contact 12: %+v", cy)
	}

	resp, err := c.ListCompanies(ctx(t), &connectors.ListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Companies) != 2 || resp.NextCursor != "" {
		t.Fatalf("companies %+v", resp)
	}
	acme := resp.Companies[0]
	wantCo := connectors.Company{ID: "500", Name: "Acme", Website: "acme.example", OwnerID: "77",
		Phones:    []connectors.Phone{{Raw: "+44 20 7946 0000", Label: "phone", E164: "+442079460000"}},
		Fields:    map[string]any{"tier": "gold"},
		UpdatedAt: updated}
	if !reflect.DeepEqual(acme, wantCo) {
		t.Errorf("company 500:\n %+v\nwant %+v", acme, wantCo)
	}

	for _, bad := range []string{"!!!", "aGVsbG8"} { // not base64; base64 of "hello"
		_, err := c.ListContacts(ctx(t), &connectors.ListRequest{Cursor: bad})
		if connectors.ClassOf(err) != connectors.ClassInvalidRequest {
			t.Errorf("cursor %q: %v; want invalid_request", bad, err)
		}
	}
}

func TestCheck(t *testing.T) {
	s := newFake(t, unlimited)
	s.Create(hubspottest.Contacts, map[string]string{"firstname": "Ada"})
	s.Create(hubspottest.Contacts, map[string]string{"firstname": "Bo"})
	c := configured(t, blockFor(s, ""), nil, nil)
	resp, err := c.Check(ctx(t), &connectors.CheckRequest{})
	if err != nil || resp.Records != 2 || !strings.Contains(resp.Detail, s.URL()) {
		t.Errorf("Check: %+v %v", resp, err)
	}
	s.RateLimit(hubspottest.RouteSearch, hubspottest.PolicyDaily, 1)
	resp, err = c.Check(ctx(t), &connectors.CheckRequest{})
	if err != nil || resp.Records != -1 || !strings.Contains(resp.Detail, "daily") {
		t.Errorf("Check with search limited: %+v %v; want Records -1 and why", resp, err)
	}
	s.Fail(hubspottest.RouteList, 401)
	if _, err := c.Check(ctx(t), &connectors.CheckRequest{}); connectors.ClassOf(err) != connectors.ClassUnauthorized {
		t.Errorf("Check with a refused token: %v", err)
	}
}

func TestErrorClasses(t *testing.T) {
	cases := []struct {
		name   string
		script func(s *hubspottest.Server)
		class  connectors.Class
		text   string
		sent   int // requests the call makes
	}{
		{"401", func(s *hubspottest.Server) { s.Fail(hubspottest.AnyRoute, 401) }, connectors.ClassUnauthorized, "token", 1},
		{"403", func(s *hubspottest.Server) { s.Fail(hubspottest.AnyRoute, 403) }, connectors.ClassUnauthorized, "scope", 1},
		{"404", func(s *hubspottest.Server) { s.Fail(hubspottest.AnyRoute, 404) }, connectors.ClassBadConfig, "base_url", 1},
		{"400", func(s *hubspottest.Server) {
			s.Script(hubspottest.AnyRoute, hubspottest.Fault{Status: 400, Message: "Property x does not exist"})
		}, connectors.ClassInvalidRequest, "Property x does not exist (VALIDATION_ERROR, correlationId ", 1},
		{"5xx retried then fails", func(s *hubspottest.Server) { s.Fail(hubspottest.AnyRoute, 500, 502, 503, 504) },
			connectors.ClassUnavailable, "after 4 attempts", 4},
		{"5xx retried then works", func(s *hubspottest.Server) { s.Fail(hubspottest.AnyRoute, 500, 503) }, "", "", 3},
		{"dropped connection retried", func(s *hubspottest.Server) { s.Drop(hubspottest.AnyRoute, 1) }, "", "", 2},
		{"daily limit", func(s *hubspottest.Server) { s.RateLimit(hubspottest.AnyRoute, hubspottest.PolicyDaily, 1) },
			connectors.ClassRateLimited, "daily", 1},
		{"ten-secondly limit waited out", func(s *hubspottest.Server) {
			s.RateLimit(hubspottest.AnyRoute, hubspottest.PolicyTenSecondly, 2)
		}, "", "", 3},
		{"429s do not use up retries", func(s *hubspottest.Server) {
			s.RateLimit(hubspottest.AnyRoute, hubspottest.PolicyTenSecondly, 1)
			s.Fail(hubspottest.AnyRoute, 500, 500, 500)
		}, "", "", 5},
		{"ten-secondly limit for ever", func(s *hubspottest.Server) {
			s.RateLimit(hubspottest.AnyRoute, hubspottest.PolicyTenSecondly, 10)
		}, connectors.ClassRateLimited, "giving up", maxRateWaits + 1},
	}
	calls := []struct {
		op string
		do func(c *Connector) error
	}{
		{"LookupByPhone", func(c *Connector) error {
			_, err := c.LookupByPhone(context.Background(), &connectors.LookupRequest{E164: "+442045205757", National: "2045205757"})
			return err
		}},
		{"ListContacts", func(c *Connector) error {
			_, err := c.ListContacts(context.Background(), &connectors.ListRequest{})
			return err
		}},
		{"ListCompanies", func(c *Connector) error {
			_, err := c.ListCompanies(context.Background(), &connectors.ListRequest{})
			return err
		}},
	}
	for _, tc := range cases {
		for _, call := range calls {
			t.Run(tc.name+"/"+call.op, func(t *testing.T) {
				s := newFake(t, unlimited)
				logs := &syncBuffer{}
				c := configured(t, blockFor(s, ""), newFakeClock(), logs)
				before := s.Count(hubspottest.AnyRoute)
				tc.script(s)
				err := call.do(c)
				if got := connectors.ClassOf(err); got != tc.class || (err != nil && !strings.Contains(err.Error(), tc.text)) {
					t.Errorf("error %v (class %q); want class %q mentioning %q", err, got, tc.class, tc.text)
				}
				if n := s.Count(hubspottest.AnyRoute) - before; n != tc.sent {
					t.Errorf("%d requests sent; want %d", n, tc.sent)
				}
				if err != nil && !strings.Contains(err.Error(), call.op) {
					t.Errorf("error %q does not name the operation", err)
				}
				if strings.Contains(logs.String(), testToken) || (err != nil && strings.Contains(err.Error(), testToken)) {
					t.Errorf("the token leaked into logs or errors")
				}
			})
		}
	}
}

func TestRateLimitPolicies(t *testing.T) {
	t.Run("SECONDLY pauses searches a second and retries", func(t *testing.T) {
		s := newFake(t, unlimited)
		clk := newFakeClock()
		c := configured(t, blockFor(s, ""), clk, nil)
		s.RateLimit(hubspottest.RouteSearch, hubspottest.PolicySecondly, 1)
		if _, err := lookup(t, c, "+442045205757"); err != nil {
			t.Fatal(err)
		}
		if got := clk.Slept(); !reflect.DeepEqual(got, []time.Duration{time.Second}) {
			t.Errorf("slept %v; want one second", got)
		}
		if n := s.Count(hubspottest.RouteSearch); n != 2 {
			t.Errorf("%d searches; want 2", n)
		}
	})
	t.Run("TEN_SECONDLY backs off from a second", func(t *testing.T) {
		s := newFake(t, unlimited)
		clk := newFakeClock()
		c := configured(t, blockFor(s, ""), clk, nil)
		s.RateLimit(hubspottest.RouteList, hubspottest.PolicyTenSecondly, 3)
		if _, err := c.ListContacts(ctx(t), &connectors.ListRequest{}); err != nil {
			t.Fatal(err)
		}
		if got := clk.Slept(); !reflect.DeepEqual(got, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}) {
			t.Errorf("slept %v; want 1s 2s 4s", got)
		}
	})
	t.Run("a pause longer than the deadline fails fast", func(t *testing.T) {
		s := newFake(t, unlimited)
		c := configured(t, blockFor(s, ""), nil, nil)
		s.RateLimit(hubspottest.RouteSearch, hubspottest.PolicySecondly, 1)
		cx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.LookupByPhone(cx, &connectors.LookupRequest{E164: "+442045205757"})
		if connectors.ClassOf(err) != connectors.ClassRateLimited || time.Since(start) > 200*time.Millisecond {
			t.Errorf("error %v after %v; want rate_limited at once", err, time.Since(start))
		}
		// Other callers are held back too, and lists are not.
		if _, err := c.LookupByPhone(cx, &connectors.LookupRequest{E164: "+442045205757"}); connectors.ClassOf(err) != connectors.ClassRateLimited {
			t.Errorf("second caller during the pause: %v", err)
		}
		if _, err := c.ListContacts(cx, &connectors.ListRequest{}); err != nil {
			t.Errorf("a list during a search pause: %v", err)
		}
		if n := s.Count(hubspottest.RouteSearch); n != 1 {
			t.Errorf("%d searches sent; want 1", n)
		}
	})
	t.Run("Retry-After wins", func(t *testing.T) {
		s := newFake(t, unlimited)
		clk := newFakeClock()
		c := configured(t, blockFor(s, ""), clk, nil)
		s.Script(hubspottest.RouteList, hubspottest.Fault{Status: 429, Body: `{"status":"error","message":"slow down","policyName":"TEN_SECONDLY_ROLLING"}`})
		// The fake cannot add headers to a raw fault; exercise rateWait directly.
		cl := c.state.Load().api
		if d := cl.rateWait(&apiError{PolicyName: policyTenSecondly}, map[string][]string{"Retry-After": {"7"}}, 1); d != 7*time.Second {
			t.Errorf("Retry-After 7: waited %v", d)
		}
		if _, err := c.ListContacts(ctx(t), &connectors.ListRequest{}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestClientLimiterKeepsUnderHubSpotsLimit runs lookups as fast as the
// client lets them against a fake that refuses more than the limit in any
// rolling second: none is refused.
func TestClientLimiterKeepsUnderHubSpotsLimit(t *testing.T) {
	opts := unlimited
	opts.SearchPerSecond = 20
	s := newFake(t, opts)
	c := configured(t, []byte("base_url: "+s.URL()+"\ntoken: "+testToken+"\nrate_limit: {search_per_second: 20}\n"), nil, nil)
	start := time.Now()
	for i := 0; i < 30; i++ {
		if _, err := lookup(t, c, "+442045205757"); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range s.Requests() {
		if r.Status == 429 {
			t.Fatalf("the fake refused a search: the client-side limiter let too many through")
		}
	}
	if took := time.Since(start); took < 500*time.Millisecond {
		t.Errorf("30 searches at 20/s took %v; the limiter did not hold them back", took)
	}
}

// TestWindowLimiter checks the limiter's guarantee over simulated time: at
// most n requests in any rolling window, and close to n on average.
func TestWindowLimiter(t *testing.T) {
	for _, tc := range []struct {
		n      int
		window time.Duration
	}{{5, time.Second}, {100, 10 * time.Second}, {190, 10 * time.Second}, {1, time.Second}} {
		lim := windowLimiter(tc.n, tc.window)
		t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		var sent []time.Time
		for at := t0; at.Before(t0.Add(6 * tc.window)); at = at.Add(time.Millisecond) {
			if lim.AllowN(at, 1) {
				sent = append(sent, at)
			}
		}
		for i := range sent {
			j := sort.Search(len(sent), func(j int) bool { return !sent[j].Before(sent[i].Add(tc.window)) })
			if j-i > tc.n {
				t.Fatalf("n=%d: %d requests in the window from %v", tc.n, j-i, sent[i].Sub(t0))
			}
		}
		if perWindow := float64(len(sent)) / 6; perWindow < 0.8*float64(tc.n) {
			t.Errorf("n=%d: only %.1f requests per window on average", tc.n, perWindow)
		}
	}
}

func TestConfigureProbe(t *testing.T) {
	s := newFake(t, unlimited)
	c := New(nil)
	resp, err := c.Configure(ctx(t), &connectors.ConfigureRequest{
		Config: []byte("base_url: " + s.URL() + "\ntoken: wrong-token\n"), DefaultRegion: "GB"})
	if err != nil || len(resp.Problems) != 1 || resp.Problems[0].Path != "token" || strings.Contains(resp.Problems[0].Message, "wrong-token") {
		t.Errorf("a refused token: %+v %v; want one problem at token, without the token", resp, err)
	}
	resp, err = c.Configure(ctx(t), &connectors.ConfigureRequest{
		Config: []byte("base_url: " + s.URL() + "/v2\ntoken: " + testToken + "\n"), DefaultRegion: "GB"})
	if err != nil || len(resp.Problems) != 1 || resp.Problems[0].Path != "base_url" {
		t.Errorf("a base_url that is not the API: %+v %v; want a problem at base_url", resp, err)
	}
	// Validation alone never connects.
	resp, err = c.Configure(ctx(t), &connectors.ConfigureRequest{
		Config: []byte("base_url: " + s.URL() + "\ntoken: wrong-token\n"), DefaultRegion: "GB", ValidateOnly: true})
	if err != nil || len(resp.Problems) != 0 {
		t.Errorf("ValidateOnly: %+v %v", resp, err)
	}

	// HubSpot unreachable at start: accepted (the host retries), and calls
	// say what is wrong.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logs := &syncBuffer{}
	down := configured(t, []byte("base_url: http://"+addr+"\ntoken: "+testToken+"\nmax_retries: 1\n"), newFakeClock(), logs)
	if !strings.Contains(logs.String(), "could not check the HubSpot token") {
		t.Errorf("no warning logged: %s", logs)
	}
	_, err = down.ListContacts(ctx(t), &connectors.ListRequest{})
	if connectors.ClassOf(err) != connectors.ClassUnavailable || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "2 attempts") {
		t.Errorf("unreachable: %v; want unavailable naming %s", err, addr)
	}
}

func TestDeadlineDuringRequest(t *testing.T) {
	s := newFake(t, unlimited)
	c := configured(t, blockFor(s, ""), nil, nil)
	s.Delay(hubspottest.RouteSearch, 1, 2*time.Second)
	cx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.LookupByPhone(cx, &connectors.LookupRequest{E164: "+442045205757"})
	if !errors.Is(err, context.DeadlineExceeded) || connectors.ClassOf(err) != connectors.ClassUnavailable {
		t.Errorf("error %v; want unavailable wrapping DeadlineExceeded", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("returned after %v; the deadline was 100ms", took)
	}
}

func TestConfigProblems(t *testing.T) {
	cases := []struct {
		block string
		paths []string
	}{
		{"token: t\n", nil},
		{"", []string{"token"}},
		{"token: 'a b'\n", []string{"token"}},
		{"token: t\nbase_url: api.hubapi.com\n", []string{"base_url"}},
		{"token: t\nbase_url: https://api.hubapi.com?x=1\n", []string{"base_url"}},
		{"token: t\ntimeout: 0\nmax_retries: 11\npage_size: 0\n", []string{"timeout", "max_retries", "page_size"}},
		{"token: t\nrate_limit: {requests_per_10s: 0, search_per_second: 10001}\n", []string{"rate_limit.requests_per_10s", "rate_limit.search_per_second"}},
		{"token: t\nfields:\n  a: {type: number}\n  b: {property: Bad-Name}\n  c: {property: c, type: nmber}\n", []string{"fields.a.property", "fields.b.property", "fields.c.type"}},
		{"token: t\ncompany_fields:\n  a: {}\n", []string{"company_fields.a.property"}},
		{"token: t\ntokn: x\n", []string{"tokn"}},
		{"token: t\ntimeout: soon\n", []string{"timeout"}},
	}
	for _, tc := range cases {
		resp, err := New(nil).Configure(ctx(t), &connectors.ConfigureRequest{Config: []byte(tc.block), DefaultRegion: "GB", ValidateOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, p := range resp.Problems {
			paths = append(paths, p.Path)
			if p.Message == "" {
				t.Errorf("%q: problem at %s without a message", tc.block, p.Path)
			}
		}
		if !reflect.DeepEqual(paths, tc.paths) {
			t.Errorf("%q: problems at %q; want %q (%+v)", tc.block, paths, tc.paths, resp.Problems)
		}
	}
	resp, _ := New(nil).Configure(ctx(t), &connectors.ConfigureRequest{Config: []byte("token: t\n"), DefaultRegion: "XX", ValidateOnly: true})
	if len(resp.Problems) != 1 || resp.Problems[0].Path != "" {
		t.Errorf("unknown region: %+v", resp.Problems)
	}
}

func TestUnconfigured(t *testing.T) {
	c := New(nil)
	if _, err := c.LookupByPhone(ctx(t), &connectors.LookupRequest{E164: "+442045205757"}); connectors.ClassOf(err) != connectors.ClassBadConfig {
		t.Errorf("lookup before Configure: %v", err)
	}
	d, err := c.Describe(ctx(t), &connectors.DescribeRequest{})
	if err != nil || d.Name != "hubspot" || !d.Has(connectors.CapChangedSince) || !d.Has(connectors.CapLookup) {
		t.Errorf("Describe: %+v %v", d, err)
	}
}
