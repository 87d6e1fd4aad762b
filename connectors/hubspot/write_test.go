package hubspot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/hubspot/hubspottest"
)

// writeBlock enables both writes with no search lag.
const writeBlock = "search_lag: 0s\nlog_call: {enabled: true}\ncreate_contact: {enabled: true}\n"

// writeFake is a fake HubSpot with the key property, contact 10 (Ada, of
// company 20) and company 20, on clk's time when clk is not nil.
func writeFake(t testing.TB, clk *fakeClock, lag time.Duration) *hubspottest.Server {
	t.Helper()
	opts := unlimited
	opts.SearchLag = lag
	if clk != nil {
		opts.Now = clk.Now
	}
	s := newFake(t, opts)
	s.DefineCallProperty(DefaultKeyProperty)
	if err := s.Put(hubspottest.Companies, hubspottest.Object{ID: "20", Properties: map[string]string{"name": "Acme"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(hubspottest.Contacts, hubspottest.Object{ID: "10", Properties: map[string]string{
		"firstname": "Ada", "lastname": "Lovelace", "phone": "020 4520 5757"}, Companies: []string{"20"}}); err != nil {
		t.Fatal(err)
	}
	return s
}

var callStart = time.Date(2026, 12, 1, 10, 0, 0, 0, time.FixedZone("TRT", 3*3600))

// logReq is an answered inbound call to log against contact 10.
func logReq(key string) *connectors.LogCallRequest {
	return &connectors.LogCallRequest{Key: key, ContactID: "10", Call: connectors.CallRecord{
		ID: "3f1c9a", Direction: connectors.CallInbound, From: "+442045205757", To: "+442079460000",
		StartedAt: callStart, AnsweredAt: callStart.Add(5 * time.Second), EndedAt: callStart.Add(47 * time.Second),
		TalkSeconds: 42, Outcome: connectors.CallAnswered, AgentID: "u1", AgentName: "Bo", OwnerID: "77",
		RecordingURL: "https://rec.example/3f1c9a.mp3", Title: "Call with Ada", Body: "**Answered** by Bo",
	}}
}

// sent returns the requests the fake got since index from.
func sent(s *hubspottest.Server, from int) []hubspottest.Request { return s.Requests()[from:] }

func routes(reqs []hubspottest.Request) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

func TestLogCall(t *testing.T) {
	s := writeFake(t, nil, 0)
	c := configured(t, blockFor(s, writeBlock), nil, nil)
	before := s.Count(hubspottest.AnyRoute)
	req := logReq("3f1c9a/crm-log")
	req.CompanyID = "20"
	resp, err := c.LogCall(ctx(t), req)
	if err != nil || resp.ID == "" || resp.Existing {
		t.Fatalf("LogCall: %+v %v", resp, err)
	}
	if got, want := routes(sent(s, before)), []string{"POST /crm/v3/objects/calls/search", "POST /crm/v3/objects/calls"}; !reflect.DeepEqual(got, want) {
		t.Errorf("requests %q; want %q", got, want)
	}
	calls := s.LoggedCalls()
	if len(calls) != 1 || calls[0].ID != resp.ID {
		t.Fatalf("calls %+v; want one with id %s", calls, resp.ID)
	}
	p := calls[0].Properties
	want := map[string]string{
		"hs_timestamp": "2026-12-01T07:00:00.000Z", "hs_call_duration": "42000", "hs_call_direction": "INBOUND",
		"hs_call_from_number": "+442045205757", "hs_call_to_number": "+442079460000", "hs_call_status": "COMPLETED",
		"hs_call_title": "Call with Ada", "hs_call_body": "**Answered** by Bo", "hs_call_recording_url": "https://rec.example/3f1c9a.mp3",
		"hubspot_owner_id": "77", DefaultKeyProperty: "3f1c9a/crm-log",
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s = %q; want %q", k, p[k], v)
		}
	}
	if !reflect.DeepEqual(calls[0].Contacts, []string{"10"}) || !reflect.DeepEqual(calls[0].Companies, []string{"20"}) {
		t.Errorf("associations: contacts %v companies %v", calls[0].Contacts, calls[0].Companies)
	}
	var body struct {
		Associations []struct {
			To    map[string]string `json:"to"`
			Types []map[string]any  `json:"types"`
		} `json:"associations"`
	}
	create := sent(s, before)[1]
	if err := json.Unmarshal(create.Body, &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Associations) != 2 || body.Associations[0].To["id"] != "10" || body.Associations[0].Types[0]["associationTypeId"] != float64(194) ||
		body.Associations[1].To["id"] != "20" || body.Associations[1].Types[0]["associationTypeId"] != float64(182) ||
		body.Associations[0].Types[0]["associationCategory"] != "HUBSPOT_DEFINED" {
		t.Errorf("associations sent: %s", create.Body)
	}

	// A retry in this process: remembered, no request.
	before = s.Count(hubspottest.AnyRoute)
	again, err := c.LogCall(ctx(t), req)
	if err != nil || again.ID != resp.ID || !again.Existing || s.Count(hubspottest.AnyRoute) != before {
		t.Errorf("retry: %+v %v, %d requests; want Existing %s and none", again, err, s.Count(hubspottest.AnyRoute)-before, resp.ID)
	}
	// A retry by another process (a restarted plugin): found by search.
	other := configured(t, blockFor(s, writeBlock), nil, nil)
	before = s.Count(hubspottest.AnyRoute)
	again, err = other.LogCall(ctx(t), req)
	if err != nil || again.ID != resp.ID || !again.Existing || s.Count(hubspottest.AnyRoute) != before+1 {
		t.Errorf("retry by a new process: %+v %v, %d requests; want Existing %s after one search", again, err, s.Count(hubspottest.AnyRoute)-before, resp.ID)
	}
	if n := s.CountCalls(DefaultKeyProperty, "3f1c9a/crm-log"); n != 1 {
		t.Errorf("%d calls with the key; want 1", n)
	}
}

func TestLogCallMapsTheCall(t *testing.T) {
	s := writeFake(t, nil, 0)
	c := configured(t, blockFor(s, writeBlock), nil, nil)
	cases := []struct {
		name  string
		edit  func(r *connectors.LogCallRequest)
		props map[string]string // "" means absent
		assoc [2][]string       // contacts, companies
	}{
		{"missed", func(r *connectors.LogCallRequest) {
			r.Call.Outcome, r.Call.TalkSeconds, r.Call.AnsweredAt, r.Call.RecordingURL = connectors.CallMissed, 0, time.Time{}, ""
		}, map[string]string{"hs_call_status": "NO_ANSWER", "hs_call_duration": "0", "hs_call_recording_url": ""}, [2][]string{{"10"}, nil}},
		{"voicemail", func(r *connectors.LogCallRequest) {
			r.Call.Outcome, r.Call.TalkSeconds = connectors.CallVoicemail, 0
		}, map[string]string{"hs_call_status": "NO_ANSWER", "hs_call_title": "Voicemail: Call with Ada"}, [2][]string{{"10"}, nil}},
		{"voicemail title already says so", func(r *connectors.LogCallRequest) {
			r.Call.Outcome, r.Call.Title = connectors.CallVoicemail, "Voicemail from Ada"
		}, map[string]string{"hs_call_title": "Voicemail from Ada"}, [2][]string{{"10"}, nil}},
		{"outbound without title, company only, no owner", func(r *connectors.LogCallRequest) {
			r.Call.Direction, r.Call.Title, r.Call.OwnerID = connectors.CallOutbound, "", ""
			r.ContactID, r.CompanyID = "", "20"
		}, map[string]string{"hs_call_direction": "OUTBOUND", "hs_call_title": "Outbound call to +442079460000", "hubspot_owner_id": ""},
			[2][]string{nil, {"20"}}},
		{"inbound without title", func(r *connectors.LogCallRequest) { r.Call.Title = "" },
			map[string]string{"hs_call_title": "Inbound call from +442045205757"}, [2][]string{{"10"}, nil}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := logReq(fmt.Sprintf("map-%d", i))
			tc.edit(req)
			resp, err := c.LogCall(ctx(t), req)
			if err != nil {
				t.Fatal(err)
			}
			o, ok := s.Get(hubspottest.Calls, resp.ID)
			if !ok {
				t.Fatalf("no call %s", resp.ID)
			}
			for k, v := range tc.props {
				if o.Properties[k] != v {
					t.Errorf("%s = %q; want %q", k, o.Properties[k], v)
				}
			}
			if !reflect.DeepEqual(o.Contacts, tc.assoc[0]) || !reflect.DeepEqual(o.Companies, tc.assoc[1]) {
				t.Errorf("associations %v %v; want %v", o.Contacts, o.Companies, tc.assoc)
			}
		})
	}
}

func TestLogCallRefusesBadRequests(t *testing.T) {
	s := writeFake(t, nil, 0)
	c := configured(t, blockFor(s, writeBlock), nil, nil)
	before := s.Count(hubspottest.AnyRoute)
	for name, edit := range map[string]func(r *connectors.LogCallRequest){
		"no record":         func(r *connectors.LogCallRequest) { r.ContactID = "" },
		"no key":            func(r *connectors.LogCallRequest) { r.Key = "" },
		"long key":          func(r *connectors.LogCallRequest) { r.Key = strings.Repeat("k", 201) },
		"contact not an id": func(r *connectors.LogCallRequest) { r.ContactID = "ada" },
		"owner not an id":   func(r *connectors.LogCallRequest) { r.Call.OwnerID = "bo@example.com" },
		"no time":           func(r *connectors.LogCallRequest) { r.Call.StartedAt, r.Call.EndedAt = time.Time{}, time.Time{} },
		"direction":         func(r *connectors.LogCallRequest) { r.Call.Direction = "sideways" },
		"outcome":           func(r *connectors.LogCallRequest) { r.Call.Outcome = "busy" },
	} {
		req := logReq("bad")
		edit(req)
		if _, err := c.LogCall(ctx(t), req); connectors.ClassOf(err) != connectors.ClassInvalidRequest {
			t.Errorf("%s: %v; want invalid_request", name, err)
		}
	}
	if n := s.Count(hubspottest.AnyRoute) - before; n != 0 {
		t.Errorf("%d requests sent for refused requests", n)
	}
	// A contact HubSpot does not have: its 400 is the request's fault.
	req := logReq("ghost")
	req.ContactID = "999"
	if _, err := c.LogCall(ctx(t), req); connectors.ClassOf(err) != connectors.ClassInvalidRequest || !strings.Contains(err.Error(), "999") {
		t.Errorf("unknown contact: %v; want invalid_request naming it", err)
	}
}

// TestLogCallLostAnswer: HubSpot applies a create but its answer is lost
// (or is a gateway's 5xx). The retries that follow, however soon, leave
// exactly one call.
func TestLogCallLostAnswer(t *testing.T) {
	const lag = 3 * time.Second
	for _, tc := range []struct {
		name    string
		fault   func(s *hubspottest.Server)
		applied bool
	}{
		{"connection dropped after apply", func(s *hubspottest.Server) { s.LoseAnswer(hubspottest.RouteCreate, 1) }, true},
		{"504 after apply", func(s *hubspottest.Server) { s.FailAfterApply(hubspottest.RouteCreate, 504) }, true},
		{"503 before apply", func(s *hubspottest.Server) { s.Fail(hubspottest.RouteCreate, 503) }, false},
		{"connection dropped before apply", func(s *hubspottest.Server) { s.Drop(hubspottest.RouteCreate, 1) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			s := writeFake(t, clk, lag)
			c := configured(t, blockFor(s, "search_lag: 3s\nlog_call: {enabled: true}\n"), clk, nil)
			clk.Sleep(context.Background(), lag) // past the start's window
			tc.fault(s)
			req := logReq("lost/crm-log")
			_, err := c.LogCall(ctx(t), req)
			if connectors.ClassOf(err) != connectors.ClassUnavailable || !connectors.Retryable(err) || !strings.Contains(err.Error(), "may or may not have applied") {
				t.Fatalf("first try: %v; want a retryable unavailable error saying the outcome is unknown", err)
			}
			wantCalls := map[bool]int{true: 1, false: 0}[tc.applied]
			if n := len(s.LoggedCalls()); n != wantCalls {
				t.Fatalf("%d calls after the first try; want %d", n, wantCalls)
			}
			// Retries within the lag: refused, without a request.
			before := s.Count(hubspottest.AnyRoute)
			for range 3 {
				clk.Sleep(context.Background(), 500*time.Millisecond)
				_, err := c.LogCall(ctx(t), req)
				if connectors.ClassOf(err) != connectors.ClassUnavailable || !strings.Contains(err.Error(), "outcome is unknown") ||
					!strings.Contains(err.Error(), "retry in") {
					t.Fatalf("retry within the lag: %v", err)
				}
			}
			if n := s.Count(hubspottest.AnyRoute) - before; n != 0 {
				t.Errorf("%d requests sent by refused retries", n)
			}
			// After the lag, search decides.
			clk.Sleep(context.Background(), lag)
			resp, err := c.LogCall(ctx(t), req)
			if err != nil || resp.Existing != tc.applied {
				t.Fatalf("retry after the lag: %+v %v; want Existing %v", resp, err, tc.applied)
			}
			if n := s.CountCalls(DefaultKeyProperty, "lost/crm-log"); n != 1 {
				t.Errorf("%d calls with the key; want exactly 1", n)
			}
			if calls := s.LoggedCalls(); calls[0].ID != resp.ID {
				t.Errorf("answered %s; the call is %s", resp.ID, calls[0].ID)
			}
		})
	}
}

// TestLogCallAfterRestart: a plugin that crashed after HubSpot applied its
// create; the new process cannot know, so it waits for search to show
// what an earlier run may have done before creating anything.
func TestLogCallAfterRestart(t *testing.T) {
	const lag = 3 * time.Second
	clk := newFakeClock()
	s := writeFake(t, clk, lag)
	block := blockFor(s, "search_lag: 3s\nlog_call: {enabled: true}\n")
	first := configured(t, block, clk, nil)
	clk.Sleep(context.Background(), lag)
	s.LoseAnswer(hubspottest.RouteCreate, 1)
	req := logReq("restart/crm-log")
	if _, err := first.LogCall(ctx(t), req); connectors.ClassOf(err) != connectors.ClassUnavailable {
		t.Fatalf("first try: %v", err)
	}
	// The plugin restarts at once: a new process, a new memory.
	second := configured(t, block, clk, nil)
	before := s.Count(hubspottest.AnyRoute)
	if _, err := second.LogCall(ctx(t), req); connectors.ClassOf(err) != connectors.ClassUnavailable ||
		!strings.Contains(err.Error(), "connector started") {
		t.Fatalf("retry by the new process at once: %v; want unavailable", err)
	}
	// A fresh key is held back too: the process cannot tell.
	if _, err := second.LogCall(ctx(t), logReq("fresh/crm-log")); connectors.ClassOf(err) != connectors.ClassUnavailable {
		t.Fatalf("a fresh key at once: %v; want unavailable", err)
	}
	if n := s.Count(hubspottest.AnyRoute) - before; n != 0 {
		t.Errorf("%d requests in the window; want none", n)
	}
	clk.Sleep(context.Background(), lag)
	resp, err := second.LogCall(ctx(t), req)
	if err != nil || !resp.Existing {
		t.Fatalf("after the lag: %+v %v; want Existing", resp, err)
	}
	if resp, err := second.LogCall(ctx(t), logReq("fresh/crm-log")); err != nil || resp.Existing {
		t.Fatalf("fresh key after the lag: %+v %v", resp, err)
	}
	if n := s.CountCalls(DefaultKeyProperty, "restart/crm-log"); n != 1 {
		t.Errorf("%d calls with the key; want 1", n)
	}
	// A Configure of the same account keeps the memory (no new window).
	again := blockFor(s, "search_lag: 3s\nlog_call: {enabled: true}\npage_size: 50\n")
	if resp, err := second.Configure(ctx(t), &connectors.ConfigureRequest{Config: again, DefaultRegion: "GB"}); err != nil || len(resp.Problems) > 0 {
		t.Fatal(resp, err)
	}
	if resp, err := second.LogCall(ctx(t), logReq("after-reconfigure/crm-log")); err != nil || resp.Existing {
		t.Errorf("after a Configure of the same account: %+v %v", resp, err)
	}
}

func TestLogCallConcurrentRetries(t *testing.T) {
	s := writeFake(t, nil, 0)
	c := configured(t, blockFor(s, writeBlock), nil, nil)
	var wg sync.WaitGroup
	results := make([]*connectors.LogCallResponse, 8)
	errs := make([]error, 8)
	for i := range results {
		wg.Go(func() { results[i], errs[i] = c.LogCall(ctx(t), logReq("same/crm-log")) })
	}
	wg.Wait()
	fresh := 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !r.Existing {
			fresh++
		}
		if r.ID != results[0].ID {
			t.Errorf("answers name %s and %s", r.ID, results[0].ID)
		}
	}
	if n := len(s.LoggedCalls()); n != 1 || fresh != 1 {
		t.Errorf("%d calls, %d answered as new; want 1 and 1", n, fresh)
	}
}

