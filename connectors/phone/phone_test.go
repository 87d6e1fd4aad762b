package phone

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/nyaruka/phonenumbers"
	"github.com/switchboard-hq/switchboard/connectors"
)

func newParser(t testing.TB, region string) *Parser {
	t.Helper()
	p, err := NewParser(region)
	if err != nil {
		t.Fatalf("NewParser(%q): %v", region, err)
	}
	return p
}

func TestNewParser(t *testing.T) {
	tests := []struct {
		in      string
		want    string // region, or "" when an error is expected
		wantErr string
	}{
		{in: "GB", want: "GB"},
		{in: "tr", want: "TR"},
		{in: " Tr ", want: "TR"},
		{in: "", wantErr: "no default region"},
		{in: "XX", wantErr: `unknown default region "XX"`},
		{in: "UK", wantErr: `"GB"`},
		{in: "GBR", wantErr: "ISO 3166 alpha-2"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := NewParser(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewParser(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewParser(%q): %v", tt.in, err)
			}
			if p.Region() != tt.want {
				t.Errorf("Region() = %q, want %q", p.Region(), tt.want)
			}
		})
	}
}

// parseCase is one input and the number expected from it.
type parseCase struct {
	name   string
	region string
	in     string
	want   Number // Raw is filled in from in
}

// uk and tr are the numbers most cases expect.
var (
	uk       = Number{E164: "+442045205757", CountryCode: 44, National: "2045205757", Region: "GB"}
	ukAssumd = with(uk, func(n *Number) { n.CountryAssumed = true })
	tr       = Number{E164: "+905321234567", CountryCode: 90, National: "5321234567", Region: "TR"}
	trAssumd = with(tr, func(n *Number) { n.CountryAssumed = true })
	trLand   = Number{E164: "+902125551234", CountryCode: 90, National: "2125551234", Region: "TR", CountryAssumed: true}
)

func with(n Number, f func(*Number)) Number {
	f(&n)
	return n
}

func ext(n Number, e string) Number {
	n.Extension = e
	return n
}

