package aftercall

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

// Writes to the CRM (issue 12): crm_log logs the call in a connector that
// declares log_call, against the customer's record; create_contact makes a
// contact for a caller no record answers, in a connector that declares
// create_contact. Both are idempotent at the connector (the log on its
// key, the contact on its number), so their steps are retried freely.
//
// Which record a call is logged against is decided when the call_hangup is
// planned, never guessed:
//   - one record answers the number (in the action's connector): that
//     contact (with its company) or company;
//   - several records answer it: their common company when they all have
//     the same one; otherwise the step is held for a person
//     (`switchboard calls resolve`), never logged to every candidate nor to
//     an arbitrary one;
//   - none answers it: the contact a create_contact action of the same call
//     and connector creates, if one is planned; otherwise nothing.

// Kinds of the CRM writes.
const (
	// KindCRMLog logs the call in a CRM (connectors.CallLogger).
	// Idempotent: the connector honours the step's key.
	KindCRMLog Kind = "crm_log"
	// KindCreateContact creates a contact for the caller
	// (connectors.ContactCreator). Idempotent on the number.
	KindCreateContact Kind = "create_contact"
)

// CRMLogConfig is an action's crm_log.
type CRMLogConfig struct {
	// Connector names the connectors: entry to write to; it must declare
	// log_call. Required.
	Connector string `yaml:"connector"`
	// Title is the log's one-line subject, a Go template; default
	// DefaultLogTitle.
	Title string `yaml:"title"`
	// Body is the log's note (Markdown), a Go template; default
	// DefaultLogBody.
	Body string `yaml:"body"`
}

// CreateContactConfig is an action's create_contact.
type CreateContactConfig struct {
	// Connector names the connectors: entry to create the contact in; it
	// must declare create_contact. Required.
	Connector string `yaml:"connector"`
	// FirstName and LastName are Go templates for the new contact's
	// names; FirstName is required, LastName may render empty.
	FirstName string `yaml:"first_name"`
	LastName  string `yaml:"last_name"`
}

// Default crm_log templates.
const (
	DefaultLogTitle = `{{ if .inbound }}Inbound{{ else }}Outbound{{ end }} call{{ if .missed }} (missed){{ else if .voicemail }} (voicemail){{ end }}`
	DefaultLogBody  = `Call {{ .call.uuid }} · {{ if .answered }}talked {{ .talk_seconds }} s{{ else if .voicemail }}voicemail left{{ else }}not answered{{ end }} · logged by Switchboard`
)

// CRMWrite is a crm_log or create_contact step, as planned.
type CRMWrite struct {
	// Connector is the connectors: entry written to.
	Connector string `json:"connector"`
	// Log is the LogCall request (KindCRMLog); its ContactID and
	// CompanyID are empty while the step waits for Hold or AfterCreate.
	Log *connectors.LogCallRequest `json:"log,omitempty"`
	// Hold says why the call has no record to log against until a person
	// names one (several records share the number, with no common
	// company); Candidates are their keys ("contact:12").
	Hold       string   `json:"hold,omitempty"`
	Candidates []string `json:"candidates,omitempty"`
	// AfterCreate is the key of this call's create_contact step: the log
	// goes to the contact it creates.
	AfterCreate string `json:"after_create,omitempty"`
	// Create is the CreateContact request (KindCreateContact).
	Create *connectors.CreateContactRequest `json:"create,omitempty"`
}

// WriteCaps says what each connectors: entry can write, for New to check
// the actions against (nil: not checked, as in config.Load).
type WriteCaps map[string]connectors.DescribeResponse

// checkWriter reports an action whose connector cannot do what it asks.
func (w WriteCaps) checkWriter(ps *connectors.Problems, path, name string, c connectors.Capability, what string) {
	if w == nil {
		return
	}
	info, ok := w[name]
	switch {
	case !ok:
		names := make([]string, 0, len(w))
		for n := range w {
			names = append(names, n)
		}
		sort.Strings(names)
		ps.Addf(path, "names no connector: %q is not a connectors: entry (entries: %s)", name, strings.Join(names, ", "))
	case !info.Has(c):
		ps.Addf(path, "connector %q (%s %s) cannot %s: it does not declare %q (%s); write to a connector that can, or configure its writes",
			name, info.Name, info.Version, what, c, readOnlyHint(info.Name))
	}
}

