package connectortest

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

// PagingDataset returns the dataset of the paging_under_change check: 12
// contacts with IDs 5000010 to 5000120 in steps of 10 (so that records
// can be inserted between them), all of company 2001, each with one
// mobile number.
func PagingDataset() *Records {
	d := &Records{Companies: []connectors.Company{{ID: "2001", Name: "Analytical Engines Ltd", UpdatedAt: base}}}
	for i := 1; i <= 12; i++ {
		d.Contacts = append(d.Contacts, pagingContact(5000000+10*i, "Paged", base.Add(time.Duration(i)*time.Minute)))
	}
	return d
}

// pagingContact is a contact of PagingDataset, or one inserted into it.
func pagingContact(id int, last string, updated time.Time) connectors.Contact {
	return connectors.Contact{
		ID: fmt.Sprint(id), FirstName: "Contact", LastName: last,
		CompanyID: "2001", CompanyName: "Analytical Engines Ltd",
		Emails:    []string{fmt.Sprintf("p%d@example.com", id)},
		OwnerID:   "u-50",
		Phones:    []connectors.Phone{{Raw: fmt.Sprintf("+44 7700 900%03d", id%1000), Label: LabelMobile, E164: fmt.Sprintf("+447700900%03d", id%1000)}},
		UpdatedAt: updated,
	}
}

// pagingSteps are the changes made after the first and the second page
// (of 3): inserts before the first record, between records already
// listed, behind the cursor and after the last; updates of records
// already listed and of records not listed yet, to a later UpdatedAt.
var pagingSteps = []struct{ insert, update []int }{
	{insert: []int{5000005, 5000025, 5000125}, update: []int{5000010, 5000100}},
	{insert: []int{5000015, 5000055}, update: []int{5000020, 5000110}},
}

// pagingPageSize is the page size of the paging_under_change walk.
const pagingPageSize = 3

// testPagingUnderChange lists the contacts of PagingDataset page by page
// while Suite.Mutate inserts and updates records between the pages: every
// record present for the whole listing must come exactly once (updated
// or not), records inserted mid-way at most once. Offset paging repeats
// records when one is inserted before the cursor; paging ordered by the
// modification time repeats or skips the updated ones.
func (r *runner) testPagingUnderChange(t *testing.T) {
	if !r.desc.Has(connectors.CapListContacts) {
		t.Skip("the connector does not list contacts")
	}
	if r.s.Mutate == nil {
		t.Skip("skipped: Suite.Mutate is not set, so the suite cannot change the backend between pages; " +
			"set it to insert and update records in the fixture's backend (see Suite.Mutate)")
	}
	data := r.dataset(PagingDataset())
	block := r.s.Fixture(t, data)
	c := r.serve(t)
	if !r.configure(t, c.host, block) {
		t.Fatal("the fixture's block for the paging dataset was rejected")
	}
	original := map[string]bool{}
	for _, ct := range data.Contacts {
		original[ct.ID] = true
	}
	reconfigure := func() error {
		resp, err := c.host.Configure(r.ctx(t), &connectors.ConfigureRequest{Config: block, DefaultRegion: Region, BaseDir: r.s.BaseDir})
		if err != nil {
			return err
		}
		if len(resp.Problems) > 0 {
			return errors.New(resp.Problems.Error())
		}
		return nil
	}

	after := data
	inserted := map[string]bool{}
	changedAt := base.Add(1000 * time.Hour)
	var got []string
	cursor := ""
	for page := 0; ; page++ {
		if page > 100 {
			t.Fatal("ListContacts: still paging after 100 pages of 3 over about 17 records")
		}
		resp, err := c.host.ListContacts(r.ctx(t), &connectors.ListRequest{Cursor: cursor, PageSize: pagingPageSize})
		if err != nil {
			t.Fatalf("ListContacts(page %d, cursor %q) after the backend changed: %v", page+1, cursor, err)
		}
		for _, ct := range resp.Contacts {
			got = append(got, ct.ID)
		}
		if resp.NextCursor == "" {
			break
		}
		cursor = resp.NextCursor
		if page < len(pagingSteps) {
			step := pagingSteps[page]
			ch := Change{Reconfigure: reconfigure}
			for _, id := range step.insert {
				changedAt = changedAt.Add(time.Minute)
				ct := pagingContact(id, "Inserted", changedAt)
				ch.Insert = append(ch.Insert, ct)
				inserted[ct.ID] = true
			}
			for _, id := range step.update {
				changedAt = changedAt.Add(time.Minute)
				ct := pagingContact(id, "Updated", changedAt)
				ch.Update = append(ch.Update, ct)
			}
			after = applyChange(after, ch)
			ch.After = r.dataset(after)
			ch.Insert, ch.Update = r.dataset(&Records{Contacts: ch.Insert}).Contacts, r.dataset(&Records{Contacts: ch.Update}).Contacts
			r.s.Mutate(t, block, ch)
		}
	}

	count := map[string]int{}
	for _, id := range got {
		count[id]++
	}
	var dups, missing, extra []string
	for id, n := range count {
		switch {
		case !original[id] && !inserted[id]:
			extra = append(extra, id)
		case n > 1:
			dups = append(dups, fmt.Sprintf("%s (%d times)", id, n))
		}
	}
	for id := range original {
		if count[id] == 0 {
			missing = append(missing, id)
		}
	}
	sort.Strings(dups)
	sort.Strings(missing)
	sort.Strings(extra)
	how := "records were inserted and updated between the pages; page by a key (the last ID returned), not by an offset, " +
		"and in an order a change does not move a record in (ID, not the modification time)"
	if len(dups) > 0 {
		t.Errorf("ListContacts: returned more than once: %s (%s); listed %v", strings.Join(dups, ", "), how, got)
	}
	if len(missing) > 0 {
		t.Errorf("ListContacts: records present the whole time are missing: %v (%s); listed %v", missing, how, got)
	}
	if len(extra) > 0 {
		t.Errorf("ListContacts: not expected: %v", extra)
	}
}

// applyChange returns d with ch applied, contacts in ID order.
func applyChange(d *Records, ch Change) *Records {
	out := &Records{Companies: d.Companies}
	updates := map[string]connectors.Contact{}
	for _, u := range ch.Update {
		updates[u.ID] = u
	}
	for _, ct := range d.Contacts {
		if u, ok := updates[ct.ID]; ok {
			ct = u
		}
		out.Contacts = append(out.Contacts, ct)
	}
	out.Contacts = append(out.Contacts, ch.Insert...)
	sort.Slice(out.Contacts, func(i, j int) bool { return out.Contacts[i].ID < out.Contacts[j].ID })
	return out
}