// commonCases read the same with Parse and ParseCaller.
var commonCases = []parseCase{
	{"e164", "GB", "+442045205757", uk},
	{"e164 in another region", "TR", "+442045205757", uk},
	{"e164 without plus, own country code", "GB", "442045205757", uk},
	{"e164 without plus, foreign", "TR", "442045205757", uk},
	{"national with trunk zero", "GB", "02045205757", ukAssumd},
	{"national without trunk zero", "GB", "2045205757", ukAssumd},
	{"national, spaced", "GB", "020 4520 5757", ukAssumd},
	{"00 prefix, spaced", "TR", "0044 20 4520 5757", uk},
	{"00 prefix", "GB", "00905321234567", tr},
	{"00 prefix where the region dials 011", "US", "00905321234567", tr},
	{"region's own international prefix", "US", "011 44 20 4520 5757", uk},
	{"spurious trunk zero after the country code", "GB", "+90 0532 123 45 67", tr},
	{"UK (0) after the country code", "TR", "+44 (0) 20 4520 5757", uk},
	{"TR mobile with trunk zero", "TR", "05321234567", trAssumd},
	{"parentheses and dashes", "TR", "(0532) 123-45-67", trAssumd},
	{"slash extension", "TR", "0212 555 12 34 / 101", ext(trLand, "101")},
	{"ext. extension", "TR", "0212 555 12 34 ext. 101", ext(trLand, "101")},
	{"x extension", "GB", "+44 20 4520 5757 x101", ext(uk, "101")},
	{"x extension, no space", "GB", "020 4520 5757x12", ext(ukAssumd, "12")},
	{"hash extension", "TR", "0212 555 12 34 #404812", ext(trLand, "404812")},
	{"trailing hash", "TR", "02125551234#", trLand},
	{"dahili extension", "TR", "0212 555 12 34 dahili 101", ext(trLand, "101")},
	{"DAHİLİ with Turkish capitals", "TR", "0212 555 12 34 DAHİLİ: 101", ext(trLand, "101")},
	{"extension in parentheses", "TR", "0212 555 12 34 (dahili 101)", ext(trLand, "101")},
	{"TR short national service number", "TR", "444 1 234",
		Number{E164: "+904441234", CountryCode: 90, National: "4441234", Region: "TR", CountryAssumed: true}},
	{"UK mobile without country in a TR CRM", "TR", "07700 900123", Number{National: "7700900123"}},
	{"UK mobile, not in the metadata's ranges, in its own country", "GB", "07700 900123", Number{National: "7700900123"}},
	{"UK mobile with country, possible but not in the metadata's ranges", "TR", "+44 7700 900123",
		Number{E164: "+447700900123", CountryCode: 44, National: "7700900123"}},
	{"Arabic-Indic digits", "TR", "٠٥٣٢١٢٣٤٥٦٧", trAssumd},
	{"Persian digits", "TR", "۰۵۳۲ ۱۲۳ ۴۵ ۶۷", trAssumd},
	{"Arabic-Indic with left-to-right marks", "TR", "\u200e+٩٠ ٥٣٢ ١٢٣ ٤٥ ٦٧\u200e", tr},
	{"full-width digits and plus", "TR", "＋９０ ５３２ １２３ ４５ ６７", tr},
	{"non-breaking spaces", "TR", "0532\u00a0123\u00a045\u00a067", trAssumd},
	{"narrow no-break and figure spaces", "TR", "\u00a00532\u202f123\u200745 67\u00a0", trAssumd},
	{"spreadsheet scientific notation with every digit", "TR", "9.05321234567E+11", tr},
	{"spreadsheet scientific notation, comma, lower case", "TR", "9,05321234567e11", tr},
	{"spreadsheet float", "TR", "905321234567.0", tr},
	{"tel URI", "TR", "tel:+44-20-4520-5757", uk},
	{"tel URI with extension and context", "TR", "tel:+44-20-4520-5757;ext=101;phone-context=example.com", ext(uk, "101")},
	{"sip URI", "TR", "sip:+442045205757@pbx.example.com;user=phone", uk},
	{"label", "TR", "Tel: 0212 555 12 34", trLand},
	{"Turkish label and comment", "TR", "Cep: 0532 123 45 67 (iş)", trAssumd},
	{"label of several words", "TR", "İş Tel.: 0212 555 12 34", trLand},
	{"Italian leading zero kept", "GB", "+39 06 1234 5678",
		Number{E164: "+390612345678", CountryCode: 39, National: "0612345678", Region: "IT"}},
	{"NANP", "GB", "+1 (202) 555-0123", Number{E164: "+12025550123", CountryCode: 1, National: "2025550123", Region: "US"}},
	{"shared calling code resolved", "GB", "+1 416 555 0123", Number{E164: "+14165550123", CountryCode: 1, National: "4165550123", Region: "CA"}},
	{"Isle of Man under +44", "GB", "+44 1624 612345", Number{E164: "+441624612345", CountryCode: 44, National: "1624612345", Region: "IM"}},
	{"non-geographic calling code", "TR", "+800 1234 5678", Number{E164: "+80012345678", CountryCode: 800, National: "12345678"}},
	{"national key keeps digits", "GB", "12345", Number{National: "12345"}},
	{"too long for national, possible international", "US", "447700900123",
		Number{E164: "+447700900123", CountryCode: 44, National: "7700900123"}},
}

func TestParse(t *testing.T) {
	cases := append([]parseCase{
		{"bare national digits prefer the default region", "TR", "5321234567", trAssumd},
		{"bare digits read as international when not national", "GB", "905321234567", tr},
		{"own country code, not in the metadata's ranges", "GB", "447700900123", Number{National: "7700900123"}},
		{"UK number without country or trunk zero in a TR CRM", "TR", "2045205757", Number{National: "2045205757"}},
		// 12 digits are a possible length in TR: no E164 is invented.
		{"bare digits valid neither way", "TR", "447700900123", Number{National: "447700900123"}},
		{"spreadsheet scientific notation of a national number", "TR", "5.321234567E+9", trAssumd},
	}, commonCases...)
	runParseCases(t, cases, (*Parser).Parse)
}

