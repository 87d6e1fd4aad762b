package pipedrivetest

import (
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"testing"
)

func TestSearchMatchesStoredText(t *testing.T) {
	s, _ := start(t, Options{})
	s.Seed()
	for _, c := range []struct {
		name string
		// query is the raw query string after "term=" is added (escaped
		// with url.QueryEscape unless rawTerm).
		term    string
		rawTerm bool
		extra   string
		want    []int
	}{
		// The case that forces a client to search several forms.
		{"E.164 form of a number stored nationally, exact", "+442045205757", false, "&fields=phone&exact_match=true", nil},
		{"E.164 form, substring", "+442045205757", false, "&fields=phone", nil},
		{"the stored national text, exact", "020 4520 5757", false, "&fields=phone&exact_match=true", []int{1}},
		{"the stored international text, exact", "+44 20 4520 5757", false, "&fields=phone&exact_match=true", []int{2}},
		{"digits without spaces find neither", "02045205757", false, "&fields=phone", nil},
		{"a common substring finds both, best share first", "4520 5757", false, "&fields=phone", []int{1, 2}},
		{"a shorter substring finds more", "20 4520 57", false, "&fields=phone", []int{1, 2, 6, 7}},
		{"one number shared by two persons", "+44 20 4520 5700", false, "&fields=phone&exact_match=true", []int{6, 7}},
		{"an extension defeats exact match", "+44 20 7946 0018", false, "&fields=phone&exact_match=true", nil},
		{"an extension, substring", "+44 20 7946 0018", false, "&fields=phone", []int{3}},
		{"00 international prefix, exact", "00905321234567", false, "&fields=phone&exact_match=true", []int{4}},
		{"+ international prefix of the same", "+905321234567", false, "&fields=phone&exact_match=true", nil},
		{"national form stored elsewhere is not found", "5321234567", false, "&fields=phone", []int{4}},
		{"parentheses are part of the text", "(0212) 444 55 66", false, "&fields=phone&exact_match=true", []int{4}},
		{"without the parentheses", "0212 444 55 66", false, "&fields=phone&exact_match=true", nil},
		// An unescaped + is a space in a query string: the term becomes
		// "44 20 4520 5757" (trimmed).
		{"unescaped plus, exact", "+44+20+4520+5757", true, "&fields=phone&exact_match=true", nil},
		{"unescaped plus, substring", "+44+20+4520+5757", true, "&fields=phone", []int{2}},
		{"no digits at all", "reception", false, "&fields=phone", []int{10}},
		{"name, substring, any case", "LOVELACE", false, "&fields=name", []int{1, 6, 7}},
		{"name, exact, any case", "ada lovelace", false, "&fields=name&exact_match=true", []int{1}},
		{"name, exact needs the whole name", "Ada", false, "&fields=name&exact_match=true", nil},
		{"email", "lovelace.example", false, "&fields=email", []int{1, 2}},
		{"all fields by default, best field scores", "lovelace", false, "", []int{1, 6, 7, 2}},
		{"two fields", "ada", false, "&fields=name,email", []int{1}},
		{"fields empty: all", "lovelace", false, "&fields=", []int{1, 6, 7, 2}},
		{"spaces around fields", "lovelace", false, "&fields=" + url.QueryEscape("name, email"), []int{1, 6, 7, 2}},
		{"phone field ignores names", "lovelace", false, "&fields=phone", nil},
		{"organization filter", "05", false, "&fields=phone&organization_id=2&exact_match=false", []int{4, 5}},
		{"one character with exact match", "x", false, "&exact_match=true", nil},
		{"surrounding spaces are trimmed", "  020 4520 5757 ", false, "&fields=phone&exact_match=true", []int{1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			term := c.term
			if !c.rawTerm {
				term = url.QueryEscape(term)
			}
			a := get(t, s, "/api/v2/persons/search?term="+term+c.extra)
			if a.status != 200 || a.body["success"] != true {
				t.Fatalf("got %d %s", a.status, a.raw)
			}
			if got := a.itemIDs(); !slices.Equal(got, c.want) {
				t.Errorf("found %v; want %v (%s)", got, c.want, a.raw)
			}
			if a.next(t) != "" {
				t.Errorf("next_cursor %q on a single page", a.next(t))
			}
		})
	}
}

func TestSearchItemShape(t *testing.T) {
	s, _ := start(t, Options{})
	s.Seed()
	a := get(t, s, "/api/v2/persons/search?term=020+4520+5757&fields=phone&exact_match=true")
	want := []map[string]any{{
		"result_score": 1.0,
		"item": map[string]any{
			"id": 1.0, "type": "person", "name": "Ada Lovelace",
			"phones": []any{"020 4520 5757"}, "emails": []any{"ada@lovelace.example"},
			"organization": map[string]any{"id": 1.0, "name": "Lovelace Analytics Ltd"},
			"owner":        map[string]any{"id": 11.0},
		},
	}}
	if got := a.items(); !reflect.DeepEqual(got, want) {
		t.Errorf("items = %v\nwant %v", got, want)
	}
	// A substring match scores below 1; no owner and no organization are null.
	a = get(t, s, "/api/v2/persons/search?term=0532+1&fields=phone")
	it := a.items()
	if len(it) != 1 {
		t.Fatalf("items: %s", a.raw)
	}
	item := it[0]["item"].(map[string]any)
	if sc := it[0]["result_score"].(float64); sc <= 0 || sc >= 1 || item["owner"] != nil || item["id"] != 5.0 {
		t.Errorf("person 5 item: %v", it[0])
	}
	if item := get(t, s, "/api/v2/persons/search?term=Grace&fields=name").items()[0]["item"].(map[string]any); item["organization"] != nil {
		t.Errorf("person 3 has no organization: %v", item)
	}
	// A deleted organization shows as null.
	if err := s.DeleteOrganization(2); err != nil {
		t.Fatal(err)
	}
	if item := get(t, s, "/api/v2/persons/search?term=Ahmet&fields=name").items()[0]["item"].(map[string]any); item["organization"] != nil {
		t.Errorf("person 4's organization was deleted: %v", item)
	}
}

