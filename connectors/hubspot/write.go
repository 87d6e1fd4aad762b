package hubspot

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// Writing (protocol version 2): LogCall creates a call engagement, and
// CreateContact a contact, each only when its block enables it.
//
// # Why exactly one call per key
//
// HubSpot has no idempotency key: a create that is sent twice makes two
// records. The host retries a LogCall until it sees an answer (with backoff
// up to minutes, across host restarts and plugin crashes), so a retry may
// follow an attempt whose create HubSpot applied but whose answer was lost.
// The connector stores the key in a custom call property
// (log_call.key_property) and, before creating, looks for it:
//
//  1. An in-process lock per key: concurrent LogCalls of one key run one
//     after the other, so the second sees what the first did.
//  2. Memory: the key → call id of every call this process created or
//     found (the last rememberedCalls of them). A retry of a remembered key
//     answers at once, without a request.
//  3. Search by key_property (EQ). HubSpot's search shows a new record only
//     some seconds after the write (search_lag bounds it), so "not found"
//     is conclusive only about writes that ended at least search_lag
//     before. Two kinds of write may be younger:
//     - an attempt of this process whose outcome is unknown (its answer was
//     lost, it timed out, or it got a 5xx, which a gateway may send after
//     HubSpot did the work): the key is marked unsure until search_lag
//     after the failure (so search_lag must cover HubSpot's lag plus the
//     time HubSpot may still spend on a request the connector gave up on;
//     the default 10s is above the few seconds HubSpot documents);
//     - an attempt by an earlier run of the connector (a plugin that
//     crashed or a host that restarted mid-create), which this process
//     cannot know about: every key is unsure until search_lag after the
//     memory was made (the first Configure for the account).
//     For an unsure key that memory does not know, the connector neither
//     searches (a miss would prove nothing) nor creates (it might be a
//     second call): it fails with a retryable unavailable error saying how
//     long to wait. The host's next retry after the window searches, finds
//     the call if the lost attempt made it (answering it with Existing),
//     and otherwise creates it, knowing that no earlier attempt did.
//  4. Create, with the key in key_property. Only its success is
//     remembered; a 4xx (429 included) means HubSpot applied nothing; an
//     unknown outcome marks the key unsure, as above.
//
// So a logged call costs two requests (a search, one of HubSpot's 5 a
// second, and the create), a retry of a remembered key none, and a retry
// after a lost answer one more search. The window makes the first LogCalls
// after a start, and a retry after a lost answer, wait about search_lag;
// calls are logged after they end, so that is harmless.
//
// What this cannot guard: another process writing the same account with
// the same keys (two hosts); a search_lag shorter than HubSpot's real lag;
// and a key_property changed while retries are pending (the old property
// is not searched).
//
// # Contacts
//
// CreateContact follows the same rules keyed by the number's E.164 form:
// a lock per number, a memory of the contacts this process created (kept
// search_lag, since a contact, unlike a log, is looked up afresh once
// search shows it), the unsure window, then the connector's own lookup
// (the phone search, re-checked with real number parsing) before
// creating. HubSpot does not keep phone numbers unique, so nothing else
// would stop a second contact with the number.

// Defaults and limits of the writes.
const (
	// DefaultKeyProperty is log_call.key_property's default.
	DefaultKeyProperty = "switchboard_call_key"
	// maxKeyLen is the contract's limit on a LogCall key.
	maxKeyLen = 200
	// rememberedCalls bounds the memory of created call ids.
	rememberedCalls = 10_000
)

// API paths of the writes.
const (
	pathCalls          = "/crm/v3/objects/calls"
	pathSearchCalls    = "/crm/v3/objects/calls/search"
	pathCallProperties = "/crm/v3/properties/calls/"
)

// HubSpot's call properties.
const (
	propCallTimestamp = "hs_timestamp" // required: when the call happened
	propCallTitle     = "hs_call_title"
	propCallBody      = "hs_call_body"
	propCallDirection = "hs_call_direction" // INBOUND or OUTBOUND
	propCallDuration  = "hs_call_duration"  // milliseconds
	propCallFrom      = "hs_call_from_number"
	propCallTo        = "hs_call_to_number"
	propCallStatus    = "hs_call_status" // COMPLETED, NO_ANSWER, BUSY, FAILED or CANCELED
	propCallRecording = "hs_call_recording_url"
)

// HubSpot-defined association type ids (category HUBSPOT_DEFINED).
const (
	assocCallToContact           = 194
	assocCallToCompany           = 182
	assocContactToPrimaryCompany = 1
)

