// Package directory answers "who is this number?" over the configured
// connectors: it asks the sources in their configured order, each either
// from an in-memory index of every record or by a live lookup under its own
// timeout and circuit breaker, all inside an overall deadline, behind a
// cache of positive and negative answers.
package directory

import (
	"fmt"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// Via says which layer produced a result.
type Via string

// Layers of the directory.
const (
	ViaCache Via = "cache"
	ViaIndex Via = "index"
	ViaLive  Via = "live"
	ViaNone  Via = "none"
)

// Result is the answer to one Lookup or LookupKey. It is always usable: on errors and
// deadlines it says not found and carries the errors.
type Result struct {
	// Query is the normalised number that was looked up (empty for
	// LookupKey).
	Query phone.Number
	// Found is true when exactly one record answers the number.
	Found bool
	// Ambiguous is true when several distinct records answer it; Matches
	// lists them and Match is nil.
	Ambiguous bool
	// Match is the record when Found.
	Match *connectors.Match
	// Matches lists every candidate found by the answering source.
	Matches []connectors.Match
	// Source is the name of the connector instance that answered ("" if none).
	Source string
	// Via is the layer that answered.
	Via Via
	// Duration is how long the lookup took.
	Duration time.Duration
	// Errors lists the sources that failed or timed out on the way.
	Errors []SourceError
	// InvalidNumber is set when the input could not be parsed as a number;
	// the lookup was not attempted.
	InvalidNumber error
}

// SourceError is one source's failure during a lookup.
type SourceError struct {
	Source string
	Err    error
}

// Outcomes of a lookup, as Result.Outcome reports them.
const (
	OutcomeFound     = "found"
	OutcomeAmbiguous = "ambiguous"
	OutcomeNotFound  = "not_found"
	OutcomeInvalid   = "invalid"
)

// Outcome classifies the result: OutcomeInvalid, OutcomeFound,
// OutcomeAmbiguous or OutcomeNotFound.
func (r *Result) Outcome() string {
	switch {
	case r.InvalidNumber != nil:
		return OutcomeInvalid
	case r.Found:
		return OutcomeFound
	case r.Ambiguous:
		return OutcomeAmbiguous
	}
	return OutcomeNotFound
}

// Error says which source failed and why (an error of no source, such as
// a key no source configures, is its error alone).
func (e SourceError) Error() string {
	if e.Source == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("source %q: %v", e.Source, e.Err)
}

// Unwrap returns the source's error.
func (e SourceError) Unwrap() error { return e.Err }
