package phone

import "github.com/nyaruka/phonenumbers"

// callingCodes marks the assigned country calling codes (1 to 999). They
// form a prefix code: no code is the prefix of another, so the first match
// of one, two or three digits is the code.
var callingCodes [1000]bool

// soleRegions maps a calling code to its region when only one region uses
// it ("90" → "TR"; "44" is shared by GB, GG, IM and JE, so it has none).
var soleRegions [1000]string

func init() {
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		if cc <= 0 || cc >= len(callingCodes) {
			continue
		}
		callingCodes[cc] = true
		if regions := phonenumbers.GetRegionCodesForCountryCode(cc); len(regions) == 1 && regions[0] != "001" {
			soleRegions[cc] = regions[0]
		}
	}
}

// soleRegion returns the only region that uses calling code cc, or "".
func soleRegion(cc int) string {
	if cc <= 0 || cc >= len(soleRegions) {
		return ""
	}
	return soleRegions[cc]
}

// SplitE164 splits an E.164 string ("+442045205757") into its country
// calling code (44) and national significant number ("2045205757") by
// table look-up, without a full parse. ok is false unless e164 is '+'
// followed by 2 to 15 digits that start with an assigned calling code (so
// not with 0) and
// leave at least one digit after it. It does not check that the national
// number is valid for the country.
func SplitE164(e164 string) (countryCode int, national string, ok bool) {
	if len(e164) < 3 || len(e164) > 16 || e164[0] != '+' || e164[1] == '0' {
		return 0, "", false
	}
	for i := 1; i < len(e164); i++ {
		if c := e164[i]; c < '0' || c > '9' {
			return 0, "", false
		}
	}
	cc := 0
	for i := 1; i <= 3 && i < len(e164)-1; i++ {
		cc = cc*10 + int(e164[i]-'0')
		if callingCodes[cc] {
			return cc, e164[i+1:], true
		}
	}
	return 0, "", false
}

// FromE164 builds a Number from an E.164 string that was already
// normalised (by Parse, or by a CRM that stores E.164), without a full
// parse: E164, CountryCode and National are set; Region only when a single
// region uses the calling code; Raw is the input. ok is false when e164 is
// not syntactically E.164 (see SplitE164).
func FromE164(e164 string) (Number, bool) {
	cc, national, ok := SplitE164(e164)
	if !ok {
		return Number{}, false
	}
	return Number{Raw: e164, E164: e164, CountryCode: cc, National: national, Region: soleRegion(cc)}, true
}
