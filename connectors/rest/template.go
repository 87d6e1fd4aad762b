package rest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// vars are the values a request's templates see. Lookups fill the number's
// forms, lists Since and Limit, a get ID, lookups by key Value and
// RecordID. A form the number does not have
// (no country known) is "".
type vars struct {
	// E164 is "+442045205757".
	E164 string
	// E164Digits is E164 without its "+": "442045205757".
	E164Digits string
	// CountryCode is the calling code: "44".
	CountryCode string
	// NSN is the national significant number: "2045205757".
	NSN string
	// National is the number as dialled inside its country, digits only,
	// with the national (trunk) prefix where the country has one:
	// "02045205757" (GB), "4155550132" (US).
	National string
	// International is the number written internationally: "+44 20 4520 5757".
	International string
	// NationalFormatted is the number written nationally: "020 4520 5757".
	NationalFormatted string
	// Grouped is the NSN grouped as written internationally, without the
	// country code: "20 4520 5757". It is a substring of most ways people
	// write the number ("020 4520 5757", "+44 (0)20 4520 5757", "0044 20
	// 4520 5757").
	Grouped string
	// Raw is the number as the phone system sent it; Digits its digits.
	Raw    string
	Digits string
	// Region is the number's region ("GB").
	Region string

	// Since is ListRequest.ChangedSince in RFC 3339, UTC ("" without).
	Since string
	// Limit is the page size asked of the API, for lists.
	Limit int
	// ID is the record's id, for a get.
	ID string

	// Value is the value a lookup by key looks for, trimmed, as asked
	// (lookup_by_key); RecordID the record it is restricted to, or "".
	Value    string
	RecordID string
}

// funcs are the functions templates may call.
var funcs = template.FuncMap{
	// last n s: the last n characters of s (all of s when shorter).
	"last": func(n int, s string) string {
		if n < 0 {
			n = 0
		}
		if len(s) <= n {
			return s
		}
		return s[len(s)-n:]
	},
	// digits s: the ASCII digits of s.
	"digits": digitsOf,
	// json v: v as a JSON value (a string quoted and escaped), for bodies.
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	// path s: s escaped for a path segment.
	"path": url.PathEscape,
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// parseTemplate parses one template; a problem at path when it does not
// parse or names a variable vars does not have.
func parseTemplate(ps *problems, path, text string) *template.Template {
	t, err := template.New(path).Funcs(funcs).Option("missingkey=error").Parse(text)
	if err != nil {
		ps.add(path, "not a valid template: %s", strings.TrimPrefix(err.Error(), "template: "))
		return nil
	}
	// Execute on sample values, so that an unknown variable ({{.E164s}})
	// or a bad call is reported now, not at the first ring.
	sample := numberVars(phone.Number{Raw: "+442045205757", E164: "+442045205757", CountryCode: 44, National: "2045205757", Region: "GB"})
	sample.Since, sample.Limit, sample.ID, sample.Value, sample.RecordID = "2026-01-01T00:00:00Z", 10, "1", "AC-1001", "1"
	var b strings.Builder
	if err := t.Execute(&b, sample); err != nil {
		msg := strings.TrimPrefix(err.Error(), "template: ")
		if strings.Contains(msg, "can't evaluate field") {
			msg += "; the variables are " + strings.Join(varNames(), ", ")
		}
		ps.add(path, "%s", msg)
		return nil
	}
	return t
}

func varNames() []string {
	return []string{".E164", ".E164Digits", ".CountryCode", ".NSN", ".National", ".International",
		".NationalFormatted", ".Grouped", ".Raw", ".Digits", ".Region", ".Since", ".Limit", ".ID", ".Value", ".RecordID"}
}

// numberVars fills the number's forms.
func numberVars(n phone.Number) vars {
	v := vars{E164: n.E164, NSN: n.National, Raw: n.Raw, Digits: digitsOf(n.Raw), Region: n.Region}
	if n.E164 != "" {
		v.E164Digits = strings.TrimPrefix(n.E164, "+")
		if pn, err := phonenumbers.Parse(n.E164, ""); err == nil {
			v.CountryCode = strconv.Itoa(int(pn.GetCountryCode()))
			v.International = phonenumbers.Format(pn, phonenumbers.INTERNATIONAL)
			v.NationalFormatted = phonenumbers.Format(pn, phonenumbers.NATIONAL)
			v.National = digitsOf(v.NationalFormatted)
			v.Grouped = strings.TrimSpace(strings.TrimPrefix(v.International, "+"+v.CountryCode))
			if v.Region == "" {
				v.Region = phonenumbers.GetRegionCodeForNumber(pn)
			}
			if v.NSN == "" {
				v.NSN = phonenumbers.GetNationalSignificantNumber(pn)
			}
		}
	}
	if v.CountryCode == "" && n.CountryCode != 0 {
		v.CountryCode = strconv.Itoa(n.CountryCode)
	}
	return v
}

func sinceVar(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func execute(t *template.Template, v *vars) (string, error) {
	if t == nil {
		return "", nil
	}
	var b strings.Builder
	if err := t.Execute(&b, v); err != nil {
		return "", fmt.Errorf("template %s: %w", t.Name(), err)
	}
	return b.String(), nil
}
