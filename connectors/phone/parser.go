package phone

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Parser normalises numbers, reading those written without a country code
// as numbers of its default region. It holds no mutable state and is safe
// for concurrent use.
type Parser struct {
	region string // "GB"
	cc     int    // 44
	ccStr  string // "44"
	// trunk is the region's national (trunk) prefix ("0") when national
	// numbers may be read without the library's full parse: the region
	// dials abroad with "00", strips a plain trunk prefix and transforms
	// nothing. Empty otherwise.
	trunk string
	// trunkOnly: the trunk prefix is the only prefix the region strips,
	// so digits without it may be read as they are.
	trunkOnly bool
	// national is the national matching rule of the host that reads
	// with this parser (see WithNationalMatch).
	national NationalMatch
}

// NewParser returns a parser whose default region is defaultRegion, an ISO
// 3166 alpha-2 code in any case ("GB", "tr").
func NewParser(defaultRegion string) (*Parser, error) {
	region := strings.ToUpper(strings.TrimSpace(defaultRegion))
	if region == "" {
		return nil, errors.New("phone: no default region: set it to the ISO 3166 alpha-2 code of the country most numbers in your CRM belong to, such as \"GB\" or \"TR\"")
	}
	if region == "UK" {
		return nil, errors.New("phone: unknown default region \"UK\": the ISO 3166 code of the United Kingdom is \"GB\"; use that")
	}
	if !phonenumbers.GetSupportedRegions()[region] {
		return nil, fmt.Errorf("phone: unknown default region %q: use an ISO 3166 alpha-2 country code such as \"GB\" or \"TR\" (known: %s)", defaultRegion, knownRegions())
	}
	cc := phonenumbers.GetCountryCodeForRegion(region)
	p := &Parser{region: region, cc: cc, ccStr: strconv.Itoa(cc)}
	if m := regionMetadata[region]; m != nil && m.GetInternationalPrefix() == "00" &&
		m.GetNationalPrefixTransformRule() == "" && isDigits(m.GetNationalPrefix()) {
		np, npfp := m.GetNationalPrefix(), m.GetNationalPrefixForParsing()
		if npfp == "" || npfp == np || strings.HasPrefix(npfp, np+"|") {
			p.trunk = np
			p.trunkOnly = npfp == "" || npfp == np
		}
	}
	return p, nil
}

var (
	// regionMetadata holds each region's numbering metadata, read once.
	regionMetadata = map[string]*phonenumbers.PhoneMetadata{}
	// leadingDigits holds, for the regions whose metadata has them, the
	// leading digits that tell the region among those sharing a calling
	// code.
	leadingDigits = map[string]*regexp.Regexp{}
	// leadingDFA holds the same patterns as automata (dfa.go), where
	// they could be built.
	leadingDFA = map[string]*digitDFA{}
)

