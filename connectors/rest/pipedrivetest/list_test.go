package pipedrivetest

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestListPagingWithChangesBetweenPages(t *testing.T) {
	for _, coll := range []string{"persons", "organizations"} {
		t.Run(coll, func(t *testing.T) {
			s, clock := start(t, Options{})
			s.Seed()
			if coll == "organizations" {
				for i := 4; i <= 10; i++ {
					s.AddOrganization(Organization{Name: fmt.Sprintf("Org %d", i)})
				}
			}
			var seen []int
			names := map[int]string{}
			cursor := ""
			for page := 1; ; page++ {
				if page > 20 {
					t.Fatal("paging does not end")
				}
				path := "/api/v2/" + coll + "?limit=2"
				if cursor != "" {
					path += "&cursor=" + url.QueryEscape(cursor)
				}
				a := get(t, s, path)
				if a.status != 200 || a.body["success"] != true {
					t.Fatalf("page %d: %d %s", page, a.status, a.raw)
				}
				ids := a.ids()
				if len(ids) == 0 {
					t.Fatalf("page %d is empty", page)
				}
				seen = append(seen, ids...)
				for _, r := range a.body["data"].([]any) {
					rec := r.(map[string]any)
					names[int(rec["id"].(float64))] = rec["name"].(string)
				}
				cursor = a.next(t)
				if cursor == "" {
					break
				}
				if !strings.HasPrefix(cursor, "eyJ") {
					t.Errorf("cursor %q is not base64 of a JSON object", cursor)
				}
				clock.Advance(time.Minute)
				// Between pages: insert (three times), update a record
				// already served and one ahead, delete one ahead.
				if page <= 3 {
					if coll == "persons" {
						s.AddPerson(Person{Name: fmt.Sprintf("Inserted %d", page)})
					} else {
						s.AddOrganization(Organization{Name: fmt.Sprintf("Inserted %d", page)})
					}
				}
				behind, ahead := ids[0], ids[len(ids)-1]+1
				if coll == "persons" {
					_ = s.UpdatePerson(behind, func(p *Person) { p.Name += " (edited)" })
					_ = s.UpdatePerson(ahead, func(p *Person) { p.Name += " (edited ahead)" })
					if page == 1 {
						if err := s.DeletePerson(9); err != nil {
							t.Fatal(err)
						}
					}
				} else {
					_ = s.UpdateOrganization(behind, func(o *Organization) { o.Name += " (edited)" })
					_ = s.UpdateOrganization(ahead, func(o *Organization) { o.Name += " (edited ahead)" })
					if page == 1 {
						if err := s.DeleteOrganization(9); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			want := []int{1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13}
			if !slices.Equal(seen, want) {
				t.Fatalf("ids seen %v; want %v (each once, inserted ones included, the deleted 9 left out)", seen, want)
			}
			if !strings.HasSuffix(names[3], "(edited ahead)") || strings.Contains(names[1], "edited") {
				t.Errorf("record 3 was updated before its page, record 1 after: names %q, %q", names[3], names[1])
			}
		})
	}
}

func TestListUpdatedSinceAndFilters(t *testing.T) {
	s, _ := start(t, Options{})
	s.Seed()
	at := func(h int, extra time.Duration) string {
		return url.QueryEscape(SeedTime.Add(time.Duration(h)*time.Hour + extra).Format(time.RFC3339))
	}
	for _, c := range []struct {
		name  string
		query string
		want  []int
	}{
		{"no filter", "", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"since is inclusive, to the second", "updated_since=" + at(6, 0), []int{6, 7, 8, 9, 10}},
		{"a second later", "updated_since=" + at(6, time.Second), []int{8, 9, 10}},
		{"an offset other than Z", "updated_since=" + url.QueryEscape("2026-11-01T17:00:00+02:00"), []int{6, 7, 8, 9, 10}},
		{"since after everything", "updated_since=" + at(100, 0), nil},
		{"until is exclusive", "updated_until=" + at(3, 0), []int{1, 2}},
		{"since and until", "updated_since=" + at(2, 0) + "&updated_until=" + at(5, 0), []int{2, 3, 4}},
		{"owner", "owner_id=12", []int{3, 4, 8, 10}},
		{"organization", "org_id=1", []int{1, 2, 6, 7}},
		{"empty values are absent ones", "cursor=&updated_since=&limit=", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"sort by id ascending", "sort_by=id&sort_direction=asc", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"api_token is taken too", "api_token=" + DefaultAPIToken, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := get(t, s, "/api/v2/persons?"+c.query)
			if a.status != 200 || !slices.Equal(a.ids(), c.want) || a.next(t) != "" {
				t.Errorf("got %d %v; want %v on one page", a.status, a.ids(), c.want)
			}
		})
	}
	t.Run("paging under updated_since", func(t *testing.T) {
		var seen []int
		cursor := ""
		for {
			a := get(t, s, "/api/v2/persons?limit=2&updated_since="+at(6, 0)+"&cursor="+cursor)
			seen = append(seen, a.ids()...)
			if cursor = a.next(t); cursor == "" {
				break
			}
		}
		if !slices.Equal(seen, []int{6, 7, 8, 9, 10}) {
			t.Errorf("got %v", seen)
		}
	})
}

func TestListErrors(t *testing.T) {
	s, _ := start(t, Options{})
	s.Seed()
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	// A real second-page cursor of the organizations list and of a search.
	orgCursor := get(t, s, "/api/v2/organizations?limit=1").next(t)
	searchCursor := get(t, s, "/api/v2/persons/search?term=lovelace&limit=1").next(t)
	if orgCursor == "" || searchCursor == "" {
		t.Fatal("no cursors to misuse")
	}
	for _, c := range []struct {
		name, path, infoHas string
		status              int
	}{
		{"cursor not base64", "/api/v2/persons?cursor=!!!", "not a cursor this API issued", 400},
		{"cursor not JSON", "/api/v2/persons?cursor=" + b64("7"), "not a cursor of this endpoint", 400},
		{"cursor with padding", "/api/v2/persons?cursor=" + base64.URLEncoding.EncodeToString([]byte(`{"c":"persons","after_id":2}`)), "not a cursor", 400},
		{"cursor with an unknown field", "/api/v2/persons?cursor=" + b64(`{"c":"persons","after_id":2,"x":1}`), "not a cursor of this endpoint", 400},
		{"cursor with a negative id", "/api/v2/persons?cursor=" + b64(`{"c":"persons","after_id":-2}`), "not a cursor of this endpoint", 400},
		{"cursor of another list", "/api/v2/persons?cursor=" + orgCursor, "not a cursor of this endpoint", 400},
		{"cursor of a search", "/api/v2/persons?cursor=" + searchCursor, "not a cursor of this endpoint", 400},
		{"limit over the maximum", "/api/v2/persons?limit=501", "at most 500", 400},
		{"limit zero", "/api/v2/persons?limit=0", "from 1 to 500", 400},
		{"limit negative", "/api/v2/persons?limit=-1", "from 1 to 500", 400},
		{"limit not a number", "/api/v2/persons?limit=ten", "from 1 to 500", 400},
		{"limit fractional", "/api/v2/organizations?limit=2.5", "from 1 to 500", 400},
		{"updated_since a date", "/api/v2/persons?updated_since=2026-11-01", "RFC 3339", 400},
		{"updated_since a word", "/api/v2/organizations?updated_since=yesterday", "RFC 3339", 400},
		{"misspelt parameter", "/api/v2/persons?updated_sinse=2026-11-01T00:00:00Z", `unknown query parameter "updated_sinse"`, 400},
		{"org_id on organizations", "/api/v2/organizations?org_id=1", `unknown query parameter "org_id"`, 400},
		{"parameter twice", "/api/v2/persons?limit=1&limit=2", "given 2 times", 400},
		{"sort by update_time", "/api/v2/persons?sort_by=update_time", "id only", 400},
		{"sort descending", "/api/v2/persons?sort_direction=desc", "ascending", 400},
		{"owner not a number", "/api/v2/persons?owner_id=me", "owner_id", 400},
		{"get by a non-numeric id", "/api/v2/persons/ada", "positive whole number", 400},
		{"get a missing person", "/api/v2/persons/99", "no person with id 99", 404},
		{"get a missing organization", "/api/v2/organizations/99", "no organization with id 99", 404},
		{"get with a parameter", "/api/v2/persons/1?limit=1", "unknown query parameter", 400},
		{"trailing slash", "/api/v2/persons/", "the fake serves no", 404},
		{"nested path", "/api/v2/persons/1/deals", "the fake serves no", 404},
		{"v1 persons", "/api/v1/persons", "the fake serves no", 404},
	} {
		t.Run(c.name, func(t *testing.T) {
			get(t, s, c.path).wantError(t, c.status, c.infoHas)
		})
	}
}

func TestListLimits(t *testing.T) {
	s, _ := start(t, Options{})
	for i := 0; i < 120; i++ {
		s.AddPerson(Person{Name: fmt.Sprint("P", i)})
	}
	if a := get(t, s, "/api/v2/persons"); len(a.ids()) != DefaultLimit || a.next(t) == "" {
		t.Errorf("default page: %d records, next %q", len(a.ids()), a.next(t))
	}
	if a := get(t, s, "/api/v2/persons?limit=500"); len(a.ids()) != 120 || a.next(t) != "" {
		t.Errorf("limit 500: %d records, next %q", len(a.ids()), a.next(t))
	}
	// A full last page has a null cursor: the fake looks ahead.
	if a := get(t, s, "/api/v2/persons?limit=120"); len(a.ids()) != 120 || a.next(t) != "" {
		t.Errorf("limit 120: %d records, next %q", len(a.ids()), a.next(t))
	}
	small, _ := start(t, Options{MaxLimit: 50})
	get(t, small, "/api/v2/persons?limit=51").wantError(t, 400, "at most 50")
	if a := get(t, small, "/api/v2/persons?limit=50"); a.status != 200 {
		t.Errorf("limit 50 under MaxLimit 50: %d %s", a.status, a.raw)
	}
}

func TestRecordShapes(t *testing.T) {
	s, _ := start(t, Options{})
	s.Seed()
	person := func(id int) map[string]any {
		a := get(t, s, fmt.Sprintf("/api/v2/persons/%d", id))
		if a.status != 200 || a.body["success"] != true {
			t.Fatalf("person %d: %d %s", id, a.status, a.raw)
		}
		return a.body["data"].(map[string]any)
	}
	ada := person(1)
	wantAda := map[string]any{
		"id": 1.0, "name": "Ada Lovelace", "first_name": "Ada", "last_name": "Lovelace",
		"phones": []any{map[string]any{"value": "020 4520 5757", "primary": true, "label": "work"}},
		"emails": []any{map[string]any{"value": "ada@lovelace.example", "primary": true, "label": "work"}},
		"org_id": 1.0, "owner_id": 11.0,
		"add_time": "2026-11-01T09:00:00Z", "update_time": "2026-11-01T10:00:00Z",
	}
	if !reflect.DeepEqual(ada, wantAda) {
		t.Errorf("person 1 = %v\nwant %v", ada, wantAda)
	}
	if p := person(5); p["owner_id"] != nil {
		t.Errorf("person 5 has no owner: owner_id = %v", p["owner_id"])
	}
	if p := person(3); p["org_id"] != nil || len(p["phones"].([]any)) != 2 {
		t.Errorf("person 3: %v", p)
	}
	if p := person(10); len(p["emails"].([]any)) != 0 {
		t.Errorf("person 10 emails: %v", p["emails"])
	}

	a := get(t, s, "/api/v2/organizations")
	orgs := a.body["data"].([]any)
	if len(orgs) != 3 {
		t.Fatalf("organizations: %s", a.raw)
	}
	org1, org3 := orgs[0].(map[string]any), orgs[2].(map[string]any)
	wantOrg1 := map[string]any{
		"id": 1.0, "name": "Lovelace Analytics Ltd", "owner_id": 11.0,
		"phones":   []any{map[string]any{"value": "+44 20 4520 5700", "primary": true, "label": "work"}},
		"address":  map[string]any{"value": "1 Difference Engine Row, London EC1A 1AA, United Kingdom", "locality": "London", "country": "United Kingdom"},
		"add_time": "2026-11-01T09:00:00Z", "update_time": "2026-11-01T09:00:00Z",
	}
	if !reflect.DeepEqual(org1, wantOrg1) {
		t.Errorf("organization 1 = %v\nwant %v", org1, wantOrg1)
	}
	if org3["address"] != nil || org3["owner_id"] != nil || len(org3["phones"].([]any)) != 0 {
		t.Errorf("organization 3 = %v", org3)
	}
}

func TestUpdateTimeFollowsTheClock(t *testing.T) {
	s, clock := start(t, Options{})
	s.Seed()
	clock.Set(time.Date(2026, 12, 2, 8, 30, 15, 900_000_000, time.UTC))
	if err := s.UpdatePerson(4, func(p *Person) { p.Phones = append(p.Phones, Phone{Value: "0212 444 55 67"}) }); err != nil {
		t.Fatal(err)
	}
	id := s.AddPerson(Person{FirstName: "New", LastName: "Comer"})
	p, _ := s.Person(4)
	if p.UpdateTime != time.Date(2026, 12, 2, 8, 30, 15, 0, time.UTC) || p.Phones[2].Label != "work" || p.AddTime != SeedTime {
		t.Errorf("person 4 after update: %+v", p)
	}
	a := get(t, s, "/api/v2/persons?updated_since=2026-12-02T08:30:15Z")
	if !slices.Equal(a.ids(), []int{4, id}) {
		t.Errorf("updated since the update: %v", a.ids())
	}
	if err := s.UpdatePerson(4, func(p *Person) { p.OrgID = 99 }); err == nil {
		t.Error("moving a person to a missing organization succeeded")
	}
	if err := s.UpdatePerson(99, func(*Person) {}); err == nil {
		t.Error("updating a missing person succeeded")
	}
	// A person keeps its org_id when the organization goes, and may still
	// be updated.
	if err := s.DeleteOrganization(2); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdatePerson(4, func(p *Person) { p.Name = "Ahmet Y." }); err != nil {
		t.Errorf("updating a person of a deleted organization: %v", err)
	}
}

func TestStoreMutatorsPanic(t *testing.T) {
	for _, c := range []struct {
		name string
		fn   func(s *Server)
	}{
		{"person without a name", func(s *Server) { s.AddPerson(Person{}) }},
		{"taken person id", func(s *Server) { s.AddPerson(Person{ID: 1, Name: "Again"}) }},
		{"missing organization", func(s *Server) { s.AddPerson(Person{Name: "X", OrgID: 42}) }},
		{"organization without a name", func(s *Server) { s.AddOrganization(Organization{}) }},
		{"seeding twice", func(s *Server) { s.Seed() }},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := New(Options{})
			s.Seed()
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			c.fn(s)
		})
	}
}
