package phone

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// fuzzSeeds are inputs every fuzz target starts from.
var fuzzSeeds = []string{
	"+442045205757", "442045205757", "02045205757", "2045205757", "0044 20 4520 5757",
	"00905321234567", "+90 0532 123 45 67", "5321234567", "05321234567", "(0532) 123-45-67",
	"0212 555 12 34 / 101", "0212 555 12 34 ext. 101", "#404812", "x101", "dahili 101",
	"444 1 234", "07700 900123", "٠٥٣٢١٢٣٤٥٦٧", "۰۵۳۲۱۲۳۴۵۶۷", "０５３２１２３４５６７",
	"0532\u00a0123\u00a045\u00a067", "9.05E+11", "9.05321234567E+11", "tel:+44-20-4520-5757",
	"", "letters", strings.Repeat("1", 65), "+44 7700 900123; 0532 123 45 67 / 0212 555 12 34",
	"+39 06 1234 5678", "+1 202 555 0123", "+800 1234 5678", "sip:+442045205757@x", "+0", "+",
	"tel:+90-212-555-1234;ext=12;phone-context=x", "905321234567.0", "(office) 0532 123 45 67",
}

// checkNumber asserts the invariants of a successfully parsed number.
func checkNumber(t *testing.T, p *Parser, in string, n Number) {
	t.Helper()
	if !n.Valid() {
		t.Fatalf("%q: parsed without error but not Valid: %+v", in, n)
	}
	if n.Raw != in {
		t.Fatalf("%q: Raw = %q", in, n.Raw)
	}
	if n.National == "" || !isDigits(n.National) {
		t.Fatalf("%q: National %q is not digits", in, n.National)
	}
	if n.Extension != "" && !isDigits(n.Extension) {
		t.Fatalf("%q: Extension %q is not digits", in, n.Extension)
	}
	if inferred := n.E164 == "" || n.CountryAssumed; (n.InferredRegion == p.Region()) != inferred ||
		(!inferred && n.InferredRegion != "") {
		t.Fatalf("%q: InferredRegion %q, E164 %q, assumed %v: the region is inferred exactly when no country was written", in, n.InferredRegion, n.E164, n.CountryAssumed)
	}
	if n.E164 == "" {
		if n.CountryCode != 0 || n.CountryAssumed {
			t.Fatalf("%q: no E164 but country %d (assumed %v)", in, n.CountryCode, n.CountryAssumed)
		}
		return
	}
	if n.E164[0] != '+' || !isDigits(n.E164[1:]) {
		t.Fatalf("%q: E164 %q is not '+' and digits", in, n.E164)
	}
	if want := "+" + strconv.Itoa(n.CountryCode) + n.National; n.E164 != want {
		t.Fatalf("%q: E164 %q != +CountryCode+National %q", in, n.E164, want)
	}
	cc, national, ok := SplitE164(n.E164)
	if !ok || cc != n.CountryCode || national != n.National {
		t.Fatalf("%q: SplitE164(%q) = %d, %q, %v; want %d, %q", in, n.E164, cc, national, ok, n.CountryCode, n.National)
	}
	for _, parse := range []func(string) (Number, error){p.Parse, p.ParseCaller} {
		again, err := parse(n.E164)
		if err != nil || again.E164 != n.E164 {
			t.Fatalf("%q: E164 %q does not round-trip: %+v, %v", in, n.E164, again, err)
		}
	}
}

// checkError asserts the shape of a parse error.
func checkError(t *testing.T, in string, n Number, err error) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Raw != in || pe.Reason == "" {
		t.Fatalf("%q: error %v is not a *ParseError for the input", in, err)
	}
	if n.Valid() {
		t.Fatalf("%q: error %v but a valid number %+v", in, err, n)
	}
}

func fuzzParser(f *testing.F) []*Parser {
	f.Helper()
	var ps []*Parser
	for _, r := range []string{"TR", "GB", "US", "DE", "IT"} {
		p, err := NewParser(r)
		if err != nil {
			f.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

func FuzzParse(f *testing.F) {
	ps := fuzzParser(f)
	for _, s := range fuzzSeeds {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, in string, region uint8) {
		p := ps[int(region)%len(ps)]
		n, err := p.Parse(in)
		if err != nil {
			checkError(t, in, n, err)
			return
		}
		checkNumber(t, p, in, n)
	})
}

func FuzzParseCaller(f *testing.F) {
	ps := fuzzParser(f)
	for _, s := range fuzzSeeds {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, in string, region uint8) {
		p := ps[int(region)%len(ps)]
		n, err := p.ParseCaller(in)
		if err != nil {
			checkError(t, in, n, err)
			return
		}
		checkNumber(t, p, in, n)
	})
}

func FuzzParseAll(f *testing.F) {
	ps := fuzzParser(f)
	for _, s := range fuzzSeeds {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, in string, region uint8) {
		p := ps[int(region)%len(ps)]
		numbers, errs := p.ParseAll(in)
		seen := map[string]bool{}
		for _, n := range numbers {
			k := key(n)
			if seen[k] {
				t.Fatalf("%q: duplicate %q in %+v", in, k, numbers)
			}
			seen[k] = true
			checkNumber(t, p, n.Raw, n)
		}
		for _, err := range errs {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("%q: error %v is not a *ParseError", in, err)
			}
		}
		if strings.TrimSpace(in) == "" && (len(numbers) != 0 || len(errs) != 0) {
			t.Fatalf("%q: empty field gave %+v, %v", in, numbers, errs)
		}
	})
}

func FuzzSplitE164(f *testing.F) {
	for _, s := range []string{"+442045205757", "+905321234567", "+12025550123", "+8001234", "+", "+0", "442045205757", "+4", "+44", "+1234567890123456"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		cc, national, ok := SplitE164(in)
		if !ok {
			if cc != 0 || national != "" {
				t.Fatalf("%q: not ok but %d, %q", in, cc, national)
			}
			return
		}
		if "+"+strconv.Itoa(cc)+national != in {
			t.Fatalf("%q: split into %d and %q", in, cc, national)
		}
		if national == "" || !isDigits(national) || len(in) > 16 {
			t.Fatalf("%q: national %q", in, national)
		}
		n, ok := FromE164(in)
		if !ok || n.E164 != in || n.CountryCode != cc || n.National != national || !n.Valid() {
			t.Fatalf("%q: FromE164 = %+v, %v", in, n, ok)
		}
	})
}
