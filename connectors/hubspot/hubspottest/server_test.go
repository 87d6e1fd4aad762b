package hubspottest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

const token = "pat-na1-test"

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newClock() *clock { return &clock{now: time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)} }

func start(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.Token == "" {
		opts.Token = token
	}
	if opts.Region == "" {
		opts.Region = "GB"
	}
	s := NewServer(opts)
	t.Cleanup(s.Close)
	return s
}

// answer is a decoded response.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func do(t *testing.T, s *Server, method, path string, body any, tok ...string) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		if s, ok := body.(string); ok {
			b = []byte(s)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	bearer := token
	if len(tok) > 0 {
		bearer = tok[0]
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("%s %s: body %q is not a JSON object: %v", method, path, raw, err)
	}
	return a
}

func (a answer) results() []map[string]any {
	var out []map[string]any
	list, _ := a.body["results"].([]any)
	for _, r := range list {
		out = append(out, r.(map[string]any))
	}
	return out
}

func (a answer) ids() []string {
	var out []string
	for _, r := range a.results() {
		out = append(out, r["id"].(string))
	}
	return out
}

func (a answer) after() string {
	p, _ := a.body["paging"].(map[string]any)
	next, _ := p["next"].(map[string]any)
	s, _ := next["after"].(string)
	return s
}

func props(r map[string]any) map[string]any { return r["properties"].(map[string]any) }

