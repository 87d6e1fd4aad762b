package ringostat

import (
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors/phone"
)

func mustParser(t *testing.T, region string) *phone.Parser {
	t.Helper()
	p, err := phone.NewParser(region)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDestination(t *testing.T) {
	gb := mustParser(t, "GB")
	tests := []struct {
		in     string
		parser *phone.Parser // nil: none
		want   string        // "" with wantErr
		errHas string
	}{
		// International numbers become E.164 digits without '+'.
		{in: "+380501234567", parser: gb, want: "380501234567"},
		{in: "380501234567", parser: gb, want: "380501234567"},
		{in: "3 80501234567", parser: gb, want: "380501234567"}, // Ringostat's own example shape
		{in: "3 80123456789", parser: gb, want: "380123456789"},
		{in: " +380 (50) 123-45-67 ", parser: gb, want: "380501234567"},
		{in: "00380501234567", parser: gb, want: "380501234567"},
		{in: "+44 7700 900017", parser: gb, want: "447700900017"},
		{in: "+44.20.4520.5757", parser: gb, want: "442045205757"},
		{in: "020 4520 5757", parser: gb, want: "442045205757"}, // national: the parser's region
		{in: "\u00a0+44\u00a07700\u00a0900017", parser: gb, want: "447700900017"},
		// Without a parser only numbers with their country code pass.
		{in: "+380501234567", want: "380501234567"},
		{in: "3 80501234567", want: "380501234567"},
		{in: "00442045205757", want: "442045205757"},
		{in: "020 4520 5757", errHas: "international format"},
		// SIP logins and URIs are kept.
		{in: "manager.ada", parser: gb, want: "manager.ada"},
		{in: "reception", want: "reception"},
		{in: "op_12-b", want: "op_12-b"},
		{in: "1093", parser: gb, want: "1093"}, // a short all-digit login
		{in: "123456", want: "123456"},
		{in: "sip:ada@pbx.example.com", want: "sip:ada@pbx.example.com"},
		{in: "SIP:ada@pbx.example.com:5060", want: "sip:ada@pbx.example.com:5060"},
		// Refused.
		{in: "", errHas: "empty"},
		{in: "   ", errHas: "empty"},
		{in: "ada lovelace", errHas: "not a SIP login"},
		{in: "ada@pbx", errHas: "not a SIP login"},
		{in: "sip:ada", errHas: "not a SIP URI"},
		{in: "sip:a da@host", errHas: "not a SIP URI"},
		{in: "0501234567", parser: gb, errHas: "international format"}, // national, not GB: no country
		{in: "1234567", errHas: "international format"},
		{in: "+1093", errHas: "international format"},
		{in: "12 34", errHas: "international format"},
		{in: "44 20 4520 5757\n", parser: gb, want: "442045205757"},
		{in: "1093\r\nX-Evil: 1", errHas: "not a SIP login"},
		{in: strings.Repeat("a", MaxDestinationLen+1), errHas: "characters long"},
	}
	for _, tc := range tests {
		got, err := Destination(tc.in, tc.parser)
		if tc.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("Destination(%q) = %q, %v; want an error containing %q", tc.in, got, err, tc.errHas)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Destination(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestTarget: Ringostat's target checks destinations with Destination and
// its parser, and has no required default.
func TestTarget(t *testing.T) {
	tg := Target(mustParser(t, "GB"))
	if tg.Name != "ringostat" || tg.DefaultRequired {
		t.Errorf("Target() = %+v, want ringostat without a required default", tg)
	}
	if !strings.Contains(tg.WithoutDefault, "next step of its scheme") {
		t.Errorf("WithoutDefault = %q, want it to say Ringostat goes on to the next step", tg.WithoutDefault)
	}
	if got, err := tg.Check("020 4520 5757"); err != nil || got != "442045205757" {
		t.Errorf("Check(national GB number) = %q, %v; want 442045205757 (placed in the parser's region)", got, err)
	}
	if got, err := Target(nil).Check("020 4520 5757"); err == nil {
		t.Errorf("Check without a parser = %q, want an error for a national number", got)
	}
	if _, err := tg.Check("call me"); err == nil {
		t.Error("Check(call me) succeeded")
	}
}
