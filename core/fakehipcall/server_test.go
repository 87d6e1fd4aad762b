package fakehipcall_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/core/fakehipcall"
	"github.com/switchboard-hq/switchboard/core/hipcall"
)

const token = "tok"

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// answer is a decoded reply.
type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func (a answer) fieldErrors(field string) []string {
	errs, _ := a.body["errors"].(map[string]any)
	list, _ := errs[field].([]any)
	var out []string
	for _, v := range list {
		out = append(out, v.(string))
	}
	return out
}

func (a answer) data() map[string]any {
	d, _ := a.body["data"].(map[string]any)
	return d
}

// send makes a raw request to the fake; path is relative to /api/v3.
func send(t *testing.T, base, method, path, tok, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &a.body); err != nil {
			t.Fatalf("%s %s: body is not JSON: %s", method, path, raw)
		}
	}
	return a
}

func start(t *testing.T, opts fakehipcall.Options) (*fakehipcall.Server, *fakehipcall.Clock) {
	t.Helper()
	clock := fakehipcall.NewClock(epoch)
	opts.Token = token
	opts.Now = clock.Now
	if opts.RateLimit == 0 {
		opts.RateLimit = fakehipcall.Unlimited
	}
	srv := fakehipcall.NewServer(opts)
	t.Cleanup(srv.Close)
	return srv, clock
}

func TestURLAndLoopback(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") || !strings.HasSuffix(srv.URL(), "/api/v3") {
		t.Errorf("URL = %q, want http://127.0.0.1:<port>/api/v3", srv.URL())
	}
}

func TestAuth(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	for _, tok := range []string{"", "wrong"} {
		a := send(t, srv.URL(), "GET", "/companies", tok, "")
		if a.status != 401 {
			t.Errorf("token %q: status %d, want 401", tok, a.status)
		}
		errs, _ := a.body["errors"].(map[string]any)
		if d, _ := errs["detail"].(string); d == "" {
			t.Errorf("token %q: body %v has no errors.detail", tok, a.body)
		}
	}
	if a := send(t, srv.URL(), "GET", "/companies", token, ""); a.status != 200 {
		t.Errorf("right token: status %d", a.status)
	}
}

func TestRateLimit(t *testing.T) {
	for _, withRetryAfter := range []bool{false, true} {
		srv, clock := start(t, fakehipcall.Options{RateLimit: 2, RetryAfter: withRetryAfter})
		clock.Advance(500 * time.Millisecond) // the window ends mid-second
		for i, wantRemaining := range []string{"1", "0"} {
			a := send(t, srv.URL(), "GET", "/extensions", token, "")
			if a.status != 200 || a.header.Get("x-ratelimit-remaining") != wantRemaining || a.header.Get("x-ratelimit-limit") != "2" {
				t.Errorf("request %d: %d remaining %q limit %q", i, a.status, a.header.Get("x-ratelimit-remaining"), a.header.Get("x-ratelimit-limit"))
			}
		}
		clock.Advance(10 * time.Second)
		a := send(t, srv.URL(), "GET", "/extensions", token, "")
		if a.status != 429 {
			t.Fatalf("third request: %d, want 429", a.status)
		}
		wantReset := epoch.Add(61 * time.Second).Unix() // 12:01:00.5 rounded up
		if got := a.header.Get("x-ratelimit-reset"); got != jsonInt(wantReset) {
			t.Errorf("reset = %s, want %d", got, wantReset)
		}
		if got := a.header.Get("Retry-After"); withRetryAfter != (got != "") || (withRetryAfter && got != "51") {
			t.Errorf("RetryAfter=%v: Retry-After %q", withRetryAfter, got)
		}
		clock.Advance(51 * time.Second)
		if a := send(t, srv.URL(), "GET", "/extensions", token, ""); a.status != 200 || a.header.Get("x-ratelimit-remaining") != "1" {
			t.Errorf("after reset: %d remaining %q", a.status, a.header.Get("x-ratelimit-remaining"))
		}
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestCardValidation(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	tests := []struct {
		name   string
		body   string
		status int
	}{
		{"ok", `{"card":[{"type":"title","text":"Acme"},{"type":"user","label":"Owner","user_id":5}]}`, 201},
		{"extra key null", `{"card":[{"type":"title","text":"Acme","label":null}]}`, 422},
		{"unknown type", `{"card":[{"type":"image","text":"x"}]}`, 422},
		{"missing required", `{"card":[{"type":"user","label":"Owner"}]}`, 422},
		{"malformed JSON", `{"card":[`, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := send(t, srv.URL(), "POST", "/calls/c-1/cards", token, tt.body)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d (%v)", a.status, tt.status, a.body)
			}
			if tt.status == 422 && len(a.fieldErrors("card")) == 0 {
				t.Errorf("422 body %v has no errors.card list", a.body)
			}
			if tt.status == 201 && a.data()["call_id"] != "c-1" {
				t.Errorf("201 body %v", a.body)
			}
		})
	}
	if n := len(srv.Cards("c-1")); n != 1 {
		t.Errorf("recorded %d cards, want only the valid one", n)
	}
}

