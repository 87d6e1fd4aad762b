package phone

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on what the parser reads.
const (
	// MaxLength is the longest input, in characters, that Parse and
	// ParseCaller read; longer input is refused at once.
	MaxLength = 64
	// MaxFieldLength is the longest field, in characters, that ParseAll
	// reads.
	MaxFieldLength = 1024
	// MaxExtensionDigits is the longest extension accepted.
	MaxExtensionDigits = 10
	// MinNationalDigits is the fewest digits a number that cannot be placed
	// in a country must have to be kept as a national key.
	MinNationalDigits = 5
	// maxDigits bounds the digits of a number before interpretation: 15
	// for E.164 plus room for an international or trunk prefix.
	maxDigits = 18
)

// Reasons shared by the scanner and the parser.
const (
	reasonEmpty   = "it is empty; leave the field out instead"
	reasonTooLong = "it is longer than 64 characters; store one number per value, or split a field of several numbers with ParseAll"
	reasonNoDigit = "it has no digits"
	reasonSciLost = "spreadsheet scientific notation lost digits; re-export the column formatted as text"
	reasonSciFrac = "it is spreadsheet scientific notation for a number that is not whole; re-export the column formatted as text"
)

// scanned is the lexical reading of one number: its digits (ASCII), whether
// it was written with a leading '+', and its extension.
type scanned struct {
	digits string
	ext    string
	// plus: the number was written with a leading '+'.
	plus bool
	// plain: the digits were written without any separator between them
	// ("442045205757"), the way phone systems send numbers.
	plain bool
}

// extensionWords are the words that introduce an extension, lower-cased:
// English, and Turkish "dahili" (internal) with its abbreviation.
var extensionWords = map[string]bool{
	"ext": true, "extn": true, "extension": true, "x": true,
	"dahili": true, "dah": true,
}

// uriSchemes are the URI schemes a number may come wrapped in.
var uriSchemes = []string{"tel:", "sip:", "sips:", "callto:"}

// scan reads raw into digits, '+' and extension, without interpreting the
// digits. It returns a non-empty reason when raw cannot be a number.
func scan(raw string) (scanned, string) {
	if len(raw) > MaxLength*utf8.UTFMax || utf8.RuneCountInString(raw) > MaxLength {
		return scanned{}, reasonTooLong
	}
	s := strings.TrimSpace(raw)
	if s == "" {
		return scanned{}, reasonEmpty
	}
	var uriExt string
	s, uriExt, reason := stripURI(s)
	if reason != "" {
		return scanned{}, reason
	}
	if d, reason, ok := scientific(s); ok {
		if reason != "" {
			return scanned{}, reason
		}
		return scanned{digits: d, plain: true, ext: uriExt}, ""
	}
	sc, reason := lex(s)
	if reason != "" {
		return scanned{}, reason
	}
	if uriExt != "" {
		if sc.ext != "" {
			return scanned{}, "it has two extensions"
		}
		sc.ext = uriExt
	}
	if sc.digits == "" && sc.ext == "" {
		if sc.plus {
			return scanned{}, "it has a '+' but no digits after it"
		}
		return scanned{}, reasonNoDigit
	}
	if sc.digits == "" && sc.plus {
		return scanned{}, "it has a '+' but only an extension"
	}
	return sc, ""
}

// stripURI removes a tel:, sip: or callto: wrapper and returns the
// extension of a tel: URI's ";ext=" parameter.
func stripURI(s string) (number, ext, reason string) {
	scheme := ""
	for _, sch := range uriSchemes {
		if len(s) >= len(sch) && strings.EqualFold(s[:len(sch)], sch) {
			scheme = strings.ToLower(sch)
			s = strings.TrimSpace(s[len(sch):])
			break
		}
	}
	if scheme == "" {
		return s, "", ""
	}
	if scheme == "sip:" || scheme == "sips:" {
		if at := strings.IndexByte(s, '@'); at >= 0 {
			s = s[:at]
		}
	}
	number, params, _ := strings.Cut(s, ";")
	for params != "" {
		var param string
		param, params, _ = strings.Cut(params, ";")
		key, value, _ := strings.Cut(param, "=")
		if !strings.EqualFold(strings.TrimSpace(key), "ext") {
			continue // phone-context, isub, user=phone...: not part of the number
		}
		d, ok := asciiDigits(value)
		if !ok || d == "" {
			return "", "", "its ;ext= parameter is not digits"
		}
		if len(d) > MaxExtensionDigits {
			return "", "", "its extension has more than 10 digits"
		}
		ext = d
	}
	return number, ext, ""
}