func TestParseCaller(t *testing.T) {
	cases := append([]parseCase{
		// Phone systems send E.164 with or without '+': bare digits
		// that are a valid international number win, even here where
		// they are also a valid Turkish mobile without trunk zero.
		{"bare digits prefer the international reading", "TR", "5321234567",
			Number{E164: "+5321234567", CountryCode: 53, National: "21234567", Region: "CU"}},
		// With separators the digits were written for people: national.
		{"spaced digits are national", "TR", "532 123 45 67", trAssumd},
		{"bare digits, national when not international", "GB", "2045205757", ukAssumd},
		{"bare digits with own country code", "TR", "905321234567", tr},
		{"bare digits valid neither way, possible international", "TR", "447700900123",
			Number{E164: "+447700900123", CountryCode: 44, National: "7700900123"}},
		{"bare digits with own country code, not in the metadata's ranges", "GB", "447700900123",
			Number{E164: "+447700900123", CountryCode: 44, National: "7700900123"}},
		// The price of reading bare digits as E.164: a national number
		// without trunk zero that is not valid at home may land abroad.
		{"bare digits not valid at home", "TR", "2045205757",
			Number{E164: "+2045205757", CountryCode: 20, National: "45205757", Region: "EG"}},
		{"caller as Hipcall sends it", "TR", "+905061234567",
			Number{E164: "+905061234567", CountryCode: 90, National: "5061234567", Region: "TR"}},
	}, commonCases...)
	runParseCases(t, cases, (*Parser).ParseCaller)
}

func runParseCases(t *testing.T, cases []parseCase, parse func(*Parser, string) (Number, error)) {
	t.Helper()
	parsers := map[string]*Parser{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := parsers[tc.region]
			if p == nil {
				p = newParser(t, tc.region)
				parsers[tc.region] = p
			}
			got, err := parse(p, tc.in)
			if err != nil {
				t.Fatalf("%s: %q: %v", tc.region, tc.in, err)
			}
			want := tc.want
			want.Raw = tc.in
			if want.E164 == "" || want.CountryAssumed {
				// Written without its country: read in the region.
				want.InferredRegion = p.Region()
			}
			if got != want {
				t.Errorf("%s: %q\n got %+v\nwant %+v", tc.region, tc.in, got, want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, region, in string
		want             string // in the reason
	}{
		{"empty", "TR", "", "empty"},
		{"spaces", "TR", " \u00a0 ", "empty"},
		{"letters only", "TR", "call me", "letters"},
		{"letters in the number", "TR", "0532 ABC 45 67", "letters"},
		{"words without a colon are not a label", "TR", "call 0532 123 45 67", "letters"},
		{"too long", "TR", strings.Repeat("1", 65), "longer than 64 characters"},
		{"absurdly long", "TR", strings.Repeat("+44 20 4520 5757 ", 1<<16), "longer than 64 characters"},
		{"too long in runes", "TR", strings.Repeat("٠", 65), "longer than 64 characters"},
		{"spreadsheet lost digits", "TR", "9.05E+11", "spreadsheet scientific notation lost digits"},
		{"spreadsheet lost a last zero", "TR", "9.0532123456E+11", "spreadsheet scientific notation lost digits"},
		{"spreadsheet not whole", "TR", "9.05321234567E+3", "not whole"},
		{"unknown country code", "TR", "+999 123 4567", "country calling code"},
		{"country code starting with 0", "TR", "+0 532 123 45 67", "starts with 0"},
		{"plus alone", "TR", "+", "no digits"},
		{"plus in the middle", "TR", "0532 +123 45 67", "'+'"},
		{"too short", "TR", "1234", "too few"},
		{"too short for the country", "GB", "+44 123", "too short"},
		{"too many digits", "TR", "0532 123 45 67 0532 123 45 67", "too many digits"},
		{"service code", "TR", "*21#", "'*'"},
		{"extension marker without digits", "TR", "0212 555 12 34 ext", "no digits after it"},
		{"two extensions", "TR", "0212 555 12 34 x 1 ext 2", "more than one extension"},
		{"extension too long", "TR", "0212 555 12 34 x 12345678901", "more than 10 digits"},
		{"emoji", "TR", "0532 123 45 67 ☎", "no place in a phone number"},
		{"invalid UTF-8", "TR", "0532\xff123", "UTF-8"},
		{"bad tel extension", "TR", "tel:+442045205757;ext=abc", "ext="},
		{"control character", "TR", "0532\x00123", "no place"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newParser(t, tt.region)
			for _, parse := range []func(string) (Number, error){p.Parse, p.ParseCaller} {
				start := time.Now()
				n, err := parse(tt.in)
				if elapsed := time.Since(start); elapsed > 100*time.Millisecond {
					t.Errorf("%q took %v", truncate(tt.in, 20), elapsed)
				}
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("%q: got %+v, %v; want a *ParseError", truncate(tt.in, 20), n, err)
				}
				if pe.Raw != tt.in || !strings.Contains(pe.Reason, tt.want) {
					t.Errorf("%q: reason %q, want one containing %q", truncate(tt.in, 20), pe.Reason, tt.want)
				}
				if !strings.HasPrefix(err.Error(), "cannot read ") || !strings.Contains(err.Error(), " as a phone number: "+pe.Reason) {
					t.Errorf("Error() = %q", err.Error())
				}
				if n.Valid() || n.Raw != tt.in {
					t.Errorf("%q: with the error got %+v", truncate(tt.in, 20), n)
				}
			}
		})
	}
}