func TestLogCallRateLimits(t *testing.T) {
	s := writeFake(t, nil, 0)
	clk := newFakeClock()
	c := configured(t, blockFor(s, writeBlock), clk, nil)
	s.RateLimit(hubspottest.RouteSearch, hubspottest.PolicySecondly, 1)
	s.RateLimit(hubspottest.RouteCreate, hubspottest.PolicyTenSecondly, 2)
	resp, err := c.LogCall(ctx(t), logReq("limited/crm-log"))
	if err != nil || resp.Existing {
		t.Fatalf("LogCall through 429s: %+v %v", resp, err)
	}
	if got := clk.Slept(); !reflect.DeepEqual(got, []time.Duration{time.Second, time.Second, 2 * time.Second}) {
		t.Errorf("slept %v; want 1s (SECONDLY) then 1s, 2s (TEN_SECONDLY)", got)
	}
	if n := len(s.LoggedCalls()); n != 1 {
		t.Errorf("%d calls; a 429 applies nothing and is retried: want 1", n)
	}
	// The daily limit fails at once, applied nothing, and a later retry
	// logs the call.
	s.RateLimit(hubspottest.RouteCreate, hubspottest.PolicyDaily, 1)
	if _, err := c.LogCall(ctx(t), logReq("daily/crm-log")); connectors.ClassOf(err) != connectors.ClassRateLimited {
		t.Fatalf("daily limit: %v; want rate_limited", err)
	}
	if resp, err := c.LogCall(ctx(t), logReq("daily/crm-log")); err != nil || resp.Existing {
		t.Fatalf("retry after the daily limit: %+v %v", resp, err)
	}
	if n := s.CountCalls(DefaultKeyProperty, "daily/crm-log"); n != 1 {
		t.Errorf("%d calls with the key; want 1", n)
	}
}

