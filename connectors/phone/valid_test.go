package phone

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestValidForRegionAgrees holds validForRegion to the library's
// IsValidNumberForRegion: for every region, its example number of every
// type, each with its last digits changed, shortened and lengthened, and
// random national numbers of every length; each checked against every
// region of its calling code.
func TestValidForRegionAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	regions, types := allRegionsAndTypes()
	checked, valid := 0, 0
	check := func(cc int, nsn string) {
		if nsn == "" {
			return
		}
		n, err := strconv.ParseUint(nsn, 10, 64)
		if err != nil {
			return
		}
		pn := &phonenumbers.PhoneNumber{CountryCode: proto32(cc), NationalNumber: &n}
		for _, r := range phonenumbers.GetRegionCodesForCountryCode(cc) {
			want := phonenumbers.IsValidNumberForRegion(pn, r)
			if got := validForRegion(pn, r); got != want {
				t.Errorf("+%d %s in %s: validForRegion %v, the library %v", cc, nsn, r, got, want)
			}
			checked++
			if want {
				valid++
			}
		}
	}
	for _, r := range regions {
		cc := phonenumbers.GetCountryCodeForRegion(r)
		for _, typ := range types {
			ex := phonenumbers.GetExampleNumberForType(r, typ)
			if ex == nil {
				continue
			}
			// The example itself, Italian leading zeros and all.
			if got, want := validForRegion(ex, r), phonenumbers.IsValidNumberForRegion(ex, r); got != want {
				t.Errorf("%s's example %v: validForRegion %v, the library %v", r, ex, got, want)
			}
			nsn := phonenumbers.GetNationalSignificantNumber(ex)
			check(cc, nsn)
			for range 5 {
				b := []byte(nsn)
				b[len(b)-1-rng.IntN(min(3, len(b)))] = byte('0' + rng.IntN(10))
				check(cc, string(b))
			}
			check(cc, nsn[:len(nsn)-1])
			check(cc, nsn+strconv.Itoa(rng.IntN(10)))
		}
		for l := 4; l <= 13; l++ {
			b := make([]byte, l)
			for i := range b {
				b[i] = byte('0' + rng.IntN(10))
			}
			if b[0] == '0' {
				b[0] = '1'
			}
			check(cc, string(b))
		}
	}
	if checked < 5000 || valid < 1000 {
		t.Fatalf("checked %d numbers (%d valid): too few to mean anything", checked, valid)
	}
	t.Logf("%d numbers checked against the library, %d valid", checked, valid)
}

func proto32(v int) *int32 { x := int32(v); return &x }

// BenchmarkValidForRegion compares the compiled check with the
// library's for a London number.
func BenchmarkValidForRegion(b *testing.B) {
	n := uint64(2045205757)
	pn := &phonenumbers.PhoneNumber{CountryCode: proto32(44), NationalNumber: &n}
	b.Run("library", func(b *testing.B) {
		for b.Loop() {
			phonenumbers.IsValidNumberForRegion(pn, "GB")
		}
	})
	b.Run("compiled", func(b *testing.B) {
		for b.Loop() {
			validForRegion(pn, "GB")
		}
	})
}

// allRegionsAndTypes are every region the library knows, sorted, and
// every number type with a description: what the agreement tests cover.
func allRegionsAndTypes() ([]string, []phonenumbers.PhoneNumberType) {
	regions := make([]string, 0, 256)
	for r := range phonenumbers.GetSupportedRegions() {
		regions = append(regions, r)
	}
	slices.Sort(regions)
	return regions, []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE,
		phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST, phonenumbers.VOIP, phonenumbers.PERSONAL_NUMBER,
		phonenumbers.PAGER, phonenumbers.UAN, phonenumbers.VOICEMAIL}
}
