package hubspot

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/hubspot/hubspottest"
)

// changedContacts pages a changed-since contact list to the end.
func changedContacts(t testing.TB, c *Connector, since time.Time, size int) []connectors.Contact {
	t.Helper()
	var out []connectors.Contact
	cursor := ""
	for range 1000 {
		resp, err := c.ListContacts(ctx(t), &connectors.ListRequest{ChangedSince: since, Cursor: cursor, PageSize: size})
		if err != nil {
			t.Fatalf("ListContacts(changed since %s): %v", since, err)
		}
		out = append(out, resp.Contacts...)
		if cursor = resp.NextCursor; cursor == "" {
			return out
		}
	}
	t.Fatal("ListContacts: paging does not end")
	return nil
}

func changedCompanies(t testing.TB, c *Connector, since time.Time) []connectors.Company {
	t.Helper()
	var out []connectors.Company
	cursor := ""
	for range 1000 {
		resp, err := c.ListCompanies(ctx(t), &connectors.ListRequest{ChangedSince: since, Cursor: cursor})
		if err != nil {
			t.Fatalf("ListCompanies(changed since %s): %v", since, err)
		}
		out = append(out, resp.Companies...)
		if cursor = resp.NextCursor; cursor == "" {
			return out
		}
	}
	t.Fatal("ListCompanies: paging does not end")
	return nil
}

// rateLimited counts the fake's 429 answers.
func rateLimited(s *hubspottest.Server) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Status == http.StatusTooManyRequests {
			n++
		}
	}
	return n
}