// createBody is the body of a create.
type createBody struct {
	Properties   map[string]string `json:"properties"`
	Associations []assocInput      `json:"associations,omitempty"`
}

type assocInput struct {
	To    assocTo     `json:"to"`
	Types []assocType `json:"types"`
}

type assocTo struct {
	ID string `json:"id"`
}

type assocType struct {
	AssociationCategory string `json:"associationCategory"`
	AssociationTypeID   int    `json:"associationTypeId"`
}

func association(id string, typeID int) assocInput {
	return assocInput{To: assocTo{ID: id}, Types: []assocType{{AssociationCategory: "HUBSPOT_DEFINED", AssociationTypeID: typeID}}}
}

// LogCall implements connectors.CallLogger; see the comment at the top of
// this file.
func (c *Connector) LogCall(ctx context.Context, req *connectors.LogCallRequest) (*connectors.LogCallResponse, error) {
	const op = "LogCall"
	st, err := c.current(op)
	if err != nil {
		return nil, err
	}
	if !st.set.logCall {
		return nil, notEnabled(op, "log_call")
	}
	body, err := callBody(st.set, req)
	if err != nil {
		return nil, err
	}
	lockKey := "call\x00" + req.Key
	unlock, err := c.locks.lock(ctx, lockKey)
	if err != nil {
		return nil, ctxError(op, ctx)
	}
	defer unlock()

	mem := st.mem
	if id, ok := mem.call(req.Key); ok {
		return &connectors.LogCallResponse{ID: id, Existing: true}, nil
	}
	if err := mem.refuse(op, lockKey, "call", c.clock.now(), st.set.searchLag); err != nil {
		return nil, err
	}
	id, err := c.findCall(ctx, st, op, req.Key)
	if err != nil {
		return nil, err
	}
	if id != "" {
		mem.rememberCall(req.Key, id)
		return &connectors.LogCallResponse{ID: id, Existing: true}, nil
	}

	var created object
	err = st.api.do(ctx, call{op: op, method: http.MethodPost, path: pathCalls, body: body, unsafe: true}, &created)
	switch {
	case err == nil && created.ID != "":
	case err == nil:
		err = &connectors.Error{Class: connectors.ClassUnavailable, Op: op, Err: &unknownOutcome{},
			Message: "HubSpot answered the create without an id: " + unknownOutcomeText}
		fallthrough
	case isUnknownOutcome(err):
		now := c.clock.now()
		mem.markUnsure(lockKey, now, now.Add(st.set.searchLag))
		return nil, withDetail(err, fmt.Sprintf("; a retry within %s (search_lag) is refused, and a later one finds the call by its %s "+
			"instead of logging it twice", st.set.searchLag, st.set.keyProperty))
	default:
		return nil, writeError(st, op, err)
	}
	mem.rememberCall(req.Key, created.ID)
	c.log.Debug("logged a call in HubSpot", "key", req.Key, "id", created.ID)
	return &connectors.LogCallResponse{ID: created.ID}, nil
}

// findCall searches for the call whose key_property holds key: its id, or
// "" when search shows none. When several do (duplicates made by something
// else), it answers the oldest.
func (c *Connector) findCall(ctx context.Context, st *state, op, key string) (string, error) {
	var p page
	err := st.api.do(ctx, call{op: op, method: http.MethodPost, path: pathSearchCalls, search: true, body: searchBody{
		FilterGroups: []filterGroup{{Filters: []filter{{PropertyName: st.set.keyProperty, Operator: "EQ", Value: key}}}},
		Properties:   []string{st.set.keyProperty},
		Limit:        10,
	}}, &p)
	if err != nil {
		return "", writeError(st, op, err)
	}
	best, id := int64(0), ""
	for _, o := range p.Results {
		n, err := strconv.ParseInt(o.ID, 10, 64)
		if err == nil && (id == "" || n < best) {
			best, id = n, o.ID
		}
	}
	if p.Total > 1 {
		c.log.Warn("several HubSpot calls carry one key; answering the oldest", "key", short(key), "calls", p.Total, "id", id)
	}
	return id, nil
}

// short shortens a key for logs.
func short(key string) string {
	if len(key) > 80 {
		return key[:80] + "..."
	}
	return key
}