func TestWriteErrorClasses(t *testing.T) {
	cases := []struct {
		name   string
		script func(s *hubspottest.Server)
		class  connectors.Class
		text   string
	}{
		{"401", func(s *hubspottest.Server) { s.Fail(hubspottest.RouteCreate, 401) }, connectors.ClassUnauthorized, "token"},
		{"403 names the write scope", func(s *hubspottest.Server) { s.Fail(hubspottest.RouteCreate, 403) }, connectors.ClassUnauthorized, "crm.objects.contacts.write"},
		{"search 5xx retried", func(s *hubspottest.Server) { s.Fail(hubspottest.RouteSearch, 500, 502) }, "", ""},
		{"search 5xx for ever", func(s *hubspottest.Server) { s.Fail(hubspottest.RouteSearch, 500, 500, 500, 500) }, connectors.ClassUnavailable, "after 4 attempts"},
		{"key property missing at create", func(s *hubspottest.Server) {
			s.Script(hubspottest.RouteCreate, hubspottest.Fault{Status: 400, Category: hubspottest.CategoryValidation,
				Message: `Property values were not valid: [{"isValid":false,"message":"Property \"switchboard_call_key\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"switchboard_call_key"}]`})
		}, connectors.ClassBadConfig, "Settings > Properties > Call properties"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := writeFake(t, nil, 0)
			c := configured(t, blockFor(s, writeBlock), newFakeClock(), nil)
			tc.script(s)
			_, err := c.LogCall(ctx(t), logReq("e/crm-log"))
			if got := connectors.ClassOf(err); got != tc.class || (err != nil && !strings.Contains(err.Error(), tc.text)) {
				t.Errorf("error %v (class %q); want class %q mentioning %q", err, got, tc.class, tc.text)
			}
			if err != nil && !strings.Contains(err.Error(), "LogCall") {
				t.Errorf("error %q does not name the operation", err)
			}
		})
	}
}

