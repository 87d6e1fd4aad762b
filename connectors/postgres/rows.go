package postgres

import (
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// absent marks an attribute that is not mapped to a result column.
const absent = -1

// labeled is a result column holding numbers or addresses, with the
// column's name as the label.
type labeled struct {
	idx   int
	label string
}

// fieldAt is an extra field read from a result column.
type fieldAt struct {
	idx  int
	name string
	typ  conf.FieldType
}

// contactLayout says which result column holds which contact attribute.
type contactLayout struct {
	id, firstName, lastName, name, company, companyID, owner, jobTitle, updatedAt int
	phones, emails, keys                                                          []labeled
	fields                                                                        []fieldAt
}

// companyLayout says which result column holds which company attribute.
type companyLayout struct {
	id, name, website, owner, updatedAt int
	phones, emails                      []labeled
}

// resolver maps configured column names to the indexes of a result's
// columns, collecting a problem for every name the result lacks.
type resolver struct {
	index    map[string]int
	names    []string
	where    string // "table customers", "the lookup query's result"
	problems []connectors.Problem
}

func newResolver(names []string, where string) *resolver {
	r := &resolver{index: make(map[string]int, len(names)), names: names, where: where}
	for i, n := range names {
		if _, dup := r.index[n]; !dup {
			r.index[n] = i
		}
	}
	return r
}

// col returns the index of ref's column, absent when ref is not set.
func (r *resolver) col(ref colRef) int {
	if !ref.set() {
		return absent
	}
	if i, ok := r.index[ref.name]; ok {
		return i
	}
	msg := fmt.Sprintf("column %q does not exist in %s", ref.name, r.where)
	if s := conf.Suggest(ref.name, r.names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	} else if len(r.names) > 0 {
		msg += "; it has: " + strings.Join(r.names, ", ")
	}
	r.problems = append(r.problems, conf.Problemf(ref.path, "%s", msg))
	return absent
}

func (r *resolver) cols(refs []colRef) []labeled {
	var out []labeled
	for _, ref := range refs {
		if i := r.col(ref); i != absent {
			out = append(out, labeled{idx: i, label: ref.name})
		}
	}
	return out
}

// contactLayout resolves the contact mapping against a result's columns.
func (r *resolver) contactLayout(c *contactCols, withKeys bool) *contactLayout {
	l := &contactLayout{
		id: r.col(c.id), firstName: r.col(c.firstName), lastName: r.col(c.lastName), name: r.col(c.name),
		company: r.col(c.company), companyID: r.col(c.companyID), owner: r.col(c.owner),
		jobTitle: r.col(c.jobTitle), updatedAt: r.col(c.updatedAt),
		phones: r.cols(c.phones), emails: r.cols(c.emails),
	}
	if withKeys {
		l.keys = r.cols(c.phoneKey)
	}
	for _, f := range c.fields {
		if i := r.col(f.col); i != absent {
			l.fields = append(l.fields, fieldAt{idx: i, name: f.name, typ: f.typ})
		}
	}
	return l
}

// companyLayout resolves the company mapping against a result's columns.
func (r *resolver) companyLayout(c *companyCols) *companyLayout {
	return &companyLayout{
		id: r.col(c.id), name: r.col(c.name), website: r.col(c.website), owner: r.col(c.owner),
		updatedAt: r.col(c.updatedAt), phones: r.cols(c.phones), emails: r.cols(c.emails),
	}
}

// contact builds a contact from one row's values, with its numbers parsed
// (parallel to Phones) for matching.
func (l *contactLayout) contact(vals []any, p *phone.Parser) (connectors.Contact, []phone.Number) {
	get := func(i int) string {
		if i == absent {
			return ""
		}
		return strings.TrimSpace(textOf(vals[i]))
	}
	c := connectors.Contact{ID: get(l.id)}
	if name := get(l.name); name != "" {
		c.FirstName = name
	} else {
		c.FirstName, c.LastName = get(l.firstName), get(l.lastName)
	}
	c.CompanyName = get(l.company)
	c.CompanyID = get(l.companyID)
	c.OwnerID = get(l.owner)
	c.JobTitle = get(l.jobTitle)
	if l.updatedAt != absent {
		c.UpdatedAt = timeOf(vals[l.updatedAt])
	}
	var nums []phone.Number
	c.Phones, nums = numbers(vals, l.phones, p)
	for _, k := range l.keys {
		for _, e164 := range texts(vals[k.idx]) {
			n, ok := phone.FromE164(strings.TrimSpace(e164))
			if !ok || hasE164(nums, n.E164) {
				continue
			}
			nums = append(nums, n)
			c.Phones = append(c.Phones, connectors.Phone{Raw: e164, Label: k.label, E164: n.E164})
		}
	}
	c.Emails = emails(vals, l.emails)
	if len(l.fields) > 0 {
		c.Fields = make(map[string]any, len(l.fields))
		for _, f := range l.fields {
			c.Fields[f.name] = fieldValue(vals[f.idx], f.typ)
		}
	}
	return c, nums
}

// company builds a company from one row's values.
func (l *companyLayout) company(vals []any, p *phone.Parser) connectors.Company {
	get := func(i int) string {
		if i == absent {
			return ""
		}
		return strings.TrimSpace(textOf(vals[i]))
	}
	co := connectors.Company{ID: get(l.id), Name: get(l.name), Website: get(l.website), OwnerID: get(l.owner)}
	if l.updatedAt != absent {
		co.UpdatedAt = timeOf(vals[l.updatedAt])
	}
	co.Phones, _ = numbers(vals, l.phones, p)
	co.Emails = emails(vals, l.emails)
	return co
}

// numbers reads every number of the phone columns (a cell, or an array
// element, may hold several), normalised with the host's region.
func numbers(vals []any, cols []labeled, p *phone.Parser) ([]connectors.Phone, []phone.Number) {
	var phones []connectors.Phone
	var nums []phone.Number
	for _, col := range cols {
		for _, raw := range texts(vals[col.idx]) {
			if strings.TrimSpace(raw) == "" {
				continue
			}
			parsed, _ := p.ParseAll(raw)
			for _, n := range parsed {
				if !n.Valid() || hasNumber(nums, n) {
					continue
				}
				if n.Raw == "" {
					n.Raw = raw
				}
				nums = append(nums, n)
				phones = append(phones, connectors.Phone{Raw: n.Raw, Label: col.label, E164: n.E164, Extension: n.Extension})
			}
		}
	}
	return phones, nums
}

func hasNumber(nums []phone.Number, n phone.Number) bool {
	for _, m := range nums {
		if m.E164 == n.E164 && m.National == n.National && m.Extension == n.Extension {
			return true
		}
	}
	return false
}

func hasE164(nums []phone.Number, e164 string) bool {
	for _, m := range nums {
		if m.E164 == e164 {
			return true
		}
	}
	return false
}

// emails reads every address of the email columns; a cell may hold
// several, separated by commas, semicolons or spaces.
func emails(vals []any, cols []labeled) []string {
	var out []string
	for _, col := range cols {
		for _, cell := range texts(vals[col.idx]) {
			out = append(out, strings.FieldsFunc(cell, func(r rune) bool {
				return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n'
			})...)
		}
	}
	return out
}

// texts is a value as a list of strings: the elements of an array, one
// string for anything else, none for NULL.
func texts(v any) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			out = append(out, texts(e)...)
		}
		return out
	case []string:
		return v
	}
	return []string{textOf(v)}
}