// callBody checks a LogCall request and builds its create body.
func callBody(s *settings, req *connectors.LogCallRequest) (*createBody, error) {
	const op = "LogCall"
	bad := func(format string, args ...any) error {
		return connectors.Errorf(connectors.ClassInvalidRequest, op, format, args...)
	}
	switch {
	case req.Key == "":
		return nil, bad("the request has no key: a LogCall needs its idempotency key")
	case len(req.Key) > maxKeyLen:
		return nil, bad("the key is %d bytes long; at most %d are allowed", len(req.Key), maxKeyLen)
	case req.ContactID == "" && req.CompanyID == "":
		return nil, bad("the request has neither a contact_id nor a company_id: HubSpot logs a call against a record")
	}
	for _, id := range []struct{ name, v string }{{"contact_id", req.ContactID}, {"company_id", req.CompanyID}, {"owner id", req.Call.OwnerID}} {
		if id.v != "" && !isDigits(id.v) {
			return nil, bad("%s %q is not a HubSpot id (digits)", id.name, id.v)
		}
	}
	r := &req.Call
	at := r.StartedAt
	if at.IsZero() {
		at = r.EndedAt
	}
	if at.IsZero() {
		return nil, bad("the call has neither a start nor an end time; HubSpot needs hs_timestamp")
	}
	props := map[string]string{
		s.keyProperty:     req.Key,
		propCallTimestamp: at.UTC().Format("2006-01-02T15:04:05.000Z"),
		propCallDuration:  strconv.FormatInt(int64(max(0, r.TalkSeconds))*1000, 10),
		propCallTitle:     callTitle(r),
	}
	switch r.Direction {
	case connectors.CallInbound:
		props[propCallDirection] = "INBOUND"
	case connectors.CallOutbound:
		props[propCallDirection] = "OUTBOUND"
	case "":
	default:
		return nil, bad("unknown call direction %q: want inbound or outbound", r.Direction)
	}
	// hs_call_status has no voicemail value. (HubSpot's call outcome,
	// hs_call_disposition, has "Left voicemail", but its values are GUIDs
	// an account may change.) A voicemail is a call nobody answered, so
	// NO_ANSWER, and its title says voicemail (callTitle).
	switch r.Outcome {
	case connectors.CallAnswered:
		props[propCallStatus] = "COMPLETED"
	case connectors.CallMissed, connectors.CallVoicemail:
		props[propCallStatus] = "NO_ANSWER"
	case "":
		props[propCallStatus] = "NO_ANSWER"
		if !r.AnsweredAt.IsZero() {
			props[propCallStatus] = "COMPLETED"
		}
	default:
		return nil, bad("unknown call outcome %q: want answered, missed or voicemail", r.Outcome)
	}
	for prop, v := range map[string]string{propCallBody: r.Body, propCallFrom: r.From, propCallTo: r.To,
		propCallRecording: r.RecordingURL, propOwner: r.OwnerID} {
		if v != "" {
			props[prop] = v
		}
	}
	b := &createBody{Properties: props}
	if req.ContactID != "" {
		b.Associations = append(b.Associations, association(req.ContactID, assocCallToContact))
	}
	if req.CompanyID != "" {
		b.Associations = append(b.Associations, association(req.CompanyID, assocCallToCompany))
	}
	return b, nil
}

// callTitle is the call's title: the host's, else one made from the
// direction and number; a voicemail's says so.
func callTitle(r *connectors.CallRecord) string {
	title := strings.TrimSpace(r.Title)
	if title == "" {
		switch {
		case r.Direction == connectors.CallOutbound && r.To != "":
			title = "Outbound call to " + r.To
		case r.Direction == connectors.CallOutbound:
			title = "Outbound call"
		case r.From != "":
			title = "Inbound call from " + r.From
		default:
			title = "Inbound call"
		}
	}
	if r.Outcome == connectors.CallVoicemail && !strings.Contains(strings.ToLower(title), "voicemail") {
		title = "Voicemail: " + title
	}
	return title
}

