package phone

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestDigitDFAAgrees holds every region's compiled automata to their
// regexps: every number description of every region, over each region's
// example numbers (changed, shortened, lengthened, as
// TestValidForRegionAgrees), every prefix of them, and random digit
// strings of every length from 0 to 17, checked against every
// description of every region of the calling code.
func TestDigitDFAAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	regions, types := allRegionsAndTypes()
	checked, matched, descs, without := 0, 0, 0, 0
	for _, r := range regions {
		v := regionValidator(r)
		if v == nil {
			continue
		}
		all := append([]numberDesc{v.general, v.fixedLine, v.mobile}, v.special...)
		for _, d := range all {
			descs++
			if d.dfa == nil {
				without++
			}
		}
		var inputs []string
		for _, typ := range types {
			ex := phonenumbers.GetExampleNumberForType(r, typ)
			if ex == nil {
				continue
			}
			nsn := phonenumbers.GetNationalSignificantNumber(ex)
			for i := 0; i <= len(nsn); i++ {
				inputs = append(inputs, nsn[:i])
			}
			for range 5 {
				b := []byte(nsn)
				b[len(b)-1-rng.IntN(min(3, len(b)))] = byte('0' + rng.IntN(10))
				inputs = append(inputs, string(b))
			}
			inputs = append(inputs, nsn+strconv.Itoa(rng.IntN(10)), "0"+nsn, nsn+"00")
		}
		for l := 0; l <= 17; l++ {
			for range 20 {
				b := make([]byte, l)
				for i := range b {
					b[i] = byte('0' + rng.IntN(10))
				}
				inputs = append(inputs, string(b))
			}
		}
		if re := leadingDigits[r]; re != nil {
			ld := leadingDFA[r]
			if ld == nil {
				t.Errorf("%s: leading digits %q have no automaton", r, re)
			}
			for _, in := range inputs {
				got, ok := ld.matchPrefix(in)
				if want := re.MatchString(in); !ok || got != want {
					t.Errorf("%s: leading digits %q on %q: automaton %v (ok %v), regexp %v", r, re, in, got, ok, want)
				}
				checked++
			}
		}
		for _, d := range all {
			if d.dfa == nil {
				continue
			}
			for _, in := range inputs {
				got, ok := d.dfa.match(in)
				want := d.re.MatchString(in)
				if !ok || got != want {
					t.Errorf("%s: %q on %q: automaton %v (ok %v), regexp %v", r, d.re, in, got, ok, want)
				}
				checked++
				if want {
					matched++
				}
			}
		}
	}
	if checked < 100000 || matched < 5000 {
		t.Fatalf("checked %d strings (%d matching): too few to mean anything", checked, matched)
	}
	if without > descs/100 {
		t.Errorf("%d of %d descriptions have no automaton", without, descs)
	}
	t.Logf("%d strings checked over %d descriptions (%d without an automaton), %d matching", checked, descs, without, matched)
	// Not digits: the regexp decides.
	if _, ok := regionValidator("GB").fixedLine.dfa.match("20x"); ok {
		t.Error("a non-digit was decided by the automaton")
	}
}

// TestNewPhoneNumberNSN: the national significant number the library
// gives a number built by newPhoneNumber is the national digits it was
// built from, leading zeros and all, so validate may pass those on
// (validForRegionNSN) instead of asking the library again.
func TestNewPhoneNumberNSN(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for l := 1; l <= 17; l++ {
		for range 2000 {
			b := make([]byte, l)
			zeros := rng.IntN(l + 1)
			for i := range b {
				if i < zeros {
					b[i] = '0'
				} else {
					b[i] = byte('0' + rng.IntN(10))
				}
			}
			pn, ok := newPhoneNumber(44, string(b))
			if !ok {
				t.Fatalf("newPhoneNumber(%q) failed", b)
			}
			if got := phonenumbers.GetNationalSignificantNumber(pn); got != string(b) {
				t.Fatalf("newPhoneNumber(%q): the library's NSN is %q", b, got)
			}
		}
	}
}

// TestSameKey holds sameKey to comparing key strings.
func TestSameKey(t *testing.T) {
	vals := []string{"", "1", "12", "1#2", "#", "12#", "+4412", "4412"}
	var nums []Number
	for _, e := range vals {
		for _, n := range vals {
			for _, x := range vals {
				nums = append(nums, Number{E164: e, National: n, Extension: x})
			}
		}
	}
	for i := range nums {
		for j := range nums {
			if got, want := sameKey(&nums[i], &nums[j]), key(nums[i]) == key(nums[j]); got != want {
				t.Fatalf("sameKey(%+v, %+v) = %v, keys equal %v", nums[i], nums[j], got, want)
			}
		}
	}
}
