package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
)

// Lookups by key (connectors.KeyLookuper): the contract's rule for
// comparing a stored value with the value looked for, in one place, so
// that every connector (and the host's own index) agrees on what a key
// match is.

// DefaultKeyLookupLimit caps KeyMatches's answer when the request sets no
// Limit.
const DefaultKeyLookupLimit = 10

// The standard key fields every record has (connectors.KeyLookupRequest).
const (
	// KeyFieldID is the record's own id.
	KeyFieldID = "id"
	// KeyFieldEmail is any of the record's e-mail addresses.
	KeyFieldEmail = "email"
	// KeyFieldExternalID is the record's "external_id" field when it has
	// one, else its id (the external_id the sync gives it in Hipcall by
	// default).
	KeyFieldExternalID = "external_id"
)

// StandardKeyField reports whether field is one of the standard key
// fields ("id", "email", "external_id"), which a connector never reports
// as unknown.
func StandardKeyField(field string) bool {
	switch field {
	case KeyFieldID, KeyFieldEmail, KeyFieldExternalID:
		return true
	}
	return false
}

// KeyFold is value as keys compare: trimmed of white space on both sides,
// its letter case folded (as strings.EqualFold folds it: "ab-12 ", "AB-12"
// and "Ab-12" fold alike). Two values are the same key exactly when their
// folds are equal, so KeyFold makes the keys of a map of values (built
// with KeyValues) and the value to look up in it, or the parameter a
// database compares with its lower(btrim(column)) (equal for ASCII; the
// rare letters whose PostgreSQL and Go folds differ then miss).
func KeyFold(value string) string {
	value = strings.TrimSpace(value)
	for i := 0; i < len(value); i++ {
		if value[i] >= utf8.RuneSelf {
			return strings.Map(foldRune, value)
		}
	}
	return strings.ToLower(value)
}

// foldRune maps every rune of a simple case-folding orbit (K, k and the
// Kelvin sign K) to one rune of it: the lower case of its smallest when
// that is in the orbit (k), else its smallest (İ, which folds with
// nothing: unicode.ToLower would make it an i).
func foldRune(r rune) rune {
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	lower := unicode.ToLower(least)
	for f := unicode.SimpleFold(least); f != least; f = unicode.SimpleFold(f) {
		if f == lower {
			return lower
		}
	}
	return least
}

// KeyValues returns every value stored holds, each folded by KeyFold, for
// a map from values to records (stored: a Fields value, or what
// ContactKey and CompanyKey return):
//
//   - a text is one value, and when it holds commas or semicolons also
//     each of the values they separate ("A-1; a-2" holds "a-1; a-2",
//     "a-1" and "a-2");
//   - a number is its digits ("1001" for 1001.0; 12.5 is "12.5"); a bool
//     is "true" or "false";
//   - a list ([]any, []string) holds the values of its elements;
//   - nil, an empty text and anything else (a map) hold none.
//
// A value occurs once however often it is held.
func KeyValues(stored any) []string {
	var out []string
	addValues(&out, stored)
	return out
}

func addValues(out *[]string, stored any) {
	add := func(v string) {
		if v = KeyFold(v); v != "" && !slices.Contains(*out, v) {
			*out = append(*out, v)
		}
	}
	switch v := stored.(type) {
	case nil:
	case string:
		add(v)
		if strings.ContainsAny(v, ",;") {
			for _, part := range strings.FieldsFunc(v, isKeySeparator) {
				add(part)
			}
		}
	case []any:
		for _, e := range v {
			addValues(out, e)
		}
	case []string:
		for _, e := range v {
			addValues(out, e)
		}
	case float64:
		add(formatNumber(v))
	case float32:
		add(formatNumber(float64(v)))
	case int:
		add(strconv.Itoa(v))
	case int32:
		add(strconv.FormatInt(int64(v), 10))
	case int64:
		add(strconv.FormatInt(v, 10))
	case uint64:
		add(strconv.FormatUint(v, 10))
	case json.Number:
		add(v.String())
	case bool:
		add(strconv.FormatBool(v))
	case fmt.Stringer:
		add(v.String())
	}
}

func isKeySeparator(r rune) bool { return r == ',' || r == ';' }

// formatNumber writes a number as people key it: an integer as its digits,
// anything else in the shortest decimal form.
func formatNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// KeyEqual reports whether stored holds value under the contract's rule:
// one of KeyValues(stored) is KeyFold(value). An empty value is held by
// nothing.
func KeyEqual(stored any, value string) bool {
	want := KeyFold(value)
	return want != "" && slices.Contains(KeyValues(stored), want)
}

// ContactKey returns what the contact holds in field, for KeyEqual or
// KeyValues, and whether it has the field at all: "id" is its ID, "email"
// its Emails, "external_id" its Fields["external_id"] when it has that
// field, else its ID; any other name is the Fields entry of that name
// (absent: false).
func ContactKey(c *connectors.Contact, field string) (any, bool) {
	return recordKey(c.ID, c.Emails, c.Fields, field)
}