// asciiDigits returns s's digits in ASCII, ignoring spaces and punctuation;
// ok is false when s has anything else.
func asciiDigits(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		if v, ok := digitValue(r); ok {
			b.WriteByte('0' + v)
			continue
		}
		if !isFormatting(r) {
			return "", false
		}
	}
	return b.String(), true
}

// scientific recognises a number a spreadsheet turned into a float:
// "9.05321234567E+11" (recovered when the mantissa holds every digit),
// "9.05E+11" (digits lost) and "905321234567.0". ok is false when s is not
// such a number; reason is set when it is one but cannot be recovered.
func scientific(s string) (digits, reason string, ok bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intPart := s[:i]
	if intPart == "" {
		return "", "", false
	}
	var frac string
	if i < len(s) && (s[i] == '.' || s[i] == ',') {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		frac = s[i+1 : j]
		i = j
	}
	if i == len(s) {
		// "905321234567.0": a float rendering of a whole number. Only a
		// dot followed by zeros counts, and only after enough digits to
		// be a number, so that "0212.555" style grouping is not taken.
		if frac == "" || strings.Trim(frac, "0") != "" || len(intPart) < 7 || s[len(intPart)] != '.' {
			return "", "", false
		}
		return intPart, "", true
	}
	if s[i] != 'e' && s[i] != 'E' {
		return "", "", false
	}
	i++
	if i < len(s) && s[i] == '+' {
		i++
	}
	exp := 0
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' && i-start < 3 {
		exp = exp*10 + int(s[i]-'0')
		i++
	}
	if i == start || i != len(s) || len(intPart) != 1 {
		return "", "", false
	}
	switch {
	case exp < len(frac):
		return "", reasonSciFrac, true
	case exp > len(frac):
		return "", reasonSciLost, true
	}
	return intPart + frac, "", true
}

// isFormatting reports whether r may appear between a number's digits
// without meaning anything: spaces, punctuation, invisible format marks
// (left-to-right marks around Arabic digits) and '='.
func isFormatting(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.Is(unicode.Cf, r) || r == '=' || r == '~'
}

// lexer state for one number.
type lexer struct {
	s string
	// digits[:nd] and ext[:ne]: arrays, not slices, so that a lexer
	// stays on the stack.
	digits [maxDigits]byte
	ext    [MaxExtensionDigits + 1]byte
	nd, ne int
	plus   bool
	inExt  bool
	// gap: a separator followed the last main digit.
	gap   bool
	plain bool
	paren int
}

