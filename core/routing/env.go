package routing

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/directory"
)

// Names of the top-level variables a rule sees. They are listed once here
// so that Env, EnvDoc and the tests agree.
const (
	varFound         = "found"
	varAmbiguous     = "ambiguous"
	varMatches       = "matches"
	varCandidates    = "candidates"
	varSource        = "source"
	varVia           = "via"
	varMatch         = "match"
	varInvalidNumber = "invalid_number"
	varErrors        = "errors"
	varCaller        = "caller"
	varCallerRaw     = "caller_raw"
	varCountryCode   = "country_code"
	varRegion        = "region"
	varDialled       = "dialled"
	varUUID          = "uuid"
	varRecord        = "record"
	varNow           = "now"
	varHour          = "hour"
	varMinute        = "minute"
	varWeekday       = "weekday"
)

// Standard keys of the record map. Entries of a record's Fields never
// override them.
const (
	recType      = "type"
	recID        = "id"
	recName      = "name"
	recFirstName = "first_name"
	recLastName  = "last_name"
	recCompany   = "company"
	recCompanyID = "company_id"
	recOwner     = "owner"
	recEmail     = "email"
	recEmails    = "emails"
	recPhones    = "phones"
	recJobTitle  = "job_title"
	recFields    = "fields"
)

// varDoc describes one variable for EnvDoc.
type varDoc struct {
	name, typ, doc string
}

// envVars documents every top-level variable, in the order EnvDoc lists them.
var envVars = []varDoc{
	{varFound, "bool", "exactly one record answers the caller's number"},
	{varAmbiguous, "bool", "several distinct records answer it (record is then empty)"},
	{varMatches, "int", "how many candidate records were found (0, 1, or more when ambiguous); " +
		"`matches` is also expr's regex operator, so write $env.matches or use candidates"},
	{varCandidates, "int", "the same as matches, usable as a plain name"},
	{varSource, "string", `name of the connector that answered ("" if none)`},
	{varVia, "string", `layer that answered: "cache", "index", "live" or "none"`},
	{varMatch, "string", `how the number met the record: "exact", "national", "suffix" or "" ` +
		"(the strongest kind when ambiguous)"},
	{varInvalidNumber, "bool", "the caller's number could not be parsed; no lookup was made"},
	{varErrors, "int", "how many sources failed or timed out during the lookup"},
	{varCaller, "string", `caller's number in E.164 ("+902125551234"), or its national digits when ` +
		`the country is unknown ("" when invalid)`},
	{varCallerRaw, "string", "caller's number exactly as the phone system sent it"},
	{varCountryCode, "int", "caller's country calling code (90), 0 when unknown"},
	{varRegion, "string", `caller's ISO 3166 region ("TR"), "" when unknown`},
	{varDialled, "string", "the number the caller dialled, if the phone system sent it"},
	{varUUID, "string", "the call's id, if the phone system sent it"},
	{varRecord, "map", "the matched record (see below); an empty map when not found or ambiguous"},
	{varNow, "time.Time", "the time of the decision in the host's local time zone (now.Hour(), now.Month(), ...)"},
	{varHour, "int", "hour of now, 0-23"},
	{varMinute, "int", "minute of now, 0-59"},
	{varWeekday, "string", `day of now: "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" or "Sun"`},
}

// recordVars documents every standard key of record.
var recordVars = []varDoc{
	{recType, "string", `"contact" or "company"`},
	{recID, "string", "the record's id in the CRM"},
	{recName, "string", "display name: a contact's first and last name, a company's name"},
	{recFirstName, "string", `contact's first name ("" for a company)`},
	{recLastName, "string", `contact's last name ("" for a company)`},
	{recCompany, "string", "contact's company name; a company's own name"},
	{recCompanyID, "string", "contact's company id; a company's own id"},
	{recOwner, "string", "id of the CRM user who owns the record (account manager)"},
	{recEmail, "string", `first e-mail address ("" if none)`},
	{recEmails, "[]string", "every e-mail address"},
	{recPhones, "[]string", "every number of the record that is known in E.164"},
	{recJobTitle, "string", `contact's job title ("" for a company)`},
	{recFields, "map", "every further mapped field exactly as the connector delivered it"},
}

