package phone

import (
	"errors"
	"fmt"
)

// ErrExtensionOnly is wrapped by the *ParseError returned for an input
// that holds an extension and no number ("#404812", "x101", "dahili 101").
// The Number returned with it has Raw and Extension set, nothing else.
var ErrExtensionOnly = errors.New("only an extension, no number")

// ParseError says why a string could not be read as a phone number.
type ParseError struct {
	// Raw is the input as given.
	Raw string
	// Reason says what is wrong with it and, where possible, what to do.
	Reason string
	// err is a sentinel the error wraps (ErrExtensionOnly), if any.
	err error
}

// Error says `cannot read "<raw>" as a phone number: <reason>`, with a
// long raw input shortened.
func (e *ParseError) Error() string {
	return fmt.Sprintf("cannot read %q as a phone number: %s", truncate(e.Raw, 80), e.Reason)
}

// Unwrap returns the sentinel the error wraps, if any, for errors.Is.
func (e *ParseError) Unwrap() error { return e.err }

func quote(s string) string { return fmt.Sprintf("%q", s) }

func quoteRune(r rune) string { return fmt.Sprintf("%q", r) }