// TestChangedSinceWithinLag: a contact and a company changed in a fake
// whose search lags are returned by changed-since lists polled like the
// host polls (here without any overlap of its own: since is the previous
// poll's start), the contact with its primary company.
func TestChangedSinceWithinLag(t *testing.T) {
	const lag = time.Second
	opts := unlimited
	opts.SearchLag = lag
	s := newFake(t, opts)
	if err := s.Put(hubspottest.Companies, hubspottest.Object{ID: "10", Properties: map[string]string{"name": "Acme"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(hubspottest.Contacts, hubspottest.Object{ID: "1", Companies: []string{"10"},
		Properties: map[string]string{"firstname": "Ada", "phone": "+442045205757"}}); err != nil {
		t.Fatal(err)
	}
	c := configured(t, blockFor(s, "change_poll_interval: 200ms\nsearch_lag: 1s\n"), nil, nil)
	time.Sleep(lag + 100*time.Millisecond) // the seeds are searchable

	since := time.Now()
	_ = changedContacts(t, c, since, 0)
	_ = changedCompanies(t, c, since)
	changedAt := time.Now()
	if err := s.Update(hubspottest.Contacts, "1", map[string]string{"phone": "+442045205758"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(hubspottest.Companies, "10", map[string]string{"name": "Acme Ltd"}); err != nil {
		t.Fatal(err)
	}
	var gotContact, gotCompany bool
	for !gotContact || !gotCompany {
		if time.Since(changedAt) > lag+2*time.Second {
			t.Fatalf("after %s: contact returned %v, company returned %v; want both within the lag (%s) and the poll interval",
				time.Since(changedAt), gotContact, gotCompany, lag)
		}
		start := time.Now()
		for _, ct := range changedContacts(t, c, since, 0) {
			if ct.ID == "1" && len(ct.Phones) == 1 && ct.Phones[0].E164 == "+442045205758" {
				gotContact = true
				if ct.CompanyID != "10" || ct.UpdatedAt.IsZero() {
					t.Errorf("changed contact: company %q, updated %s; want company 10 and a time", ct.CompanyID, ct.UpdatedAt)
				}
			}
		}
		for _, co := range changedCompanies(t, c, since) {
			if co.ID == "10" && co.Name == "Acme Ltd" {
				gotCompany = true
			}
		}
		since = start
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("change returned %s after it was made (search lag %s, change_poll_interval 200ms, polled every 100ms)",
		time.Since(changedAt).Round(10*time.Millisecond), lag)
}

// TestChangedSinceBudget: polling far more often than change_poll_interval
// sends at most one search per object type per interval, within HubSpot's
// search limit, and leaves lookups their share: no 429 anywhere.
func TestChangedSinceBudget(t *testing.T) {
	opts := unlimited
	opts.SearchPerSecond = hubspottest.DefaultSearchPerSecond // HubSpot's 5/s
	s := newFake(t, opts)
	for i := 1; i <= 5; i++ {
		if err := s.Put(hubspottest.Contacts, hubspottest.Object{ID: strconv.Itoa(i),
			Properties: map[string]string{"firstname": fmt.Sprint("C", i), "phone": fmt.Sprintf("+44204520575%d", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	// The defaults: 5 searches a second, 2 of them for changes, one change
	// search per type per 5 s.
	c := configured(t, []byte(fmt.Sprintf("base_url: %s\ntoken: %s\n", s.URL(), testToken)), nil, nil)
	since := time.Now().Add(-time.Hour)
	start := time.Now()
	polls, lookups := 0, 0
	for time.Since(start) < 2*time.Second {
		if got := changedContacts(t, c, since, 2); len(got) != 5 {
			t.Fatalf("poll %d: %d contacts; want 5", polls, len(got))
		}
		_ = changedCompanies(t, c, since)
		polls++
		if polls%5 != 0 {
			continue
		}
		// A live lookup now and then, as rings come in.
		resp, err := c.LookupByPhone(ctx(t), &connectors.LookupRequest{E164: "+442045205753", National: "2045205753"})
		if err != nil || len(resp.Matches) != 1 {
			t.Fatalf("lookup during polling: %+v, %v", resp, err)
		}
		lookups++
	}
	changeSearches := 0
	for _, r := range s.Requests() {
		if r.Route == hubspottest.RouteSearch && strings.Contains(string(r.Body), "lastmodifieddate") {
			changeSearches++
		}
	}
	if changeSearches > 2 {
		t.Errorf("%d polls in %s sent %d change searches; want at most one per object type per change_poll_interval (2)",
			polls, time.Since(start).Round(time.Millisecond), changeSearches)
	}
	if n := rateLimited(s); n > 0 {
		for _, r := range s.Requests() {
			t.Logf("%s %s %d %.80s", r.At.Format("05.000"), r.Route, r.Status, r.Body)
		}
		t.Errorf("%d answers were 429; the connector must stay within HubSpot's limits", n)
	}
	t.Logf("%d polls and %d lookups in %s: %d change searches, %d searches in all, no 429",
		polls, lookups, time.Since(start).Round(time.Millisecond), changeSearches, s.Count(hubspottest.RouteSearch))
}

// TestChangedSinceKeysetPaging: hundreds of records changed, many in one
// millisecond, page to the end with no gap and no duplicate, by
// lastmodifieddate and id (never by search's offset, which stops at
// 10,000).
func TestChangedSinceKeysetPaging(t *testing.T) {
	s := newFake(t, unlimited)
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	var objs []hubspottest.Object
	for i := 1; i <= 700; i++ {
		at := base // 450 records in one millisecond
		if i > 450 {
			at = base.Add(time.Duration(i) * time.Millisecond)
		}
		objs = append(objs, hubspottest.Object{ID: strconv.Itoa(i), Properties: map[string]string{"firstname": "x"},
			CreatedAt: at, UpdatedAt: at})
	}
	if err := s.Put(hubspottest.Contacts, objs...); err != nil {
		t.Fatal(err)
	}
	block := fmt.Sprintf("base_url: %s\ntoken: %s\nchange_poll_interval: 10ms\nrate_limit: {search_per_second: 100, change_search_per_second: 100}\n", s.URL(), testToken)
	c := configured(t, []byte(block), nil, nil)
	for _, since := range []time.Time{base, base.Add(500 * time.Millisecond)} {
		got := changedContacts(t, c, since, 70)
		seen := map[string]bool{}
		want := 0
		for _, o := range objs {
			if !o.UpdatedAt.Before(since) {
				want++
			}
		}
		for _, ct := range got {
			if seen[ct.ID] {
				t.Errorf("since %s: contact %s returned twice", since, ct.ID)
			}
			seen[ct.ID] = true
			if ct.UpdatedAt.Before(since) {
				t.Errorf("since %s: contact %s changed at %s", since, ct.ID, ct.UpdatedAt)
			}
		}
		if len(seen) != want {
			t.Errorf("since %s: %d contacts; want %d", since, len(seen), want)
		}
	}
	for _, r := range s.Requests() {
		if r.Route == hubspottest.RouteSearch && strings.Contains(string(r.Body), `"after"`) {
			t.Errorf("a change search paged by offset: %s", r.Body)
		}
	}
}

// TestChangedSinceLookBack: a change that search shows only after the
// caller's since has moved past its stamp is still returned, once.
func TestChangedSinceLookBack(t *testing.T) {
	clk := newFakeClock()
	opts := unlimited
	opts.SearchLag = 3 * time.Second
	opts.Now = clk.Now
	s := newFake(t, opts)
	if err := s.Put(hubspottest.Contacts, hubspottest.Object{ID: "1", Properties: map[string]string{"firstname": "Ada"},
		UpdatedAt: clk.Now().Add(-time.Hour), CreatedAt: clk.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	c := configured(t, blockFor(s, ""), clk, nil) // defaults: 5 s interval, 10 s lag
	advance := func(d time.Duration) { _ = clk.Sleep(context.Background(), d) }

	since := clk.Now()
	if got := changedContacts(t, c, since, 0); len(got) != 0 {
		t.Fatalf("nothing changed yet: %d contacts", len(got))
	}
	advance(6 * time.Second)
	if err := s.Update(hubspottest.Contacts, "1", map[string]string{"firstname": "Ada B"}); err != nil {
		t.Fatal(err)
	}
	changed := clk.Now()
	advance(time.Second)
	since = clk.Now() // the caller moved past the change: search could not show it yet
	if got := changedContacts(t, c, since.Add(-6*time.Second), 0); len(got) != 0 {
		t.Fatalf("search lags 3 s, yet the change showed after 1 s: %+v", got)
	}
	advance(6 * time.Second)
	got := changedContacts(t, c, since, 0)
	if len(got) != 1 || got[0].FirstName != "Ada B" || !got[0].UpdatedAt.Equal(changed.Truncate(time.Millisecond)) {
		t.Fatalf("after the lag, changed since a time past the change: %+v; want contact 1 as changed", got)
	}
	advance(6 * time.Second)
	if got := changedContacts(t, c, clk.Now().Add(-time.Second), 0); len(got) != 0 {
		t.Errorf("the look-back returned contact 1 again: %+v", got)
	}
}

// TestChangeLatencyDefaults measures, at the default settings and a search
// lag of 3 s (HubSpot's "a few seconds"), how long a change in HubSpot
// takes to be returned to a host polling every 2 s with its 30 s overlap.
func TestChangeLatencyDefaults(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 20 s")
	}
	const lag = 3 * time.Second
	opts := unlimited
	opts.SearchPerSecond = hubspottest.DefaultSearchPerSecond
	opts.TenSecondLimit = hubspottest.DefaultTenSecondLimit
	opts.SearchLag = lag
	s := newFake(t, opts)
	if err := s.Put(hubspottest.Contacts, hubspottest.Object{ID: "1", Properties: map[string]string{"firstname": "v0"},
		UpdatedAt: time.Now().Add(-time.Hour), CreatedAt: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	c := configured(t, []byte(fmt.Sprintf("base_url: %s\ntoken: %s\n", s.URL(), testToken)), nil, nil)
	const hostPoll, overlap = 2 * time.Second, 30 * time.Second
	pollSince := time.Now()
	var worst time.Duration
	// Changes at different phases of the poll and change_poll_interval.
	for i, delay := range []time.Duration{700 * time.Millisecond, 2300 * time.Millisecond, 4100 * time.Millisecond} {
		time.Sleep(delay)
		name := fmt.Sprint("v", i+1)
		changedAt := time.Now()
		if err := s.Update(hubspottest.Contacts, "1", map[string]string{"firstname": name}); err != nil {
			t.Fatal(err)
		}
		for {
			start := time.Now()
			found := false
			for _, ct := range changedContacts(t, c, pollSince.Add(-overlap), 0) {
				found = found || ct.FirstName == name
			}
			_ = changedCompanies(t, c, pollSince.Add(-overlap))
			pollSince = start
			if found {
				d := time.Since(changedAt)
				worst = max(worst, d)
				t.Logf("change %d returned after %s", i+1, d.Round(10*time.Millisecond))
				break
			}
			if time.Since(changedAt) > 60*time.Second {
				t.Fatalf("change %d not returned within 60 s", i+1)
			}
			time.Sleep(hostPoll)
		}
	}
	if n := rateLimited(s); n > 0 {
		t.Errorf("%d answers were 429", n)
	}
	t.Logf("worst: %s from a change to its return (defaults: change_poll_interval %s, search_lag %s; fake search lag %s; host poll %s); bound: lag + interval + poll = %s",
		worst.Round(10*time.Millisecond), DefaultChangePollInterval, DefaultSearchLag, lag, hostPoll, lag+DefaultChangePollInterval+hostPoll)
}
