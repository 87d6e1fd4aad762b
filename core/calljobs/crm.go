package calljobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/riverqueue/river"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/aftercall"
	"github.com/switchboard-hq/switchboard/core/journal"
)

// CRM writes (crm_log, create_contact) run here rather than through
// aftercall.Run: they go to connectors, not to Hipcall, and a log may wait
// for a person's choice (Resolve) or for the contact its call's
// create_contact step makes. Both are idempotent at the connector, so a
// retry after a crash or a lost answer is safe.

// writeTimeout bounds one connector write.
const writeTimeout = 30 * time.Second

// resolveMeta is the journal's meta key holding a person's choice of
// record for a held crm_log step: "contact:<id>" or "company:<id>".
func resolveMeta(uuid, key string) string { return "resolve/" + uuid + "/" + key }

// Resolve records which record a held crm_log step logs its call
// against (ref "contact:<id>" or "company:<id>"); the caller then makes
// the step's job run again.
func Resolve(ctx context.Context, e *journal.Effects, uuid, key, ref string) error {
	if _, _, err := parseRef(ref); err != nil {
		return err
	}
	return e.SetMeta(ctx, resolveMeta(uuid, key), ref)
}

// parseRef reads "contact:<id>" or "company:<id>".
func parseRef(ref string) (contact, company string, err error) {
	kind, id, ok := strings.Cut(ref, ":")
	switch {
	case !ok || strings.TrimSpace(id) == "":
	case kind == "contact":
		return id, "", nil
	case kind == "company":
		return "", id, nil
	}
	return "", "", fmt.Errorf("record %q: write contact:<id> or company:<id>, as `switchboard calls` lists the candidates", ref)
}

// runCRM performs a crm_log or create_contact step.
func (w *ActionWorker) runCRM(ctx context.Context, job *river.Job[ActionArgs], log hclog.Logger) error {
	a := job.Args
	crm := a.Step.CRM
	if crm == nil || (crm.Log == nil && crm.Create == nil) {
		err := fmt.Errorf("post-call step %q has no write: it was not planned by this version of switchboard", a.Key)
		w.outcome(log, a, OutcomeFailed, err)
		return river.JobCancel(err)
	}
	if a.Step.Problem != "" {
		err := fmt.Errorf("after-call action %q: %s", a.Step.Action, a.Step.Problem)
		w.outcome(log, a, OutcomeFailed, err)
		return river.JobCancel(err)
	}
	var (
		conn connectors.Connector
		ok   bool
	)
	if w.deps.CRM != nil {
		conn, ok = w.deps.CRM(crm.Connector)
	}
	if !ok || conn == nil {
		// The configuration changed since the step was planned.
		err := fmt.Errorf("connector %q is not configured any more: add it back and `switchboard calls retry %d`", crm.Connector, job.ID)
		w.outcome(log, a, OutcomeFailed, err)
		return river.JobCancel(err)
	}
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	if crm.Create != nil {
		return w.createContact(wctx, job, conn, log)
	}
	return w.logCall(wctx, job, conn, log)
}

func (w *ActionWorker) createContact(ctx context.Context, job *river.Job[ActionArgs], conn connectors.Connector, log hclog.Logger) error {
	a := job.Args
	crm := a.Step.CRM
	cc, ok := conn.(connectors.ContactCreator)
	if !ok {
		return w.writeFailed(log, a, connectors.Unsupported("CreateContact"))
	}
	resp, err := cc.CreateContact(ctx, crm.Create)
	if err != nil {
		return w.writeFailed(log, a, err)
	}
	if resp.Contact.ID == "" {
		return w.writeFailed(log, a, &connectors.Error{Class: connectors.ClassPluginBug, Op: "CreateContact",
			Message: "the connector answered a contact without an id (a bug in the connector)"})
	}
	// The id is what a crm_log step of this call waits for.
	if err := w.deps.Journal.Effects().Mark(ctx, a.UUID, a.Key, resp.Contact.ID); err != nil {
		return err
	}
	if w.deps.Learn != nil {
		w.deps.Learn(crm.Connector, resp.Contact)
	}
	detail := "contact created in " + crm.Connector
	if resp.Existing {
		detail = "a contact with the number already existed in " + crm.Connector
	}
	w.outcome(log, a, OutcomeDone, nil, "remote_id", resp.Contact.ID, "detail", detail)
	return nil
}

func (w *ActionWorker) logCall(ctx context.Context, job *river.Job[ActionArgs], conn connectors.Connector, log hclog.Logger) error {
	a := job.Args
	crm := a.Step.CRM
	req := *crm.Log
	if req.ContactID == "" && req.CompanyID == "" {
		ref, err := w.deps.Journal.Effects().Meta(ctx, resolveMeta(a.UUID, a.Key))
		if err != nil {
			return err
		}
		switch {
		case ref != "":
			if req.ContactID, req.CompanyID, err = parseRef(ref); err != nil {
				return w.writeFailed(log, a, err)
			}
		case crm.AfterCreate != "":
			ef, err := w.deps.Journal.Effects().Get(ctx, a.UUID, crm.AfterCreate)
			if err != nil {
				return err
			}
			if ef.State != journal.EffectDone || ef.RemoteID == "" {
				err := fmt.Errorf("waiting for step %q of this call to create the contact the call is logged against", crm.AfterCreate)
				w.outcome(log, a, OutcomeRetry, err)
				return err
			}
			req.ContactID = ef.RemoteID
		case crm.Hold != "":
			err := fmt.Errorf("held: needs a person: %s; then `switchboard calls resolve %s/%s contact:<id>` (or company:<id>)",
				crm.Hold, a.UUID, a.Key)
			w.outcome(log, a, OutcomeHeld, err)
			return river.JobCancel(err)
		default:
			return w.writeFailed(log, a, errors.New("the step names no record to log the call against"))
		}
	}
	cl, ok := conn.(connectors.CallLogger)
	if !ok {
		return w.writeFailed(log, a, connectors.Unsupported("LogCall"))
	}
	resp, err := cl.LogCall(ctx, &req)
	if err != nil {
		return w.writeFailed(log, a, err)
	}
	detail := "call logged in " + crm.Connector
	if resp.Existing {
		detail = "the call was already logged in " + crm.Connector
	}
	target := "contact:" + req.ContactID
	if req.ContactID == "" {
		target = "company:" + req.CompanyID
	}
	w.outcome(log, a, OutcomeDone, nil, "remote_id", resp.ID, "detail", detail, "record", target)
	return nil
}

// writeFailed classifies a connector write's error: the CRM down, slow or
// rate limiting, or the plugin restarting, is retried; anything else (bad
// configuration, refused credentials, an unsupported write, a bad request,
// a connector bug) fails the step, to be retried by a person once fixed.
func (w *ActionWorker) writeFailed(log hclog.Logger, a ActionArgs, err error) error {
	err = fmt.Errorf("after-call step %q of call %s: %w", a.Key, a.UUID, err)
	if retryableWrite(err) {
		w.outcome(log, a, OutcomeRetry, err)
		return err
	}
	w.outcome(log, a, OutcomeFailed, err)
	return river.JobCancel(err)
}

func retryableWrite(err error) bool {
	return connectors.Retryable(err) || errors.Is(err, connectors.ErrNotRunning) || errors.Is(err, context.DeadlineExceeded)
}

// isCRM reports a step that writes to a connector.
func isCRM(k aftercall.Kind) bool {
	return k == aftercall.KindCRMLog || k == aftercall.KindCreateContact
}