func TestSearchOrganizations(t *testing.T) {
	s, _ := start(t, Options{})
	s.Seed()
	for _, c := range []struct {
		query string
		want  []int
	}{
		{"term=4520&fields=phone", []int{1}},
		{"term=" + url.QueryEscape("(0212) 444 55 00") + "&fields=phone&exact_match=true", []int{2}},
		{"term=" + url.QueryEscape("şişli") + "&fields=address", []int{2}},
		{"term=gmbh", []int{3}},
		{"term=lovelace&fields=name", []int{1}},
	} {
		a := get(t, s, "/api/v2/organizations/search?"+c.query)
		if a.status != 200 || !slices.Equal(a.itemIDs(), c.want) {
			t.Errorf("%s: got %d %v; want %v (%s)", c.query, a.status, a.itemIDs(), c.want, a.raw)
		}
	}
	it := get(t, s, "/api/v2/organizations/search?term=Quiet").items()[0]["item"].(map[string]any)
	want := map[string]any{"id": 3.0, "type": "organization", "name": "Quiet Holdings GmbH", "address": nil, "phones": []any{}, "owner": nil}
	if !reflect.DeepEqual(it, want) {
		t.Errorf("organization 3 item = %v\nwant %v", it, want)
	}
}

func TestSearchPaging(t *testing.T) {
	s, _ := start(t, Options{})
	s.Seed()
	var seen []int
	cursor := ""
	for page := 0; page < 10; page++ {
		a := get(t, s, "/api/v2/persons/search?term=4520&fields=phone&limit=1&cursor="+cursor)
		if a.status != 200 {
			t.Fatalf("%d %s", a.status, a.raw)
		}
		seen = append(seen, a.itemIDs()...)
		if cursor = a.next(t); cursor == "" {
			break
		}
	}
	if !slices.Equal(seen, []int{1, 2, 6, 7}) {
		t.Errorf("paged search found %v", seen)
	}
}

func TestSearchErrors(t *testing.T) {
	s, _ := start(t, Options{})
	s.Seed()
	listCursor := get(t, s, "/api/v2/persons?limit=1").next(t)
	for _, c := range []struct{ name, query, infoHas string }{
		{"no term", "fields=phone", "term is required"},
		{"one character", "term=a", "at least 2 characters"},
		{"one character after trimming", "term=+a+", "at least 2 characters"},
		{"empty term with exact match", "term=&exact_match=true", "at least"},
		{"unknown field", "term=ada&fields=notes", `"notes" is not a searchable field`},
		{"one unknown field among known ones", "term=ada&fields=phone,notes", `"notes"`},
		{"an empty field", "term=ada&fields=phone,", `"" is not a searchable field`},
		{"address is not a person field", "term=ada&fields=address", `"address"`},
		{"exact_match yes", "term=ada&exact_match=yes", "true or false"},
		{"exact_match 1", "term=ada&exact_match=1", "true or false"},
		{"limit over the maximum", "term=ada&limit=501", "at most 500"},
		{"a list cursor", "term=ada&cursor=" + listCursor, "not a cursor of this endpoint"},
		{"misspelt parameter", "term=ada&field=phone", `unknown query parameter "field"`},
		{"term twice", "term=ada&term=bob", "given 2 times"},
	} {
		t.Run(c.name, func(t *testing.T) {
			get(t, s, "/api/v2/persons/search?"+c.query).wantError(t, 400, c.infoHas)
		})
	}
	get(t, s, "/api/v2/organizations/search?term=ada&organization_id=1").wantError(t, 400, `unknown query parameter "organization_id"`)
	get(t, s, "/api/v2/organizations/search?term=ada&fields=email").wantError(t, 400, `"email"`)
}

// TestSearchCustomFields: persons' custom field values are searched with
// fields=custom_fields (and by default), exactly or as substrings, and
// lists and gets show them.
func TestSearchCustomFields(t *testing.T) {
	s, _ := start(t, Options{})
	id := s.AddPerson(Person{Name: "Ada", CustomFields: map[string]string{"8f0c": "AC-1001", "9a1d": "ORD-7, ORD-8"}})
	s.AddPerson(Person{Name: "Bea", CustomFields: map[string]string{"8f0c": "AC-10010"}})
	for _, tt := range []struct {
		query string
		want  int
	}{
		{"term=ac-1001&fields=custom_fields&exact_match=true", 1},
		{"term=ac-1001&fields=custom_fields", 2},
		{"term=ORD-8&fields=custom_fields", 1},
		{"term=ORD-8", 1},
		{"term=ORD-8&fields=name", 0},
	} {
		q, _ := url.ParseQuery(tt.query)
		rep := s.search(collPersons, q)
		if got := len(rep.body.(searchJSON).Data.Items); rep.status != http.StatusOK || got != tt.want {
			t.Errorf("search %s: %d, %d items; want %d", tt.query, rep.status, got, tt.want)
		}
	}
	if p := renderPerson(s.persons[id]); p.CustomFields["8f0c"] != "AC-1001" {
		t.Errorf("a person renders custom_fields %v", p.CustomFields)
	}
}