func readOnlyHint(plugin string) string {
	if plugin == "csv" {
		return "the CSV connector is read-only"
	}
	return "see its log_call / create_contact settings in docs/configuration.md"
}

// compileCRM compiles an action's crm_log or create_contact.
func compileCRM(ps *connectors.Problems, at string, a *ActionConfig, ca *compiled, sample map[string]any) []string {
	var kinds []string
	if l := a.CRMLog; l != nil {
		kinds = append(kinds, "crm_log")
		ca.kind = KindCRMLog
		ca.connector = strings.TrimSpace(l.Connector)
		if ca.connector == "" {
			ps.Addf(at+".crm_log.connector", "is required: the name of the connectors: entry to log calls in")
		}
		title, body := l.Title, l.Body
		if strings.TrimSpace(title) == "" {
			title = DefaultLogTitle
		}
		if strings.TrimSpace(body) == "" {
			body = DefaultLogBody
		}
		ca.logTitle = compileTemplate(ps, at+".crm_log.title", title, true, sample, "")
		ca.logBody = compileTemplate(ps, at+".crm_log.body", body, true, sample, "")
	}
	if c := a.CreateContact; c != nil {
		kinds = append(kinds, "create_contact")
		ca.kind = KindCreateContact
		ca.connector = strings.TrimSpace(c.Connector)
		if ca.connector == "" {
			ps.Addf(at+".create_contact.connector", "is required: the name of the connectors: entry to create contacts in")
		}
		ca.firstName = compileTemplate(ps, at+".create_contact.first_name", c.FirstName, true, sample,
			`the new contact's first name, such as "Caller {{ .caller }}"`)
		ca.lastName = compileTemplate(ps, at+".create_contact.last_name", c.LastName, false, sample, "")
	}
	return kinds
}

// crmSteps plans a crm_log or create_contact action.
func (a *Actions) crmSteps(ca *compiled, call *webhook.Call, res directory.Result, env map[string]any, base Step) ([]Step, string) {
	if strings.EqualFold(call.Direction, webhook.Internal) || call.CustomerNumber() == "" {
		return nil, "the call has no customer (internal, or no number)"
	}
	if len(res.Errors) > 0 && !res.Found && !res.Ambiguous {
		// The caller calls planning again when the CRM could not answer;
		// this is for a lookup that had no source at all.
		return nil, "the customer's record is unknown: the CRM could not be asked"
	}
	s := base
	w := &CRMWrite{Connector: ca.connector}
	s.CRM = w
	owner := a.ownerOf(call.UserID)
	switch ca.kind {
	case KindCreateContact:
		switch {
		case res.Found || res.Ambiguous:
			return nil, "the caller is already known"
		case res.Query.E164 == "":
			return nil, "the caller's number cannot be placed in a country, so no contact is made for it"
		}
		req := &connectors.CreateContactRequest{Phone: res.Query.E164, OwnerID: owner, Key: call.UUID + "/" + ca.name}
		req.FirstName, s.Problem = renderRequired(ca.firstName, env, "create_contact.first_name", "a contact needs a name")
		if s.Problem == "" {
			last, err := ca.lastName.render(env)
			if err != nil {
				s.Problem = "create_contact.last_name failed for this call: " + err.Error()
			}
			req.LastName = last
		}
		w.Create = req
		return []Step{s}, ""
	case KindCRMLog:
		req := &connectors.LogCallRequest{Key: call.UUID + "/" + ca.name, Call: callRecord(call, res, env, owner)}
		req.Call.Title, s.Problem = renderRequired(ca.logTitle, env, "crm_log.title", "a log needs a subject")
		if s.Problem == "" {
			req.Call.Body, s.Problem = renderRequired(ca.logBody, env, "crm_log.body", "a log needs a note")
		}
		w.Log = req
		switch {
		case (res.Found || res.Ambiguous) && res.Source != ca.connector:
			return nil, fmt.Sprintf("the customer's record is in connector %q, not %q", res.Source, ca.connector)
		case res.Found:
			req.ContactID, req.CompanyID = recordIDs(res.Match)
		case res.Ambiguous:
			keys := make([]string, 0, len(res.Matches))
			for i := range res.Matches {
				keys = append(keys, res.Matches[i].Key())
			}
			slices.Sort(keys)
			w.Candidates = slices.Compact(keys)
			if company := commonCompany(res.Matches); company != "" {
				req.CompanyID = company
			} else {
				w.Hold = fmt.Sprintf("the number is shared by %d records (%s) with no common company: name the one to log the call against",
					len(w.Candidates), strings.Join(w.Candidates, ", "))
			}
		default:
			// AfterCreate is set by Explain when a create_contact is planned.
			return []Step{s}, "unknown"
		}
		return []Step{s}, ""
	}
	return nil, "unknown kind " + string(ca.kind)
}

