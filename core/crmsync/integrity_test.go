package crmsync_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/crmsync"
	"github.com/switchboard-hq/switchboard/core/fakehipcall"
	"github.com/switchboard-hq/switchboard/core/hipcall"
)

// contactByExt returns the fake's contact with the external id.
func contactByExt(f *fakehipcall.Server, ext string) (hipcall.Contact, bool) {
	for _, c := range f.Contacts() {
		if c.ExternalID != nil && *c.ExternalID == ext {
			return c, true
		}
	}
	return hipcall.Contact{}, false
}

func numbers(ps []hipcall.Phone) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Number
	}
	return out
}

// TestStateBoundToAccount: a state made against one base URL is refused
// against another, with a way out (-relearn) that matches records by
// external_id; a rotated token of the same account is accepted after one
// probe; another account behind the same URL is refused.
func TestStateBoundToAccount(t *testing.T) {
	env := newEnv(t, newCRM(3, 4), envOptions{})
	env.run(env.engine(), crmsync.RunOptions{})

	other := newEnv(t, env.crm, envOptions{})
	// The first env's store, the other Hipcall.
	eng := env.engine(func(o *crmsync.Options) { o.Client = other.client })
	other.fake.ResetRequests()
	_, err := eng.Run(context.Background(), crmsync.RunOptions{})
	if !errors.Is(err, crmsync.ErrOtherAccount) || !strings.Contains(err.Error(), "-relearn") || !strings.Contains(err.Error(), other.url) {
		t.Fatalf("run against another base URL: %v, want ErrOtherAccount naming it and -relearn", err)
	}
	if n := len(other.fake.Requests()); n != 0 {
		t.Errorf("a refused state still sent %d requests", n)
	}
	// Relearning discards the ids and matches by external_id: the other
	// Hipcall is empty, so everything is created there.
	other.fake.ResetRequests()
	sum, err := eng.Run(context.Background(), crmsync.RunOptions{Relearn: true})
	if err != nil || sum.Companies.Created != 3 || sum.Contacts.Created != 4 {
		t.Fatalf("relearn: %v %+v %+v", err, sum.Companies, sum.Contacts)
	}
	other.checkMirror()
	other.fake.ResetRequests()
	if sum, err := eng.Run(context.Background(), crmsync.RunOptions{}); err != nil || sum.Requests != 0 {
		t.Fatalf("after relearning: %v, %d requests", err, sum.Requests)
	}

	// A rotated token (same URL, same records): one probe, then accepted.
	rot := newEnv(t, newCRM(2, 2), envOptions{anyToken: true})
	rot.run(rot.engine(), crmsync.RunOptions{})
	newToken := rot.engine(func(o *crmsync.Options) { o.Client = rot.newClient(hipcall.Options{Token: "rotated"}) })
	if sum, counts := rot.run(newToken, crmsync.RunOptions{}); sum.Requests != 1 || counts["GET /companies/{id}"] != 1 {
		t.Errorf("rotated token: %d requests %v, want one probe", sum.Requests, counts)
	}
	if sum, _ := rot.run(newToken, crmsync.RunOptions{}); sum.Requests != 0 {
		t.Errorf("rotated token, second run: %d requests, want 0", sum.Requests)
	}
	// Another account behind the same URL: its ids hold other records.
	rot.fake.Reset()
	for i := range 3 {
		ext := fmt.Sprintf("theirs-%d", i)
		rot.fake.AddCompany(hipcall.Company{Name: "Theirs", ExternalID: &ext})
	}
	otherAccount := rot.engine(func(o *crmsync.Options) { o.Client = rot.newClient(hipcall.Options{Token: "other-account"}) })
	rot.fake.ResetRequests()
	_, err = otherAccount.Run(context.Background(), crmsync.RunOptions{})
	if !errors.Is(err, crmsync.ErrOtherAccount) || !strings.Contains(err.Error(), "token differs") {
		t.Fatalf("another account behind the same URL: %v, want ErrOtherAccount", err)
	}
	if w := writes(rot.fake.Counts()); w != 0 {
		t.Errorf("a refused state still made %d writes", w)
	}
}

// TestStoredIDHoldsAnotherRecord: the id a contact was stored under now
// holds another record (deleted in Hipcall, id taken by a stranger). The
// first write's answer shows it; nothing more is written to that id, the
// contact is relearned by external_id (created again here) and reported.
func TestStoredIDHoldsAnotherRecord(t *testing.T) {
	env := newEnv(t, newCRM(2, 3), envOptions{})
	eng := env.engine()
	env.run(eng, crmsync.RunOptions{})
	mine, _ := contactByExt(env.fake, "C0002")
	env.fake.RemoveContact(mine.ID)
	stranger := "stranger"
	env.fake.AddContact(hipcall.Contact{ID: mine.ID, FirstName: "Stranger", ExternalID: &stranger, Phones: mine.Phones})
	c := env.crm.contact("C0002")
	c.JobTitle = "Boss"
	c.Phones = []connectors.Phone{{Raw: "07911 200123"}}
	sum, counts := env.run(eng, crmsync.RunOptions{})
	if sum.Failed() != 0 || sum.Contacts.Relearned != 1 || len(sum.Relearned) != 1 || !strings.Contains(sum.Relearned[0], "stranger") {
		t.Fatalf("summary %+v relearned %v problems %+v", sum.Contacts, sum.Relearned, sum.Problems)
	}
	// One write reached the stranger (its answer told); no phone of it was
	// deleted and none added.
	got, _ := env.fake.Contact(mine.ID)
	if fmt.Sprint(numbers(got.Phones)) != fmt.Sprint(numbers(mine.Phones)) || counts["DELETE /contacts/{id}/phones/{number}"] != 0 || counts["POST /contacts/{id}/phones"] != 0 {
		t.Errorf("stranger's phones %v (had %v); requests %v", numbers(got.Phones), numbers(mine.Phones), counts)
	}
	if counts["POST /contacts"] != 1 {
		t.Errorf("requests %v, want the contact created again", counts)
	}
	env.fake.RemoveContact(mine.ID) // not the CRM's
	env.checkMirror()
	if sum, _ := env.run(eng, crmsync.RunOptions{}); sum.Requests != 0 {
		t.Errorf("next run: %d requests", sum.Requests)
	}
}

