package crmsync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/store"
)

// outcome is what happened to one record.
type outcome int

const (
	outCreated outcome = iota + 1
	outUpdated
	outUnchanged
	outFailed
)

// result is one record's outcome.
type result struct {
	out       outcome
	adopted   bool // matched to a record already in Hipcall
	relearned bool // its stored Hipcall id no longer held it
	// fields names the Hipcall fields written (in a dry run: that would
	// be), sorted.
	fields []string
	err    error
}

// action is the result's store.RunChange action; "" for a record left
// alone or failed.
func (r result) action() string {
	switch {
	case r.out == outFailed:
		return ""
	case r.relearned:
		return store.ChangeRelearned
	case r.adopted:
		return store.ChangeAdopted
	case r.out == outCreated:
		return store.ChangeCreated
	case r.out == outUpdated:
		return store.ChangeUpdated
	}
	return ""
}

func failed(err error) result { return result{out: outFailed, err: err} }

// one syncs a record and counts the outcome.
func (rr *resourceRun) one(ctx context.Context, it *item) {
	res := rr.decide(ctx, it)
	switch res.out {
	case outCreated:
		rr.c.created.Add(1)
	case outUpdated:
		rr.c.updated.Add(1)
	case outUnchanged:
		rr.c.unchanged.Add(1)
	case outFailed:
		rr.c.failed.Add(1)
		rr.problem(Problem{Resource: rr.res, ExternalID: it.ext, Source: it.source, Err: res.err.Error()})
	}
	if res.adopted && res.out != outFailed {
		rr.c.adopted.Add(1)
	}
	if a := res.action(); a != "" {
		rr.change(store.RunChange{Resource: string(rr.res), ExternalID: it.ext, Action: a, Fields: res.fields})
	}
}

// decide picks the cheapest way to bring Hipcall in line with the record.
func (rr *resourceRun) decide(ctx context.Context, it *item) result {
	saved, hasSaved := rr.state[it.ext]
	hipcallRec, inHipcall := rr.found[it.ext]
	if hasSaved && saved.InFlight && !inHipcall {
		// The intent log: an earlier run started writing this record and
		// did not record the outcome. What the state says may be stale
		// (a phone deleted just before a kill), so read it back first.
		return rr.repair(ctx, it, saved)
	}
	if hasSaved && !rr.ro.Full && !saved.InFlight && saved.Hash == it.hash && saved.HipcallID != 0 &&
		(!rr.listed || (inHipcall && hipcallRec.id == saved.HipcallID)) {
		return result{out: outUnchanged} // no request
	}
	if inHipcall {
		// Adopt what the learning pass found: PATCH only what differs.
		r := rr.update(ctx, it, hipcallRec.id, hipcallRec.doc, true, true)
		r.adopted = !hasSaved || saved.HipcallID != hipcallRec.id
		return r
	}
	if hasSaved && !rr.listed && saved.HipcallID != 0 {
		have, err := decodeDoc(saved.Fields)
		if err != nil {
			rr.e.log.Warn("stored fields unreadable; every field will be written", "resource", rr.res, "external_id", it.ext, "error", err)
			have = Doc{}
		}
		return rr.update(ctx, it, saved.HipcallID, have, false, true)
	}
	// Unknown, or listed and gone from Hipcall: create it.
	return rr.create(ctx, it, 1)
}

