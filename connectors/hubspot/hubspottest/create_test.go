package hubspottest

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// assoc is one association of a create body.
func assoc(id any, typeID int) map[string]any {
	return map[string]any{"to": map[string]any{"id": id},
		"types": []any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": typeID}}}
}

// seedCRM stores contact 10 and company 20.
func seedCRM(t *testing.T, s *Server) {
	t.Helper()
	if err := s.Put(Companies, Object{ID: "20", Properties: map[string]string{"name": "Acme"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(Contacts, Object{ID: "10", Properties: map[string]string{"firstname": "Ada", "email": "ada@example.com"}}); err != nil {
		t.Fatal(err)
	}
}

func TestCreateCall(t *testing.T) {
	clk := newClock()
	s := start(t, Options{Now: clk.Now, SearchPerSecond: Unlimited})
	seedCRM(t, s)
	s.DefineCallProperty("switchboard_call_key")
	body := map[string]any{
		"properties": map[string]any{
			"hs_timestamp": "2026-12-01T10:00:00Z", "hs_call_title": "Inbound call", "hs_call_body": "**Talked**",
			"hs_call_direction": "INBOUND", "hs_call_duration": "42000", "hs_call_from_number": "+442045205757",
			"hs_call_to_number": "+442079460000", "hs_call_status": "COMPLETED", "hs_call_recording_url": "https://rec.example/1.mp3",
			"hubspot_owner_id": "77", "switchboard_call_key": "abc/crm-log",
		},
		"associations": []any{assoc("10", AssocTypeCallToContact), assoc(20, AssocTypeCallToCompany)},
	}
	a := do(t, s, "POST", "/crm/v3/objects/calls", body)
	if a.status != http.StatusCreated {
		t.Fatalf("create: %d %s", a.status, a.raw)
	}
	p := props(a.body)
	if a.body["id"] == "" || p["hs_timestamp"] != "2026-12-01T10:00:00.000Z" || p["switchboard_call_key"] != "abc/crm-log" ||
		p["hs_object_id"] != a.body["id"] || p["hs_createdate"] != "2025-06-02T10:00:00.000Z" || a.body["createdAt"] != "2025-06-02T10:00:00.000Z" ||
		a.body["updatedAt"] == nil || a.body["archived"] != false {
		t.Errorf("create answer %s", a.raw)
	}
	if _, ok := a.body["associations"]; ok {
		t.Errorf("the create answer carries associations: %s", a.raw)
	}
	calls := s.LoggedCalls()
	if len(calls) != 1 || !reflect.DeepEqual(calls[0].Contacts, []string{"10"}) || !reflect.DeepEqual(calls[0].Companies, []string{"20"}) ||
		calls[0].Properties["hs_call_duration"] != "42000" {
		t.Fatalf("stored calls %+v", calls)
	}
	if n := s.CountCalls("switchboard_call_key", "abc/crm-log"); n != 1 {
		t.Errorf("CountCalls = %d", n)
	}
	id := calls[0].ID
	if a := do(t, s, "GET", "/crm/v3/objects/calls/"+id+"?properties=hs_call_title&associations=contacts,companies", nil); a.status != 200 ||
		!strings.Contains(a.raw, `"call_to_contact"`) || !strings.Contains(a.raw, `"call_to_company"`) || props(a.body)["hs_call_title"] != "Inbound call" {
		t.Errorf("get the call: %d %s", a.status, a.raw)
	}

	bad := []struct {
		name       string
		props      map[string]any
		assocs     []any
		wantInBody []string // in the message
	}{
		{"unknown property", map[string]any{"hs_timestamp": "1764583200000", "call_key": "x", "shoe_size": "9"}, nil,
			[]string{`Property values were not valid`, `Property \"call_key\" does not exist`, `PROPERTY_DOESNT_EXIST`, `shoe_size`}},
		{"no timestamp", map[string]any{"hs_call_title": "x"}, nil, []string{"hs_timestamp", "REQUIRED_PROPERTY"}},
		{"bad timestamp", map[string]any{"hs_timestamp": "yesterday"}, nil, []string{"INVALID_DATE"}},
		{"bad direction", map[string]any{"hs_timestamp": "1764583200000", "hs_call_direction": "inbound"}, nil, []string{"INVALID_OPTION", "INBOUND"}},
		{"bad status", map[string]any{"hs_timestamp": "1764583200000", "hs_call_status": "VOICEMAIL"}, nil, []string{"INVALID_OPTION"}},
		{"duration in seconds with a unit", map[string]any{"hs_timestamp": "1764583200000", "hs_call_duration": "42s"}, nil, []string{"INVALID_INTEGER"}},
		{"owner not an id", map[string]any{"hs_timestamp": "1764583200000", "hubspot_owner_id": "ada@example.com"}, nil, []string{"INVALID_OPTION"}},
		{"read-only", map[string]any{"hs_timestamp": "1764583200000", "hs_object_id": "5"}, nil, []string{"READ_ONLY_VALUE"}},
		{"contact that does not exist", map[string]any{"hs_timestamp": "1764583200000"}, []any{assoc("11", AssocTypeCallToContact)},
			[]string{"associations are invalid", "contacts", "11"}},
		{"company id under the contact type", map[string]any{"hs_timestamp": "1764583200000"}, []any{assoc("20", AssocTypeCallToContact)},
			[]string{"no contacts record with id 20"}},
		{"wrong type id", map[string]any{"hs_timestamp": "1764583200000"}, []any{assoc("10", 1)}, []string{"not a valid association type id from calls"}},
		{"user-defined", map[string]any{"hs_timestamp": "1764583200000"}, []any{map[string]any{"to": map[string]any{"id": "10"},
			"types": []any{map[string]any{"associationCategory": "USER_DEFINED", "associationTypeId": 194}}}}, []string{"USER_DEFINED"}},
		{"no types", map[string]any{"hs_timestamp": "1764583200000"}, []any{map[string]any{"to": map[string]any{"id": "10"}}}, []string{"types"}},
	}
	for _, tc := range bad {
		body := map[string]any{"properties": tc.props}
		if tc.assocs != nil {
			body["associations"] = tc.assocs
		}
		a := do(t, s, "POST", "/crm/v3/objects/calls", body)
		if a.status != 400 || a.body["category"] != CategoryValidation || a.body["status"] != "error" || a.body["correlationId"] == "" {
			t.Errorf("%s: %d %s; want a 400 VALIDATION_ERROR", tc.name, a.status, a.raw)
			continue
		}
		msg, _ := a.body["message"].(string)
		for _, w := range tc.wantInBody {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: message %s does not mention %s", tc.name, msg, w)
			}
		}
	}
	if a := do(t, s, "POST", "/crm/v3/objects/calls", `{"properties":{"hs_timestamp":"1"},"association":[]}`); a.status != 400 ||
		!strings.Contains(a.raw, "Invalid input JSON") {
		t.Errorf("an unknown field: %d %s", a.status, a.raw)
	}
	if n := len(s.LoggedCalls()); n != 1 {
		t.Errorf("%d calls stored; refused creates stored some", n)
	}
}

func TestCreateContact(t *testing.T) {
	s := start(t, Options{SearchPerSecond: Unlimited})
	seedCRM(t, s)
	a := do(t, s, "POST", "/crm/v3/objects/contacts", map[string]any{
		"properties":   map[string]any{"firstname": "Bo", "lastname": "Diddley", "phone": "+442045205757", "hubspot_owner_id": "77"},
		"associations": []any{assoc("20", AssocTypeContactToCompanyPrimary)},
	})
	if a.status != 201 || props(a.body)["phone"] != "+442045205757" || props(a.body)["createdate"] == nil {
		t.Fatalf("create: %d %s", a.status, a.raw)
	}
	o, _ := s.Get(Contacts, a.body["id"].(string))
	if o.Properties[PropAssociatedCompany] != "20" || o.Properties[PropSearchablePhone] != "2045205757" {
		t.Errorf("the new contact: %+v", o)
	}
	// Phone is not unique: a second contact with the same number is made.
	if a := do(t, s, "POST", "/crm/v3/objects/contacts", map[string]any{"properties": map[string]any{"firstname": "Twin", "phone": "+442045205757"}}); a.status != 201 {
		t.Errorf("a second contact with the same phone: %d %s", a.status, a.raw)
	}
	// Email is.
	a = do(t, s, "POST", "/crm/v3/objects/contacts", map[string]any{"properties": map[string]any{"email": "ADA@example.com"}})
	if a.status != 409 || a.body["message"] != "Contact already exists. Existing ID: 10" || a.body["category"] != CategoryConflict || a.body["status"] != "error" {
		t.Errorf("duplicate email: %d %s", a.status, a.raw)
	}
	if a := do(t, s, "POST", "/crm/v3/objects/contacts", map[string]any{"properties": map[string]any{"firstname": "x"},
		"associations": []any{assoc("20", AssocTypeCallToCompany)}}); a.status != 400 {
		t.Errorf("a call association type on a contact: %d %s", a.status, a.raw)
	}
	if a := do(t, s, "POST", "/crm/v3/objects/companies", map[string]any{"properties": map[string]any{"name": "Beta"}}); a.status != 201 {
		t.Errorf("create a company: %d %s", a.status, a.raw)
	}
	if n := s.Len(Contacts); n != 3 {
		t.Errorf("%d contacts; want 3", n)
	}
}

func TestCallSearchLagAndLimit(t *testing.T) {
	clk := newClock()
	s := start(t, Options{Now: clk.Now, SearchLag: 3 * time.Second, SearchPerSecond: 5})
	s.DefineCallProperty("switchboard_call_key")
	search := func(key string) answer {
		return do(t, s, "POST", "/crm/v3/objects/calls/search", map[string]any{
			"filterGroups": filterGroups([]map[string]any{f("switchboard_call_key", "EQ", key)}), "properties": []string{"switchboard_call_key"}})
	}
	if a := search("k1"); a.status != 200 || a.body["total"] != float64(0) {
		t.Fatalf("search before any call: %d %s", a.status, a.raw)
	}
	a := do(t, s, "POST", "/crm/v3/objects/calls", map[string]any{"properties": map[string]any{"hs_timestamp": "1764583200000", "switchboard_call_key": "k1"}})
	if a.status != 201 {
		t.Fatalf("create: %d %s", a.status, a.raw)
	}
	if a := search("k1"); len(a.ids()) != 0 {
		t.Errorf("a new call is searchable at once: %s", a.raw)
	}
	for range 3 {
		search("k1")
	}
	if a := search("k1"); a.status != 429 || a.body["policyName"] != PolicySecondly {
		t.Errorf("the 6th search in a second: %d %s", a.status, a.raw)
	}
	clk.Advance(3 * time.Second)
	if a := search("K1"); !reflect.DeepEqual(a.ids(), []string{a.ids()[0]}) || props(a.results()[0])["switchboard_call_key"] != "k1" {
		t.Errorf("after the lag (EQ ignores case): %s", a.raw)
	}
	if a := do(t, s, "POST", "/crm/v3/objects/calls/search", map[string]any{
		"filterGroups": filterGroups([]map[string]any{f("nope", "EQ", "x")})}); a.status != 400 || !strings.Contains(a.raw, "does not exist") {
		t.Errorf("search on a property that does not exist: %d %s", a.status, a.raw)
	}
}

func TestCreateRateLimitedLikeReads(t *testing.T) {
	clk := newClock()
	s := start(t, Options{Now: clk.Now, TenSecondLimit: 2})
	for i := range 3 {
		a := do(t, s, "POST", "/crm/v3/objects/contacts", map[string]any{"properties": map[string]any{"firstname": "x"}})
		switch {
		case i < 2 && (a.status != 201 || a.header.Get(HeaderMax) != "2"):
			t.Errorf("create %d: %d %v", i, a.status, a.header)
		case i == 2 && (a.status != 429 || a.body["policyName"] != PolicyTenSecondly || a.body["errorType"] != "RATE_LIMIT" ||
			a.body["message"] != "You have reached your ten_secondly_rolling limit."):
			t.Errorf("create over the limit: %d %s", a.status, a.raw)
		}
	}
	if n := s.Len(Contacts); n != 2 {
		t.Errorf("%d contacts; a refused create stored one", n)
	}
}

func TestFaultsAfterApply(t *testing.T) {
	s := start(t, Options{})
	s.LoseAnswer(RouteCreate, 1)
	s.FailAfterApply(RouteCreate, 504)
	s.Fail(RouteCreate, 503)
	req := func() (int, error) {
		r, _ := http.NewRequest("POST", s.URL()+"/crm/v3/objects/contacts", strings.NewReader(`{"properties":{"firstname":"x"}}`))
		r.Header.Set("Authorization", "Bearer "+token)
		fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := fresh.Do(r)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if st, err := req(); err == nil {
		t.Errorf("lost answer: got %d", st)
	}
	if st, _ := req(); st != 504 {
		t.Errorf("504 after apply: got %d", st)
	}
	if st, _ := req(); st != 503 {
		t.Errorf("503 before apply: got %d", st)
	}
	if n := s.Len(Contacts); n != 2 {
		t.Errorf("%d contacts; want 2 (the lost answer's and the 504's, not the 503's)", n)
	}
	reqs := s.Requests()
	if reqs[0].Status != 0 || reqs[1].Status != 504 || reqs[0].Route != RouteCreate {
		t.Errorf("recorded %+v", reqs)
	}
}

func TestProperties(t *testing.T) {
	s := start(t, Options{})
	s.DefineCallProperty("switchboard_call_key")
	if err := s.DefineProperty(Calls, Property{Name: "call_score", Type: "number"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DefineProperty(Calls, Property{Name: "Bad-Name"}); err == nil {
		t.Error("a bad name was defined")
	}
	a := do(t, s, "GET", "/crm/v3/properties/calls/switchboard_call_key", nil)
	if a.status != 200 || a.body["name"] != "switchboard_call_key" || a.body["type"] != "string" || a.body["fieldType"] != "text" {
		t.Errorf("custom property: %d %s", a.status, a.raw)
	}
	if a := do(t, s, "GET", "/crm/v3/properties/calls/call_score", nil); a.body["type"] != "number" {
		t.Errorf("number property: %s", a.raw)
	}
	if a := do(t, s, "GET", "/crm/v3/properties/calls/hs_call_status", nil); a.status != 200 || a.body["type"] != "enumeration" ||
		len(a.body["options"].([]any)) != 5 {
		t.Errorf("hs_call_status: %d %s", a.status, a.raw)
	}
	if a := do(t, s, "GET", "/crm/v3/properties/calls/nope", nil); a.status != 404 || a.body["category"] != CategoryObjectNotFound {
		t.Errorf("a property that does not exist: %d %s", a.status, a.raw)
	}
	if a := do(t, s, "GET", "/crm/v3/properties/tickets/nope", nil); a.status != 400 {
		t.Errorf("unknown object type: %d %s", a.status, a.raw)
	}
}