func TestParseExtensionOnly(t *testing.T) {
	p := newParser(t, "TR")
	for in, want := range map[string]string{
		"#404812":    "404812",
		"x101":       "101",
		"dahili 101": "101",
		"Dahili: 12": "12",
		"ext. 7":     "7",
	} {
		for _, parse := range []func(string) (Number, error){p.Parse, p.ParseCaller} {
			n, err := parse(in)
			if !errors.Is(err, ErrExtensionOnly) {
				t.Fatalf("%q: error %v, want ErrExtensionOnly", in, err)
			}
			if n.Extension != want || n.Raw != in || n.Valid() {
				t.Errorf("%q: got %+v, want only Extension %q", in, n, want)
			}
		}
	}
}

func TestParseAll(t *testing.T) {
	tests := []struct {
		name, region, in string
		want             []string // E164 or National, "#extension" when set
		wantErrs         int
	}{
		{"semicolon", "TR", "+44 20 4520 5757; +44 7700 900123", []string{"+442045205757", "+447700900123"}, 0},
		{"slash between two numbers", "TR", "0532 123 45 67 / 0212 555 12 34", []string{"+905321234567", "+902125551234"}, 0},
		{"slash before an extension", "TR", "0212 555 12 34 / 101", []string{"+902125551234#101"}, 0},
		{"slash before a five-digit extension", "TR", "0212 555 12 34/12345", []string{"+902125551234#12345"}, 0},
		{"slash inside one number", "DE", "030/12345678", []string{"+493012345678"}, 0},
		{"extension then another number", "TR", "0212 555 12 34 / 101 / 0532 123 45 67", []string{"+902125551234#101", "+905321234567"}, 0},
		{"comma", "GB", "020 4520 5757, 07911 123456", []string{"+442045205757", "+447911123456"}, 0},
		{"pipe", "GB", "020 4520 5757|07911 123456", []string{"+442045205757", "+447911123456"}, 0},
		{"newlines", "GB", "020 4520 5757\r\n07911 123456\n", []string{"+442045205757", "+447911123456"}, 0},
		{"Arabic comma", "TR", "٠٥٣٢١٢٣٤٥٦٧، ٠٢١٢٥٥٥١٢٣٤", []string{"+905321234567", "+902125551234"}, 0},
		{"duplicates dropped", "TR", "0532 123 45 67; +90 532 123 45 67", []string{"+905321234567"}, 0},
		{"same number, other extension kept", "TR", "0212 555 12 34 / 101; 0212 555 12 34 / 102", []string{"+902125551234#101", "+902125551234#102"}, 0},
		{"extension as its own part", "TR", "0212 555 12 34, dahili 101", []string{"+902125551234#101"}, 0},
		{"tel URI parameters are not separators", "GB", "tel:+44-20-4520-5757;ext=101", []string{"+442045205757#101"}, 0},
		{"one bad part", "TR", "0532 123 45 67; n/a; 0212 555 12 34", []string{"+905321234567", "+902125551234"}, 1},
		{"extension with nothing before it", "TR", "x101; 0532 123 45 67", []string{"+905321234567"}, 1},
		{"empty separators", "TR", " ; ,, | \n", nil, 0},
		{"empty", "TR", "", nil, 0},
		{"too long", "TR", strings.Repeat("0532 123 45 67; ", 100), nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newParser(t, tt.region)
			numbers, errs := p.ParseAll(tt.in)
			var got []string
			for _, n := range numbers {
				k := n.E164
				if k == "" {
					k = n.National
				}
				if n.Extension != "" {
					k += "#" + n.Extension
				}
				got = append(got, k)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("numbers = %q, want %q", got, tt.want)
			}
			if len(errs) != tt.wantErrs {
				t.Errorf("errors = %v, want %d", errs, tt.wantErrs)
			}
			for _, err := range errs {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Errorf("error %v is not a *ParseError", err)
				}
			}
		})
	}
}

