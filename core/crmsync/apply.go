package crmsync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

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
	out     outcome
	adopted bool // matched to a record already in Hipcall
	err     error
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
}

// decide picks the cheapest way to bring Hipcall in line with the record.
func (rr *resourceRun) decide(ctx context.Context, it *item) result {
	saved, hasSaved := rr.state[it.ext]
	hipcallRec, inHipcall := rr.found[it.ext]
	if hasSaved && !rr.ro.Full && saved.Hash == it.hash && saved.HipcallID != 0 &&
		(!rr.listed || (inHipcall && hipcallRec.id == saved.HipcallID)) {
		return result{out: outUnchanged} // no request
	}
	if inHipcall {
		// Adopt what the learning pass found: PATCH only what differs.
		r := rr.update(ctx, it, hipcallRec.id, hipcallRec.doc, true)
		r.adopted = !hasSaved || saved.HipcallID != hipcallRec.id
		return r
	}
	if hasSaved && !rr.listed {
		have, err := decodeDoc(saved.Fields)
		if err != nil {
			rr.e.log.Warn("stored fields unreadable; every field will be written", "resource", rr.res, "external_id", it.ext, "error", err)
			have = Doc{}
		}
		return rr.update(ctx, it, saved.HipcallID, have, true)
	}
	// Unknown, or listed and gone from Hipcall: create it.
	return rr.create(ctx, it, 1)
}

// update brings the Hipcall record id, which holds have, in line with the
// item. recoverGone allows one recovery when Hipcall answers 404.
func (rr *resourceRun) update(ctx context.Context, it *item, id int64, have Doc, recoverGone bool) result {
	have = have.project(&it.doc)
	d := computeDiff(rr.e.opts.Parser, &have, &it.doc)
	contact := rr.res == store.Contacts
	changed := !d.empty()
	if contact {
		changed = len(d.Scalars) > 0 || d.Custom != nil || d.contactSetsDiffer()
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
		return result{out: outUpdated}
	}
	if !contact {
		c, err := rr.e.opts.Client.UpdateCompany(ctx, id, patchBody(&d, &it.doc, true))
		if err != nil {
			if hipcall.IsNotFound(err) && recoverGone {
				return rr.recreate(ctx, it)
			}
			return failed(fmt.Errorf("update company %d in Hipcall: %w", id, err))
		}
		if err := rr.save(ctx, it, id, companyDoc(c).project(&it.doc), it.hash); err != nil {
			return failed(err)
		}
		return result{out: outUpdated}
	}
	return rr.updateContact(ctx, it, id, have, &d, recoverGone)
}

// step is one write request of a contact update; it returns the contact
// when Hipcall answered with it, else changes cur itself.
type step struct {
	what string
	run  func() (*hipcall.Contact, error)
}

// updateContact PATCHes a contact's scalar fields and brings its phones
// and emails in line through their sub-resources: removals first (so the
// six-phone limit holds), then one POST for all additions. The state is
// written after each request, with the final hash after the last one.
func (rr *resourceRun) updateContact(ctx context.Context, it *item, id int64, have Doc, d *diff, recoverGone bool) result {
	cl := rr.e.opts.Client
	cur := have.clone()
	var steps []step
	if len(d.Scalars) > 0 || d.Custom != nil {
		body := patchBody(d, &it.doc, false)
		steps = append(steps, step{"update contact", func() (*hipcall.Contact, error) { return cl.UpdateContact(ctx, id, body) }})
	}
	for _, p := range d.RemovePhones {
		steps = append(steps, step{"remove phone " + p.Number, func() (*hipcall.Contact, error) {
			if err := cl.DeleteContactPhone(ctx, id, p.Number); err != nil && !hipcall.IsNotFound(err) {
				return nil, err // 404: the number is gone already
			}
			cur.Phones = slices.DeleteFunc(cur.Phones, func(q Phone) bool { return q == p })
			return nil, nil
		}})
	}
	for _, e := range d.RemoveEmails {
		steps = append(steps, step{"remove email " + e, func() (*hipcall.Contact, error) {
			if err := cl.DeleteContactEmail(ctx, id, e); err != nil && !hipcall.IsNotFound(err) {
				return nil, err
			}
			cur.Emails = slices.DeleteFunc(cur.Emails, func(q string) bool { return q == e })
			return nil, nil
		}})
	}
	if len(d.AddPhones) > 0 {
		add := contactPhones(d.AddPhones)
		steps = append(steps, step{"add phones", func() (*hipcall.Contact, error) { return cl.AddContactPhones(ctx, id, add) }})
	}
	if len(d.AddEmails) > 0 {
		add := contactEmails(d.AddEmails)
		steps = append(steps, step{"add emails", func() (*hipcall.Contact, error) { return cl.AddContactEmails(ctx, id, add) }})
	}
	for i, s := range steps {
		c, err := s.run()
		if err != nil {
			if hipcall.IsNotFound(err) && recoverGone {
				return rr.recreate(ctx, it)
			}
			var re *hipcall.RequestError
			if (errors.As(err, &re) && re.MaybeApplied) || serverError(err) {
				rr.refresh(ctx, it, id)
			}
			return failed(fmt.Errorf("contact %d in Hipcall: %s: %w", id, s.what, err))
		}
		if c != nil {
			cur = contactDoc(c).project(&it.doc)
		}
		hash := ""
		if i == len(steps)-1 {
			hash = it.hash
		}
		if err := rr.save(ctx, it, id, cur, hash); err != nil {
			return failed(err)
		}
	}
	return result{out: outUpdated}
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

// recreate handles a record deleted in Hipcall: it is looked up by
// external id (another job may have recreated it) and created if gone.
func (rr *resourceRun) recreate(ctx context.Context, it *item) result {
	rr.e.log.Info("record was deleted in Hipcall; recreating it", "resource", rr.res, "external_id", it.ext)
	f, err := rr.lookup(ctx, it.ext)
	switch {
	case err == nil:
		r := rr.update(ctx, it, f.id, f.doc, false)
		r.adopted = true
		return r
	case hipcall.IsNotFound(err):
		return rr.create(ctx, it, 1)
	default:
		return failed(fmt.Errorf("the record was deleted in Hipcall, and looking it up by external id failed: %w", err))
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
		rr.plan(Change{Resource: rr.res, ExternalID: it.ext, Action: "create", Fields: createChanges(&it.doc)})
		return result{out: outCreated}
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
		return result{out: outCreated}
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
		r := rr.update(ctx, it, f.id, f.doc, false)
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
			r := rr.update(ctx, it, f.id, f.doc, false)
			if r.out == outUnchanged {
				r.out = outCreated // our lost POST made it
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
		c, err := rr.e.opts.Client.GetCompanyByExternalID(ctx, ext)
		if err != nil {
			return learned{}, err
		}
		return learned{id: c.ID, doc: companyDoc(c)}, nil
	}
	c, err := rr.e.opts.Client.GetContactByExternalID(ctx, ext)
	if err != nil {
		return learned{}, err
	}
	return learned{id: c.ID, doc: contactDoc(c)}, nil
}

// save writes a record's state. It runs even when ctx has ended: the
// request it records was made.
func (rr *resourceRun) save(ctx context.Context, it *item, id int64, doc Doc, hash string) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := rr.e.opts.Store.Put(sctx, store.Record{Resource: rr.res, ExternalID: it.ext, HipcallID: id, Hash: hash,
		Fields: doc.encode(), SyncedAt: rr.e.opts.Now()})
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
