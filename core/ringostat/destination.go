package ringostat

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/routing"
)

// TargetName is Ringostat's key in routing rules (to.ringostat,
// to_expr.ringostat) and in routing.default.
const TargetName = "ringostat"

// Target is Ringostat's decision point for the routing rules: destinations
// are phone numbers in international format (numbers written nationally are
// placed in p's default region; p may be nil) or SIP logins, and a call no
// rule routes, without a default, goes on to the next step of the scheme.
func Target(p *phone.Parser) routing.Target {
	return routing.Target{
		Name:           TargetName,
		Check:          func(dest string) (string, error) { return Destination(dest, p) },
		WithoutDefault: "Ringostat goes on to the next step of its scheme",
	}
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

// Destination checks and normalises a Ringostat destination, as
// configured (to.ringostat, routing.default.ringostat) or as a to_expr.ringostat expression yielded it:
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
func Destination(raw string, p *phone.Parser) (string, error) {
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
