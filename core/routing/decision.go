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
	// Target is the name of the decision point the decision is for.
	Target string `json:"target,omitempty"`
	// Destination is where the call goes, as the target's Check normalised
	// it. It is never empty for a target whose default is required; for
	// another it is "" when no rule routed the call and no default is
	// configured (Ringostat then goes on to the next step of its scheme).
	Destination string `json:"destination"`
	// Rule is the name of the rule that matched; "" when the default applied.
	Rule string `json:"rule,omitempty"`
	// Default is true when no rule matched (or the lookup failed).
	Default bool `json:"default"`
	// Reason explains the decision in one line for logs and `lookup`
	// (`rule "vip" matched (found && record.balance > 1000) for contact:42
	// via index/customers`, `default: no rule matched (not found)`).
	Reason string `json:"reason"`
}

// Step is the outcome of one rule while explaining a decision.
type Step struct {
	// Rule is the rule's name.
	Rule string
	// Matched is true when When held and a valid destination was found.
	Matched bool
	// Skipped is true when the rule has no destination for the decision's
	// target and so was not evaluated.
	Skipped bool
	// Destination is what the rule yielded, when Matched.
	Destination string
	// Err is why the rule was skipped when its evaluation failed.
	Err error
	// Notes say what each call of in_hours and holiday in the rule saw
	// and answered: `in_hours("Mon-Fri 09:00-18:00", "Europe/Istanbul") is
	// false: Sat 2026-03-28 10:15:00 +03 is outside the hours`.
	Notes []string
}

// Explanation is a decision with everything behind it, for `lookup -explain`.
type Explanation struct {
	Decision Decision
	// Env is the environment the rules saw, and the decision's time in
	// every time zone the rules name ("now in Europe/Istanbul": "Sat
	// 2026-03-28 10:15:00 +03"), which rules cannot read.
	Env map[string]any
	// Steps lists the rules evaluated, in order, up to the one that matched.
	Steps []Step
}