// seed stores contacts 1..n with phone "+44 20 7946 0<i>" and, for even
// ones, a mobile.
func seed(t *testing.T, s *Server, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		p := map[string]string{
			"firstname": fmt.Sprintf("First%d", i), "lastname": "Last",
			"email": fmt.Sprintf("c%d@example.com", i), "phone": fmt.Sprintf("+44 20 7946 0%03d", i),
		}
		if i%2 == 0 {
			p["mobilephone"] = fmt.Sprintf("07700 900%03d", i)
		}
		if err := s.Put(Contacts, Object{ID: fmt.Sprint(i), Properties: p}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAuth(t *testing.T) {
	s := start(t, Options{})
	for _, tok := range []string{"", "wrong"} {
		a := do(t, s, "GET", "/crm/v3/objects/contacts", nil, tok)
		if a.status != 401 || a.body["status"] != "error" || a.body["category"] != CategoryInvalidAuthentication ||
			a.body["correlationId"] == "" || a.body["message"] == "" {
			t.Errorf("token %q: %d %s; want 401 with HubSpot's error body", tok, a.status, a.raw)
		}
	}
}

func TestListPagingPropertiesAndAssociations(t *testing.T) {
	s := start(t, Options{TenSecondLimit: Unlimited})
	seed(t, s, 25)
	if err := s.Put(Companies, Object{ID: "900", Properties: map[string]string{"name": "Acme", "domain": "acme.example"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Associate("3", "900"); err != nil {
		t.Fatal(err)
	}
	var all []string
	after := ""
	for pages := 0; ; pages++ {
		path := "/crm/v3/objects/contacts?limit=10&properties=firstname,phone&properties=nosuchprop&associations=companies"
		if after != "" {
			path += "&after=" + after
		}
		a := do(t, s, "GET", path, nil)
		if a.status != 200 {
			t.Fatalf("%s: %d %s", path, a.status, a.raw)
		}
		for _, r := range a.results() {
			p := props(r)
			for _, want := range []string{"firstname", "phone", "createdate", "lastmodifieddate", "hs_object_id"} {
				if _, ok := p[want]; !ok {
					t.Errorf("record %v lacks property %s", r["id"], want)
				}
			}
			if _, ok := p["nosuchprop"]; ok {
				t.Errorf("a property that does not exist was returned")
			}
			if _, ok := p["email"]; ok {
				t.Errorf("email was not asked for but returned")
			}
			if r["id"] == "3" {
				assoc := r["associations"].(map[string]any)["companies"].(map[string]any)["results"].([]any)
				if len(assoc) != 1 || assoc[0].(map[string]any)["id"] != "900" || assoc[0].(map[string]any)["type"] != AssocContactToCompanyPrimary {
					t.Errorf("contact 3 associations %v", assoc)
				}
			} else if _, ok := r["associations"]; ok {
				t.Errorf("contact %v without associations has an associations key", r["id"])
			}
		}
		all = append(all, a.ids()...)
		if after = a.after(); after == "" {
			if _, ok := a.body["paging"]; ok {
				t.Errorf("last page has paging")
			}
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	if len(all) != 25 || all[0] != "1" || all[24] != "25" {
		t.Errorf("listed %v; want 1..25 in order", all)
	}
	if a := do(t, s, "GET", "/crm/v3/objects/contacts?limit=101", nil); a.status != 400 || a.body["category"] != CategoryValidation {
		t.Errorf("limit 101: %d %s; want 400 VALIDATION_ERROR", a.status, a.raw)
	}
	if a := do(t, s, "GET", "/crm/v3/objects/companies?associations=contacts", nil); a.status != 200 ||
		!strings.Contains(a.raw, `"company_to_contact"`) || !strings.Contains(a.raw, `"name":"Acme"`) {
		t.Errorf("companies: %d %s", a.status, a.raw)
	}
	if a := do(t, s, "GET", "/crm/v3/objects/tickets", nil); a.status != 400 {
		t.Errorf("unknown object type: %d %s; want 400", a.status, a.raw)
	}
	if a := do(t, s, "GET", "/crm/v3/objects/contacts/7?properties=phone", nil); a.status != 200 || a.body["id"] != "7" {
		t.Errorf("get 7: %d %s", a.status, a.raw)
	}
	if a := do(t, s, "GET", "/crm/v3/objects/contacts/777", nil); a.status != 404 || a.body["category"] != CategoryObjectNotFound {
		t.Errorf("get 777: %d %s; want 404 OBJECT_NOT_FOUND", a.status, a.raw)
	}
}

func TestComputedProperties(t *testing.T) {
	s := start(t, Options{})
	id := s.Create(Contacts, map[string]string{"phone": "020 4520 5757", "mobilephone": "+90 (532) 123 45 67"})
	o, _ := s.Get(Contacts, id)
	if o.Properties[PropSearchablePhone] != "2045205757" || o.Properties[PropSearchableMobile] != "5321234567" {
		t.Errorf("computed %v", o.Properties)
	}
	co := s.Create(Companies, map[string]string{"name": "Acme"})
	if err := s.Associate(id, co); err != nil {
		t.Fatal(err)
	}
	o, _ = s.Get(Contacts, id)
	if o.Properties[PropAssociatedCompany] != co {
		t.Errorf("associatedcompanyid = %q; want %s", o.Properties[PropAssociatedCompany], co)
	}
}

func filterGroups(groups ...[]map[string]any) []map[string]any {
	var out []map[string]any
	for _, g := range groups {
		out = append(out, map[string]any{"filters": g})
	}
	return out
}

func f(prop, op string, value any) map[string]any {
	m := map[string]any{"propertyName": prop, "operator": op}
	switch v := value.(type) {
	case nil:
	case []string:
		m["values"] = v
	default:
		m["value"] = v
	}
	return m
}

func TestSearchFilters(t *testing.T) {
	s := start(t, Options{SearchPerSecond: Unlimited})
	seed(t, s, 12)
	cases := []struct {
		name   string
		groups []map[string]any
		want   []string
	}{
		{"EQ on phone as stored", filterGroups([]map[string]any{f("phone", "EQ", "+44 20 7946 0003")}), []string{"3"}},
		{"EQ is not normalising", filterGroups([]map[string]any{f("phone", "EQ", "+442079460003")}), nil},
		{"EQ on searchable national", filterGroups([]map[string]any{f(PropSearchablePhone, "EQ", "2079460003")}), []string{"3"}},
		{"EQ compares text, not numbers", filterGroups([]map[string]any{f(PropSearchablePhone, "EQ", "02079460003")}), nil},
		{"EQ ignores case", filterGroups([]map[string]any{f("firstname", "EQ", "FIRST5")}), []string{"5"}},
		{"groups are ORed", filterGroups(
			[]map[string]any{f(PropSearchablePhone, "EQ", "2079460003")},
			[]map[string]any{f(PropSearchableMobile, "EQ", "7700900004")}), []string{"3", "4"}},
		{"filters are ANDed", filterGroups([]map[string]any{f("firstname", "EQ", "First4"), f("mobilephone", "HAS_PROPERTY", nil)}), []string{"4"}},
		{"AND that fails", filterGroups([]map[string]any{f("firstname", "EQ", "First3"), f("mobilephone", "HAS_PROPERTY", nil)}), nil},
		{"IN", filterGroups([]map[string]any{f("email", "IN", []string{"c1@example.com", "c11@example.com"})}), []string{"1", "11"}},
		{"NOT_HAS_PROPERTY", filterGroups([]map[string]any{f("mobilephone", "NOT_HAS_PROPERTY", nil), f("firstname", "CONTAINS_TOKEN", "first1*")}), []string{"1", "11"}},
		{"CONTAINS_TOKEN wildcard suffix", filterGroups([]map[string]any{f("email", "CONTAINS_TOKEN", "*12@example.com")}), []string{"12"}},
		{"CONTAINS_TOKEN word", filterGroups([]map[string]any{f("phone", "CONTAINS_TOKEN", "0009")}), []string{"9"}},
		{"GT numeric on id", filterGroups([]map[string]any{f("hs_object_id", "GT", 10)}), []string{"11", "12"}},
		{"no filters: everything", nil, []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"filterGroups": tc.groups, "properties": []string{"firstname"}}
			if tc.groups == nil {
				body["filterGroups"] = []any{}
			}
			a := do(t, s, "POST", "/crm/v3/objects/contacts/search", body)
			if a.status != 200 {
				t.Fatalf("%d %s", a.status, a.raw)
			}
			if got := a.ids(); !reflect.DeepEqual(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("ids %v; want %v", got, tc.want)
			}
		})
	}
}

func TestSearchPagingAndLimits(t *testing.T) {
	s := start(t, Options{SearchPerSecond: Unlimited})
	seed(t, s, 12)
	a := do(t, s, "POST", "/crm/v3/objects/contacts/search", map[string]any{"limit": 5, "after": "5",
		"sorts": []any{map[string]any{"propertyName": "hs_object_id", "direction": "DESCENDING"}}})
	if a.status != 200 || a.body["total"] != float64(12) || !reflect.DeepEqual(a.ids(), []string{"7", "6", "5", "4", "3"}) || a.after() != "10" {
		t.Errorf("page: %d total %v ids %v after %q", a.status, a.body["total"], a.ids(), a.after())
	}
	six := []map[string]any{f("phone", "HAS_PROPERTY", nil)}
	bad := []struct {
		name string
		body any
		want string
	}{
		{"limit over 200", map[string]any{"limit": 201}, "limit"},
		{"past 10,000", map[string]any{"after": "10000"}, "10000"},
		{"six groups", map[string]any{"filterGroups": filterGroups(six, six, six, six, six, six)}, "filterGroups"},
		{"seven filters", map[string]any{"filterGroups": filterGroups(append(append(six, six...), six[0], six[0], six[0], six[0], six[0]))}, "filters"},
		{"unknown property", map[string]any{"filterGroups": filterGroups([]map[string]any{f("shoe_size", "EQ", "9")})}, "shoe_size"},
		{"unknown operator", map[string]any{"filterGroups": filterGroups([]map[string]any{f("phone", "LIKE", "9")})}, "LIKE"},
		{"EQ without value", map[string]any{"filterGroups": filterGroups([]map[string]any{f("phone", "EQ", nil)})}, "value"},
		{"unknown field", map[string]any{"filter_groups": []any{}}, "Invalid input JSON"},
		{"two sorts", map[string]any{"sorts": []string{"firstname", "lastname"}}, "one sort"},
	}
	for _, tc := range bad {
		a := do(t, s, "POST", "/crm/v3/objects/contacts/search", tc.body)
		if a.status != 400 || a.body["category"] != CategoryValidation || !strings.Contains(a.raw, tc.want) {
			t.Errorf("%s: %d %s; want 400 VALIDATION_ERROR mentioning %q", tc.name, a.status, a.raw, tc.want)
		}
	}
}

func TestSearchLag(t *testing.T) {
	clk := newClock()
	s := start(t, Options{Now: clk.Now, SearchLag: 3 * time.Second, SearchPerSecond: Unlimited})
	id := s.Create(Contacts, map[string]string{"firstname": "Ada", "phone": "020 4520 5757"})
	search := func(value string) []string {
		a := do(t, s, "POST", "/crm/v3/objects/contacts/search", map[string]any{
			"filterGroups": filterGroups([]map[string]any{f("firstname", "EQ", value)})})
		return a.ids()
	}
	if got := search("Ada"); len(got) != 0 {
		t.Errorf("a new record is visible at once: %v", got)
	}
	if a := do(t, s, "GET", "/crm/v3/objects/contacts/"+id, nil); a.status != 200 {
		t.Errorf("get sees the record at once: %d", a.status)
	}
	clk.Advance(3 * time.Second)
	if got := search("Ada"); !reflect.DeepEqual(got, []string{id}) {
		t.Errorf("after the lag: %v", got)
	}
	if err := s.Update(Contacts, id, map[string]string{"firstname": "Augusta"}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if got := search("Ada"); !reflect.DeepEqual(got, []string{id}) {
		t.Errorf("a changed record must show its old values during the lag: %v", got)
	}
	if got := search("Augusta"); len(got) != 0 {
		t.Errorf("new values are visible during the lag: %v", got)
	}
	clk.Advance(2 * time.Second)
	if got, old := search("Augusta"), search("Ada"); !reflect.DeepEqual(got, []string{id}) || len(old) != 0 {
		t.Errorf("after the lag: new %v old %v", got, old)
	}
}

func TestRateLimits(t *testing.T) {
	clk := newClock()
	s := start(t, Options{Now: clk.Now, TenSecondLimit: 3, SearchPerSecond: 2, DailyLimit: 9})
	for i := 0; i < 3; i++ {
		a := do(t, s, "GET", "/crm/v3/objects/contacts", nil)
		if a.status != 200 || a.header.Get(HeaderMax) != "3" || a.header.Get(HeaderRemaining) != fmt.Sprint(2-i) ||
			a.header.Get(HeaderInterval) != "10000" || a.header.Get(HeaderDaily) != "9" {
			t.Fatalf("request %d: %d headers %v", i, a.status, a.header)
		}
		clk.Advance(time.Second)
	}
	a := do(t, s, "GET", "/crm/v3/objects/contacts", nil)
	if a.status != 429 || a.body["policyName"] != PolicyTenSecondly || a.body["errorType"] != "RATE_LIMIT" ||
		a.body["message"] != "You have reached your ten_secondly_rolling limit." || a.header.Get(HeaderRemaining) != "0" {
		t.Errorf("4th in 10s: %d %s", a.status, a.raw)
	}
	clk.Advance(7*time.Second + time.Millisecond) // the first request leaves the rolling window
	if a := do(t, s, "GET", "/crm/v3/objects/contacts", nil); a.status != 200 {
		t.Errorf("after the window rolled: %d %s", a.status, a.raw)
	}

	for i := 0; i < 2; i++ {
		if a := do(t, s, "POST", "/crm/v3/objects/contacts/search", map[string]any{}); a.status != 200 || a.header.Get(HeaderMax) != "" {
			t.Errorf("search %d: %d, headers %v (search answers carry no rate-limit headers)", i, a.status, a.header)
		}
	}
	a = do(t, s, "POST", "/crm/v3/objects/contacts/search", map[string]any{})
	if a.status != 429 || a.body["policyName"] != PolicySecondly {
		t.Errorf("3rd search in a second: %d %s", a.status, a.raw)
	}
	clk.Advance(time.Second)
	if a := do(t, s, "POST", "/crm/v3/objects/contacts/search", map[string]any{}); a.status != 200 {
		t.Errorf("search a second later: %d", a.status)
	}
	clk.Advance(time.Minute)
	for i := 0; ; i++ {
		a := do(t, s, "GET", "/crm/v3/objects/contacts", nil)
		if a.status == 429 {
			if a.body["policyName"] != PolicyDaily || i != 2 {
				t.Errorf("daily: request %d %s", i, a.raw)
			}
			break
		}
		if i > 3 {
			t.Fatal("the daily limit is not enforced")
		}
	}
	clk.Advance(24 * time.Hour)
	if a := do(t, s, "GET", "/crm/v3/objects/contacts", nil); a.status != 200 {
		t.Errorf("next day: %d", a.status)
	}
}

func TestFaults(t *testing.T) {
	s := start(t, Options{})
	s.Fail(RouteSearch, 502)
	s.RateLimit(RouteList, PolicySecondly, 1)
	s.Script(RouteList, Fault{Status: 400, Category: CategoryValidation, Message: "bad after"})
	if a := do(t, s, "POST", "/crm/v3/objects/contacts/search", map[string]any{}); a.status != 502 || a.body["category"] != CategoryInternal {
		t.Errorf("scripted 502: %d %s", a.status, a.raw)
	}
	if a := do(t, s, "GET", "/crm/v3/objects/contacts", nil); a.status != 429 || a.body["policyName"] != PolicySecondly {
		t.Errorf("scripted 429: %d %s", a.status, a.raw)
	}
	if a := do(t, s, "GET", "/crm/v3/objects/contacts", nil); a.status != 400 || a.body["message"] != "bad after" {
		t.Errorf("scripted 400: %d %s", a.status, a.raw)
	}
	if s.PendingFaults() != 0 {
		t.Errorf("faults left: %d", s.PendingFaults())
	}
	s.Drop(AnyRoute, 1)
	req, _ := http.NewRequest("GET", s.URL()+"/crm/v3/objects/contacts", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}} // no retry on a reused connection
	if resp, err := fresh.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("dropped request answered %d", resp.StatusCode)
	}

	release := s.Stall()
	done := make(chan int)
	go func() {
		req, _ := http.NewRequest("GET", s.URL()+"/crm/v3/objects/contacts", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	select {
	case st := <-done:
		t.Fatalf("a stalled server answered %d", st)
	case <-time.After(100 * time.Millisecond): // proving a negative: it has not answered yet
	}
	release()
	if st := <-done; st != 200 {
		t.Errorf("after release: %d", st)
	}
	if n := s.Count(RouteList); n < 4 {
		t.Errorf("Count(RouteList) = %d", n)
	}
}