// CompanyKey is ContactKey for a company.
func CompanyKey(co *connectors.Company, field string) (any, bool) {
	return recordKey(co.ID, co.Emails, co.Fields, field)
}

func recordKey(id string, emails []string, fields map[string]any, field string) (any, bool) {
	switch field {
	case KeyFieldID:
		return id, true
	case KeyFieldEmail:
		return emails, true
	case KeyFieldExternalID:
		if v, ok := fields[field]; ok {
			return v, true
		}
		return id, true
	}
	v, ok := fields[field]
	return v, ok
}

// KeyMatches is the honest end of a lookup by key, as Rank is of a
// lookup by number: of the candidates (every record a connector holds in
// memory, or what a looser query or search found), it keeps the records
// whose req.Field holds req.Value (ContactKey or CompanyKey, then
// KeyEqual), and only the record with req.RecordID when it is set. The
// answer lists contacts before companies, in the candidates' order,
// without a second copy of a record (same ID), each of kind MatchKey and
// without a Phone, and holds at most req.Limit matches
// (DefaultKeyLookupLimit when 0) unless RecordID is set, which the record
// answers whatever Limit is: it is the KeyLookupResponse's Matches.
//
// It does not know which fields a connector has: answer UnknownKeyField
// first for a field that is not StandardKeyField and not one of yours.
// KeyMatches works on copies: the candidates are not changed.
func KeyMatches(req *connectors.KeyLookupRequest, contacts []connectors.Contact, companies []connectors.Company) []connectors.Match {
	want := KeyFold(req.Value)
	if want == "" {
		return nil
	}
	limit := req.Limit
	if limit <= 0 {
		limit = DefaultKeyLookupLimit
	}
	full := func(n int) bool { return req.RecordID == "" && n >= limit }
	var out []connectors.Match
	seen := map[string]bool{}
	for i := 0; i < len(contacts) && !full(len(out)); i++ {
		ct := contacts[i]
		if (req.RecordID != "" && ct.ID != req.RecordID) || seen["contact:"+ct.ID] {
			continue
		}
		if v, ok := ContactKey(&ct, req.Field); ok && slices.Contains(KeyValues(v), want) {
			seen["contact:"+ct.ID] = true
			out = append(out, connectors.Match{Contact: &ct, Kind: connectors.MatchKey})
		}
	}
	for i := 0; i < len(companies) && !full(len(out)); i++ {
		co := companies[i]
		if (req.RecordID != "" && co.ID != req.RecordID) || seen["company:"+co.ID] {
			continue
		}
		if v, ok := CompanyKey(&co, req.Field); ok && slices.Contains(KeyValues(v), want) {
			seen["company:"+co.ID] = true
			out = append(out, connectors.Match{Company: &co, Kind: connectors.MatchKey})
		}
	}
	return out
}

// UnknownKeyField is the error of a lookup by a field the connector does
// not have: ClassBadConfig (the host's configuration names the field),
// naming the field, the fields the connector has (known, besides the
// standard ones) and the closest of them. It never holds the value looked
// for, which may be a secret's hash.
func UnknownKeyField(field string, known []string) *connectors.Error {
	known = slices.Sorted(slices.Values(known))
	msg := fmt.Sprintf("no field %q to look records up by", field)
	if sug := conf.Suggest(field, append(slices.Clone(known), KeyFieldID, KeyFieldEmail, KeyFieldExternalID)); sug != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", sug)
	}
	if len(known) > 0 {
		msg += fmt.Sprintf(": this connector has %s and the standard %q, %q and %q",
			quoteList(known), KeyFieldID, KeyFieldEmail, KeyFieldExternalID)
	} else {
		msg += fmt.Sprintf(": this connector has only the standard %q, %q and %q", KeyFieldID, KeyFieldEmail, KeyFieldExternalID)
	}
	msg += "; map the field in the connector's block, or look up one it has"
	return &connectors.Error{Class: connectors.ClassBadConfig, Op: "LookupByKey", Message: msg}
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// HideKeyValue returns err without the value looked for: when its text
// holds value (in any letter case), a *connectors.Error of the same class
// and operation whose message has "<the value looked for>" in its place
// (a context's error stays one, for errors.Is); otherwise err itself.
// Pass the errors of a CRM's API through it, whose messages may quote the
// request.
func HideKeyValue(err error, value string) error {
	value = strings.TrimSpace(value)
	if err == nil || value == "" {
		return err
	}
	text := err.Error()
	var ce *connectors.Error
	if errors.As(err, &ce) && error(ce) == err {
		text = ce.Detail()
	}
	re := regexp.MustCompile("(?i)" + regexp.QuoteMeta(value))
	if !re.MatchString(text) {
		return err
	}
	out := &connectors.Error{Class: connectors.ClassOf(err), Op: "LookupByKey", Message: re.ReplaceAllLiteralString(text, "<the value looked for>")}
	if ce != nil && ce.Op != "" {
		out.Op = ce.Op
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		out.Err = context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		out.Err = context.Canceled
	}
	return out
}
