package pipedrivetest

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestScriptedFaults(t *testing.T) {
	s, _ := start(t, Options{RateLimit: 100})
	s.Seed()
	s.Faults().Fail(RoutePersons, 500, 503)
	s.Faults().Script(RoutePersonsSearch,
		Fault{Status: 429, Header: http.Header{"Retry-After": {"7"}}},
		Fault{Status: 502, Body: `<html>Bad gateway</html>`},
		Fault{Status: 400, Error: "Validation failed", ErrorInfo: "term is odd"})
	s.Faults().FailN(AnyRoute, 1, 504)
	s.Faults().Delay(RoutePerson, 1, 10*time.Millisecond)

	for _, c := range []struct {
		name, path string
		status     int
		check      func(t *testing.T, a answer)
	}{
		{"route fault first", "/api/v2/persons", 500, func(t *testing.T, a answer) { a.wantError(t, 500, "scripted") }},
		{"second route fault", "/api/v2/persons", 503, func(t *testing.T, a answer) {
			if a.body["error"] != "Service Unavailable" || a.header.Get(HeaderRemaining) == "" {
				t.Errorf("%v %s", a.header, a.raw)
			}
		}},
		{"then the AnyRoute fault", "/api/v2/persons", 504, nil},
		{"then served", "/api/v2/persons", 200, nil},
		{"scripted 429 with Retry-After", "/api/v2/persons/search?term=ada", 429, func(t *testing.T, a answer) {
			if a.header.Get("Retry-After") != "7" || a.header.Get(HeaderReset) == "" {
				t.Errorf("headers %v", a.header)
			}
		}},
		{"delayed, then served", "/api/v2/persons/1", 200, nil},
		{"the search is served after its faults", "/api/v2/persons/search?term=ada&fields=name", 200, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := get(t, s, c.path)
			if a.status != c.status {
				t.Fatalf("got %d %s; want %d", a.status, a.raw, c.status)
			}
			if c.check != nil {
				c.check(t, a)
			}
			if c.path == "/api/v2/persons/search?term=ada" {
				// Leave the raw-body fault for the next check.
				resp, err := http.Get(s.URL() + c.path + "&api_token=" + DefaultAPIToken)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 502 || string(body) != "<html>Bad gateway</html>" {
					t.Errorf("raw body fault: %d %q", resp.StatusCode, body)
				}
				get(t, s, c.path).wantError(t, 400, "term is odd")
			}
		})
	}
	if n := s.Faults().Pending(); n != 0 {
		t.Errorf("%d faults still pending", n)
	}
	if n := s.Log().Count(RoutePersons); n != 4 {
		t.Errorf("%d requests to %s logged, want 4", n, RoutePersons)
	}
}

