package routing

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// Target is the phone system a decision is for. One rule set serves every
// target: a rule gives each target its own destination (extension /
// extension_expr for Hipcall, ringostat / ringostat_expr for Ringostat), and
// a rule without a destination for a target is skipped for that target.
type Target string

// Targets.
const (
	// TargetHipcall decides a Hipcall extension (Smart IVR).
	TargetHipcall Target = "hipcall"
	// TargetRingostat decides a Ringostat destination: a phone number in
	// international format or a SIP login.
	TargetRingostat Target = "ringostat"
)

// Targets lists every target, in the order the CLI documents them.
var Targets = []Target{TargetHipcall, TargetRingostat}

// ParseTarget reads a target's name ("hipcall", "ringostat"; any case).
func ParseTarget(s string) (Target, error) {
	t := Target(strings.ToLower(strings.TrimSpace(s)))
	for _, known := range Targets {
		if t == known {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown phone system %q: use hipcall or ringostat", s)
}

// MaxDestinationLen is the longest Ringostat destination accepted (a SIP
// URI with a long host name fits).
const MaxDestinationLen = 128

// maxNumericLogin is the longest all-digit string read as a SIP login. A
// longer one is a phone number and must carry its country code, so that a
// national number ("0501234567") is refused rather than sent to Ringostat as
// a login nobody has.
const maxNumericLogin = 6

var (
	// sipLoginRE is a Ringostat SIP login.
	sipLoginRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	// sipURIRE is sip:user@host[:port].
	sipURIRE = regexp.MustCompile(`^sip:[A-Za-z0-9._-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::[0-9]{1,5})?$`)
	// compactNumberRE is a phone number with its separators removed.
	compactNumberRE = regexp.MustCompile(`^\+?[0-9]+$`)
)

// RingostatDestination checks and normalises a Ringostat destination, as
// configured or as a ringostat_expr yielded it:
//
//   - a phone number in international format becomes its E.164 digits
//     without '+' ("+44 7700 900017", "3 80501234567", "00380501234567" →
//     "447700900017", "380501234567"). Spaces and the separators ( ) - . /
//     are dropped first, so digits split by spaces still read as one
//     international number. A number written nationally ("020 4520 5757")
//     is placed in the country of p's default region; one that cannot be
//     placed in a country is refused. p may be nil: then only numbers with
//     their country code are accepted.
//   - a SIP login, [A-Za-z0-9._-]+, is kept as it is ("manager.ada",
//     "reception"); an all-digit login may have at most 6 digits ("1093").
//   - a SIP URI, sip:user@host[:port], is kept with its scheme lower-cased.
//
// Anything else, and the empty string, is an error saying what to write.
func RingostatDestination(raw string, p *phone.Parser) (string, error) {
	s := strings.TrimSpace(raw)
	switch {
	case s == "":
		return "", errors.New("destination is empty: write a phone number in international format (380501234567) or a SIP login")
	case len(s) > MaxDestinationLen:
		return "", fmt.Errorf("destination %.20q... is %d characters long: use at most %d", s, len(s), MaxDestinationLen)
	}
	if len(s) >= 4 && strings.EqualFold(s[:4], "sip:") {
		uri := "sip:" + s[4:]
		if !sipURIRE.MatchString(uri) {
			return "", fmt.Errorf("destination %q is not a SIP URI of the form sip:user@host (user: letters, digits, . _ -)", s)
		}
		return uri, nil
	}
	if strings.IndexFunc(s, isLoginOnly) >= 0 {
		if !sipLoginRE.MatchString(s) {
			return "", fmt.Errorf("destination %q is not a SIP login: use only letters, digits, '.', '_' and '-' (or write a phone number in international format)", s)
		}
		return s, nil
	}
	compact := strings.Map(dropSeparator, s)
	if compactNumberRE.MatchString(compact) {
		if digits, ok := internationalDigits(compact, p); ok {
			return digits, nil
		}
	}
	if sipLoginRE.MatchString(s) && len(s) <= maxNumericLogin {
		return s, nil // a numeric SIP login such as "1093"
	}
	return "", fmt.Errorf("destination %q is neither a phone number in international format (write it with its country code, such as 380501234567) nor a SIP login (letters, digits, '.', '_', '-'; an all-digit login has at most %d digits)", s, maxNumericLogin)
}

// isLoginOnly reports whether r can appear in a SIP login but not in a
// phone number: a letter or '_'.
func isLoginOnly(r rune) bool { return r == '_' || unicode.IsLetter(r) }

// dropSeparator removes the spaces and punctuation people put between the
// digits of a phone number.
func dropSeparator(r rune) rune {
	if unicode.IsSpace(r) {
		return -1
	}
	switch r {
	case '(', ')', '-', '.', '/':
		return -1
	}
	return r
}

// internationalParser reads numbers written with their country code; its
// region plays no part in that.
var internationalParser, _ = phone.NewParser("GB")

// internationalDigits reads compact ("+380501234567", "380501234567",
// "00380501234567", "02045205757") as a number placed in a country and
// returns its E.164 digits without '+'. Without a parser the digits must
// start with the country code.
func internationalDigits(compact string, p *phone.Parser) (string, bool) {
	if p == nil {
		digits, plus := strings.CutPrefix(compact, "+")
		if !plus {
			digits = strings.TrimPrefix(digits, "00")
		}
		compact, p = "+"+digits, internationalParser
	}
	n, err := p.ParseCaller(compact)
	if err != nil || n.E164 == "" {
		return "", false
	}
	return strings.TrimPrefix(n.E164, "+"), true
}

// toText turns what a destination expression yielded into text: a string,
// or a whole number written out in full (a CRM field holding
// 447700900017 reaches rules as the float64 4.47700900017e+11).
func toText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		if x != math.Trunc(x) || math.Abs(x) >= 1e16 {
			return "", fmt.Errorf("yielded %v: a number must be a whole number", x)
		}
		return strconv.FormatInt(int64(x), 10), nil
	case nil:
		return "", errors.New("yielded nil: the record has no such value")
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return rv.String(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10), nil
	case reflect.Float32:
		return toText(rv.Float())
	}
	return "", fmt.Errorf("yielded %T: it must yield a string or a whole number", v)
}

// DefaultFor is the destination answered for target when no rule handles
// a call: the default extension for Hipcall, the normalised
// ringostat_default for Ringostat ("" when none is configured).
func (r *Router) DefaultFor(target Target) string {
	if r == nil {
		return ""
	}
	if target == TargetRingostat {
		return r.ringoDef
	}
	return r.def
}
