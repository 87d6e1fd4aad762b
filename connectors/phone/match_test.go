package phone

import "testing"

func TestOrigin(t *testing.T) {
	gb := newParser(t, "GB")
	parse := func(s string) Number {
		t.Helper()
		n, err := gb.Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		return n
	}
	fromE164 := func(s string) Number {
		n, _ := FromE164(s)
		return n
	}
	tests := []struct {
		name string
		n    Number
		want Origin
	}{
		{"written", parse("+90 212 444 55 66"), Origin{Code: 90, Written: true}},
		{"written, possible only", parse("+1 532 123 4567"), Origin{Code: 1, Written: true}},
		{"valid in the default region", parse("020 4520 5757"), Origin{Code: 44}},
		{"national key, inferred default region", parse("0212 444 55 66"), Origin{Code: 44}},
		{"E164 without CountryCode", Number{E164: "+12124445566", National: "2124445566"}, Origin{Code: 1, Written: true}},
		{"from E164", fromE164("+902124445566"), Origin{Code: 90, Written: true}},
		{"unknown", Number{National: "2124445566"}, Origin{}},
	}
	for _, tt := range tests {
		if got := tt.n.Origin(); got != tt.want {
			t.Errorf("%s: Origin(%+v) = %+v, want %+v", tt.name, tt.n, got, tt.want)
		}
	}
}
