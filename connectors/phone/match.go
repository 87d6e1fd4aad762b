package phone

import (
	"github.com/nyaruka/phonenumbers"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Valid reports whether the number has a key to match on: an E164 or a
// National number. A Number holding only an extension is not valid.
func (n Number) Valid() bool { return n.E164 != "" || n.National != "" }

// NationalMatch is the rule for MatchNational: whether equal national
// numbers of different countries meet. It is the phone section's
// national_match.
type NationalMatch string

const (
	// SameCountry (the default): national numbers meet only when their
	// countries agree, a country being written or inferred (see Origin).
	SameCountry NationalMatch = "same_country"
	// AnyCountry: national numbers meet across countries when at least
	// one side's country was not written in its own digits, for CRMs that
	// store foreign numbers without their country code.
	AnyCountry NationalMatch = "any_country"
)

// normal is m with every value but AnyCountry read as SameCountry.
func (m NationalMatch) normal() NationalMatch {
	if m == AnyCountry {
		return AnyCountry
	}
	return SameCountry
}

// Origin is what national matching knows of a number's country.
type Origin struct {
	// Code is the calling code the number belongs to: the one its digits
	// carried, or that of its InferredRegion; 0 when unknown.
	Code int
	// Written is true when the number's own digits carried Code.
	Written bool
}

// Origin returns n's country as national matching sees it. A number with
// an E164 belongs to its calling code (taken from the E164 when CountryCode
// is not set, as in a Number a connector rebuilt from a LookupRequest),
// written unless CountryAssumed. A number without E164 belongs to its
// InferredRegion's calling code, not written; without either its country
// is unknown (Code 0).
func (n Number) Origin() Origin {
	if n.E164 != "" {
		cc := n.CountryCode
		if cc == 0 {
			cc, _, _ = SplitE164(n.E164)
		}
		return Origin{Code: cc, Written: !n.CountryAssumed}
	}
	if n.InferredRegion != "" {
		return Origin{Code: regionCode(n.InferredRegion)}
	}
	return Origin{}
}

// regionCode is region's calling code ("GB" → 44), 0 when unknown.
func regionCode(region string) int {
	if m := regionMetadata[region]; m != nil {
		return int(m.GetCountryCode())
	}
	return phonenumbers.GetCountryCodeForRegion(region)
}

// Meets reports whether two numbers with equal National keys, of origins
// query and record, match nationally under rule m.
//
// Under both rules at least one side's country must not be written: two
// written numbers meet only exactly. AnyCountry asks nothing more;
// SameCountry also asks that the codes be equal, or one unknown. So
// SameCountry never meets where AnyCountry does not.
func (m NationalMatch) Meets(query, record Origin) bool {
	if query.Written && record.Written {
		return false
	}
	return m == AnyCountry || query.Code == record.Code || query.Code == 0 || record.Code == 0
}

// Match says how a query number (the caller's) meets a record's number
// under the default national rule, SameCountry; "" means no match. The
// rules are in the package documentation. Connectors match with it.
func Match(query, record Number, suffixDigits int) connectors.MatchKind {
	return SameCountry.Match(query, record, suffixDigits)
}

// Match says how a query number meets a record's number under national
// rule m; "" means no match.
func (m NationalMatch) Match(query, record Number, suffixDigits int) connectors.MatchKind {
	if query.E164 != "" && query.E164 == record.E164 {
		return connectors.MatchExact
	}
	if query.National != "" && query.National == record.National &&
		m.Meets(query.Origin(), record.Origin()) {
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

// Match says how a query number meets a record's number under the parser's
// national rule (NationalMatch).
func (p *Parser) Match(query, record Number, suffixDigits int) connectors.MatchKind {
	return p.NationalMatch().Match(query, record, suffixDigits)
}