// textOf formats a value pgx decoded as the text an operator would expect
// (ids, names, numbers); "" for NULL.
func textOf(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []byte:
		return string(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case int16:
		return strconv.FormatInt(int64(v), 10)
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 32)
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	case [16]byte:
		return uuidText(v)
	case pgtype.Numeric:
		if dv, err := v.Value(); err == nil && dv != nil {
			return fmt.Sprint(dv)
		}
		return ""
	case []any:
		parts := make([]string, 0, len(v))
		for _, e := range v {
			parts = append(parts, textOf(e))
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

func uuidText(u [16]byte) string {
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// timeOf reads a modification time; zero when the value is not a time.
func timeOf(v any) time.Time {
	switch v := v.(type) {
	case time.Time:
		return v.UTC()
	case string:
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// fieldValue converts a value for Contact.Fields: JSON-like values only
// (string, float64, bool, nil, []any, map[string]any). Without a type the
// value keeps the database's own type. With one, a value of a matching
// database type (a numeric, a boolean, a timestamp or date) is taken as it
// is and anything else is read from its text by conf.ConvertField;
// a value that does not convert, or an array or JSON object given a type
// other than string, is nil.
func fieldValue(v any, typ conf.FieldType) any {
	if v == nil {
		return nil
	}
	switch typ {
	case conf.FieldAsIs:
		return jsonLike(v)
	case conf.FieldNumber:
		if f, ok := number(v); ok {
			return f
		}
	case conf.FieldBool:
		if b, ok := v.(bool); ok {
			return b
		}
	case conf.FieldDate:
		if t, ok := v.(time.Time); ok {
			return t.UTC().Format(time.RFC3339)
		}
	}
	switch v.(type) {
	case []any, map[string]any:
		if typ != conf.FieldString {
			return nil
		}
	}
	out, err := conf.ConvertField(typ, textOf(v))
	if err != nil {
		return nil
	}
	return out
}

// number reads numeric values pgx decodes.
func number(v any) (float64, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case int32:
		return float64(v), true
	case int16:
		return float64(v), true
	case int:
		return float64(v), true
	case float64:
		return v, true
	case float32:
		return float64(v), true
	case pgtype.Numeric:
		f, err := v.Float64Value()
		if err != nil || !f.Valid || math.IsNaN(f.Float64) || math.IsInf(f.Float64, 0) {
			return 0, false
		}
		return f.Float64, true
	}
	return 0, false
}

// jsonLike keeps a value in the database's own type, as JSON-like values.
func jsonLike(v any) any {
	switch v := v.(type) {
	case nil, string, bool, float64:
		return v
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = jsonLike(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonLike(e)
		}
		return out
	}
	if f, ok := number(v); ok {
		return f
	}
	if _, ok := v.(pgtype.Numeric); ok {
		return nil // NaN or infinite
	}
	return textOf(v)
}