// repair reads back a record left in flight by an earlier run, then syncs
// it against what Hipcall really holds.
func (rr *resourceRun) repair(ctx context.Context, it *item, saved store.Record) result {
	rr.e.log.Info("an earlier run was interrupted while writing this record; reading it back", "resource", rr.res, "external_id", it.ext, "id", saved.HipcallID)
	if saved.HipcallID == 0 {
		// Killed around its create: the POST may have made it.
		f, err := rr.lookup(ctx, it.ext)
		switch {
		case err == nil:
			r := rr.update(ctx, it, f.id, f.doc, true, false)
			r.adopted = true
			return r
		case hipcall.IsNotFound(err):
			return rr.create(ctx, it, 1)
		default:
			return failed(fmt.Errorf("reading back a record an interrupted run was writing: %w", err))
		}
	}
	f, err := rr.readByID(ctx, saved.HipcallID)
	switch {
	case err == nil && f.ext == it.ext:
		return rr.update(ctx, it, saved.HipcallID, f.doc, true, true)
	case err == nil:
		return rr.relearn(ctx, it, saved.HipcallID, fmt.Sprintf("it now holds external_id %q", f.ext))
	case hipcall.IsNotFound(err):
		return rr.relearn(ctx, it, saved.HipcallID, "it is gone (404)")
	default:
		return failed(fmt.Errorf("reading back a record an interrupted run was writing: %w", err))
	}
}

// update brings the Hipcall record id, which holds have, in line with the
// item. verified says id is known to hold the record (read from Hipcall
// this run); else the write's answer is checked. recoverGone allows one
// relearning when the id turns out not to hold the record.
func (rr *resourceRun) update(ctx context.Context, it *item, id int64, have Doc, verified, recoverGone bool) result {
	have = have.project(&it.doc)
	d := computeDiff(rr.e.opts.Parser, &have, &it.doc)
	contact := rr.res == store.Contacts
	changed := !d.empty()
	var steps []step
	if contact {
		steps = contactPlan(rr.e.opts.Parser, &have, &it.doc).steps
		changed = len(steps) > 0
	}
	if !changed {
		if rr.ro.DryRun {
			return result{out: outUnchanged}
		}
		// Nothing to send; remember the id and fields (no request).
		if err := rr.save(ctx, it, id, have, it.hash); err != nil {
			return failed(err)
		}
		return result{out: outUnchanged}
	}
	if rr.ro.DryRun {
		rr.plan(Change{Resource: rr.res, ExternalID: it.ext, Action: "update", HipcallID: id, Fields: d.describe(&have, contact)})
		fields := patchFields(&d, true)
		if contact {
			fields = stepFields(&d, steps)
		}
		return result{out: outUpdated, fields: fields}
	}
	if err := rr.mark(ctx, it, id, have); err != nil {
		return failed(err)
	}
	if !contact {
		c, err := rr.e.opts.Client.UpdateCompany(ctx, id, patchBody(&d, &it.doc, true))
		if err != nil {
			if hipcall.IsNotFound(err) && recoverGone {
				return rr.relearn(ctx, it, id, "it is gone (404)")
			}
			return failed(fmt.Errorf("update company %d in Hipcall: %w", id, err))
		}
		if got := extOf(c.ExternalID); got != it.ext {
			// The PATCH answered with the record it changed: not ours.
			if recoverGone {
				return rr.relearn(ctx, it, id, fmt.Sprintf("it holds external_id %q (the PATCH was applied to it)", got))
			}
			return failed(fmt.Errorf("company %d in Hipcall holds external_id %q, not %q", id, got, it.ext))
		}
		if err := rr.save(ctx, it, id, companyDoc(c).project(&it.doc), it.hash); err != nil {
			return failed(err)
		}
		return result{out: outUpdated, fields: patchFields(&d, true)}
	}
	return rr.updateContact(ctx, it, id, have, verified, recoverGone)
}