func TestCardsShownAndHangup(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	push := func(uuid, text string) {
		a := send(t, srv.URL(), "POST", "/calls/"+uuid+"/cards", token, `{"card":[{"type":"title","text":"`+text+`"}]}`)
		if a.status != 201 {
			t.Fatalf("push: %d", a.status)
		}
	}
	push("a", "first")
	push("a", "second")
	if got := srv.ShownCard("a"); len(got) != 1 || *got[0].Text != "first" {
		t.Errorf("shown = %+v, want the first card", got)
	}
	if n := len(srv.Cards("a")); n != 2 {
		t.Errorf("cards = %d, want 2", n)
	}
	srv.Hangup("b")
	push("b", "late")
	if srv.ShownCard("b") != nil || len(srv.Cards("b")) != 1 {
		t.Error("a card after hangup must be accepted and never shown")
	}
}

func TestPagingValidation(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	tests := []struct {
		query  string
		status int
		field  string
	}{
		{"?limit=1", 200, ""},
		{"?limit=100&offset=5&sort=id.asc", 200, ""},
		{"?limit=0", 422, "limit"},
		{"?limit=101", 422, "limit"},
		{"?limit=ten", 422, "limit"},
		{"?offset=-1", 422, "offset"},
		{"?sort=name.asc", 422, "sort"},
		{"?name[eq]=Acme", 422, "name[eq]"},
		{"?page=2", 422, "page"},
	}
	for _, tt := range tests {
		a := send(t, srv.URL(), "GET", "/companies"+tt.query, token, "")
		if a.status != tt.status {
			t.Errorf("%s: status %d, want %d", tt.query, a.status, tt.status)
		}
		if tt.field != "" && len(a.fieldErrors(tt.field)) == 0 {
			t.Errorf("%s: body %v has no error for %s", tt.query, a.body, tt.field)
		}
	}
	if a := send(t, srv.URL(), "GET", "/companies/1?expand=all", token, ""); a.status != 422 {
		t.Errorf("unknown query parameter on a single object: %d, want 422", a.status)
	}
	if a := send(t, srv.URL(), "GET", "/calls?started_at[gte]=yesterday", token, ""); a.status != 422 {
		t.Errorf("bad started_at[gte]: %d, want 422", a.status)
	}
}

func TestExternalIDNormalisation(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	tests := []struct {
		value  string // JSON
		status int
		want   any // stored external_id
	}{
		{`"  abc  "`, 201, "abc"},
		{`42`, 201, "42"},
		{`""`, 201, nil},
		{`"   "`, 201, nil},
		{`null`, 201, nil},
		{`"` + strings.Repeat("ş", 255) + `"`, 201, strings.Repeat("ş", 255)},
		{`"` + strings.Repeat("x", 256) + `"`, 422, nil},
		{`4.5`, 422, nil},
		{`true`, 422, nil},
	}
	for _, tt := range tests {
		a := send(t, srv.URL(), "POST", "/companies", token, `{"name":"N","external_id":`+tt.value+`}`)
		if a.status != tt.status {
			t.Errorf("external_id %.20s: status %d, want %d (%v)", tt.value, a.status, tt.status, a.body)
			continue
		}
		if tt.status == 201 && a.data()["external_id"] != tt.want {
			t.Errorf("external_id %.20s stored as %#v, want %#v", tt.value, a.data()["external_id"], tt.want)
		}
		if tt.status == 422 && len(a.fieldErrors("external_id")) == 0 {
			t.Errorf("external_id %.20s: body %v has no external_id error", tt.value, a.body)
		}
	}
	if a := send(t, srv.URL(), "POST", "/companies", token, `{"name":"N","external_id":"abc"}`); a.status != 422 || a.fieldErrors("external_id")[0] != "has already been taken" {
		t.Errorf("duplicate: %d %v", a.status, a.body)
	}
	if a := send(t, srv.URL(), "POST", "/contacts", token, `{"first_name":"N","external_id":42}`); a.status != 201 {
		t.Errorf("contact sharing a company's external id: %d %v", a.status, a.body)
	}
}

func TestByExternalIDUnescapes(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	srv.AddCompany(hipcall.Company{Name: "Slash", ExternalID: ptr("a/b c")})
	a := send(t, srv.URL(), "GET", "/companies/by-external-id/a%2Fb%20c", token, "")
	if a.status != 200 || a.data()["name"] != "Slash" {
		t.Errorf("by-external-id with an escaped slash: %d %v", a.status, a.body)
	}
	if a := send(t, srv.URL(), "GET", "/companies/by-external-id/a", token, ""); a.status != 404 {
		t.Errorf("unknown external id: %d, want 404", a.status)
	}
}