func TestKeyPropertyMissing(t *testing.T) {
	opts := unlimited
	s := newFake(t, opts) // no key property defined
	if err := s.Put(hubspottest.Contacts, hubspottest.Object{ID: "10", Properties: map[string]string{"firstname": "Ada"}}); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	c := configured(t, blockFor(s, writeBlock), nil, logs)
	if !strings.Contains(logs.String(), "cannot log calls") || !strings.Contains(logs.String(), DefaultKeyProperty) {
		t.Errorf("Configure did not warn of the missing property: %s", logs)
	}
	_, err := c.LogCall(ctx(t), logReq("k"))
	if connectors.ClassOf(err) != connectors.ClassBadConfig || !strings.Contains(err.Error(), "log_call.key_property") ||
		!strings.Contains(err.Error(), "single-line text") {
		t.Errorf("LogCall: %v; want bad_config telling to create the property", err)
	}
	_, err = c.Check(ctx(t), &connectors.CheckRequest{})
	if connectors.ClassOf(err) != connectors.ClassBadConfig || !strings.Contains(err.Error(), DefaultKeyProperty) {
		t.Errorf("Check: %v; want bad_config naming the property", err)
	}
	if err := s.DefineProperty(hubspottest.Calls, hubspottest.Property{Name: "call_number", Type: "number"}); err != nil {
		t.Fatal(err)
	}
	numeric := configured(t, blockFor(s, "log_call: {enabled: true, key_property: call_number}\n"), nil, nil)
	if _, err := numeric.Check(ctx(t), &connectors.CheckRequest{}); connectors.ClassOf(err) != connectors.ClassBadConfig || !strings.Contains(err.Error(), "type number") {
		t.Errorf("Check with a number property: %v", err)
	}
	s.DefineCallProperty(DefaultKeyProperty)
	resp, err := c.Check(ctx(t), &connectors.CheckRequest{})
	if err != nil || !strings.Contains(resp.Detail, "call property switchboard_call_key exists") {
		t.Errorf("Check once it exists: %+v %v", resp, err)
	}
}

func TestCreateContact(t *testing.T) {
	s := writeFake(t, nil, 0)
	c := configured(t, blockFor(s, writeBlock), nil, nil)
	before := s.Count(hubspottest.AnyRoute)
	resp, err := c.CreateContact(ctx(t), &connectors.CreateContactRequest{Phone: "+447700900123", FirstName: "Caller", LastName: "+44 7700 900123",
		CompanyID: "20", OwnerID: "77", Key: "3f1c9a/crm-contact"})
	if err != nil || resp.Existing {
		t.Fatalf("CreateContact: %+v %v", resp, err)
	}
	if got, want := routes(sent(s, before)), []string{"POST /crm/v3/objects/contacts/search", "POST /crm/v3/objects/contacts"}; !reflect.DeepEqual(got, want) {
		t.Errorf("requests %q; want %q", got, want)
	}
	ct := resp.Contact
	o, ok := s.Get(hubspottest.Contacts, ct.ID)
	if !ok || o.Properties["phone"] != "+447700900123" || o.Properties["hubspot_owner_id"] != "77" || o.Properties["associatedcompanyid"] != "20" {
		t.Fatalf("stored contact %+v", o)
	}
	if ct.FirstName != "Caller" || ct.LastName != "+44 7700 900123" || ct.CompanyID != "20" || ct.OwnerID != "77" ||
		len(ct.Phones) != 1 || ct.Phones[0].E164 != "+447700900123" || ct.Phones[0].Label != LabelPhone || ct.UpdatedAt.IsZero() {
		t.Errorf("answered contact %+v", ct)
	}
	// As lookups return it.
	look, err := c.LookupByPhone(ctx(t), &connectors.LookupRequest{E164: "+447700900123", National: "7700900123"})
	if err != nil || len(look.Matches) != 1 {
		t.Fatalf("lookup: %+v %v", look, err)
	}
	if got := *look.Matches[0].Contact; !reflect.DeepEqual(got, ct) {
		t.Errorf("lookup returns\n %+v\nCreateContact answered\n %+v", got, ct)
	}

	// A retry: search shows the contact at once here (no lag; see
	// TestCreateContactLostAnswer for the memory that covers the lag).
	before = s.Count(hubspottest.AnyRoute)
	again, err := c.CreateContact(ctx(t), &connectors.CreateContactRequest{Phone: "+447700900123", FirstName: "Caller"})
	if err != nil || !again.Existing || !reflect.DeepEqual(again.Contact, ct) || s.Count(hubspottest.AnyRoute) != before+1 {
		t.Errorf("retry: %+v %v", again, err)
	}
	// A number a contact already has, stored in another form: found by the
	// lookup, nothing created.
	again, err = c.CreateContact(ctx(t), &connectors.CreateContactRequest{Phone: "+442045205757", FirstName: "Someone"})
	if err != nil || !again.Existing || again.Contact.ID != "10" || again.Contact.FirstName != "Ada" {
		t.Errorf("existing contact: %+v %v", again, err)
	}
	if n := s.Len(hubspottest.Contacts); n != 2 {
		t.Errorf("%d contacts; want 2", n)
	}
	if _, err := c.CreateContact(ctx(t), &connectors.CreateContactRequest{Phone: "not a number"}); connectors.ClassOf(err) != connectors.ClassInvalidRequest {
		t.Errorf("bad number: %v", err)
	}
}