func init() {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return // the fast paths stay off; the full parse still works
	}
	for _, m := range coll.GetMetadata() {
		regionMetadata[m.GetId()] = m
		if ld := m.GetLeadingDigits(); ld != "" {
			if re, err := regexp.Compile("^(?:" + ld + ")"); err == nil {
				leadingDigits[m.GetId()] = re
				if d := newDigitDFA("^(?:" + ld + ")"); d != nil {
					leadingDFA[m.GetId()] = d
				}
			}
		}
	}
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// knownRegions lists the supported region codes, sorted, for error messages.
func knownRegions() string {
	regions := make([]string, 0, 256)
	for r := range phonenumbers.GetSupportedRegions() {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	return strings.Join(regions, " ")
}

// Region is the parser's default region ("GB").
func (p *Parser) Region() string { return p.region }

// WithNationalMatch returns a copy of p that carries national matching rule
// m (SameCountry when m is ""), for the code that both reads and matches
// numbers with the host's parser (core/directory). Reading is unchanged.
// Any value but AnyCountry is SameCountry (Config.Check refuses others).
func (p *Parser) WithNationalMatch(m NationalMatch) *Parser {
	q := *p
	q.national = m.normal()
	return &q
}

// NationalMatch is the national matching rule the parser carries:
// SameCountry unless WithNationalMatch said otherwise.
func (p *Parser) NationalMatch() NationalMatch { return p.national.normal() }

// Parse reads a number as a CRM stores it: usually written for people, in
// national form, with spaces, trunk zero and maybe an extension. A number
// with only digits is read first as a national number of the default region
// and, only if that is not a valid number, as an international number
// without its '+'. Digits valid neither way but too many for a national
// number of the region are read as international when their length is
// possible for the country code they start with ("447700900123" in US).
//
// An input that holds only an extension ("#404812", "x101", "dahili 101")
// returns a Number with Raw and Extension set and a *ParseError wrapping
// ErrExtensionOnly, so that it is never looked up by mistake.
func (p *Parser) Parse(raw string) (Number, error) {
	return p.parse(raw, false)
}

// ParseCaller reads a number as a phone system sends it. It differs from
// Parse in one way: a string of bare digits ("442045205757") that is a
// valid number when read as international (E.164 without its '+') is read
// so, even when it is also a valid national number, because phone systems
// such as Hipcall send E.164 numbers both with and without the '+'. Bare
// digits valid neither way are read as international too when their length
// is possible for the country code they start with ("447700900123").
// Digits written with separators ("020 4520 5757") are read as Parse reads
// them.
func (p *Parser) ParseCaller(raw string) (Number, error) {
	return p.parse(raw, true)
}

func (p *Parser) parse(raw string, caller bool) (Number, error) {
	sc, reason := scan(raw)
	if reason != "" {
		return Number{Raw: raw}, &ParseError{Raw: raw, Reason: reason}
	}
	if sc.digits == "" {
		return Number{Raw: raw, Extension: sc.ext}, &ParseError{
			Raw:    raw,
			Reason: "it is only an extension (" + sc.ext + "), with no number before it",
			err:    ErrExtensionOnly,
		}
	}
	n, reason := p.interpret(sc, caller)
	if reason != "" {
		return Number{Raw: raw}, &ParseError{Raw: raw, Reason: reason}
	}
	n.Raw = raw
	n.Extension = sc.ext
	return n, nil
}

// interpret places scanned digits in a country.
func (p *Parser) interpret(sc scanned, caller bool) (Number, string) {
	digits := sc.digits
	if sc.plus {
		return international(digits)
	}
	if strings.HasPrefix(digits, "00") {
		// "00" is the international prefix nearly everywhere; no
		// national number starts with it. Other regions' prefixes
		// ("011" in the US) are stripped by the national reading below.
		return international(digits[2:])
	}
	if caller && sc.plain {
		if n, ok := validInternational(digits); ok {
			return n, ""
		}
	}
	if n, ok := p.fastNational(digits); ok {
		return n, ""
	}
	nat, natErr := phonenumbers.Parse(digits, p.region)
	if natErr == nil && int(nat.GetCountryCode()) != p.cc {
		// The region's own international prefix ("011 44 ..." in the
		// US) moved the number to another country: it was written
		// internationally.
		nsn := phonenumbers.GetNationalSignificantNumber(nat)
		if region, ok := validate(nat, nsn); ok {
			return fromPhoneNumber(nat, nsn, region), ""
		}
		return international(strconv.Itoa(int(nat.GetCountryCode())) + nsn)
	}
	if natErr == nil {
		nsn := phonenumbers.GetNationalSignificantNumber(nat)
		if region, ok := validate(nat, nsn); ok {
			n := fromPhoneNumber(nat, nsn, region)
			if p.countryAssumed(digits, n.National) {
				n.CountryAssumed, n.InferredRegion = true, p.region
			}
			return n, ""
		}
	}
	if !caller || !sc.plain { // a plain caller number was tried above
		if n, ok := validInternational(digits); ok {
			return n, ""
		}
	}
	if digits[0] != '0' && ((caller && sc.plain) || tooLong(nat, natErr)) {
		// Valid neither way, but sent bare by a phone system, or too
		// long for a national number: more likely E.164 without '+' in
		// a range the metadata does not know yet ("447700900123") than
		// a broken number.
		if n, reason := international(digits); reason == "" {
			return n, ""
		}
	}
	return p.nationalKey(digits, nat, natErr)
}

// fastNational reads digits as a national number of the default region
// without the library's full parse, when the region's prefixes are simple
// enough for the result to be the same (see Parser.trunk). ok is false when
// the fast reading is not a valid number; the full parse then decides.
func (p *Parser) fastNational(digits string) (Number, bool) {
	if p.trunk == "" {
		return Number{}, false
	}
	national := digits
	switch {
	case strings.HasPrefix(digits, p.trunk):
		national = digits[len(p.trunk):]
	case !p.trunkOnly:
		return Number{}, false
	}
	if !nationalOK(national) {
		return Number{}, false
	}
	region, valid := validateCC(p.cc, national, nil)
	if !valid {
		return Number{}, false
	}
	n := fromCC(p.cc, national, region, "")
	n.CountryAssumed, n.InferredRegion = true, p.region
	return n, true
}

// nationalOK reports whether newPhoneNumber accepts national.
func nationalOK(national string) bool {
	if national == "" || len(national) > 17 {
		return false
	}
	_, err := strconv.ParseUint(national, 10, 64)
	return err == nil
}

// newPhoneNumber builds the library's number from a calling code and
// national significant number, as its parser would, without parsing.
func newPhoneNumber(cc int, national string) (*phonenumbers.PhoneNumber, bool) {
	if national == "" || len(national) > 17 {
		return nil, false
	}
	v, err := strconv.ParseUint(national, 10, 64)
	if err != nil {
		return nil, false
	}
	// One allocation for the number and the fields it points to.
	b := &struct {
		pn      phonenumbers.PhoneNumber
		cc, z   int32
		v       uint64
		leading bool
	}{cc: int32(cc), v: v}
	pn := &b.pn
	pn.CountryCode, pn.NationalNumber = &b.cc, &b.v
	if len(national) > 1 && national[0] == '0' {
		// Italian-style leading zeros, counted as the library does: an
		// all-zero number keeps its last zero as the number.
		b.leading = true
		pn.ItalianLeadingZero = &b.leading
		zeros := 1
		for zeros < len(national)-1 && national[zeros] == '0' {
			zeros++
		}
		if zeros != 1 {
			b.z = int32(zeros)
			pn.NumberOfLeadingZeros = &b.z
		}
	}
	return pn, true
}

// validate returns the region of a number and whether it is valid there,
// as phonenumbers.IsValidNumber decides, but checking each candidate region
// only once. nsn is the number's national significant number.
//
// A number longer than E.164 allows (15 digits with the calling code) is
// not valid here, even where the library's metadata accepts it (a few
// German ranges): it could not be written as E.164.
func validate(pn *phonenumbers.PhoneNumber, nsn string) (region string, valid bool) {
	return validateCC(int(pn.GetCountryCode()), nsn, pn)
}

// validateCC is validate for the number of calling code cc and national
// significant number nsn; pn is that number, or nil when it is
// newPhoneNumber(cc, nsn), built only if the library must decide.
func validateCC(cc int, nsn string, pn *phonenumbers.PhoneNumber) (region string, valid bool) {
	if !fitsE164(cc, nsn) {
		return "", false
	}
	regions := phonenumbers.GetRegionCodesForCountryCode(cc)
	if len(regions) == 1 {
		return regions[0], validForRegionCC(cc, nsn, pn, regions[0])
	}
	// Several regions share the calling code (+1, +44, +7): as the
	// library does, a region whose metadata names leading digits is
	// chosen by them; the others by a full check, which is also the
	// validity check.
	for _, r := range regions {
		if re := leadingDigits[r]; re != nil {
			if leadsRegion(r, re, nsn) {
				return r, validForRegionCC(cc, nsn, pn, r)
			}
			continue
		}
		if validForRegionCC(cc, nsn, pn, r) {
			return r, true
		}
	}
	return "", false
}

// leadsRegion reports whether nsn starts with region r's leading digits
// (re, or its automaton when it has one).
func leadsRegion(r string, re *regexp.Regexp, nsn string) bool {
	if d := leadingDFA[r]; d != nil {
		if m, ok := d.matchPrefix(nsn); ok {
			return m
		}
	}
	return re.MatchString(nsn)
}

// international reads digits written after a '+' (or "00"): the calling
// code and the national number as written when that is a valid number;
// else the library's reading, which drops a spurious trunk prefix ("+90 0532
// ...", "+44 (0)20 ..."), when that is valid; else, since numbering plans
// change faster than metadata, the number as written when its length is
// possible for its country. The last rule never drops digits, so that
// reading a result's E164 again gives the same E164.
func international(digits string) (Number, string) {
	if digits == "" {
		return Number{}, "it has an international prefix but no number after it"
	}
	if digits[0] == '0' {
		return Number{}, "no country calling code starts with 0; remove the extra 0 after the '+' or \"00\""
	}
	if n, ok := validInternational(digits); ok {
		return n, ""
	}
	pn, err := phonenumbers.Parse("+"+digits, "ZZ")
	if err != nil {
		return Number{}, libraryReason(err)
	}
	nsn := phonenumbers.GetNationalSignificantNumber(pn)
	if region, ok := validate(pn, nsn); ok {
		return fromPhoneNumber(pn, nsn, region), ""
	}
	cc := int(pn.GetCountryCode())
	national, ok := strings.CutPrefix(digits, strconv.Itoa(cc))
	if !ok {
		return Number{}, "it does not start with a known country calling code"
	}
	literal, ok := newPhoneNumber(cc, national)
	if !ok {
		return Number{}, fmt.Sprintf("it is too long for a number of country code +%d", cc)
	}
	switch phonenumbers.IsPossibleNumberWithReason(literal) {
	case phonenumbers.IS_POSSIBLE:
		if !fitsE164(cc, national) {
			return Number{}, "it has more than the 15 digits an international number may have"
		}
		return fromPhoneNumber(literal, national, ""), ""
	case phonenumbers.TOO_SHORT, phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return Number{}, fmt.Sprintf("it is too short for a number of country code +%d", cc)
	case phonenumbers.TOO_LONG:
		return Number{}, fmt.Sprintf("it is too long for a number of country code +%d", cc)
	case phonenumbers.INVALID_COUNTRY_CODE:
		return Number{}, "it does not start with a known country calling code"
	}
	return Number{}, fmt.Sprintf("it has the wrong length for a number of country code +%d", cc)
}

// fitsE164 reports whether calling code cc and national significant number
// nsn make at most the 15 digits E.164 allows.
func fitsE164(cc int, nsn string) bool {
	n := len(nsn) + 1
	if cc >= 100 {
		n += 2
	} else if cc >= 10 {
		n++
	}
	return n <= 15
}

// validInternational reads digits as E.164 without the '+' by table
// look-up of the calling code, and accepts the reading only when it is a
// valid number.
func validInternational(digits string) (Number, bool) {
	if len(digits) > 15 {
		return Number{}, false
	}
	var buf [16]byte
	buf[0] = '+'
	e164 := string(append(buf[:1], digits...))
	cc, national, ok := SplitE164(e164)
	if !ok || !nationalOK(national) {
		return Number{}, false
	}
	region, valid := validateCC(cc, national, nil)
	if !valid {
		return Number{}, false
	}
	return fromCC(cc, national, region, e164), true
}

// tooLong reports whether the national reading failed for having too many
// digits for the default region.
func tooLong(nat *phonenumbers.PhoneNumber, natErr error) bool {
	if natErr != nil {
		return errors.Is(natErr, phonenumbers.ErrNumTooLong)
	}
	return phonenumbers.IsPossibleNumberWithReason(nat) == phonenumbers.TOO_LONG
}

// nationalKey keeps a number written without country code that is not a
// valid number of the default region, nor of any country when read as
// international, as a national key: its digits without the region's trunk
// prefix, no E164, no country.
//
// This is deliberate. Such numbers are of two kinds: national service
// numbers that cannot be dialled from abroad (the metadata knows Turkish
// "444 1 234", which gets an E164; others it may not), and foreign numbers
// stored without their country ("07700 900123", a UK mobile, in a Turkish
// CRM). Giving them the default region's country code would invent an
// E.164 number that does not exist; guessing another country from the
// digits alone is ambiguous (many countries use a trunk 0). The key's
// InferredRegion is the default region: by default (SameCountry) it meets
// by MatchNational only callers of that region's country, or whose country
// is unknown; with AnyCountry it meets the caller's number of any country
// ("+44 7700 900123" has National "7700900123"). Suffix matching, when on,
// ignores countries.
func (p *Parser) nationalKey(digits string, nat *phonenumbers.PhoneNumber, natErr error) (Number, string) {
	national := digits
	if natErr == nil {
		national = phonenumbers.GetNationalSignificantNumber(nat)
	} else if prefix := phonenumbers.GetNddPrefixForRegion(p.region, true); prefix != "" {
		national = strings.TrimPrefix(digits, prefix)
	}
	switch {
	case len(national) < MinNationalDigits:
		return Number{}, fmt.Sprintf("it has only %d digits, too few for a phone number of %s", len(national), p.region)
	case len(national) > 15:
		return Number{}, fmt.Sprintf("it has %d digits, too many for a phone number of %s; if it holds several numbers, split them with ParseAll", len(national), p.region)
	}
	return Number{National: national, InferredRegion: p.region}, ""
}

// countryAssumed reports whether a national reading of digits took its
// country code from the default region rather than from the digits.
func (p *Parser) countryAssumed(digits, national string) bool {
	if !strings.HasSuffix(digits, national) {
		return true
	}
	return !strings.Contains(digits[:len(digits)-len(national)], p.ccStr)
}

// fromPhoneNumber converts a parsed number whose national significant
// number is national; region is its region when
// known ("" lets the calling code decide, when only one region uses it).
func fromPhoneNumber(pn *phonenumbers.PhoneNumber, national, region string) Number {
	return fromCC(int(pn.GetCountryCode()), national, region, "")
}

// fromCC is fromPhoneNumber for calling code cc; e164, when not "", is
// the number's E.164 already written.
func fromCC(cc int, national, region, e164 string) Number {
	if region == "" || region == "001" {
		region = soleRegion(cc)
	}
	if e164 == "" {
		e164 = "+" + strconv.Itoa(cc) + national
	}
	return Number{
		E164:        e164,
		CountryCode: cc,
		National:    national,
		Region:      region,
	}
}

// libraryReason turns a phonenumbers error into a reason.
func libraryReason(err error) string {
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return "it does not start with a known country calling code"
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return "it is too short to be a phone number"
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return "it is too long to be a phone number"
	case errors.Is(err, phonenumbers.ErrNotANumber):
		return "it is not a phone number"
	}
	return "it is not a phone number (" + err.Error() + ")"
}