func extOf(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// step is one write request of a contact update; it returns the contact
// when Hipcall answered with it, else changes cur itself.
type step struct {
	what string
	// kind is "patch", "add-phones", "add-emails", "delete-phone",
	// "delete-email".
	kind   string
	phones []Phone
	emails []string
}

// answers says whether Hipcall answers the step with the record (so the
// answer shows whose record was written).
func (s step) answers() bool {
	return s.kind == "patch" || s.kind == "add-phones" || s.kind == "add-emails"
}

// plan is the writes that turn one contact into the wanted one.
type plan struct {
	d     diff
	steps []step
}

// contactPlan orders a contact's writes make-before-break: the scalar
// PATCH, then the new phones and e-mails, and only then the old ones are
// deleted, so the contact is never without its number. Two exceptions:
// when the six-phone limit leaves no room, the old phones go first; and
// when the main (first) number changes, the phones Hipcall lists before
// it are deleted and added back after it, so that it ends up first
// (contacts' phones keep the order they were added in).
func contactPlan(p *phone.Parser, have, want *Doc) plan {
	d := computeDiff(p, have, want)
	var pl plan
	pl.d = d
	if len(d.Scalars) > 0 || d.Custom != nil {
		pl.steps = append(pl.steps, step{what: "update contact", kind: "patch"})
	}
	var removePhones []step
	for _, ph := range d.RemovePhones {
		removePhones = append(removePhones, step{what: "remove phone " + ph.Number, kind: "delete-phone", phones: []Phone{ph}})
	}
	// The phones kept, in Hipcall's order, then the added ones.
	var after []Phone
	for _, ph := range have.Phones {
		if !slices.Contains(d.RemovePhones, ph) {
			after = append(after, ph)
		}
	}
	after = append(after, d.AddPhones...)
	var movers []Phone
	if want.ManagePhones && len(want.Phones) > 0 {
		main := phoneKey(p, want.Phones[0].Number)
		for _, ph := range after {
			if phoneKey(p, ph.Number) == main {
				break
			}
			movers = append(movers, ph)
		}
	}
	roomless := len(have.Phones)+len(d.AddPhones) > hipcall.MaxContactPhones
	if roomless {
		pl.steps = append(pl.steps, removePhones...)
	}
	if len(d.AddPhones) > 0 {
		pl.steps = append(pl.steps, step{what: "add phones", kind: "add-phones", phones: d.AddPhones})
	}
	if len(d.AddEmails) > 0 {
		pl.steps = append(pl.steps, step{what: "add emails", kind: "add-emails", emails: d.AddEmails})
	}
	if !roomless {
		pl.steps = append(pl.steps, removePhones...)
	}
	for _, e := range d.RemoveEmails {
		pl.steps = append(pl.steps, step{what: "remove email " + e, kind: "delete-email", emails: []string{e}})
	}
	if len(movers) > 0 {
		for _, ph := range movers {
			pl.steps = append(pl.steps, step{what: "move phone " + ph.Number + " after the main number", kind: "delete-phone", phones: []Phone{ph}})
		}
		pl.steps = append(pl.steps, step{what: "add phones back after the main number", kind: "add-phones", phones: movers})
	}
	return pl
}

// maxContactRounds bounds how often a contact update is re-planned from
// a fresh read after an answer was lost.
const maxContactRounds = 3

// updateContact brings a contact in line through its PATCH and its phones
// and emails sub-resources (contactPlan). Every answer that carries the
// contact is checked to hold the record's external_id; a plan that starts
// with a DELETE (which answers nothing) reads the contact first unless
// verified. A 404 anywhere is the record gone, or a phone gone: the
// contact is read to tell which. An answer lost on the way (a timeout, a
// 5xx) is not resent blindly: the contact is read back and the plan made
// again from what it holds. The state is written after each request,
// with the final hash after the last one.
func (rr *resourceRun) updateContact(ctx context.Context, it *item, id int64, have Doc, verified, recoverGone bool) result {
	cl := rr.e.opts.Client
	cur := have.clone()
	var written []string // the fields of the requests sent
	gone := func(why string) result {
		if recoverGone {
			return rr.relearn(ctx, it, id, why)
		}
		return failed(fmt.Errorf("contact %d in Hipcall: %s", id, why))
	}
	// reread fetches the contact, checking it is ours.
	reread := func() (*result, error) {
		f, err := rr.readByID(ctx, id)
		switch {
		case hipcall.IsNotFound(err):
			r := gone("it is gone (404)")
			return &r, nil
		case err != nil:
			return nil, err
		case f.ext != it.ext:
			r := gone(fmt.Sprintf("it now holds external_id %q", f.ext))
			return &r, nil
		}
		cur, verified = f.doc.project(&it.doc), true
		return nil, nil
	}
	for round := 1; ; round++ {
		pl := contactPlan(rr.e.opts.Parser, &cur, &it.doc)
		if len(pl.steps) > 0 && !pl.steps[0].answers() && !verified {
			if r, err := reread(); r != nil {
				return *r
			} else if err != nil {
				return failed(fmt.Errorf("contact %d in Hipcall: reading it before deleting from it: %w", id, err))
			}
			pl = contactPlan(rr.e.opts.Parser, &cur, &it.doc)
		}
		if len(pl.steps) == 0 {
			if err := rr.save(ctx, it, id, cur, it.hash); err != nil {
				return failed(err)
			}
			return result{out: outUpdated, fields: written}
		}
		lost := false
		for i, s := range pl.steps {
			var c *hipcall.Contact
			var err error
			written = mergeFields(written, stepFields(&pl.d, []step{s}))
			switch s.kind {
			case "patch":
				c, err = cl.UpdateContact(ctx, id, patchBody(&pl.d, &it.doc, false))
			case "add-phones":
				c, err = cl.AddContactPhones(ctx, id, contactPhones(s.phones))
			case "add-emails":
				c, err = cl.AddContactEmails(ctx, id, contactEmails(s.emails))
			case "delete-phone":
				if err = cl.DeleteContactPhone(ctx, id, s.phones[0].Number); err == nil {
					cur.Phones = slices.DeleteFunc(cur.Phones, func(q Phone) bool { return q == s.phones[0] })
				}
			case "delete-email":
				if err = cl.DeleteContactEmail(ctx, id, s.emails[0]); err == nil {
					cur.Emails = slices.DeleteFunc(cur.Emails, func(q string) bool { return q == s.emails[0] })
				}
			}
			if err != nil {
				var re *hipcall.RequestError
				switch {
				case hipcall.IsNotFound(err) && !s.answers():
					// The number, or the whole contact, is gone: read it
					// to know which, and plan again from what it holds.
					if r, rerr := reread(); r != nil {
						return *r
					} else if rerr != nil {
						return failed(fmt.Errorf("contact %d in Hipcall: %s: %w; reading it back failed: %v", id, s.what, err, rerr))
					}
					lost = true
				case hipcall.IsNotFound(err):
					return gone("it is gone (404)")
				case (errors.As(err, &re) && re.MaybeApplied) || serverError(err):
					if round >= maxContactRounds {
						rr.refresh(ctx, it, id)
						return failed(fmt.Errorf("contact %d in Hipcall: %s: %w", id, s.what, err))
					}
					rr.e.log.Info("an answer was lost; reading the contact back before going on", "external_id", it.ext, "step", s.what, "error", err)
					if r, rerr := reread(); r != nil {
						return *r
					} else if rerr != nil {
						_ = rr.save(ctx, it, id, Doc{}, "")
						return failed(fmt.Errorf("contact %d in Hipcall: %s: %w; reading it back failed: %v", id, s.what, err, rerr))
					}
					lost = true
				default:
					return failed(fmt.Errorf("contact %d in Hipcall: %s: %w", id, s.what, err))
				}
			}
			if lost {
				if err := rr.save(ctx, it, id, cur, ""); err != nil {
					return failed(err)
				}
				break
			}
			if c != nil {
				if got := extOf(c.ExternalID); got != it.ext {
					return gone(fmt.Sprintf("it holds external_id %q (the %s was applied to it)", got, s.what))
				}
				cur, verified = contactDoc(c).project(&it.doc), true
			}
			hash := ""
			if i == len(pl.steps)-1 {
				hash = it.hash
			}
			if err := rr.save(ctx, it, id, cur, hash); err != nil {
				return failed(err)
			}
		}
		if !lost {
			return result{out: outUpdated, fields: written}
		}
	}
}

// refresh reads a contact back after a write whose answer was lost, so
// that the state holds what Hipcall really has (and the next run sends
// only what is still missing).
func (rr *resourceRun) refresh(ctx context.Context, it *item, id int64) {
	c, err := rr.e.opts.Client.GetContact(ctx, id)
	if err != nil {
		rr.e.log.Warn("could not read a contact back after a lost answer; the next run compares it again", "external_id", it.ext, "error", err)
		_ = rr.save(ctx, it, id, Doc{}, "")
		return
	}
	_ = rr.save(ctx, it, id, contactDoc(c).project(&it.doc), "")
}

// relearn handles a stored Hipcall id that no longer holds the record
// (404, or another external_id): nothing more is written to that id; the
// record is looked up by external id and updated, or created if gone.
// It is counted (Counts.Relearned) and listed in Summary.Relearned.
func (rr *resourceRun) relearn(ctx context.Context, it *item, id int64, why string) result {
	rr.c.relearned.Add(1)
	rr.e.log.Warn("the stored Hipcall id no longer holds this record; looking it up by external_id", "resource", rr.res, "external_id", it.ext, "id", id, "reason", why)
	rr.mu.Lock()
	if len(rr.sum.Relearned) < MaxProblems {
		rr.sum.Relearned = append(rr.sum.Relearned, fmt.Sprintf("%s/%s (id %d: %s)", rr.res, it.ext, id, why))
	}
	rr.mu.Unlock()
	if !rr.ro.DryRun {
		if err := rr.mark(ctx, it, 0, Doc{}); err != nil {
			return failed(err)
		}
	}
	f, err := rr.lookup(ctx, it.ext)
	switch {
	case err == nil:
		r := rr.update(ctx, it, f.id, f.doc, true, false)
		r.adopted, r.relearned = true, true
		return r
	case hipcall.IsNotFound(err):
		r := rr.create(ctx, it, 1)
		r.relearned = true
		return r
	default:
		return failed(fmt.Errorf("stored Hipcall id %d no longer holds the record (%s), and looking it up by external id failed: %w", id, why, err))
	}
}

// errNoID is a create answered 2xx without the record's id.
//
//lint:ignore ST1005 Hipcall is a name
var errNoID = errors.New("Hipcall answered the create without the record's id")

// maxCreateAttempts bounds the POSTs of one record in a run.
const maxCreateAttempts = 5

// create POSTs the record (attempt counts from 1). A 422 "external_id has
// already been taken" (another job created it since) is answered by a
// lookup and an update, and a POST whose answer was lost (a timeout after
// it reached Hipcall, a 5xx) is looked up before it is sent again.
func (rr *resourceRun) create(ctx context.Context, it *item, attempt int) result {
	if rr.ro.DryRun {
		fc := createChanges(&it.doc)
		rr.plan(Change{Resource: rr.res, ExternalID: it.ext, Action: "create", Fields: fc})
		return result{out: outCreated, fields: changeFields(fc)}
	}
	if attempt == 1 {
		if err := rr.mark(ctx, it, 0, Doc{}); err != nil {
			return failed(err)
		}
	}
	var id int64
	var doc Doc
	var err error
	if rr.res == store.Companies {
		var c *hipcall.Company
		if c, err = rr.e.opts.Client.CreateCompany(ctx, companyInput(it.ext, &it.doc)); err == nil {
			id, doc = c.ID, companyDoc(c)
		}
	} else {
		var c *hipcall.Contact
		if c, err = rr.e.opts.Client.CreateContact(ctx, contactInput(it.ext, &it.doc)); err == nil {
			id, doc = c.ID, contactDoc(c)
		}
	}
	if err == nil && id == 0 {
		err = errNoID
	}
	if err == nil {
		if err := rr.save(ctx, it, id, doc.project(&it.doc), it.hash); err != nil {
			return failed(err)
		}
		return result{out: outCreated, fields: changeFields(createChanges(&it.doc))}
	}
	var re *hipcall.RequestError
	switch {
	case attempt >= maxCreateAttempts:
	case hipcall.IsExternalIDTaken(err):
		rr.e.log.Info("record was created in Hipcall by someone else meanwhile; updating it", "resource", rr.res, "external_id", it.ext)
		f, lerr := rr.lookup(ctx, it.ext)
		if lerr != nil {
			//lint:ignore ST1005 Hipcall is a name
			return failed(fmt.Errorf("Hipcall says external_id %q is taken, but looking it up failed: %w", it.ext, lerr))
		}
		r := rr.update(ctx, it, f.id, f.doc, true, false)
		r.adopted = true
		return r
	case errors.As(err, &re) && re.MaybeApplied, serverError(err), errors.Is(err, errNoID):
		// The client does not resend a POST that may have reached Hipcall
		// (a timeout, a 5xx): look before creating again.
		rr.e.log.Info("a create may or may not have been applied; looking the record up before creating it again",
			"resource", rr.res, "external_id", it.ext, "error", err)
		f, lerr := rr.lookup(ctx, it.ext)
		switch {
		case lerr == nil:
			r := rr.update(ctx, it, f.id, f.doc, true, false)
			if r.out == outUnchanged {
				r.out = outCreated // our lost POST made it
				r.fields = changeFields(createChanges(&it.doc))
			}
			return r
		case hipcall.IsNotFound(lerr):
			return rr.create(ctx, it, attempt+1)
		default:
			return failed(fmt.Errorf("create in Hipcall: %w; looking it up failed too: %v", err, lerr))
		}
	}
	return failed(fmt.Errorf("create in Hipcall: %w", err))
}

// lookup finds a record by external id.
func (rr *resourceRun) lookup(ctx context.Context, ext string) (learned, error) {
	if rr.res == store.Companies {
		return learnedCompany(rr.e.opts.Client.GetCompanyByExternalID(ctx, ext))
	}
	return learnedContact(rr.e.opts.Client.GetContactByExternalID(ctx, ext))
}

// readByID reads a record by Hipcall id, with the external id it holds.
func (rr *resourceRun) readByID(ctx context.Context, id int64) (learned, error) {
	if rr.res == store.Companies {
		return learnedCompany(rr.e.opts.Client.GetCompany(ctx, id))
	}
	return learnedContact(rr.e.opts.Client.GetContact(ctx, id))
}

// learnedCompany and learnedContact are what a read teaches the run.
func learnedCompany(c *hipcall.Company, err error) (learned, error) {
	if err != nil {
		return learned{}, err
	}
	return learned{id: c.ID, ext: extOf(c.ExternalID), doc: companyDoc(c)}, nil
}

func learnedContact(c *hipcall.Contact, err error) (learned, error) {
	if err != nil {
		return learned{}, err
	}
	return learned{id: c.ID, ext: extOf(c.ExternalID), doc: contactDoc(c)}, nil
}

// mark records, before a record's first write, that its writes are in
// flight (the intent log): a run killed before recording their outcome
// leaves the mark, and the next run reads the record back (repair).
func (rr *resourceRun) mark(ctx context.Context, it *item, id int64, have Doc) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := rr.e.opts.Store.Put(sctx, store.Record{Resource: rr.res, ExternalID: it.ext, HipcallID: id,
		Fields: have.encode(), SyncedAt: rr.e.opts.Now(), InFlight: true})
	if err != nil {
		return fmt.Errorf("the state store failed before writing to Hipcall; nothing was written: %w", err)
	}
	return nil
}

// save writes a record's state. It runs even when ctx has ended: the
// request it records was made.
func (rr *resourceRun) save(ctx context.Context, it *item, id int64, doc Doc, hash string) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	// A record is settled once its final hash is written; until then it
	// stays in flight.
	err := rr.e.opts.Store.Put(sctx, store.Record{Resource: rr.res, ExternalID: it.ext, HipcallID: id, Hash: hash,
		Fields: doc.encode(), SyncedAt: rr.e.opts.Now(), InFlight: hash == ""})
	if err != nil {
		//lint:ignore ST1005 Hipcall is a name
		return fmt.Errorf("Hipcall was written (id %d) but the state store failed; the next run finds the record by its external id: %w", id, err)
	}
	return nil
}

// serverError reports a 5xx answer, which may have been applied.
func serverError(err error) bool {
	var ae *hipcall.APIError
	return errors.As(err, &ae) && ae.Status >= 500
}