func TestCreateContactConcurrent(t *testing.T) {
	s := writeFake(t, nil, 0)
	c := configured(t, blockFor(s, writeBlock), nil, nil)
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Go(func() {
			resp, err := c.CreateContact(ctx(t), &connectors.CreateContactRequest{Phone: "+447700900456", FirstName: fmt.Sprint("Try", i)})
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = resp.Contact.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Errorf("answers name %s and %s", id, ids[0])
		}
	}
	if n := s.Len(hubspottest.Contacts); n != 2 {
		t.Errorf("%d contacts; want 2 (Ada and one new)", n)
	}
}

func TestCreateContactConflict(t *testing.T) {
	s := writeFake(t, nil, 0)
	c := configured(t, blockFor(s, writeBlock), nil, nil)
	s.Script(hubspottest.RouteCreate, hubspottest.Fault{Status: http.StatusConflict, Category: hubspottest.CategoryConflict,
		Message: "Contact already exists. Existing ID: 10"})
	resp, err := c.CreateContact(ctx(t), &connectors.CreateContactRequest{Phone: "+447700900789", FirstName: "New"})
	if err != nil || !resp.Existing || resp.Contact.ID != "10" || resp.Contact.FirstName != "Ada" || resp.Contact.CompanyID != "20" {
		t.Fatalf("409: %+v %v; want contact 10, Existing", resp, err)
	}
	s.Script(hubspottest.RouteCreate, hubspottest.Fault{Status: http.StatusConflict, Category: hubspottest.CategoryConflict,
		Message: "Contact already exists. Existing ID: 4040"})
	if _, err := c.CreateContact(ctx(t), &connectors.CreateContactRequest{Phone: "+447700900788"}); connectors.ClassOf(err) != connectors.ClassInvalidRequest {
		t.Errorf("409 naming a contact that is gone: %v", err)
	}
}

