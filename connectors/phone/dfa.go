package phone

import (
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
)

// digitDFA decides whether a string of ASCII digits matches a regexp in
// full, as a deterministic automaton over the ten digits built once from
// the regexp's own compiled program (the subset construction of its
// threads). Validity checks run every pattern of a region on each number;
// Go's regexp engines spend a microsecond on that, a table walk a few
// nanoseconds. TestDigitDFAAgrees holds it to regexp.MatchString.
type digitDFA struct {
	next  [][10]int32 // state → digit → state; -1: no match possible
	final []bool      // the text may end in this state
}

// maxDFAStates caps a pattern's automaton; a larger one is not built and
// the regexp decides.
const maxDFAStates = 20000

// newDigitDFA builds the automaton of pattern (with Perl flags, as
// regexp.Compile); nil when the pattern uses an assertion other than
// beginning and end of text or line, or the automaton would be too big.
func newDigitDFA(pattern string) *digitDFA {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil
	}
	const begin = syntax.EmptyBeginText | syntax.EmptyBeginLine
	const end = syntax.EmptyEndText | syntax.EmptyEndLine
	for _, in := range prog.Inst {
		if in.Op == syntax.InstEmptyWidth && syntax.EmptyOp(in.Arg)&^(begin|end) != 0 {
			return nil // word boundaries: never in phone metadata
		}
	}
	// closure follows the empty transitions from pcs under the empty-width
	// conditions that hold; it returns the rune instructions reached and
	// whether a match is.
	closure := func(pcs []uint32, flags syntax.EmptyOp) ([]uint32, bool) {
		seen := map[uint32]bool{}
		var out []uint32
		matched := false
		var visit func(pc uint32)
		visit = func(pc uint32) {
			if seen[pc] {
				return
			}
			seen[pc] = true
			in := &prog.Inst[pc]
			switch in.Op {
			case syntax.InstAlt, syntax.InstAltMatch:
				visit(in.Out)
				visit(in.Arg)
			case syntax.InstCapture, syntax.InstNop:
				visit(in.Out)
			case syntax.InstEmptyWidth:
				if syntax.EmptyOp(in.Arg)&^flags == 0 {
					visit(in.Out)
				}
			case syntax.InstMatch:
				matched = true
			case syntax.InstFail:
			default: // a rune instruction
				out = append(out, pc)
			}
		}
		for _, pc := range pcs {
			visit(pc)
		}
		slices.Sort(out)
		return out, matched
	}
	d := &digitDFA{}
	ids := map[string]int32{}
	var queue [][]uint32 // pending pcs of each state
	add := func(pcs []uint32, start bool) int32 {
		var key strings.Builder
		if start {
			key.WriteByte('S')
		}
		for _, pc := range pcs {
			key.WriteString(strconv.FormatUint(uint64(pc), 36))
			key.WriteByte(',')
		}
		if id, ok := ids[key.String()]; ok {
			return id
		}
		id := int32(len(queue))
		ids[key.String()] = id
		queue = append(queue, pcs)
		return id
	}
	add([]uint32{uint32(prog.Start)}, true)
	for s := 0; s < len(queue); s++ {
		if len(queue) > maxDFAStates {
			return nil
		}
		flags := syntax.EmptyOp(0)
		if s == 0 {
			flags = begin
		}
		runes, _ := closure(queue[s], flags)
		_, final := closure(queue[s], flags|end)
		var row [10]int32
		for dg := range row {
			var next []uint32
			for _, pc := range runes {
				if in := &prog.Inst[pc]; in.MatchRune('0' + rune(dg)) {
					next = append(next, in.Out)
				}
			}
			row[dg] = -1
			if len(next) > 0 {
				slices.Sort(next)
				row[dg] = add(slices.Compact(next), false)
			}
		}
		d.next = append(d.next, row)
		d.final = append(d.final, final)
	}
	return d
}

// match reports whether digits (ASCII digits only; ok false otherwise)
// match the pattern in full.
func (d *digitDFA) match(digits string) (matched, ok bool) {
	s := int32(0)
	for i := 0; i < len(digits); i++ {
		c := digits[i] - '0'
		if c > 9 {
			return false, false
		}
		if s = d.next[s][c]; s < 0 {
			// No match whatever follows, but the rest must still be
			// digits for the answer to hold.
			for j := i + 1; j < len(digits); j++ {
				if digits[j]-'0' > 9 {
					return false, false
				}
			}
			return false, true
		}
	}
	return d.final[s], true
}

// matchPrefix reports whether a prefix of digits (ASCII digits only; ok
// false otherwise) matches the pattern, as regexp.MatchString does for a
// pattern anchored at the start only.
func (d *digitDFA) matchPrefix(digits string) (matched, ok bool) {
	for i := 0; i < len(digits); i++ {
		if digits[i]-'0' > 9 {
			return false, false
		}
	}
	s := int32(0)
	for i := 0; ; i++ {
		if d.final[s] {
			return true, true
		}
		if i == len(digits) {
			return false, true
		}
		if s = d.next[s][digits[i]-'0']; s < 0 {
			return false, true
		}
	}
}
