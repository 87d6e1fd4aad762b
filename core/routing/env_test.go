package routing

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

func TestEnvContact(t *testing.T) {
	fields := map[string]any{
		"balance": "1500", "debt": "-2.5", "zip": "01234", "code": "007", "sci": "1e3",
		"padded": " 42 ", "tier": "gold", "vip": true, "score": 7.0, "name": "Impostor", "type": "lead",
	}
	env := buildEnv(contact(fields), Call{Caller: "0212 555 12 34", Number: "8505551000", UUID: "u-1"}, friday19)

	wantTop := map[string]any{
		varFound: true, varAmbiguous: false, varMatches: 1, varCandidates: 1,
		varSource: "customers", varVia: "index", varMatch: "exact",
		varInvalidNumber: false, varErrors: 0,
		varCaller: "+902125551234", varCallerRaw: "0212 555 12 34", varCountryCode: 90, varRegion: "TR",
		varDialled: "8505551000", varUUID: "u-1",
		varHour: 19, varMinute: 5, varWeekday: "Fri",
	}
	for k, want := range wantTop {
		if got := env[k]; !reflect.DeepEqual(got, want) {
			t.Errorf("env[%s] = %#v, want %#v", k, got, want)
		}
	}
	if now, ok := env[varNow].(time.Time); !ok || !now.Equal(friday19) || now.Location() != time.Local {
		t.Errorf("env[now] = %#v, want %v in the local zone", env[varNow], friday19)
	}

	rec := env[varRecord].(map[string]any)
	wantRec := map[string]any{
		recType: "contact", recID: "C042", recName: "Ada Lovelace", recFirstName: "Ada", recLastName: "Lovelace",
		recCompany: "Analytical Ltd", recCompanyID: "K7", recOwner: "U7", recEmail: "ada@example.com",
		recEmails: []string{"ada@example.com", "al@example.com"}, recPhones: []string{"+902125551234"},
		recJobTitle: "CTO", recFields: fields,
		// Fields at top level: plain decimals become numbers, codes stay strings.
		"balance": 1500.0, "debt": -2.5, "zip": "01234", "code": "007", "sci": "1e3",
		"padded": 42.0, "tier": "gold", "vip": true, "score": 7.0,
	}
	if !reflect.DeepEqual(rec, wantRec) {
		t.Errorf("record =\n  %#v\nwant\n  %#v", rec, wantRec)
	}
	if fields["balance"] != "1500" {
		t.Errorf("Env changed the record's Fields: balance = %#v", fields["balance"])
	}
}

func TestEnvCompany(t *testing.T) {
	rec := buildEnv(company(map[string]any{"segment": "enterprise"}), Call{}, wednesday10)[varRecord].(map[string]any)
	want := map[string]any{
		recType: "company", recID: "K7", recName: "Analytical Ltd", recFirstName: "", recLastName: "",
		recCompany: "Analytical Ltd", recCompanyID: "K7", recOwner: "U9", recEmail: "info@example.com",
		recEmails: []string{"info@example.com"}, recPhones: []string{"+902125551234"}, recJobTitle: "",
		recFields: map[string]any{"segment": "enterprise"}, "segment": "enterprise",
	}
	if !reflect.DeepEqual(rec, want) {
		t.Errorf("record =\n  %#v\nwant\n  %#v", rec, want)
	}
}

func TestEnvNotFoundAmbiguousInvalid(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]any
		want map[string]any
	}{
		{"not found", buildEnv(failedLookup(2), Call{}, wednesday10), map[string]any{
			varFound: false, varMatches: 0, varErrors: 2, varMatch: "", varCallerRaw: "0212 555 12 34", varWeekday: "Wed"}},
		{"ambiguous", buildEnv(ambiguous(3), Call{}, wednesday10), map[string]any{
			varFound: false, varAmbiguous: true, varMatches: 3, varCandidates: 3, varMatch: "national"}},
		{"invalid", buildEnv(invalid(), Call{Caller: "abc"}, wednesday10), map[string]any{
			varInvalidNumber: true, varCaller: "", varCallerRaw: "abc", varCountryCode: 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, want := range tc.want {
				if got := tc.env[k]; !reflect.DeepEqual(got, want) {
					t.Errorf("env[%s] = %#v, want %#v", k, got, want)
				}
			}
			if rec := tc.env[varRecord].(map[string]any); len(rec) != 0 {
				t.Errorf("record = %v, want an empty map", rec)
			}
		})
	}
}

func TestCallerFallsBackToNationalDigits(t *testing.T) {
	res := notFound()
	res.Query.E164, res.Query.CountryCode, res.Query.Region = "", 0, ""
	if got := buildEnv(res, Call{}, wednesday10)[varCaller]; got != "2125551234" {
		t.Errorf("caller = %v, want the national digits", got)
	}
}

func TestPlainDecimal(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0", 0, true}, {"1500", 1500, true}, {"-2.5", -2.5, true}, {"0.75", 0.75, true},
		{" 12 ", 12, true}, {"10.0", 10, true},
		{"", 0, false}, {"-", 0, false}, {"007", 0, false}, {"01.5", 0, false}, {"1e3", 0, false},
		{"+5", 0, false}, {".5", 0, false}, {"5.", 0, false}, {"1,000", 0, false}, {"0x1F", 0, false},
		{"NaN", 0, false}, {"Inf", 0, false}, {"1.2.3", 0, false}, {"--1", 0, false}, {"12abc", 0, false},
	}
	for _, tc := range tests {
		got, ok := plainDecimal(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("plainDecimal(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestEnvDocCoversEnv keeps EnvDoc honest: every variable Env builds is
// documented, and nothing documented is missing from Env.
func TestEnvDocCoversEnv(t *testing.T) {
	env := Env(contact(nil), Call{})
	var documented, built []string
	for _, v := range envVars {
		documented = append(documented, v.name)
	}
	for k := range env {
		built = append(built, k)
	}
	slices.Sort(documented)
	slices.Sort(built)
	if !slices.Equal(documented, built) {
		t.Errorf("documented variables %v, Env builds %v", documented, built)
	}

	documented, built = documented[:0], built[:0]
	for _, v := range recordVars {
		documented = append(documented, v.name)
		if !isStandardRecordKey(v.name) {
			t.Errorf("record.%s is documented but not a standard key", v.name)
		}
	}
	for k := range env[varRecord].(map[string]any) {
		built = append(built, k)
	}
	slices.Sort(documented)
	slices.Sort(built)
	if !slices.Equal(documented, built) {
		t.Errorf("documented record keys %v, Env builds %v", documented, built)
	}

	doc := EnvDoc()
	for _, v := range envVars {
		if !strings.Contains(doc, "  "+v.name+" ") {
			t.Errorf("EnvDoc lacks %s", v.name)
		}
	}
}

func TestEnvDocGolden(t *testing.T) {
	got := EnvDoc()
	path := filepath.Join("testdata", "envdoc.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file: %v (run go test ./core/routing -run TestEnvDocGolden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("EnvDoc changed; if intended, run with -update.\ngot:\n%s\nwant:\n%s", got, want)
	}
}