func TestSplitE164(t *testing.T) {
	tests := []struct {
		in       string
		cc       int
		national string
		ok       bool
	}{
		{"+442045205757", 44, "2045205757", true},
		{"+905321234567", 90, "5321234567", true},
		{"+12025550123", 1, "2025550123", true},
		{"+390612345678", 39, "0612345678", true},
		{"+88012345678", 880, "12345678", true},
		{"+80012345678", 800, "12345678", true},
		{"+999123456", 0, "", false},   // unassigned code
		{"+05321234567", 0, "", false}, // no code starts with 0
		{"442045205757", 0, "", false},
		{"+44", 0, "", false},
		{"+", 0, "", false},
		{"", 0, "", false},
		{"+44 20 4520 5757", 0, "", false},
		{"+4420452057571234", 0, "", false}, // 16 digits
		{"+442045205757x", 0, "", false},
	}
	for _, tt := range tests {
		cc, national, ok := SplitE164(tt.in)
		if cc != tt.cc || national != tt.national || ok != tt.ok {
			t.Errorf("SplitE164(%q) = %d, %q, %v; want %d, %q, %v", tt.in, cc, national, ok, tt.cc, tt.national, tt.ok)
		}
	}
}

func TestSplitE164AgreesWithParse(t *testing.T) {
	p := newParser(t, "GB")
	for _, region := range []string{"TR", "GB", "US", "CA", "DE", "IT", "IR", "EG", "SA", "IN", "RU", "KZ", "JP", "BR", "AU", "CN", "IM", "VA"} {
		ex := phonenumbers.GetExampleNumber(region)
		if ex == nil {
			t.Fatalf("no example number for %s", region)
		}
		e164 := phonenumbers.Format(ex, phonenumbers.E164)
		n, err := p.Parse(e164)
		if err != nil {
			t.Fatalf("%s: Parse(%q): %v", region, e164, err)
		}
		cc, national, ok := SplitE164(e164)
		if !ok || cc != n.CountryCode || national != n.National {
			t.Errorf("%s: SplitE164(%q) = %d, %q, %v; Parse says %d, %q", region, e164, cc, national, ok, n.CountryCode, n.National)
		}
	}
}

func TestCallingCodesArePrefixFree(t *testing.T) {
	// SplitE164 takes the first of one, two or three digits that is a
	// calling code; that is right only if no code prefixes another.
	for cc := 1; cc < 1000; cc++ {
		if !callingCodes[cc] {
			continue
		}
		for longer := cc * 10; longer < 1000; longer = longer * 10 {
			for d := 0; d < 10 && longer+d < 1000; d++ {
				if callingCodes[longer+d] {
					t.Errorf("calling code %d is a prefix of %d", cc, longer+d)
				}
			}
		}
	}
}

