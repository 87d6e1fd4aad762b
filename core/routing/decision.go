package routing

// Call is what the phone system told us about the call being routed.
type Call struct {
	// Caller is the caller's number as sent.
	Caller string
	// Number is the dialled number (Hipcall's "number"), if sent.
	Number string
	// UUID is the call id, if sent.
	UUID string
	// Timestamp is the unix time the phone system stamped, if sent.
	Timestamp int64
}

// Decision is where a call goes and why.
type Decision struct {
	// Target is the phone system the decision is for.
	Target Target `json:"target,omitempty"`
	// Extension is the Hipcall extension: never empty for TargetHipcall
	// (Decide), empty for other targets.
	Extension string `json:"extension"`
	// Destination is where the call goes on Target: the extension for
	// Hipcall; for Ringostat a phone number in international format
	// without '+' or a SIP login, or "" when no rule gave one and no
	// default is configured (Ringostat then goes on to the next step of
	// its scheme).
	Destination string `json:"destination,omitempty"`
	// Rule is the name of the rule that matched; "" when the default applied.
	Rule string `json:"rule,omitempty"`
	// Default is true when no rule matched (or the lookup failed).
	Default bool `json:"default"`
	// Reason explains the decision in one line for logs and `lookup`
	// (`rule "vip" matched (found && record.balance > 1000) for contact:42
	// via index/customers`, `default: no rule matched (not found)`).
	Reason string `json:"reason"`
}
