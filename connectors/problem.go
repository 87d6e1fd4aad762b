package connectors

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a YAML configuration: a connector's own
// block, or a section of the host's file. It is the one problem type of
// Switchboard: connectors report problems with their block, and the host's
// packages problems with the settings they own, each by path; the host maps
// every path to file:line:col in one place.
type Problem struct {
	// Path locates the offending value, as YAML keys and sequence indexes
	// joined by dots: "columns.phones.1", "rules.2.when". It is relative to
	// what was checked (a connector's block, a routing section); empty for
	// that whole.
	Path string
	// Message says what is wrong and what to do.
	Message string
}

// Problems is every problem found, in the order found. As an error it
// prints one "path: message" per line.
type Problems []Problem

// Addf records a problem at path.
func (ps *Problems) Addf(path, format string, args ...any) {
	*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// Err returns ps as an error, or nil when it is empty.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// Error prints one "path: message" per line ("(config)" for an empty
// path).
func (ps Problems) Error() string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('\n')
		}
		path := p.Path
		if path == "" {
			path = "(config)"
		}
		b.WriteString(path + ": " + p.Message)
	}
	return b.String()
}