func TestFromE164(t *testing.T) {
	tests := []struct {
		in   string
		want Number
		ok   bool
	}{
		{"+905321234567", Number{Raw: "+905321234567", E164: "+905321234567", CountryCode: 90, National: "5321234567", Region: "TR"}, true},
		// +44 is shared by GB, GG, IM and JE: no region without a parse.
		{"+442045205757", Number{Raw: "+442045205757", E164: "+442045205757", CountryCode: 44, National: "2045205757"}, true},
		{"+80012345678", Number{Raw: "+80012345678", E164: "+80012345678", CountryCode: 800, National: "12345678"}, true},
		{"05321234567", Number{}, false},
	}
	for _, tt := range tests {
		got, ok := FromE164(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("FromE164(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestMatch(t *testing.T) {
	trP := newParser(t, "TR")
	gbP := newParser(t, "GB")
	parse := func(p *Parser, s string) Number {
		t.Helper()
		n, err := p.Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		return n
	}
	caller := func(p *Parser, s string) Number {
		t.Helper()
		n, err := p.ParseCaller(s)
		if err != nil {
			t.Fatalf("ParseCaller(%q): %v", s, err)
		}
		return n
	}
	const (
		exact = connectors.MatchExact
		nat   = connectors.MatchNational
		suf   = connectors.MatchSuffix
	)
	// want is the answer under SameCountry (the default, and Match);
	// loose under AnyCountry.
	tests := []struct {
		name          string
		query, record Number
		suffix        int
		want, loose   connectors.MatchKind
	}{
		{"same number, two spellings", caller(trP, "905321234567"), parse(trP, "0532 123 45 67"), 0, exact, exact},
		{"extension ignored", caller(trP, "+902125551234"), parse(trP, "0212 555 12 34 / 101"), 0, exact, exact},
		// Before national_match, these two matched: a number written
		// without country code was taken to be possibly of any country.
		// In a TR CRM "07700 900123" is, by the default region, Turkish
		// (a national key because no Turkish number has those digits), so
		// the UK caller meets it only under any_country.
		{"UK mobile stored without country in a TR CRM", caller(trP, "+447700900123"), parse(trP, "07700 900123"), 0, "", nat},
		{"record country assumed from the region",
			caller(trP, "+442125551234"), Number{E164: "+902125551234", CountryCode: 90, National: "2125551234", CountryAssumed: true, InferredRegion: "TR"}, 0, "", nat},
		// A caller read in GB without a country is a GB caller; the record
		// written with +44 is a UK number: same country.
		{"national-only query, record of the same country", parse(gbP, "07700 900123"), parse(trP, "+44 7700 900123"), 0, nat, nat},
		{"national-only query, record of another country", parse(gbP, "0212 444 55 66"), parse(gbP, "+90 212 444 55 66"), 0, "", nat},
		{"country unknown on both sides", Number{National: "2124445566"}, Number{National: "2124445566"}, 0, nat, nat},
		{"query country unknown (rebuilt from a LookupRequest)", Number{National: "2124445566"}, parse(gbP, "+90 212 444 55 66"), 0, nat, nat},
		{"record country unknown", caller(gbP, "+12124445566"), Number{National: "2124445566"}, 0, nat, nat},
		{"two countries written out never meet nationally",
			caller(trP, "+442125551234"), parse(trP, "+90 212 555 12 34"), 0, "", ""},
		{"two countries written out meet by suffix",
			caller(trP, "+442125551234"), parse(trP, "+90 212 555 12 34"), 7, suf, suf},

		// Issue 10 item 4: default region GB, Turkish numbers stored
		// nationally; callers from the US must not meet them.
		{"GB: New York caller, Turkish landline stored nationally", caller(gbP, "+12124445566"), parse(gbP, "0212 444 55 66"), 0, "", nat},
		{"GB: Cleveland caller, Turkish landline stored nationally", caller(gbP, "+12163334455"), parse(gbP, "0216 333 44 55"), 0, "", nat},
		{"GB: +1 532 caller, Turkish mobile stored nationally", caller(gbP, "+15321234567"), parse(gbP, "0532 123 45 67"), 0, "", nat},
		{"GB: caller's E164 without CountryCode (as connectors rebuild it)",
			Number{E164: "+12124445566", National: "2124445566"}, parse(gbP, "0212 444 55 66"), 0, "", nat},
		{"GB: Turkish caller, Turkish number stored nationally", caller(gbP, "+902124445566"), parse(gbP, "0212 444 55 66"), 0, "", nat},
		{"GB: Turkish caller, Turkish number stored with its country", caller(gbP, "+902124445566"), parse(gbP, "+90 212 444 55 66"), 0, exact, exact},
		{"GB: London caller, London number stored nationally", caller(gbP, "+442045205757"), parse(gbP, "020 4520 5757"), 0, exact, exact},
		{"GB: London caller sent nationally", caller(gbP, "020 4520 5757"), parse(gbP, "020 4520 5757"), 0, exact, exact},
		{"GB: UK caller, UK number not in the metadata stored nationally", caller(gbP, "+447700900123"), parse(gbP, "07700 900123"), 0, nat, nat},
		{"GB: national caller, national record", caller(gbP, "0212 444 55 66"), parse(gbP, "0212 444 55 66"), 0, nat, nat},
		{"TR: Turkish caller, number stored nationally", caller(trP, "+902124445566"), parse(trP, "0212 444 55 66"), 0, exact, exact},
		{"TR: New York caller, Turkish number stored nationally", caller(trP, "+12124445566"), parse(trP, "0212 444 55 66"), 0, "", nat},
		{"TR: suffix still ignores countries", caller(trP, "+12124445566"), parse(trP, "0212 444 55 66"), 7, suf, nat},

		{"suffix", caller(trP, "+905321234567"), Number{National: "21234567"}, 7, suf, suf},
		{"suffix off", caller(trP, "+905321234567"), Number{National: "21234567"}, 0, "", ""},
		{"suffix longer than the record", caller(trP, "+905321234567"), Number{National: "34567"}, 7, "", ""},
		{"suffix differs", caller(trP, "+905321234567"), Number{National: "21234568"}, 7, "", ""},
		{"different numbers", caller(trP, "+905321234567"), parse(trP, "0532 123 45 68"), 0, "", ""},
		{"empty numbers never match", Number{}, Number{}, 7, "", ""},
		{"empty query", Number{}, parse(trP, "0532 123 45 67"), 7, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Match(tt.query, tt.record, tt.suffix); got != tt.want {
				t.Errorf("Match(%+v, %+v, %d) = %q, want %q", tt.query, tt.record, tt.suffix, got, tt.want)
			}
			if got := SameCountry.Match(tt.query, tt.record, tt.suffix); got != tt.want {
				t.Errorf("SameCountry.Match = %q, want %q", got, tt.want)
			}
			if got := trP.Match(tt.query, tt.record, tt.suffix); got != tt.want {
				t.Errorf("parser without a rule: Match = %q, want %q", got, tt.want)
			}
			if got := AnyCountry.Match(tt.query, tt.record, tt.suffix); got != tt.loose {
				t.Errorf("AnyCountry.Match(%+v, %+v, %d) = %q, want %q", tt.query, tt.record, tt.suffix, got, tt.loose)
			}
			if got := trP.WithNationalMatch(AnyCountry).Match(tt.query, tt.record, tt.suffix); got != tt.loose {
				t.Errorf("parser with any_country: Match = %q, want %q", got, tt.loose)
			}
			// SameCountry only ever removes national matches.
			if tt.want != tt.loose && (tt.want != "" && tt.want != suf || tt.loose != nat) {
				t.Errorf("the rules differ other than by a national match: %q vs %q", tt.want, tt.loose)
			}
		})
	}
}

func TestSuffix(t *testing.T) {
	n := Number{National: "5321234567"}
	tests := []struct {
		digits int
		want   string
	}{
		{7, "1234567"}, {10, "5321234567"}, {11, ""}, {0, ""}, {-1, ""}, {1, "7"},
	}
	for _, tt := range tests {
		if got := Suffix(n, tt.digits); got != tt.want {
			t.Errorf("Suffix(%q, %d) = %q, want %q", n.National, tt.digits, got, tt.want)
		}
	}
}

func TestValid(t *testing.T) {
	tests := []struct {
		n    Number
		want bool
	}{
		{Number{E164: "+905321234567", National: "5321234567"}, true},
		{Number{National: "7700900123"}, true},
		{Number{E164: "+905321234567"}, true},
		{Number{Extension: "101", Raw: "x101"}, false},
		{Number{}, false},
	}
	for _, tt := range tests {
		if got := tt.n.Valid(); got != tt.want {
			t.Errorf("%+v.Valid() = %v, want %v", tt.n, got, tt.want)
		}
	}
}

func TestDigitValue(t *testing.T) {
	for r, want := range map[rune]byte{
		'0': 0, '9': 9, '٠': 0, '٧': 7, '۰': 0, '۴': 4, '０': 0, '９': 9,
		'९': 9, '৩': 3, '๙': 9, '𝟗': 9, '𝟎': 0, '᠕': 5,
	} {
		if got, ok := digitValue(r); !ok || got != want {
			t.Errorf("digitValue(%q) = %d, %v; want %d", r, got, ok, want)
		}
	}
	for _, r := range []rune{'a', '+', '½', '²', 'Ⅻ', '〇', ' '} {
		if _, ok := digitValue(r); ok {
			t.Errorf("digitValue(%q) accepted a non-digit", r)
		}
	}
	// digitValue relies on every Nd range of the table being whole runs
	// of ten digits that start at a zero.
	for _, rg := range unicode.Nd.R16 {
		if rg.Stride != 1 || (rg.Hi-rg.Lo+1)%10 != 0 {
			t.Errorf("Nd range %U-%U stride %d is not whole runs of ten", rg.Lo, rg.Hi, rg.Stride)
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if rg.Stride != 1 || (rg.Hi-rg.Lo+1)%10 != 0 {
			t.Errorf("Nd range %U-%U stride %d is not whole runs of ten", rg.Lo, rg.Hi, rg.Stride)
		}
	}
}

func TestParserConcurrent(t *testing.T) {
	p := newParser(t, "TR")
	inputs := []string{"+905321234567", "0532 123 45 67", "442045205757", "+1 416 555 0123", "07700 900123"}
	want := make([]Number, len(inputs))
	for i, in := range inputs {
		n, err := p.ParseCaller(in)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = n
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(inputs))
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, in := range inputs {
				if n, err := p.ParseCaller(in); err != nil || n != want[i] {
					errs <- in
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for in := range errs {
		t.Errorf("concurrent ParseCaller(%q) differed", in)
	}
}

// TestAppendAllIgnoresDst holds AppendAll to ParseAll: the numbers already
// in dst are kept as they are and play no part (no duplicate dropped
// against them, no extension given to them), and a reused scratch gives
// the same numbers again.
func TestAppendAllIgnoresDst(t *testing.T) {
	p := newParser(t, "TR")
	fields := []string{
		"0532 123 45 67; +90 532 123 45 67",
		"dahili 101, 0212 555 12 34 / 101; n/a",
		"0212 555 12 34, dahili 101",
		"030/12345678 / 0212 555 12 34",
		"",
	}
	prior, _ := p.ParseAll("0532 123 45 67; 0212 555 12 34")
	var scratch []Number
	for _, f := range fields {
		want, wantErrs := p.ParseAll(f)
		dst := append([]Number(nil), prior...)
		got, errs := p.AppendAll(dst, f)
		if len(got) < len(prior) || !equalNumbers(got[:len(prior)], prior) || !equalNumbers(got[len(prior):], want) {
			t.Errorf("AppendAll(%d numbers, %q) = %+v, want those then %+v", len(prior), f, got, want)
		}
		if len(errs) != len(wantErrs) {
			t.Errorf("AppendAll(%q): %d errors, ParseAll %d", f, len(errs), len(wantErrs))
		}
		scratch, _ = p.AppendAll(scratch[:0], f)
		if !equalNumbers(scratch, want) {
			t.Errorf("AppendAll(scratch, %q) = %+v, want %+v", f, scratch, want)
		}
	}
}

func equalNumbers(a, b []Number) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