// lex reads s rune by rune.
func lex(s string) (scanned, string) {
	lx := lexer{s: s, plain: true}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			return scanned{}, "it is not valid UTF-8 text"
		}
		if v, ok := digitValue(r); ok {
			if reason := lx.digit(v); reason != "" {
				return scanned{}, reason
			}
			i += size
			continue
		}
		switch {
		case r == '+' || r == '＋':
			if lx.nd > 0 || lx.plus || lx.inExt {
				return scanned{}, "it has a '+' that does not start the number"
			}
			lx.plus = true
		case r == '#' || r == '＃':
			if !lx.hasDigitsAfter(i + size) {
				break // a trailing '#' ends dialling; it means nothing
			}
			if lx.inExt {
				return scanned{}, "it has more than one extension marker"
			}
			lx.inExt = true
		case r == '/' || r == '／':
			// A '/' followed by 1-5 digits and nothing else is an
			// extension ("0212 555 12 34 / 101"); otherwise it is
			// formatting ("030/1234567").
			if !lx.inExt && lx.nd > 0 {
				if n, only := countDigits(s[i+size:]); only && n >= 1 && n <= 5 {
					lx.inExt = true
					break
				}
			}
			lx.separator()
		case r == '*' || r == '＊':
			return scanned{}, "it has a '*': service codes are not phone numbers"
		case unicode.IsLetter(r) || unicode.IsMark(r):
			end := i + size
			for end < len(s) {
				r2, size2 := utf8.DecodeRuneInString(s[end:])
				if !unicode.IsLetter(r2) && !unicode.IsMark(r2) {
					break
				}
				end += size2
			}
			if reason := lx.word(s[i:end], end); reason != "" {
				return scanned{}, reason
			}
			i = end
			continue
		case isFormatting(r):
			switch r {
			case '(', '[', '（':
				lx.paren++
			case ')', ']', '）':
				if lx.paren > 0 {
					lx.paren--
				}
			}
			lx.separator()
		default:
			return scanned{}, "it has the character " + quoteRune(r) + ", which has no place in a phone number"
		}
		i += size
	}
	if lx.inExt && lx.ne == 0 {
		return scanned{}, "it has an extension marker with no digits after it"
	}
	if lx.ne > MaxExtensionDigits {
		return scanned{}, "its extension has more than 10 digits"
	}
	return scanned{digits: string(lx.digits[:lx.nd]), ext: string(lx.ext[:lx.ne]), plus: lx.plus, plain: lx.plain}, ""
}

func (lx *lexer) digit(v byte) string {
	if lx.inExt {
		if lx.ne > MaxExtensionDigits {
			return "its extension has more than 10 digits"
		}
		lx.ext[lx.ne] = '0' + v
		lx.ne++
		return ""
	}
	if lx.nd >= maxDigits {
		return "it has too many digits to be one phone number; split a field of several numbers with ParseAll"
	}
	if lx.gap {
		lx.plain = false
		lx.gap = false
	}
	lx.digits[lx.nd] = '0' + v
	lx.nd++
	return ""
}

func (lx *lexer) separator() {
	if lx.nd > 0 && !lx.inExt {
		lx.gap = true
	}
}

// word handles a run of letters ending at byte offset end.
func (lx *lexer) word(w string, end int) string {
	lw := lowerWord(w)
	switch {
	case extensionWords[lw]:
		if lx.inExt {
			return "it has more than one extension marker"
		}
		lx.inExt = true
		return ""
	case lx.paren > 0:
		return "" // a comment: "(office)"
	case lx.nd == 0 && !lx.plus && !lx.inExt && nextIsColon(lx.s[end:]):
		return "" // a label: "Tel:", "Mobile:", "Cep Tel.:"
	}
	if len(w) > 16 {
		w = w[:16] + "…"
	}
	return "it has letters (" + quote(w) + "); only digits, '+', separators and an extension such as \"ext 101\" or \"dahili 101\" belong in a phone number"
}

// hasDigitsAfter reports whether any digit follows offset i.
func (lx *lexer) hasDigitsAfter(i int) bool {
	for _, r := range lx.s[i:] {
		if _, ok := digitValue(r); ok {
			return true
		}
	}
	return false
}

// countDigits counts the digits in s; only is false when s also has
// anything but digits and formatting.
func countDigits(s string) (n int, only bool) {
	for _, r := range s {
		if _, ok := digitValue(r); ok {
			n++
			continue
		}
		if !isFormatting(r) || r == '/' || r == '／' {
			return n, false
		}
	}
	return n, true
}

// nextIsColon reports whether s, after words, spaces and dots, reaches a
// ':', so that the words before it are a label ("Cep Tel.: ").
func nextIsColon(s string) bool {
	for _, r := range s {
		switch {
		case r == ':' || r == '：':
			return true
		case unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsSpace(r) || r == '.':
		default:
			return false
		}
	}
	return false
}

// lowerWord lower-cases w, folding the Turkish dotted and dotless i to 'i'
// so that "DAHİLİ" and "dahılı" read as "dahili".
func lowerWord(w string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case 'İ', 'ı', 'I':
			return 'i'
		case '\u0307': // combining dot above, left by decomposed İ
			return -1
		}
		return unicode.ToLower(r)
	}, w)
}
