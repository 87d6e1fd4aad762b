package connectors

import (
	"context"
	"time"
)

// Writing to the CRM (protocol version 2). A connector that can write
// declares CapLogCall and/or CapCreateContact in Describe and implements
// the matching interface below; the plugin wire answers the methods of a
// connector that does not with a ClassUnsupported error, and the host never
// asks a connector that did not declare the capability (nor one that
// speaks protocol version 1, which predates them).
//
// Both writes are retried by the host until it sees an answer, across host
// restarts and plugin crashes, so both must be idempotent: see the
// methods. connectortest.Run checks it (its "writes" checks).

// Write capabilities.
const (
	// CapLogCall: LogCall records calls (the connector is a CallLogger).
	CapLogCall Capability = "log_call"
	// CapCreateContact: CreateContact creates contacts from a caller's
	// number (the connector is a ContactCreator).
	CapCreateContact Capability = "create_contact"
)

// CallLogger is implemented by connectors that declare CapLogCall.
type CallLogger interface {
	// LogCall records one call in the CRM against a contact, a company or
	// both. It must be idempotent on req.Key: a LogCall whose key was
	// logged before (a retry after a lost answer, a restarted host) writes
	// nothing and answers the first log's ID with Existing set. A key must
	// stay recognised for as long as the CRM keeps the log.
	LogCall(ctx context.Context, req *LogCallRequest) (*LogCallResponse, error)
}

// ContactCreator is implemented by connectors that declare
// CapCreateContact.
type ContactCreator interface {
	// CreateContact creates a contact for a phone number. It must be
	// idempotent on the number: when a contact with req.Phone exists (made
	// by an earlier try, or by someone else), it answers that contact with
	// Existing set and creates nothing.
	CreateContact(ctx context.Context, req *CreateContactRequest) (*CreateContactResponse, error)
}

// CallOutcome says how a call ended for the customer.
type CallOutcome string

// Call outcomes.
const (
	// CallAnswered: an agent talked to the customer.
	CallAnswered CallOutcome = "answered"
	// CallMissed: nobody answered and no voicemail was left.
	CallMissed CallOutcome = "missed"
	// CallVoicemail: the caller left a voicemail.
	CallVoicemail CallOutcome = "voicemail"
)

// CallDirection is "inbound" (the customer called) or "outbound".
type CallDirection string

// Call directions.
const (
	CallInbound  CallDirection = "inbound"
	CallOutbound CallDirection = "outbound"
)

// LogCallRequest asks the connector to record a call.
type LogCallRequest struct {
	// Key is the idempotency key: the phone system's call id and the
	// host's action name ("3f1c9a.../crm-log"), at most 200 bytes.
	Key string
	// ContactID and CompanyID are the records to log the call against,
	// as the connector's own lookups and listings name them; at least one
	// is set. A connector that can associate a log with only one record
	// kind uses the contact when both are set.
	ContactID string
	CompanyID string
	// Call is what happened.
	Call CallRecord
}

// CallRecord is one call as the host knows it at its end.
type CallRecord struct {
	// ID is the phone system's call id (Hipcall's uuid).
	ID        string
	Direction CallDirection
	// From and To are the calling and called numbers, E.164 where the
	// host could place them ("+442045205757"), else as the phone system
	// sent them.
	From string
	To   string
	// StartedAt is when the call began; AnsweredAt is zero for a call
	// nobody answered; EndedAt is when it ended.
	StartedAt  time.Time
	AnsweredAt time.Time
	EndedAt    time.Time
	// TalkSeconds is the talk time, AnsweredAt to EndedAt (0 if
	// unanswered).
	TalkSeconds int
	Outcome     CallOutcome
	// AgentID and AgentName are the phone system's user who took or made
	// the call ("" when none); OwnerID is the CRM user that agent maps to
	// (the host's owners map), "" when unknown.
	AgentID   string
	AgentName string
	OwnerID   string
	// RecordingURL is a link to the recording, "" when there is none (the
	// phone system's links may expire).
	RecordingURL string
	// Title is a one-line subject and Body the note (Markdown), both
	// rendered from the operator's templates.
	Title string
	Body  string
}

// LogCallResponse is the CRM's answer to a LogCall.
type LogCallResponse struct {
	// ID is the CRM's id of the call log.
	ID string
	// Existing: the key had been logged before; nothing was written.
	Existing bool
}

// CreateContactRequest asks the connector to create a contact.
type CreateContactRequest struct {
	// Phone is the number, E.164 ("+442045205757").
	Phone string
	// FirstName and LastName are rendered from the operator's template
	// (LastName may be empty).
	FirstName string
	LastName  string
	// CompanyID, when set, links the contact to that company.
	CompanyID string
	// OwnerID is the CRM user to own the contact, "" for the CRM's
	// default.
	OwnerID string
	// Key is the phone system's call id and the host's action name, for
	// logs and for connectors that can store it.
	Key string
}

// CreateContactResponse is the contact the number now belongs to.
type CreateContactResponse struct {
	// Contact is the contact as the connector's lookups will return it
	// (its ID, names and phones at least), so the host can recognise the
	// number at once.
	Contact Contact
	// Existing: a contact with the number existed; nothing was created.
	Existing bool
}