// CreateContact implements connectors.ContactCreator; see the comment at
// the top of this file.
func (c *Connector) CreateContact(ctx context.Context, req *connectors.CreateContactRequest) (*connectors.CreateContactResponse, error) {
	const op = "CreateContact"
	st, err := c.current(op)
	if err != nil {
		return nil, err
	}
	if !st.set.createContact {
		return nil, notEnabled(op, "create_contact")
	}
	num, err := st.set.parser.ParseCaller(req.Phone)
	if err != nil || num.E164 == "" {
		return nil, connectors.Errorf(connectors.ClassInvalidRequest, op, "phone %q is not a number in E.164 form (+442045205757)", req.Phone)
	}
	for _, id := range []struct{ name, v string }{{"company_id", req.CompanyID}, {"owner id", req.OwnerID}} {
		if id.v != "" && !isDigits(id.v) {
			return nil, connectors.Errorf(connectors.ClassInvalidRequest, op, "%s %q is not a HubSpot id (digits)", id.name, id.v)
		}
	}
	lockKey := "contact\x00" + num.E164
	unlock, err := c.locks.lock(ctx, lockKey)
	if err != nil {
		return nil, ctxError(op, ctx)
	}
	defer unlock()

	mem := st.mem
	if ct, ok := mem.contact(num.E164, c.clock.now()); ok {
		return &connectors.CreateContactResponse{Contact: ct, Existing: true}, nil
	}
	if err := mem.refuse(op, lockKey, "contact", c.clock.now(), st.set.searchLag); err != nil {
		return nil, err
	}
	matches, err := c.lookup(ctx, st, op, num, defaultLookupLimit)
	if err != nil {
		return nil, err
	}
	if len(matches) > 0 {
		return &connectors.CreateContactResponse{Contact: *matches[0].Contact, Existing: true}, nil
	}

	props := map[string]string{propPhone: num.E164}
	for prop, v := range map[string]string{propFirstName: strings.TrimSpace(req.FirstName), propLastName: strings.TrimSpace(req.LastName),
		propOwner: req.OwnerID} {
		if v != "" {
			props[prop] = v
		}
	}
	body := &createBody{Properties: props}
	if req.CompanyID != "" {
		body.Associations = []assocInput{association(req.CompanyID, assocContactToPrimaryCompany)}
	}
	var created object
	err = st.api.do(ctx, call{op: op, method: http.MethodPost, path: pathContacts, body: body, unsafe: true}, &created)
	switch status, ae := httpStatus(err); {
	case err == nil && created.ID != "":
	case err == nil:
		err = &connectors.Error{Class: connectors.ClassUnavailable, Op: op, Err: &unknownOutcome{},
			Message: "HubSpot answered the create without an id: " + unknownOutcomeText}
		fallthrough
	case isUnknownOutcome(err):
		now := c.clock.now()
		mem.markUnsure(lockKey, now, now.Add(st.set.searchLag))
		return nil, withDetail(err, fmt.Sprintf("; a retry within %s (search_lag) is refused, and a later one finds the contact by its number "+
			"instead of making it twice", st.set.searchLag))
	case status == http.StatusConflict:
		// A unique property (email) another contact holds. The connector
		// sends none, but HubSpot names the contact: answer it.
		return c.existingContact(ctx, st, op, ae, err)
	default:
		return nil, writeError(st, op, err)
	}
	ct, _ := toContact(st.set, c.log, &created)
	if ct.CompanyID == "" {
		ct.CompanyID = req.CompanyID // a create's answer has no associations
	}
	now := c.clock.now()
	mem.rememberContact(num.E164, ct, now, now.Add(st.set.searchLag))
	c.log.Debug("created a contact in HubSpot", "id", ct.ID, "key", req.Key)
	return &connectors.CreateContactResponse{Contact: ct}, nil
}

// existingIDRE reads the id in HubSpot's 409 for a contact: "Contact
// already exists. Existing ID: 123".
var existingIDRE = regexp.MustCompile(`Existing ID: *(\d+)`)

// existingContact answers a create's 409 with the contact it names.
func (c *Connector) existingContact(ctx context.Context, st *state, op string, ae *apiError, err error) (*connectors.CreateContactResponse, error) {
	m := existingIDRE.FindStringSubmatch(ae.Message)
	if m == nil {
		return nil, err
	}
	q := url.Values{"properties": {strings.Join(contactProperties(st.set), ",")}, "associations": {"companies"}}
	var o object
	if err := st.api.do(ctx, call{op: op, method: http.MethodGet, path: pathContacts + "/" + m[1], query: q}, &o); err != nil {
		if status, _ := httpStatus(err); status == http.StatusNotFound {
			return nil, connectors.Errorf(connectors.ClassInvalidRequest, op,
				"HubSpot refused the contact as a duplicate of contact %s, which it cannot find: %v", m[1], err)
		}
		return nil, err
	}
	ct, _ := toContact(st.set, c.log, &o)
	return &connectors.CreateContactResponse{Contact: ct, Existing: true}, nil
}

