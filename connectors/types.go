// Package connectors is the contract every CRM adapter satisfies.
//
// It owns the record types (Contact, Company, Match), the Connector
// interface with its request/response structs, the error classes, and the
// helpers an adapter needs to read its own YAML block. It imports nothing of
// the host: the host (core/...) and the plugin wire (plugins/...) both depend
// on it, never the other way round.
package connectors

import "time"

// ProtocolVersion is the version of the contract this package describes. The
// plugin wire negotiates it at handshake; bump it only for a change that old
// plugins or hosts cannot understand (adding a field is not such a change).
//
// Version 2 added the writes (write.go: LogCall, CreateContact). A host
// and a plugin built against this package speak both 1 and 2 and agree on
// the newest both know, so a version-1 plugin keeps working, read-only.
const ProtocolVersion = 2

// ReadOnlyProtocolVersion is the last version without the writes.
const ReadOnlyProtocolVersion = 1

// Capability names an optional ability a connector declares in Describe.
type Capability string

// Capabilities a connector may declare.
const (
	// CapLookup: LookupByPhone answers live queries.
	CapLookup Capability = "lookup"
	// CapListCompanies: ListCompanies pages every company.
	CapListCompanies Capability = "list_companies"
	// CapListContacts: ListContacts pages every contact.
	CapListContacts Capability = "list_contacts"
	// CapChangedSince: List calls honour ListRequest.ChangedSince.
	CapChangedSince Capability = "changed_since"
	// CapChangedSinceExact, with CapChangedSince: a record is visible to
	// List the moment its UpdatedAt says (to within a second), so a caller
	// polling for changes needs no look-back. A database whose rows carry
	// the time of a transaction that commits later does not declare it.
	CapChangedSinceExact Capability = "changed_since_exact"
	// CapGuardsShrink: the connector itself holds back a reload that
	// would lose a large share of its records until its operator accepts
	// it (the CSV connector's max_shrink), and fails Check meanwhile. A
	// smaller listing from it is deliberate, so the host's index does not
	// hold it again (directory.max_shrink does not apply to it).
	CapGuardsShrink Capability = "guards_shrink"
)

// Phone is one number as a CRM holds it.
type Phone struct {
	// Raw is the value exactly as stored in the CRM ("0212 555 12 34 / 101").
	Raw string `json:"raw,omitempty"`
	// Label says which field it came from ("phone", "mobile", a CSV column).
	Label string `json:"label,omitempty"`
	// E164 is the normalised number ("+902125551234") when the connector
	// could normalise it; empty otherwise. The host normalises Raw itself
	// when E164 is empty.
	E164 string `json:"e164,omitempty"`
	// Extension is the extension part, if any ("101").
	Extension string `json:"extension,omitempty"`
}

// Contact is a person in the CRM.
type Contact struct {
	ID          string   `json:"id"`
	FirstName   string   `json:"first_name,omitempty"`
	LastName    string   `json:"last_name,omitempty"`
	CompanyID   string   `json:"company_id,omitempty"`
	CompanyName string   `json:"company_name,omitempty"`
	Phones      []Phone  `json:"phones,omitempty"`
	Emails      []string `json:"emails,omitempty"`
	// OwnerID is the CRM user who owns the record (account manager).
	OwnerID  string `json:"owner_id,omitempty"`
	JobTitle string `json:"job_title,omitempty"`
	// Fields holds every further mapped field (balance, tier, ...). Values
	// are JSON-like: string, float64, bool, nil, []any, map[string]any.
	Fields map[string]any `json:"fields,omitempty"`
	// UpdatedAt is when the record last changed, as far as the CRM knows;
	// zero when it does not know.
	UpdatedAt time.Time `json:"updated_at,omitempty"`
}

// Name is the contact's display name.
func (c *Contact) Name() string {
	switch {
	case c.FirstName == "":
		return c.LastName
	case c.LastName == "":
		return c.FirstName
	default:
		return c.FirstName + " " + c.LastName
	}
}

// Company is an organisation in the CRM.
type Company struct {
	ID      string   `json:"id"`
	Name    string   `json:"name,omitempty"`
	Phones  []Phone  `json:"phones,omitempty"`
	Emails  []string `json:"emails,omitempty"`
	Website string   `json:"website,omitempty"`
	OwnerID string   `json:"owner_id,omitempty"`
	// Fields holds every further mapped field, JSON-like values as in Contact.
	Fields    map[string]any `json:"fields,omitempty"`
	UpdatedAt time.Time      `json:"updated_at,omitempty"`
}

// MatchKind says how a number met a record.
type MatchKind string

// Match kinds, strongest first.
const (
	// MatchExact: the same E.164 number.
	MatchExact MatchKind = "exact"
	// MatchNational: the same national significant number, country unknown
	// or different on one side (a CRM number stored without country code).
	MatchNational MatchKind = "national"
	// MatchSuffix: the last N digits agree (configured fallback).
	MatchSuffix MatchKind = "suffix"
)

// Strength orders match kinds: higher is stronger; 0 for unknown kinds.
func (k MatchKind) Strength() int {
	switch k {
	case MatchExact, MatchKey:
		return 3
	case MatchNational:
		return 2
	case MatchSuffix:
		return 1
	}
	return 0
}

// Match is one record that answers a number. Exactly one of Contact and
// Company is set.
type Match struct {
	Contact *Contact `json:"contact,omitempty"`
	Company *Company `json:"company,omitempty"`
	// Kind says how the number matched.
	Kind MatchKind `json:"kind"`
	// Phone is the record's number that matched.
	Phone Phone `json:"phone"`
}

// Key identifies the matched record: "contact:<id>" or "company:<id>".
func (m *Match) Key() string {
	if m.Contact != nil {
		return "contact:" + m.Contact.ID
	}
	if m.Company != nil {
		return "company:" + m.Company.ID
	}
	return ""
}