// recordIDs are a match's contact and company ids.
func recordIDs(m *connectors.Match) (contact, company string) {
	switch {
	case m == nil:
	case m.Contact != nil:
		return m.Contact.ID, m.Contact.CompanyID
	case m.Company != nil:
		return "", m.Company.ID
	}
	return "", ""
}

// commonCompany is the company every candidate belongs to (a company
// candidate is its own), "" when they do not share one.
func commonCompany(ms []connectors.Match) string {
	company := ""
	for i := range ms {
		_, c := recordIDs(&ms[i])
		if c == "" || (company != "" && c != company) {
			return ""
		}
		company = c
	}
	return company
}

// callRecord is the call as a CRM log carries it.
func callRecord(call *webhook.Call, res directory.Result, env map[string]any, owner string) connectors.CallRecord {
	t := func(p *time.Time) time.Time {
		if p == nil {
			return time.Time{}
		}
		return p.UTC()
	}
	r := connectors.CallRecord{
		ID: call.UUID, Direction: connectors.CallDirection(strings.ToLower(call.Direction)),
		From: call.CallerNumber, To: call.CalleeNumber,
		StartedAt: t(call.StartedAt), AnsweredAt: t(call.BridgedAt), EndedAt: t(call.EndedAt),
		AgentID: call.UserID, OwnerID: owner, RecordingURL: call.RecordURL,
	}
	r.TalkSeconds, _ = env[varTalkSeconds].(int)
	switch {
	case env[varAnswered] == true:
		r.Outcome = connectors.CallAnswered
	case env[varVoicemail] == true:
		r.Outcome = connectors.CallVoicemail
	default:
		r.Outcome = connectors.CallMissed
	}
	// The customer's side in E.164, as the lookup placed it.
	if e := res.Query.E164; e != "" {
		if r.Direction == connectors.CallOutbound {
			r.To = e
		} else {
			r.From = e
		}
	}
	return r
}

// ownerOf is the CRM owner the Hipcall user maps to (the reverse of
// Options.Owners), "" when none or several do.
func (a *Actions) ownerOf(userID string) string {
	id := positiveID(userID)
	if id == 0 {
		return ""
	}
	found := ""
	for owner, uid := range a.owners {
		if uid == id {
			if found != "" {
				return ""
			}
			found = owner
		}
	}
	return found
}

// linkCreated points each crm_log step of an unknown caller at the
// contact a create_contact step of the same call and connector creates,
// and skips those with none.
func linkCreated(out []Evaluation) {
	created := map[string]string{} // connector → create step key
	for _, ev := range out {
		for _, s := range ev.Steps {
			if s.Kind == KindCreateContact && s.CRM != nil && s.Problem == "" {
				created[s.CRM.Connector] = s.Key()
			}
		}
	}
	for i := range out {
		ev := &out[i]
		if ev.Kind != KindCRMLog || ev.Skipped != "unknown" {
			continue
		}
		key, ok := created[ev.Steps[0].CRM.Connector]
		if !ok {
			ev.Steps, ev.Skipped = nil, "the customer matched no record, and no create_contact action for this connector made one for this call"
			continue
		}
		ev.Steps[0].CRM.AfterCreate, ev.Skipped = key, ""
	}
}
