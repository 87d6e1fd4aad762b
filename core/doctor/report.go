package doctor

// Severity says whether a finding fails the diagnosis.
type Severity string

// Severities.
const (
	// Problem: something is wrong and should be fixed in the CRM (or the
	// configuration); `switchboard doctor` exits 1.
	Problem Severity = "problem"
	// Warning: worth knowing, not wrong by itself.
	Warning Severity = "warning"
)

// Report is the diagnosis. The console shows the same structure; Text
// renders it for people.
type Report struct {
	// Region is the default phone region numbers were read in ("GB").
	Region string `json:"region"`
	// NationalMatch is the national matching rule (same_country or
	// any_country).
	NationalMatch string `json:"national_match"`
	// Limit is how many entries each list keeps.
	Limit int `json:"limit"`
	// Sources has the counts of each connector, in configuration order.
	Sources []SourceReport `json:"sources"`
	// Unreadable lists numbers the parser cannot read (problems).
	Unreadable Section[UnreadableNumber] `json:"unreadable_numbers"`
	// NationalOnly lists numbers without a country (warnings).
	NationalOnly Section[NationalNumber] `json:"national_only_numbers"`
	// Shared lists numbers several records of one source hold: problems
	// when no common company resolves them, warnings otherwise.
	Shared Section[SharedNumber] `json:"shared_numbers"`
	// ExternalIDs lists external_id collisions in the sync.
	ExternalIDs Section[IDCollision] `json:"external_id_collisions"`
	// RuleRefs is what the routing rules read of the record.
	RuleRefs []RuleRef `json:"rule_refs,omitempty"`
	// Missing lists records without a value a rule reads (problems).
	Missing Section[MissingValue] `json:"missing_rule_values"`
	// ConnectorWarnings are other warnings the connectors logged while
	// loading (not findings by themselves).
	ConnectorWarnings Section[LogLine] `json:"connector_warnings"`
	// Problems and Warnings count the findings of each severity, over
	// the totals (not only the entries kept).
	Problems int `json:"problems"`
	Warnings int `json:"warnings"`
}

// OK reports whether the diagnosis found no problem.
func (r *Report) OK() bool { return r.Problems == 0 }

// Section is one list of findings: the first Limit entries and the total.
type Section[T any] struct {
	// Total counts every finding of the kind, shown or not.
	Total int `json:"total"`
	// Items are the first findings, at most Report.Limit.
	Items []T `json:"items"`
	// Problems counts the findings that are problems (the rest are
	// warnings).
	Problems int `json:"problems"`
}

// add counts one finding and keeps it while there is room.
func (s *Section[T]) add(limit int, item T, sev Severity) {
	s.Total++
	if sev == Problem {
		s.Problems++
	}
	if len(s.Items) < limit {
		s.Items = append(s.Items, item)
	}
}

// SourceReport is one connector's counts.
type SourceReport struct {
	// Name is the connector's name in the configuration.
	Name string `json:"name"`
	// Plugin is what the connector calls itself (Describe) and its version.
	Plugin  string `json:"plugin,omitempty"`
	Version string `json:"version,omitempty"`
	// Check is the connector's own one-line summary (Check), if it has one.
	Check string `json:"check,omitempty"`
	// Contacts and Companies are how many records it listed.
	Contacts  int `json:"contacts"`
	Companies int `json:"companies"`
	// Numbers is how many stored numbers the records hold.
	Numbers int `json:"numbers"`
	// Unreadable, NationalOnly and Shared count this source's findings
	// (Unreadable includes those recovered from its log).
	Unreadable   int `json:"unreadable"`
	NationalOnly int `json:"national_only"`
	Shared       int `json:"shared"`
	// Missing counts its records that lack a value a rule reads.
	Missing int `json:"missing_rule_values"`
	// Error says why the source could not be listed (completely); its
	// counts are then partial. It is a problem.
	Error string `json:"error,omitempty"`
}