func TestDroppedAndLostAnswers(t *testing.T) {
	s, _ := start(t, Options{})
	s.Seed()
	s.Faults().Drop(RouteCallLogs, 1)
	s.Faults().Script(RouteCallLogs, Fault{AfterApply: true, Drop: true}, Fault{AfterApply: true, Status: 502})
	post := func() (int, error) {
		r, err := http.NewRequest(http.MethodPost, s.URL()+"/api/v1/callLogs?api_token="+DefaultAPIToken,
			strings.NewReader(`{"outcome":"busy","to_phone_number":"+1 415 555 0132","start_time":"2026-12-01 10:00:00","end_time":"2026-12-01 10:00:00"}`))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	for i, want := range []struct {
		status int // 0: the connection was dropped
		stored int
	}{
		{0, 0},   // dropped before applying
		{0, 1},   // applied, answer lost
		{502, 2}, // applied, answer replaced
		{200, 3},
	} {
		st, err := post()
		if (want.status == 0) != (err != nil) || (err == nil && st != want.status) {
			t.Errorf("post %d: %d, %v; want status %d", i, st, err, want.status)
		}
		if n := len(s.CallLogs()); n != want.stored {
			t.Errorf("post %d: %d call logs stored, want %d", i, n, want.stored)
		}
	}
	var statuses []int
	for _, r := range s.Log().Requests() {
		if r.Route != RouteCallLogs || r.Method != http.MethodPost || !strings.Contains(string(r.Body), `"busy"`) {
			t.Errorf("logged %+v", r)
		}
		statuses = append(statuses, r.Status)
	}
	if len(statuses) != 4 || statuses[3] != 200 || statuses[2] != 502 {
		t.Errorf("logged statuses %v", statuses)
	}
}

func TestTokenEndpointFaults(t *testing.T) {
	s, _ := start(t, Options{})
	s.Faults().Fail(RouteToken, 503)
	v := url.Values{"grant_type": {"client_credentials"}}
	if a := form(t, s, v, DefaultClientID, DefaultClientSecret); a.status != 503 || a.body["success"] != false {
		t.Errorf("scripted token fault: %d %s", a.status, a.raw)
	}
	if a := form(t, s, v, DefaultClientID, DefaultClientSecret); a.status != 200 {
		t.Errorf("after the fault: %d %s", a.status, a.raw)
	}
	defer func() {
		if recover() == nil {
			t.Error("a fault for an unknown route did not panic")
		}
	}()
	s.Faults().Fail("GET /api/v2/deals", 500)
}

func TestLogRecordsRoutes(t *testing.T) {
	s, _ := start(t, Options{})
	s.Seed()
	get(t, s, "/api/v2/persons?limit=2")
	get(t, s, "/api/v2/organizations/1")
	get(t, s, "/api/v2/persons/search?term=ada")
	do(t, s, req{path: "/nowhere", noAuth: true})
	reqs := s.Log().Requests()
	want := []struct {
		route  string
		status int
	}{{RoutePersons, 200}, {RouteOrganization, 200}, {RoutePersonsSearch, 200}, {"", 401}}
	if len(reqs) != len(want) {
		t.Fatalf("%d requests logged", len(reqs))
	}
	for i, w := range want {
		if reqs[i].Route != w.route || reqs[i].Status != w.status {
			t.Errorf("request %d: %s %d; want %s %d", i, reqs[i].Route, reqs[i].Status, w.route, w.status)
		}
	}
	if reqs[0].Query.Get("limit") != "2" || reqs[0].Path != "/api/v2/persons" {
		t.Errorf("first request %+v", reqs[0])
	}
}

func TestSeedData(t *testing.T) {
	s := New(Options{})
	s.Seed()
	persons, orgs := s.Persons(), s.Organizations()
	if len(persons) != 10 || len(orgs) != 3 {
		t.Fatalf("%d persons, %d organizations", len(persons), len(orgs))
	}
	byValue := map[string][]int{}
	noOwner := 0
	for _, p := range persons {
		for _, ph := range p.Phones {
			byValue[ph.Value] = append(byValue[ph.Value], p.ID)
		}
		if p.OwnerID == 0 {
			noOwner++
		}
	}
	for _, v := range []string{"020 4520 5757", "+44 20 4520 5757", "(0212) 444 55 66", "00905321234567", "+44 20 7946 0018 ext. 12"} {
		if len(byValue[v]) == 0 {
			t.Errorf("no person stores %q", v)
		}
	}
	if len(byValue["+44 20 4520 5700"]) != 2 || noOwner != 1 || len(orgs[0].Phones) == 0 {
		t.Errorf("shared number %v, persons without owner %d, org 1 phones %v", byValue["+44 20 4520 5700"], noOwner, orgs[0].Phones)
	}
	// New records continue after the seeded ids.
	if id := s.AddPerson(Person{Name: "Next"}); id != 11 {
		t.Errorf("next person id %d", id)
	}
	if id := s.AddOrganization(Organization{Name: "Next"}); id != 4 {
		t.Errorf("next organization id %d", id)
	}
	// Copies: changing what Persons returned changes nothing stored.
	persons[0].Phones[0].Value = "changed"
	if p, _ := s.Person(1); p.Phones[0].Value != "020 4520 5757" {
		t.Error("Persons returned shared slices")
	}
}
