package connectortest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

// garbageCursor is a cursor no connector issued.
const garbageCursor = "!!not-a-cursor-from-this-connector!!"

// record is what the paging checks need of a contact or a company.
type record struct {
	id      string
	updated time.Time
}

// lister pages one kind of record.
type lister struct {
	kind string // "contacts", "companies"
	op   string // "ListContacts"
	cap  connectors.Capability
	list func(ctx context.Context, c connectors.Connector, req *connectors.ListRequest) ([]record, string, error)
}

var listers = []lister{
	{
		kind: "contacts", op: "ListContacts", cap: connectors.CapListContacts,
		list: func(ctx context.Context, c connectors.Connector, req *connectors.ListRequest) ([]record, string, error) {
			resp, err := c.ListContacts(ctx, req)
			if err != nil {
				return nil, "", err
			}
			out := make([]record, len(resp.Contacts))
			for i, ct := range resp.Contacts {
				out[i] = record{id: ct.ID, updated: ct.UpdatedAt}
			}
			return out, resp.NextCursor, nil
		},
	},
	{
		kind: "companies", op: "ListCompanies", cap: connectors.CapListCompanies,
		list: func(ctx context.Context, c connectors.Connector, req *connectors.ListRequest) ([]record, string, error) {
			resp, err := c.ListCompanies(ctx, req)
			if err != nil {
				return nil, "", err
			}
			out := make([]record, len(resp.Companies))
			for i, co := range resp.Companies {
				out[i] = record{id: co.ID, updated: co.UpdatedAt}
			}
			return out, resp.NextCursor, nil
		},
	},
}

// pageAll pages to the end and returns every record in order, failing the
// test on an error, a page larger than asked, or a cursor that never ends.
func (r *runner) pageAll(t testing.TB, c connectors.Connector, l lister, size int, since time.Time) []record {
	t.Helper()
	return r.pages(t, c, l, size, since, "")
}

// pageFrom pages from cursor to the end, like pageAll.
func (r *runner) pageFrom(t testing.TB, c connectors.Connector, l lister, size int, cursor string) []record {
	t.Helper()
	return r.pages(t, c, l, size, time.Time{}, cursor)
}

func (r *runner) pages(t testing.TB, c connectors.Connector, l lister, size int, since time.Time, cursor string) []record {
	t.Helper()
	var all []record
	seen := map[string]bool{}
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatalf("%s: still paging after 10000 pages; the last page must have an empty NextCursor", l.op)
		}
		recs, next, err := l.list(r.ctx(t), c, &connectors.ListRequest{Cursor: cursor, PageSize: size, ChangedSince: since})
		if err != nil {
			t.Fatalf("%s(cursor %q, page size %d): %v", l.op, cursor, size, err)
		}
		if size > 0 && len(recs) > size {
			t.Errorf("%s: a page of %d records; asked for at most %d", l.op, len(recs), size)
		}
		all = append(all, recs...)
		if next == "" {
			return all
		}
		if seen[next] {
			t.Fatalf("%s: cursor %q returned twice; paging would never end", l.op, next)
		}
		seen[next] = true
		cursor = next
	}
}

func ids(recs []record) []string {
	out := make([]string, len(recs))
	for i, rc := range recs {
		out[i] = rc.id
	}
	return out
}

// checkSet reports duplicates, records missing and records not wanted.
func checkSet(t testing.TB, what string, got []string, want []string) {
	t.Helper()
	count := map[string]int{}
	for _, id := range got {
		count[id]++
	}
	var dups, missing, extra []string
	wanted := map[string]bool{}
	for _, id := range want {
		wanted[id] = true
		if count[id] == 0 {
			missing = append(missing, id)
		}
	}
	for id, n := range count {
		if n > 1 {
			dups = append(dups, id)
		}
		if !wanted[id] {
			extra = append(extra, id)
		}
	}
	sort.Strings(dups)
	sort.Strings(extra)
	if len(dups) > 0 {
		t.Errorf("%s: returned more than once: %v", what, dups)
	}
	if len(missing) > 0 {
		t.Errorf("%s: missing (a gap in paging?): %v", what, missing)
	}
	if len(extra) > 0 {
		t.Errorf("%s: not expected: %v", what, extra)
	}
}

func (r *runner) wantIDs(kind string) []string {
	var out []string
	if kind == "contacts" {
		for _, c := range r.data.Contacts {
			out = append(out, c.ID)
		}
	} else {
		for _, c := range r.data.Companies {
			out = append(out, c.ID)
		}
	}
	return out
}