func TestCreateContactLostAnswer(t *testing.T) {
	const lag = 3 * time.Second
	clk := newFakeClock()
	s := writeFake(t, clk, lag)
	c := configured(t, blockFor(s, "search_lag: 3s\ncreate_contact: {enabled: true}\n"), clk, nil)
	clk.Sleep(context.Background(), lag)
	s.LoseAnswer(hubspottest.RouteCreate, 1)
	req := &connectors.CreateContactRequest{Phone: "+447700900321", FirstName: "Lost"}
	if _, err := c.CreateContact(ctx(t), req); connectors.ClassOf(err) != connectors.ClassUnavailable {
		t.Fatalf("first try: %v", err)
	}
	if _, err := c.CreateContact(ctx(t), req); connectors.ClassOf(err) != connectors.ClassUnavailable || !strings.Contains(err.Error(), "retry in") {
		t.Fatalf("retry within the lag: %v", err)
	}
	clk.Sleep(context.Background(), lag)
	resp, err := c.CreateContact(ctx(t), req)
	if err != nil || !resp.Existing || resp.Contact.FirstName != "Lost" {
		t.Fatalf("retry after the lag: %+v %v", resp, err)
	}
	if n := s.Len(hubspottest.Contacts); n != 2 {
		t.Errorf("%d contacts; want 2 (Ada and Lost)", n)
	}

	// A contact made a moment ago is not searchable yet: the memory
	// answers its retry, without a request.
	made, err := c.CreateContact(ctx(t), &connectors.CreateContactRequest{Phone: "+447700900654", FirstName: "Quick"})
	if err != nil || made.Existing {
		t.Fatalf("create: %+v %v", made, err)
	}
	before := s.Count(hubspottest.AnyRoute)
	again, err := c.CreateContact(ctx(t), &connectors.CreateContactRequest{Phone: "+447700900654", FirstName: "Quick"})
	if err != nil || !again.Existing || !reflect.DeepEqual(again.Contact, made.Contact) || s.Count(hubspottest.AnyRoute) != before {
		t.Errorf("retry within the lag: %+v %v, %d requests", again, err, s.Count(hubspottest.AnyRoute)-before)
	}
	// Once search shows it, the lookup answers (the contact may have
	// changed or gone since).
	clk.Sleep(context.Background(), lag)
	again, err = c.CreateContact(ctx(t), &connectors.CreateContactRequest{Phone: "+447700900654", FirstName: "Quick"})
	if err != nil || !again.Existing || again.Contact.ID != made.Contact.ID || s.Count(hubspottest.AnyRoute) != before+1 {
		t.Errorf("retry after the lag: %+v %v", again, err)
	}
	if n := s.Len(hubspottest.Contacts); n != 3 {
		t.Errorf("%d contacts; want 3", n)
	}
}

func TestWritesNotEnabled(t *testing.T) {
	s := writeFake(t, nil, 0)
	c := configured(t, blockFor(s, ""), nil, nil)
	if _, err := c.LogCall(ctx(t), logReq("k")); connectors.ClassOf(err) != connectors.ClassUnsupported || !strings.Contains(err.Error(), "log_call.enabled") {
		t.Errorf("LogCall: %v", err)
	}
	if _, err := c.CreateContact(ctx(t), &connectors.CreateContactRequest{Phone: "+447700900123"}); connectors.ClassOf(err) != connectors.ClassUnsupported {
		t.Errorf("CreateContact: %v", err)
	}
}