// missingPropertyRE reads the property name in HubSpot's "Property
// \"x\" does not exist" (also found escaped inside "Property values were
// not valid: [...]").
var missingPropertyRE = regexp.MustCompile(`[Pp]roperty \\*"?([A-Za-z0-9_]+)\\*"? does not exist`)

// writeError classifies a write's (or its search's) refusal: a 400 saying
// a property does not exist is bad_config, with what to create; others
// are left as the client classified them.
func writeError(st *state, op string, err error) error {
	status, ae := httpStatus(err)
	if status != http.StatusBadRequest {
		return err
	}
	m := missingPropertyRE.FindStringSubmatch(ae.Message)
	if m == nil {
		return err
	}
	if m[1] == st.set.keyProperty {
		return connectors.Errorf(connectors.ClassBadConfig, op, "%s: the call property %s (log_call.key_property) does not exist in HubSpot; "+
			"create it under Settings > Properties > Call properties as a single-line text property with that internal name, "+
			"or set log_call.key_property to the one you made", ae.describe(status), m[1])
	}
	return connectors.Errorf(connectors.ClassBadConfig, op, "%s: HubSpot has no property %s, which the connector writes", ae.describe(status), m[1])
}

// checkKeyProperty asks HubSpot whether log_call.key_property exists and
// holds text.
func (c *Connector) checkKeyProperty(ctx context.Context, st *state, op string) error {
	var p struct {
		Name string `json:"name"`
		Type string `json:"type"`
	}
	err := st.api.do(ctx, call{op: op, method: http.MethodGet, path: pathCallProperties + url.PathEscape(st.set.keyProperty)}, &p)
	if status, _ := httpStatus(err); status == http.StatusNotFound {
		return connectors.Errorf(connectors.ClassBadConfig, op, "log_call.key_property: the call property %s does not exist in HubSpot; "+
			"create it under Settings > Properties > Call properties as a single-line text property with that internal name "+
			"(calls cannot be logged until it exists)", st.set.keyProperty)
	}
	if err != nil {
		return err
	}
	if p.Type != "string" {
		return connectors.Errorf(connectors.ClassBadConfig, op, "log_call.key_property: the call property %s is of type %s; "+
			"the key needs a single-line text property (type string)", st.set.keyProperty, p.Type)
	}
	return nil
}

// notEnabled is the error of a write its block does not enable.
func notEnabled(op, block string) error {
	return &connectors.Error{Class: connectors.ClassUnsupported, Op: op,
		Message: fmt.Sprintf("%s is not enabled: set %s.enabled: true in the HubSpot connector's config", op, block)}
}

// withDetail returns err (a *connectors.Error) with more text after its
// message.
func withDetail(err error, more string) error {
	ce, ok := err.(*connectors.Error)
	if !ok {
		return err
	}
	out := *ce
	out.Message = ce.Detail() + more
	return &out
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// writeMemory is what this process knows of its writes to one HubSpot
// account (base_url and token), which HubSpot's search may not show yet. It
// outlives a Configure that keeps the account.
type writeMemory struct {
	// born is when it was made: until search_lag after, a key may have
	// been written by an earlier run of the connector that search does not
	// show yet.
	born time.Time

	mu sync.Mutex
	// calls maps a key to its call's id; ring holds the keys in the order
	// remembered, to forget the oldest past rememberedCalls.
	calls map[string]string
	ring  []string
	next  int
	// contacts maps an E.164 number to the contact created for it, until
	// search shows it.
	contacts map[string]createdContact
	// unsureUntil maps a lock key to when search will show what its
	// attempt of unknown outcome did.
	unsureUntil map[string]time.Time
}

type createdContact struct {
	contact connectors.Contact
	until   time.Time
}

func newWriteMemory(now time.Time) *writeMemory {
	return &writeMemory{born: now, calls: map[string]string{}, contacts: map[string]createdContact{}, unsureUntil: map[string]time.Time{}}
}

// call returns the id of the key's call, if remembered.
func (m *writeMemory) call(key string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.calls[key]
	return id, ok
}

// rememberCall remembers the key's call, forgetting the oldest past
// rememberedCalls, and that the key is no longer unsure.
func (m *writeMemory) rememberCall(key, id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.unsureUntil, "call\x00"+key)
	if _, ok := m.calls[key]; ok {
		m.calls[key] = id
		return
	}
	if len(m.ring) < rememberedCalls {
		m.ring = append(m.ring, key)
	} else {
		delete(m.calls, m.ring[m.next])
		m.ring[m.next] = key
		m.next = (m.next + 1) % rememberedCalls
	}
	m.calls[key] = id
}