func (r *runner) testList(t *testing.T) {
	for _, l := range listers {
		t.Run(l.kind, func(t *testing.T) {
			c := r.conn.host
			if !r.desc.Has(l.cap) {
				_, _, err := l.list(r.ctx(t), c, &connectors.ListRequest{})
				if connectors.ClassOf(err) != connectors.ClassUnsupported {
					t.Errorf("%s without the %s capability: error %v; want class %s", l.op, l.cap, err, connectors.ClassUnsupported)
				}
				return
			}
			want := r.wantIDs(l.kind)
			var first []string
			for _, size := range []int{0, 1, 4, 7, 1000} {
				got := ids(r.pageAll(t, c, l, size, time.Time{}))
				checkSet(t, fmt.Sprintf("%s, page size %d", l.op, size), got, want)
				if first == nil {
					first = got
				} else if strings.Join(got, ",") != strings.Join(first, ",") {
					t.Errorf("%s: page size %d lists in order %v, page size 0 in %v; the order must be stable", l.op, size, got, first)
				}
			}
			_, _, err := l.list(r.ctx(t), c, &connectors.ListRequest{Cursor: garbageCursor, PageSize: 4})
			if connectors.ClassOf(err) != connectors.ClassInvalidRequest {
				t.Errorf("%s with a cursor it never issued: error %v; want class %s", l.op, err, connectors.ClassInvalidRequest)
			}
		})
	}
	if r.desc.Has(connectors.CapListContacts) {
		t.Run("contact_records", r.testContactRecords)
	}
	if r.desc.Has(connectors.CapListCompanies) {
		t.Run("company_records", r.testCompanyRecords)
	}
}

// testContactRecords compares every listed contact with the dataset.
func (r *runner) testContactRecords(t *testing.T) {
	got := map[string]*connectors.Contact{}
	cursor := ""
	for {
		resp, err := r.conn.host.ListContacts(r.ctx(t), &connectors.ListRequest{Cursor: cursor})
		if err != nil {
			t.Fatalf("ListContacts: %v", err)
		}
		for i := range resp.Contacts {
			got[resp.Contacts[i].ID] = &resp.Contacts[i]
		}
		if cursor = resp.NextCursor; cursor == "" {
			break
		}
	}
	for i := range r.data.Contacts {
		want := &r.data.Contacts[i]
		if g := got[want.ID]; g != nil {
			for _, d := range diffContact(want, g) {
				t.Errorf("contact %s: %s", want.ID, d)
			}
		}
	}
}

// testCompanyRecords compares every listed company with the dataset.
func (r *runner) testCompanyRecords(t *testing.T) {
	cursor := ""
	for {
		resp, err := r.conn.host.ListCompanies(r.ctx(t), &connectors.ListRequest{Cursor: cursor})
		if err != nil {
			t.Fatalf("ListCompanies: %v", err)
		}
		for _, co := range resp.Companies {
			if want := r.data.Company(co.ID); want != nil && co.Name != want.Name {
				t.Errorf("company %s: name %q; want %q", co.ID, co.Name, want.Name)
			}
		}
		if cursor = resp.NextCursor; cursor == "" {
			break
		}
	}
}

// diffContact lists how got differs from want in the fields every
// fixture stores.
func diffContact(want, got *connectors.Contact) []string {
	var out []string
	field := func(name, w, g string) {
		if w != g {
			out = append(out, fmt.Sprintf("%s %q; want %q", name, g, w))
		}
	}
	field("first name", want.FirstName, got.FirstName)
	field("last name", want.LastName, got.LastName)
	field("company id", want.CompanyID, got.CompanyID)
	field("company name", want.CompanyName, got.CompanyName)
	field("owner", want.OwnerID, got.OwnerID)
	field("emails", strings.Join(want.Emails, ","), strings.Join(got.Emails, ","))

	wantRaw := map[string]string{} // raw → E.164
	for _, p := range want.Phones {
		wantRaw[p.Raw] = p.E164
	}
	var gotRaws []string
	for _, p := range got.Phones {
		gotRaws = append(gotRaws, p.Raw)
		e164, ok := wantRaw[p.Raw]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("phone %q is not one of the stored numbers", p.Raw))
		case p.E164 != "" && p.E164 != e164:
			out = append(out, fmt.Sprintf("phone %q normalised to %q; want %q", p.Raw, p.E164, e164))
		}
	}
	if len(got.Phones) != len(want.Phones) {
		var wantRaws []string
		for _, p := range want.Phones {
			wantRaws = append(wantRaws, p.Raw)
		}
		out = append(out, fmt.Sprintf("phones %q; want %q", gotRaws, wantRaws))
	}
	return out
}