// isStandardRecordKey reports whether key is one of recordVars.
func isStandardRecordKey(key string) bool {
	switch key {
	case recType, recID, recName, recFirstName, recLastName, recCompany, recCompanyID,
		recOwner, recEmail, recEmails, recPhones, recJobTitle, recFields:
		return true
	}
	return false
}

// fieldsDoc documents record.<field>: the record's Fields at top level.
var fieldsDoc = varDoc{"<field>", "any", "every entry of fields under its own name (record.balance), " +
	"unless it clashes with a key above; a string that is a plain decimal number " +
	`("1500", "-2.5", but not "007" or "1e3") becomes a number here, so ` +
	"record.balance > 1000 works; record.fields keeps the original value"}

// docWidth is the width EnvDoc wraps its descriptions to.
const docWidth = 100

// EnvDoc describes, for people, every variable a rule expression can use.
// `lookup -explain` and the docs print it.
func EnvDoc() string {
	var b strings.Builder
	b.WriteString("Routing rules are expr expressions (https://expr-lang.org) over these variables:\n\n")
	writeVarTable(&b, "", envVars)
	b.WriteString("\nrecord holds, when a single record was found:\n\n")
	writeVarTable(&b, "record.", append(slices.Clip(recordVars), fieldsDoc))
	b.WriteString("\nA rule whose expression fails at run time (record.balance > 1000 when the\n" +
		"record has no balance: nil > 1000) does not match; guard it with found && ...\n" +
		"or (record.balance ?? 0) > 1000.\n")
	return b.String()
}

// writeVarTable writes one aligned "name  type  description" table,
// wrapping descriptions at docWidth.
func writeVarTable(b *strings.Builder, prefix string, vars []varDoc) {
	nameW, typW := 0, 0
	for _, v := range vars {
		nameW = max(nameW, len(prefix)+len(v.name))
		typW = max(typW, len(v.typ))
	}
	indent := 2 + nameW + 2 + typW + 2
	for _, v := range vars {
		fmt.Fprintf(b, "  %-*s  %-*s", nameW, prefix+v.name, typW, v.typ)
		col := indent
		for i, word := range strings.Fields(v.doc) {
			switch {
			case i == 0:
				b.WriteString("  ")
			case col+1+len(word) > docWidth:
				b.WriteString("\n" + strings.Repeat(" ", indent))
				col = indent
			default:
				b.WriteByte(' ')
				col++
			}
			b.WriteString(word)
			col += len(word)
		}
		b.WriteByte('\n')
	}
}

// Env is the environment rules are evaluated in for res and call, with now
// as the current time. `lookup` uses it to show what a rule would see;
// EnvDoc describes every variable.
func Env(res directory.Result, call Call) map[string]any {
	return buildEnv(res, call, time.Now())
}

// buildEnv builds the environment at the given time, converted to the
// host's local zone.
func buildEnv(res directory.Result, call Call, now time.Time) map[string]any {
	now = now.Local()
	matches := matchCount(res)
	return map[string]any{
		varFound:         res.Found,
		varAmbiguous:     res.Ambiguous,
		varMatches:       matches,
		varCandidates:    matches,
		varSource:        res.Source,
		varVia:           string(res.Via),
		varMatch:         matchKind(res),
		varInvalidNumber: res.InvalidNumber != nil,
		varErrors:        len(res.Errors),
		varCaller:        callerOf(res.Query),
		varCallerRaw:     callerRaw(res, call),
		varCountryCode:   res.Query.CountryCode,
		varRegion:        res.Query.Region,
		varDialled:       call.Number,
		varUUID:          call.UUID,
		varRecord:        recordEnv(res),
		varNow:           now,
		varHour:          now.Hour(),
		varMinute:        now.Minute(),
		varWeekday:       weekday(now),
	}
}