// TestNotFoundOnTheWayToAWrite: a 404 is never taken for "already done"
// without checking. A phone removed in the CRM that a user already removed
// in Hipcall: the contact is read (it is ours, the phone is gone) and
// nothing is written. A contact deleted in Hipcall whose phone the CRM
// drops: it is found gone and created again, not reported updated.
func TestNotFoundOnTheWayToAWrite(t *testing.T) {
	crm := newCRM(1, 2)
	for i := range crm.contacts {
		crm.contacts[i].Phones = append(crm.contacts[i].Phones, connectors.Phone{Raw: fmt.Sprintf("07911 20001%d", i)})
	}
	env := newEnv(t, crm, envOptions{})
	eng := env.engine()
	env.run(eng, crmsync.RunOptions{})

	c1, _ := contactByExt(env.fake, "C0001")
	env.fake.RemoveContact(c1.ID)
	c1.Phones = c1.Phones[:1]
	env.fake.AddContact(c1) // the user removed the second phone
	env.crm.contacts[0].Phones = env.crm.contacts[0].Phones[:1]

	c2, _ := contactByExt(env.fake, "C0002")
	env.fake.RemoveContact(c2.ID)
	env.crm.contacts[1].Phones = env.crm.contacts[1].Phones[:1]

	sum, counts := env.run(eng, crmsync.RunOptions{})
	if sum.Failed() != 0 || sum.Contacts.Relearned != 1 || sum.Contacts.Created != 1 {
		t.Fatalf("summary %+v %+v", sum.Contacts, sum.Problems)
	}
	want := map[string]int{"GET /contacts/{id}": 2, "GET /contacts/by-external-id/{external_id}": 1, "POST /contacts": 1}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("requests %v, want %v", counts, want)
	}
	env.checkMirror()
}

// TestMakeBeforeBreak: a new phone is added before the old one is
// deleted, the main (first) number stays first, and an answer lost on the
// add is not resent blindly: the contact is read back first.
func TestMakeBeforeBreak(t *testing.T) {
	crm := newCRM(0, 2)
	for i := range crm.contacts {
		crm.contacts[i].Phones = []connectors.Phone{{Raw: fmt.Sprintf("07911 20010%d", i)}, {Raw: fmt.Sprintf("07911 20020%d", i)}}
	}
	env := newEnv(t, crm, envOptions{})
	eng := env.engine(func(o *crmsync.Options) { o.Concurrency = 1 })
	env.run(eng, crmsync.RunOptions{})

	// C0001: the main number changes, the second stays; the first POST of
	// its phones is answered 503 (not applied; the client does not resend
	// a POST). C0002: the second number changes.
	env.crm.contacts[0].Phones[0] = connectors.Phone{Raw: "07911 200300"}
	env.crm.contacts[1].Phones[1] = connectors.Phone{Raw: "07911 200401"}
	env.fake.Fail("POST /contacts/{id}/phones", 503)
	env.fake.ResetRequests()
	sum, err := eng.Run(context.Background(), crmsync.RunOptions{Contacts: true})
	if err != nil || sum.Failed() != 0 {
		t.Fatalf("%v %+v", err, sum.Problems)
	}
	var order []string
	for _, r := range env.fake.Requests() {
		order = append(order, fmt.Sprint(r.Method, " ", r.Path, " ", r.Status))
	}
	c1, _ := contactByExt(env.fake, "C0001")
	c2, _ := contactByExt(env.fake, "C0002")
	if got := numbers(c1.Phones); fmt.Sprint(got) != "[+447911200300 +447911200200]" {
		t.Errorf("C0001 phones %v, want the new main number first", got)
	}
	if got := numbers(c2.Phones); fmt.Sprint(got) != "[+447911200101 +447911200401]" {
		t.Errorf("C0002 phones %v", got)
	}
	id1, id2 := c1.ID, c2.ID
	want := []string{
		fmt.Sprintf("POST /contacts/%d/phones 503", id1), fmt.Sprintf("GET /contacts/%d 200", id1),
		fmt.Sprintf("POST /contacts/%d/phones 201", id1), fmt.Sprintf("DELETE /contacts/%d/phones/+447911200100 204", id1),
		fmt.Sprintf("DELETE /contacts/%d/phones/+447911200200 204", id1), fmt.Sprintf("POST /contacts/%d/phones 201", id1),
		fmt.Sprintf("POST /contacts/%d/phones 201", id2), fmt.Sprintf("DELETE /contacts/%d/phones/+447911200201 204", id2),
	}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("writes\n%v\nwant\n%v", strings.Join(order, "\n"), strings.Join(want, "\n"))
	}
}
