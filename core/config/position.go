package config

import (
	"cmp"
	"fmt"
	"github.com/switchboard-hq/switchboard/connectors"
	"slices"
	"strconv"
	"strings"
)

// Position locates something in a configuration file. Line and Col are
// 1-based; a zero Line means the position is unknown.
type Position struct {
	File string
	Line int
	Col  int
}

// IsValid reports whether the position names a line.
func (p Position) IsValid() bool { return p.Line > 0 }

// String formats the position as "file:line:col" (leaving out what is
// unknown).
func (p Position) String() string {
	if !p.IsValid() {
		if p.File == "" {
			return "-"
		}
		return p.File
	}
	lc := strconv.Itoa(p.Line) + ":" + strconv.Itoa(max(p.Col, 1))
	if p.File == "" {
		return lc
	}
	return p.File + ":" + lc
}

// compare orders positions by file, line and column.
func (p Position) compare(q Position) int {
	return cmp.Or(
		strings.Compare(p.File, q.File),
		cmp.Compare(p.Line, q.Line),
		cmp.Compare(p.Col, q.Col),
	)
}

// Problem is one thing wrong with a configuration.
type Problem struct {
	Pos     Position
	Message string
}

// String formats the problem as "file:line:col: message".
func (p Problem) String() string { return p.Pos.String() + ": " + p.Message }

// Problems is every problem found in a configuration. Load returns it as its
// error; use errors.As to get at the list.
type Problems struct {
	List []Problem
}

// Addf records a problem at pos.
func (p *Problems) Addf(pos Position, format string, args ...any) {
	p.List = append(p.List, Problem{Pos: pos, Message: fmt.Sprintf(format, args...)})
}

// Sort orders the problems by position (keeping the order of problems at
// the same position) and drops exact repeats.
func (p *Problems) Sort() {
	slices.SortStableFunc(p.List, func(a, b Problem) int { return a.Pos.compare(b.Pos) })
	p.List = slices.Compact(p.List)
}

// Err returns p, sorted, when it holds problems, and nil otherwise.
func (p *Problems) Err() error {
	if p == nil || len(p.List) == 0 {
		return nil
	}
	p.Sort()
	return p
}

// Error prints one problem per line, sorted by position, each as
// "file:line:col: message".
func (p *Problems) Error() string {
	list := slices.Clone(p.List)
	slices.SortStableFunc(list, func(a, b Problem) int { return a.Pos.compare(b.Pos) })
	list = slices.Compact(list)
	var b strings.Builder
	for i, pr := range list {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(pr.String())
	}
	return b.String()
}

// Locate places the problems a section's owner found (paths relative to
// section, such as routing's "rules.2.when") in the file: each points at its
// path's value and reads "section.path: message". This is the one place
// paths become file:line:col.
func (c *Config) Locate(section string, ps connectors.Problems) []Problem {
	out := make([]Problem, 0, len(ps))
	for _, p := range ps {
		path := join(section, p.Path)
		out = append(out, Problem{Pos: c.PosOf(path), Message: say(path, p.Message)})
	}
	return out
}
