package phone

import "github.com/switchboard-hq/switchboard/connectors"

// Valid reports whether the number has a key to match on: an E164 or a
// National number. A Number holding only an extension is not valid.
func (n Number) Valid() bool { return n.E164 != "" || n.National != "" }

// countryKnown reports whether n's country came from its own digits.
func (n Number) countryKnown() bool { return n.E164 != "" && !n.CountryAssumed }

// Match says how a query number (the caller's) meets a record's number; ""
// means no match. The rules are in the package documentation.
func Match(query, record Number, suffixDigits int) connectors.MatchKind {
	if query.E164 != "" && query.E164 == record.E164 {
		return connectors.MatchExact
	}
	if query.National != "" && query.National == record.National &&
		(!query.countryKnown() || !record.countryKnown()) {
		return connectors.MatchNational
	}
	if suffixDigits > 0 {
		if s := Suffix(query, suffixDigits); s != "" && s == Suffix(record, suffixDigits) {
			return connectors.MatchSuffix
		}
	}
	return ""
}

// Suffix returns the last digits digits of n.National, or "" when digits is
// not positive or National is shorter.
func Suffix(n Number, digits int) string {
	if digits <= 0 || len(n.National) < digits {
		return ""
	}
	return n.National[len(n.National)-digits:]
}