func TestContactRules(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	if a := send(t, srv.URL(), "POST", "/contacts", token, `{"last_name":"Doe"}`); a.status != 422 || len(a.fieldErrors("first_name")) == 0 {
		t.Errorf("contact without first_name: %d %v", a.status, a.body)
	}
	seven := `[{"number":"1"},{"number":"2"},{"number":"3"},{"number":"4"},{"number":"5"},{"number":"6"},{"number":"7"}]`
	if a := send(t, srv.URL(), "POST", "/contacts", token, `{"first_name":"J","phones":`+seven+`}`); a.status != 422 || len(a.fieldErrors("phones")) == 0 {
		t.Errorf("contact with 7 phones: %d %v", a.status, a.body)
	}
	a := send(t, srv.URL(), "POST", "/contacts", token, `{"first_name":"J","phones":[{"country":"TR","number":"+905320000000"}]}`)
	if a.status != 201 {
		t.Fatalf("create: %d %v", a.status, a.body)
	}
	id := jsonInt(int64(a.data()["id"].(float64)))
	for _, body := range []string{`{"phones":[]}`, `{"emails":[{"email":"x@y"}]}`, `{"job_title":"CTO","phones":null}`} {
		a := send(t, srv.URL(), "PATCH", "/contacts/"+id, token, body)
		if a.status != 422 {
			t.Errorf("PATCH %s: %d, want 422", body, a.status)
		}
		if got := append(a.fieldErrors("phones"), a.fieldErrors("emails")...); len(got) != 1 || got[0] != "Unexpected field" {
			t.Errorf("PATCH %s: errors %v, want Unexpected field", body, a.body)
		}
	}
	if c, _ := srv.Contact(1); c.JobTitle != "" {
		t.Error("a rejected PATCH changed the contact")
	}
	if a := send(t, srv.URL(), "PATCH", "/contacts/"+id, token, `{"job_title":"CTO"}`); a.status != 200 || a.data()["job_title"] != "CTO" {
		t.Errorf("scalar PATCH: %d %v", a.status, a.body)
	}
	if a := send(t, srv.URL(), "POST", "/contacts/"+id+"/phones", token, `{"phones":[{"number":"+1","order":1}]}`); a.status != 422 {
		t.Errorf("contact phone with order: %d, want 422", a.status)
	}
	if a := send(t, srv.URL(), "DELETE", "/contacts/"+id+"/phones/%2B905320000000", token, ""); a.status != 204 {
		t.Errorf("DELETE escaped number: %d, want 204", a.status)
	}
	if a := send(t, srv.URL(), "GET", "/contacts/abc", token, ""); a.status != 404 {
		t.Errorf("non-integer id: %d, want 404", a.status)
	}
	if a := send(t, srv.URL(), "POST", "/companies", token, `{"name":"A","colour":"red"}`); a.status != 422 || len(a.fieldErrors("colour")) == 0 {
		t.Errorf("unknown company field: %d %v", a.status, a.body)
	}
}

func TestFaultsAndRecords(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	srv.Fail("GET /extensions", 500, 503)
	srv.Script("GET /extensions", fakehipcall.Fault{Status: 429, RetryAfter: "2"})
	var got []int
	for range 4 {
		a := send(t, srv.URL(), "GET", "/extensions", token, "")
		got = append(got, a.status)
		if a.status == 429 && a.header.Get("Retry-After") != "2" {
			t.Errorf("429 fault without its Retry-After")
		}
	}
	if want := []int{500, 503, 429, 200}; strings.Trim(jsonOf(got), "[]") != strings.Trim(jsonOf(want), "[]") {
		t.Errorf("statuses = %v, want %v", got, want)
	}
	if srv.PendingFaults() != 0 {
		t.Error("faults left over")
	}
	send(t, srv.URL(), "GET", "/nowhere", token, "")
	if c := srv.Counts(); c["GET /extensions"] != 4 || c[""] != 1 {
		t.Errorf("counts = %v", c)
	}
	reqs := srv.Requests()
	if len(reqs) != 5 || reqs[0].Status != 500 || reqs[3].Route != "GET /extensions" || reqs[4].Status != 404 {
		t.Errorf("records = %+v", reqs)
	}
	srv.AddCompany(hipcall.Company{Name: "A"})
	srv.Reset()
	if len(srv.Requests()) != 0 || len(srv.Companies()) != 0 {
		t.Error("Reset left data behind")
	}
	defer func() {
		if recover() == nil {
			t.Error("scripting an unknown route did not panic")
		}
	}()
	srv.Fail("GET /nowhere", 500)
}

func TestHandlerEmbeds(t *testing.T) {
	srv := fakehipcall.New(fakehipcall.Options{Token: token})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	srv.AddExtension(hipcall.Extension{Name: "Sales", Number: "101"})
	a := send(t, ts.URL+fakehipcall.PathPrefix, "GET", "/extensions", token, "")
	if a.status != 200 || a.body["meta"].(map[string]any)["count"] != 1.0 {
		t.Errorf("embedded handler: %d %v", a.status, a.body)
	}
}

func ptr[T any](v T) *T { return &v }

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }
