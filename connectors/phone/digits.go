package phone

import "unicode"

// digitValue returns the value of a decimal digit in any script: ASCII,
// Arabic-Indic (٠-٩), Extended Arabic-Indic/Persian (۰-۹), full-width
// (０-９), Devanagari and every other Unicode Nd digit.
//
// Unicode encodes every decimal digit set as a contiguous run from zero to
// nine (a stability policy), and Go's unicode.Nd table lists them as runs
// of stride 1 that start at a zero, so the value is the offset in the run
// modulo ten.
func digitValue(r rune) (byte, bool) {
	if r >= '0' && r <= '9' {
		return byte(r - '0'), true
	}
	if r < 0x80 || !unicode.Is(unicode.Nd, r) {
		return 0, false
	}
	if r <= 0xFFFF {
		for _, rg := range unicode.Nd.R16 {
			if lo, hi := rune(rg.Lo), rune(rg.Hi); r >= lo && r <= hi {
				return byte((r - lo) % 10), true
			}
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if lo, hi := rune(rg.Lo), rune(rg.Hi); r >= lo && r <= hi {
			return byte((r - lo) % 10), true
		}
	}
	return 0, false
}
