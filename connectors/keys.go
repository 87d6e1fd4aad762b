package connectors

import "context"

// CapLookupByKey: the connector finds records by the value of one of
// their fields (KeyLookuper): an account number keyed in an IVR, an order
// number keyed for Speed Dial.
const CapLookupByKey Capability = "lookup_by_key"

// MatchKey: the record was found by a key field, not by a number.
const MatchKey MatchKind = "key"

// KeyLookuper is implemented by connectors with CapLookupByKey.
//
// The host names the field; the connector compares the stored value and
// Value for equality, after trimming spaces on both sides and ignoring
// letter case (account and order numbers are typed by people and keyed on
// phones, so "ab-12 " is "AB-12"). A field holding several values (a list
// in Fields, or one text with values separated by commas or semicolons)
// matches when one of them does. No match is an empty response, not an
// error; a field the connector does not have is a ClassConfig error that
// names it.
//
// Values of secret keys (a PIN) arrive already hashed by the host (see
// KeyLookupRequest.Value): the connector compares them like any other and
// never sees the secret itself. It must not log Value, nor put it in an
// error (the host logs errors).
//
// connectors/sdk implements the rule (KeyFold, KeyEqual, KeyValues), the
// standard fields (ContactKey, CompanyKey), the answer over candidate
// records (KeyMatches) and the unknown field's error (UnknownKeyField).
type KeyLookuper interface {
	LookupByKey(ctx context.Context, req *KeyLookupRequest) (*KeyLookupResponse, error)
}

// KeyLookupRequest asks for the records whose Field holds Value.
type KeyLookupRequest struct {
	// Field is the field to compare: a name the connector returns in
	// Contact.Fields or Company.Fields ("account_no"), or one of the
	// standard "id", "email" and "external_id" (the record's own id,
	// any of its e-mail addresses, and its "external_id" field when it
	// has one, else its id: the external_id the sync gives a record in
	// Hipcall by default). Field names compare exactly.
	Field string
	// Value is the value looked for, trimmed. For a hashed key it is the
	// hash as stored ("sha256:<64 hex digits>").
	Value string
	// Limit caps the matches returned (0: the connector's default, at
	// least 2 so that ambiguity shows).
	Limit int
	// RecordID, when set, restricts the search to the record (contact or
	// company) with that id: a verification ("does this caller's record
	// hold this PIN?"), answered with that record or nothing whatever
	// Limit is.
	RecordID string
}

// KeyLookupResponse lists the records found, contacts before companies.
// Each Match has Kind MatchKey and no Phone.
type KeyLookupResponse struct {
	Matches []Match
}