// matchCount is the matches (and candidates) variable.
func matchCount(res directory.Result) int {
	if matches := len(res.Matches); matches > 0 || !res.Found {
		return matches
	}
	return 1
}

// callerRaw is the caller_raw variable.
func callerRaw(res directory.Result, call Call) string {
	if call.Caller == "" {
		return res.Query.Raw
	}
	return call.Caller
}

// callerOf is the caller's E.164 number, or its national digits.
func callerOf(q phone.Number) string {
	if q.E164 != "" {
		return q.E164
	}
	return q.National
}

// matchKind is the kind of the single match, or the strongest kind among
// the candidates when ambiguous.
func matchKind(res directory.Result) string {
	if res.Found && res.Match != nil {
		return string(res.Match.Kind)
	}
	var best connectors.MatchKind
	for _, m := range res.Matches {
		if best == "" || m.Kind.Strength() > best.Strength() {
			best = m.Kind
		}
	}
	return string(best)
}

// recordEnv is the record map of a found result: an empty map otherwise.
func recordEnv(res directory.Result) map[string]any {
	if !res.Found || res.Match == nil {
		return map[string]any{}
	}
	switch m := res.Match; {
	case m.Contact != nil:
		c := m.Contact
		rec := make(map[string]any, len(recordVars)+len(c.Fields))
		rec[recType] = "contact"
		rec[recID] = c.ID
		rec[recName] = c.Name()
		rec[recFirstName] = c.FirstName
		rec[recLastName] = c.LastName
		rec[recCompany] = c.CompanyName
		rec[recCompanyID] = c.CompanyID
		rec[recOwner] = c.OwnerID
		rec[recEmail] = first(c.Emails)
		rec[recEmails] = nonNil(c.Emails)
		rec[recPhones] = e164s(c.Phones)
		rec[recJobTitle] = c.JobTitle
		addFields(rec, c.Fields)
		return rec
	case m.Company != nil:
		c := m.Company
		rec := make(map[string]any, len(recordVars)+len(c.Fields))
		rec[recType] = "company"
		rec[recID] = c.ID
		rec[recName] = c.Name
		rec[recFirstName] = ""
		rec[recLastName] = ""
		rec[recCompany] = c.Name
		rec[recCompanyID] = c.ID
		rec[recOwner] = c.OwnerID
		rec[recEmail] = first(c.Emails)
		rec[recEmails] = nonNil(c.Emails)
		rec[recPhones] = e164s(c.Phones)
		rec[recJobTitle] = ""
		addFields(rec, c.Fields)
		return rec
	}
	return map[string]any{}
}

// addFields adds fields to rec under "fields" and, where they do not clash
// with a standard key, at top level with numeric strings made numbers.
func addFields(rec map[string]any, fields map[string]any) {
	if fields == nil {
		fields = map[string]any{}
	}
	rec[recFields] = fields
	for k, v := range fields {
		if isStandardRecordKey(k) {
			continue
		}
		if s, ok := v.(string); ok {
			if f, ok := plainDecimal(s); ok {
				v = f
			}
		}
		rec[k] = v
	}
}

// plainDecimal parses s as a plain decimal number: an optional minus sign,
// digits with no leading zero (so codes such as "007" and zip codes stay
// strings), and an optional fraction. Surrounding spaces are ignored.
func plainDecimal(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	digits := strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(digits, ".")
	if !allDigits(intPart) || (hasFrac && !allDigits(frac)) {
		return 0, false
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

// allDigits reports whether s is non-empty and only ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

// e164s lists the phones' E.164 numbers, skipping those not normalised.
func e164s(phones []connectors.Phone) []string {
	out := make([]string, 0, len(phones))
	for _, p := range phones {
		if p.E164 != "" {
			out = append(out, p.E164)
		}
	}
	return out
}