// RecordRef names one CRM record.
type RecordRef struct {
	Source string `json:"source"`
	// Type is "contact" or "company".
	Type string `json:"type"`
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Key is "contact:<id>" or "company:<id>", as matches are keyed.
func (r RecordRef) Key() string { return r.Type + ":" + r.ID }

// UnreadableNumber is a stored number the parser cannot read.
type UnreadableNumber struct {
	// Record is the record holding it; empty (ID "") when the number was
	// recovered from a connector's log, which names Where instead.
	Record RecordRef `json:"record"`
	// Where is the place in the source a connector's log named
	// ("sample/customers.csv:11"), for numbers the connector dropped.
	Where string `json:"where,omitempty"`
	// Field is the phone's label or column ("Phone", "mobile").
	Field string `json:"field,omitempty"`
	// Raw is the stored text.
	Raw string `json:"raw"`
	// Why is the parser's reason.
	Why string `json:"why"`
}

// NationalNumber is a number read without a country.
type NationalNumber struct {
	Record RecordRef `json:"record"`
	Field  string    `json:"field,omitempty"`
	Raw    string    `json:"raw"`
	// National is its national key (digits without trunk prefix).
	National string `json:"national"`
	// Why says how matching treats it.
	Why string `json:"why"`
}

// SharedNumber is one number several records of a source hold.
type SharedNumber struct {
	Source string `json:"source"`
	// Number is the shared E.164 number, or the national key
	// ("national 2079460999") of numbers without a country.
	Number string `json:"number"`
	// Records are the records that hold it, each with the text stored.
	Records []SharedHolder `json:"records"`
	// CommonCompany is the company id every record belongs to ("" when
	// they do not share one); the after-call CRM log logs calls from the
	// number against it.
	CommonCompany string `json:"common_company,omitempty"`
	// Resolved is CommonCompany != "".
	Resolved bool `json:"resolved"`
	// Severity: a warning when resolved, else a problem.
	Severity Severity `json:"severity"`
}

// SharedHolder is one record holding a shared number.
type SharedHolder struct {
	RecordRef
	Field   string `json:"field,omitempty"`
	Raw     string `json:"raw"`
	Company string `json:"company,omitempty"`
}

// IDCollision is a set of records whose external_ids meet.
type IDCollision struct {
	// Resource is "companies" or "contacts".
	Resource string `json:"resource"`
	// ExternalID is the id they share (the first record's, as sent).
	ExternalID string `json:"external_id"`
	// Kind is "same" (the sync sends them under one external_id and skips
	// all but the first: a problem) or "case" (they differ only in letter
	// case: a warning).
	Kind string `json:"kind"`
	// Records are the records, each with the external_id it maps to.
	Records []IDHolder `json:"records"`
	// Severity follows Kind.
	Severity Severity `json:"severity"`
}

// IDHolder is one record of a collision.
type IDHolder struct {
	RecordRef
	// ExternalID is the id the mapping gives it (after trimming).
	ExternalID string `json:"external_id"`
	// Raw is the mapped value before trimming, when it differs.
	Raw string `json:"raw,omitempty"`
}

// RuleRef is one value of the record that routing rules read.
type RuleRef struct {
	// Path is how the rules read it ("record.owner", "record.tier").
	Path string `json:"path"`
	// Key is the record's standard key ("owner") or, for a field,
	// "fields.<name>".
	Key string `json:"key"`
	// Rules are the names of the rules that read it.
	Rules []string `json:"rules"`
}

// MissingValue is a record without a value a rule reads.
type MissingValue struct {
	Record RecordRef `json:"record"`
	// Path is the value missing ("record.owner").
	Path string `json:"path"`
	// Rules are the rules that read it.
	Rules []string `json:"rules"`
}

// LogLine is one warning a connector logged.
type LogLine struct {
	// Source is the connector's name.
	Source  string `json:"source"`
	Message string `json:"message"`
}
