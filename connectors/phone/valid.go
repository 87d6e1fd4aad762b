package phone

import (
	"regexp"
	"slices"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// validForRegion is phonenumbers.IsValidNumberForRegion, with the
// region's patterns compiled once. The library builds each pattern's
// cache key by concatenation on every call (20% of a CSV load of a
// million numbers went to that alone); the decision is the library's,
// step for step (getNumberTypeHelper): the general description must
// match, then any of the number types. TestValidForRegionAgrees holds
// it to the library over every region's example numbers and random
// ones. A region the metadata does not list (non-geographic "001")
// goes to the library.
func validForRegion(pn *phonenumbers.PhoneNumber, region string) bool {
	return validForRegionNSN(pn, "", region)
}

// validForRegionNSN is validForRegion given the number's national
// significant number (phonenumbers.GetNationalSignificantNumber(pn),
// which costs an allocation or two); "" when the caller does not have it.
func validForRegionNSN(pn *phonenumbers.PhoneNumber, nsn, region string) bool {
	if nsn == "" {
		if v := regionValidator(region); v != nil && int(pn.GetCountryCode()) == v.countryCode {
			nsn = phonenumbers.GetNationalSignificantNumber(pn)
		}
	}
	return validForRegionCC(int(pn.GetCountryCode()), nsn, pn, region)
}

// validForRegionCC is validForRegionNSN for the number of calling code cc
// and national significant number nsn (not ""); pn is that number, or nil
// when it is newPhoneNumber(cc, nsn), built only if the library decides.
func validForRegionCC(cc int, nsn string, pn *phonenumbers.PhoneNumber, region string) bool {
	v := regionValidator(region)
	if v == nil {
		if pn == nil {
			var ok bool
			if pn, ok = newPhoneNumber(cc, nsn); !ok {
				return false
			}
		}
		return phonenumbers.IsValidNumberForRegion(pn, region)
	}
	if cc != v.countryCode {
		return false
	}
	return v.valid(nsn)
}

// numberDesc is one of a region's number descriptions, compiled.
type numberDesc struct {
	re      *regexp.Regexp
	dfa     *digitDFA // re over digits; nil: re decides
	lengths []int32
}

// matches is the library's isNumberMatchingDesc.
func (d *numberDesc) matches(nsn string) bool {
	if len(d.lengths) > 0 && !slices.Contains(d.lengths, int32(len(nsn))) {
		return false
	}
	if d.dfa != nil {
		if m, ok := d.dfa.match(nsn); ok {
			return m
		}
	}
	return d.re.MatchString(nsn)
}

type validator struct {
	countryCode int
	general     numberDesc
	// special are premium rate, toll free, shared cost, VoIP, personal
	// number, pager, UAN and voicemail, in the library's order.
	special           []numberDesc
	fixedLine, mobile numberDesc
	sameMobileFixed   bool
}

func (v *validator) valid(nsn string) bool {
	if !v.general.matches(nsn) {
		return false
	}
	for i := range v.special {
		if v.special[i].matches(nsn) {
			return true
		}
	}
	if v.fixedLine.matches(nsn) {
		return true
	}
	return !v.sameMobileFixed && v.mobile.matches(nsn)
}

var validators sync.Map // region → *validator

// regionValidator returns region's compiled validator, building it on
// first use; nil when the metadata has no such region.
func regionValidator(region string) *validator {
	if v, ok := validators.Load(region); ok {
		return v.(*validator)
	}
	m := regionMetadata[region]
	if m == nil || region == "001" {
		return nil
	}
	desc := func(d *phonenumbers.PhoneNumberDesc) numberDesc {
		// As the library: a missing description's pattern is "", which
		// matches only an empty number.
		pattern := "^(?:" + d.GetNationalNumberPattern() + ")$"
		return numberDesc{re: regexp.MustCompile(pattern), dfa: newDigitDFA(pattern), lengths: d.GetPossibleLength()}
	}
	v := &validator{countryCode: int(m.GetCountryCode()), general: desc(m.GetGeneralDesc()),
		fixedLine: desc(m.GetFixedLine()), mobile: desc(m.GetMobile()), sameMobileFixed: m.GetSameMobileAndFixedLinePattern()}
	for _, d := range []*phonenumbers.PhoneNumberDesc{m.GetPremiumRate(), m.GetTollFree(), m.GetSharedCost(), m.GetVoip(),
		m.GetPersonalNumber(), m.GetPager(), m.GetUan(), m.GetVoicemail()} {
		v.special = append(v.special, desc(d))
	}
	actual, _ := validators.LoadOrStore(region, v)
	return actual.(*validator)
}