func TestWriteConfig(t *testing.T) {
	cases := []struct {
		block string
		paths []string
	}{
		{"token: t\nlog_call: {enabled: true}\ncreate_contact: {enabled: true}\n", nil},
		{"token: t\nlog_call: {enabled: true, key_property: Call-Key}\n", []string{"log_call.key_property"}},
		{"token: t\nlog_call: {enabled: true, key_property: hs_call_title}\n", []string{"log_call.key_property"}},
		{"token: t\nlog_call: {enabled: true, key_property: ''}\n", []string{"log_call.key_property"}},
		{"token: t\nlog_call: {enabld: true}\n", []string{"log_call.enabld"}},
		{"token: t\ncreate_contact: {enabled: sometimes}\n", []string{"create_contact.enabled"}},
		{"token: t\nlog_call: true\n", []string{"log_call"}},
	}
	for _, tc := range cases {
		resp, err := New(nil).Configure(ctx(t), &connectors.ConfigureRequest{Config: []byte(tc.block), DefaultRegion: "GB", ValidateOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, p := range resp.Problems {
			paths = append(paths, p.Path)
		}
		if !reflect.DeepEqual(paths, tc.paths) {
			t.Errorf("%q: problems at %q; want %q (%+v)", tc.block, paths, tc.paths, resp.Problems)
		}
	}

	s := writeFake(t, nil, 0)
	for _, tc := range []struct {
		extra string
		want  []connectors.Capability
	}{
		{"", nil},
		{"log_call: {enabled: true}\n", []connectors.Capability{connectors.CapLogCall}},
		{"log_call: {enabled: false}\ncreate_contact: {enabled: true}\n", []connectors.Capability{connectors.CapCreateContact}},
		{writeBlock, []connectors.Capability{connectors.CapLogCall, connectors.CapCreateContact}},
	} {
		c := configured(t, blockFor(s, tc.extra), nil, nil)
		d, err := c.Describe(ctx(t), &connectors.DescribeRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var writes []connectors.Capability
		for _, cp := range d.Capabilities {
			if cp == connectors.CapLogCall || cp == connectors.CapCreateContact {
				writes = append(writes, cp)
			}
		}
		if !reflect.DeepEqual(writes, tc.want) || !d.Has(connectors.CapLookup) {
			t.Errorf("%q: capabilities %v", tc.extra, d.Capabilities)
		}
	}
	if d, _ := New(nil).Describe(ctx(t), &connectors.DescribeRequest{}); d.Has(connectors.CapLogCall) {
		t.Errorf("an unconfigured connector declares log_call")
	}
}

// fastBlock is writeBlock with the client-side limits out of the way, so
// that measuring does not wait on them.
func fastBlock(s *hubspottest.Server) []byte {
	return []byte(fmt.Sprintf("base_url: %s\ntoken: %s\nrate_limit: {requests_per_10s: 100000, search_per_second: 10000}\n%s",
		s.URL(), testToken, writeBlock))
}

// TestRequestsPerLoggedCall measures what logging costs in HubSpot
// requests: a fresh key, a retry in the same process, a retry by a new
// process, and a retry after a lost answer.
func TestRequestsPerLoggedCall(t *testing.T) {
	const n = 50
	s := writeFake(t, nil, 0)
	c := configured(t, fastBlock(s), nil, nil)
	measure := func(what string, c *Connector, keys func(i int) string, want float64) {
		t.Helper()
		before := s.Count(hubspottest.AnyRoute)
		for i := range n {
			if _, err := c.LogCall(ctx(t), logReq(keys(i))); err != nil {
				t.Fatal(err)
			}
		}
		per := float64(s.Count(hubspottest.AnyRoute)-before) / n
		t.Logf("%s: %.2f HubSpot requests per logged call", what, per)
		if per != want {
			t.Errorf("%s: %.2f requests per logged call; want %.2f", what, per, want)
		}
	}
	key := func(i int) string { return fmt.Sprintf("call-%d/crm-log", i) }
	measure("fresh keys (search + create)", c, key, 2)
	measure("retries in the same process (remembered)", c, key, 0)
	measure("retries by a new process (search)", configured(t, fastBlock(s), nil, nil), key, 1)

	// Lost answers: the create (lost), then the retry's search.
	lost := func(i int) string { return fmt.Sprintf("lost-%d/crm-log", i) }
	before := s.Count(hubspottest.AnyRoute)
	for i := range n {
		s.LoseAnswer(hubspottest.RouteCreate, 1)
		if _, err := c.LogCall(ctx(t), logReq(lost(i))); connectors.ClassOf(err) != connectors.ClassUnavailable {
			t.Fatalf("lost answer: %v", err)
		}
		if resp, err := c.LogCall(ctx(t), logReq(lost(i))); err != nil || !resp.Existing {
			t.Fatalf("retry: %+v %v", resp, err)
		}
	}
	per := float64(s.Count(hubspottest.AnyRoute)-before) / n
	t.Logf("lost answer then retry: %.2f HubSpot requests per logged call", per)
	if per != 3 {
		t.Errorf("lost answer then retry: %.2f requests per logged call; want 3", per)
	}
	if got := len(s.LoggedCalls()); got != 2*n {
		t.Errorf("%d calls; want %d", got, 2*n)
	}
}

// BenchmarkLogCall reports HubSpot requests per logged call (fresh keys)
// and per retry.
func BenchmarkLogCall(b *testing.B) {
	s := writeFake(b, nil, 0)
	c := configured(b, fastBlock(s), nil, nil)
	b.Run("fresh", func(b *testing.B) {
		before := s.Count(hubspottest.AnyRoute)
		i := 0
		for b.Loop() {
			if _, err := c.LogCall(context.Background(), logReq(fmt.Sprintf("bench-%d/crm-log", i))); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(s.Count(hubspottest.AnyRoute)-before)/float64(i), "requests/log")
	})
	b.Run("retry-new-process", func(b *testing.B) {
		other := configured(b, fastBlock(s), nil, nil)
		before := s.Count(hubspottest.AnyRoute)
		i := 0
		for b.Loop() {
			// A call an earlier process logged (seeded without a
			// request), each key once so that memory never answers.
			key := fmt.Sprintf("retry-%d/crm-log", i)
			s.Create(hubspottest.Calls, map[string]string{"hs_timestamp": "2026-12-01T10:00:00.000Z", DefaultKeyProperty: key})
			if resp, err := other.LogCall(context.Background(), logReq(key)); err != nil || !resp.Existing {
				b.Fatal(resp, err)
			}
			i++
		}
		b.ReportMetric(float64(s.Count(hubspottest.AnyRoute)-before)/float64(i), "requests/log")
	})
}