// contact returns the contact created for a number, while search may not
// show it.
func (m *writeMemory) contact(e164 string, now time.Time) (connectors.Contact, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cc, ok := m.contacts[e164]
	if !ok || !now.Before(cc.until) {
		return connectors.Contact{}, false
	}
	return cloneContact(cc.contact), true
}

// rememberContact remembers a contact created now until until, and that
// its number is no longer unsure.
func (m *writeMemory) rememberContact(e164 string, ct connectors.Contact, now, until time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.unsureUntil, "contact\x00"+e164)
	for n, cc := range m.contacts {
		if !now.Before(cc.until) {
			delete(m.contacts, n) // search shows it by now
		}
	}
	m.contacts[e164] = createdContact{contact: cloneContact(ct), until: until}
}

// markUnsure records, now, that what an attempt for lockKey did may not
// show in search until until.
func (m *writeMemory) markUnsure(lockKey string, now, until time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, u := range m.unsureUntil {
		if !now.Before(u) {
			delete(m.unsureUntil, k) // search shows it by now
		}
	}
	if until.After(m.unsureUntil[lockKey]) {
		m.unsureUntil[lockKey] = until
	}
}

// refuse returns the error of a write of lockKey (a what: "call" or
// "contact") that must wait because a search miss would prove nothing yet
// (until search_lag after the memory was made, or after the key's last
// attempt of unknown outcome), or nil when a miss is conclusive.
func (m *writeMemory) refuse(op, lockKey, what string, now time.Time, lag time.Duration) error {
	m.mu.Lock()
	until, mark := m.born.Add(lag), m.unsureUntil[lockKey]
	m.mu.Unlock()
	why := fmt.Sprintf("the connector started %s ago, and a %s an earlier run of it may have made", now.Sub(m.born).Round(time.Millisecond), what)
	if mark.After(until) {
		until = mark
		why = fmt.Sprintf("the previous attempt's outcome is unknown (its answer was lost, or was a 5xx), and the %s it may have made", what)
	}
	wait := until.Sub(now)
	if wait <= 0 {
		return nil
	}
	return connectors.Errorf(connectors.ClassUnavailable, op,
		"%s may not show in HubSpot's search yet: retry in %s, after HubSpot's search catches up (search_lag %s), so that such a %s "+
			"is found rather than made twice", why, wait.Round(time.Millisecond), lag, what)
}

func cloneContact(c connectors.Contact) connectors.Contact {
	c.Phones = slices.Clone(c.Phones)
	c.Emails = slices.Clone(c.Emails)
	c.Fields = maps.Clone(c.Fields)
	return c
}

// keyedMutex is a set of mutexes by key, made on first use and dropped
// when no one holds or waits for them.
type keyedMutex struct {
	mu   sync.Mutex
	held map[string]*keyLock
}

type keyLock struct {
	ch   chan struct{} // holds a token while locked
	refs int           // holders and waiters
}

// lock locks key, waiting until it is free or ctx ends (then it returns
// ctx's error).
func (k *keyedMutex) lock(ctx context.Context, key string) (unlock func(), err error) {
	k.mu.Lock()
	if k.held == nil {
		k.held = map[string]*keyLock{}
	}
	l := k.held[key]
	if l == nil {
		l = &keyLock{ch: make(chan struct{}, 1)}
		k.held[key] = l
	}
	l.refs++
	k.mu.Unlock()
	select {
	case l.ch <- struct{}{}:
		return func() {
			<-l.ch
			k.release(key, l)
		}, nil
	case <-ctx.Done():
		k.release(key, l)
		return nil, ctx.Err()
	}
}

func (k *keyedMutex) release(key string, l *keyLock) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if l.refs--; l.refs == 0 {
		delete(k.held, key)
	}
}

// lookup returns the contacts that truly have number q, strongest match
// first, at most limit (see LookupByPhone).
func (c *Connector) lookup(ctx context.Context, st *state, op string, q phone.Number, limit int) ([]connectors.Match, error) {
	var p page
	err := st.api.do(ctx, call{op: op, method: http.MethodPost, path: pathSearchContact, search: true,
		body: searchBody{
			FilterGroups: lookupGroups(q),
			Properties:   contactProperties(st.set),
			Limit:        min(maxSearchLimit, max(2*limit, 20)),
			After:        "0",
		}}, &p)
	if err != nil {
		return nil, err
	}
	return c.matches(st, q, &p, limit), nil
}
