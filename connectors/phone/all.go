package phone

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// ParseAll reads a CRM field that may hold several numbers, separated by
// ',', ';', '|' or line breaks (and their Arabic and full-width forms), or
// by a '/' between two complete numbers. A '/' followed by 1 to 5 digits is
// an extension ("0212 555 12 34 / 101"); a '/' inside one number is
// formatting ("030/1234567"). A part that is only an extension ("ext 101")
// belongs to the number before it.
//
// It returns the numbers it could read, in field order without duplicates,
// and one *ParseError for each part it could not. An empty field gives
// neither.
func (p *Parser) ParseAll(field string) ([]Number, []error) {
	return p.AppendAll(nil, field)
}

// AppendAll is ParseAll appending the numbers to dst (which it may
// reuse: a caller parsing many fields passes the same scratch); the
// numbers already in dst play no part in the parse.
func (p *Parser) AppendAll(dst []Number, field string) ([]Number, []error) {
	if len(field) > MaxFieldLength*utf8.UTFMax || utf8.RuneCountInString(field) > MaxFieldLength {
		return dst, []error{&ParseError{Raw: field, Reason: "the field is longer than 1024 characters; it cannot be a list of phone numbers"}}
	}
	var errs []error
	base := len(dst)
	numbers := dst
	// The numbers kept are few: a duplicate is found by comparing keys
	// with each (no map, no key strings).
	seen := func(n *Number) bool {
		for i := base; i < len(numbers); i++ {
			if sameKey(&numbers[i], n) {
				return true
			}
		}
		return false
	}
	var partBuf [4]string
	for _, part := range appendParts(partBuf[:0], field) {
		cands := []string{part}
		if strings.ContainsAny(part, "/／") {
			cands = p.splitSlashes(part)
		}
		for _, cand := range cands {
			n, err := p.Parse(cand)
			switch {
			case errors.Is(err, ErrExtensionOnly) && len(numbers) > base && numbers[len(numbers)-1].Extension == "":
				last := &numbers[len(numbers)-1]
				last.Extension = n.Extension
				last.Raw += ", " + cand
			case err != nil:
				errs = append(errs, err)
			case !seen(&n):
				numbers = append(numbers, n)
			}
		}
	}
	return numbers, errs
}

// key identifies a number for de-duplication.
func key(n Number) string {
	k := n.E164
	if k == "" {
		k = n.National
	}
	return k + "#" + n.Extension
}

// sameKey reports whether key(*a) == key(*b), without building them.
func sameKey(a, b *Number) bool {
	ka, kb := a.E164, b.E164
	if ka == "" {
		ka = a.National
	}
	if kb == "" {
		kb = b.National
	}
	if len(ka)+len(a.Extension) != len(kb)+len(b.Extension) {
		return false
	}
	if len(ka) == len(kb) {
		return ka == kb && a.Extension == b.Extension
	}
	// Different splits of the same total length: compare the strings
	// "ka#exta" and "kb#extb" byte by byte.
	at := func(k, ext string, i int) byte {
		switch {
		case i < len(k):
			return k[i]
		case i == len(k):
			return '#'
		}
		return ext[i-len(k)-1]
	}
	for i := 0; i <= len(ka)+len(a.Extension); i++ {
		if at(ka, a.Extension, i) != at(kb, b.Extension, i) {
			return false
		}
	}
	return true
}

// appendParts cuts a field at list separators and appends the non-empty
// parts to parts. A ';' that starts a URI parameter (";ext=101") is not a
// separator.
func appendParts(parts []string, field string) []string {
	start := 0
	for i, r := range field {
		switch r {
		case ',', '|', '\n', '\r', '，', '｜', '،', '؛', '；':
		case ';':
			if isURIParam(field[i+1:]) {
				continue
			}
		default:
			continue
		}
		if part := strings.TrimSpace(field[start:i]); part != "" {
			parts = append(parts, part)
		}
		start = i + utf8.RuneLen(r)
	}
	if part := strings.TrimSpace(field[start:]); part != "" {
		parts = append(parts, part)
	}
	return parts
}

// isURIParam reports whether s starts with "name=" (letters, digits and
// '-' before '=').
func isURIParam(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '=':
			return i > 0
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-', i > 0 && c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return false
}

// splitSlashes cuts a part at each '/' that stands between two complete
// numbers, and keeps the other '/' (extensions, formatting) in place for
// Parse.
func (p *Parser) splitSlashes(part string) []string {
	if !strings.ContainsAny(part, "/／") {
		return []string{part}
	}
	pieces := strings.FieldsFunc(part, func(r rune) bool { return r == '/' || r == '／' })
	if len(pieces) < 2 {
		return []string{part}
	}
	var out []string
	cur := pieces[0]
	curComplete := -1 // unknown; 0 no; 1 yes
	for _, next := range pieces[1:] {
		if n, only := countDigits(next); only && n >= 1 && n <= 5 {
			cur += "/" + next
			curComplete = -1
			continue
		}
		if curComplete < 0 {
			curComplete = boolInt(p.complete(cur))
		}
		if curComplete == 1 && p.complete(next) {
			out = append(out, strings.TrimSpace(cur))
			cur, curComplete = next, 1
			continue
		}
		cur += "/" + next
		curComplete = -1
	}
	return append(out, strings.TrimSpace(cur))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// complete reports whether s reads as a number on its own.
func (p *Parser) complete(s string) bool {
	n, err := p.Parse(s)
	return err == nil && n.Valid()
}

// truncate shortens s for an error message.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
