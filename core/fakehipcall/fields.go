package fakehipcall

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/switchboard-hq/switchboard/core/hipcall"
)

// Ecto-style messages, as Hipcall (a Phoenix app) words them.
const (
	msgBlank      = "can't be blank"
	msgInvalid    = "is invalid"
	msgTaken      = "has already been taken"
	msgUnexpected = "Unexpected field"
	msgNotExist   = "does not exist"
)

// fieldErrors collects 422 messages per field.
type fieldErrors map[string][]string

func (e fieldErrors) add(field, msg string) { e[field] = append(e[field], msg) }

// object decodes a JSON object body; ok is false for anything else.
func object(body []byte) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// str decodes a string or null ("" for null).
func str(e fieldErrors, field string, raw json.RawMessage) string {
	if isNull(raw) {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		e.add(field, msgInvalid)
	}
	return s
}

// optInt decodes an integer or null.
func optInt(e fieldErrors, field string, raw json.RawMessage) *int64 {
	if isNull(raw) {
		return nil
	}
	n, ok := integer(raw)
	if !ok {
		e.add(field, msgInvalid)
		return nil
	}
	return &n
}

func integer(raw json.RawMessage) (int64, bool) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return 0, false
	}
	n, ok := v.(json.Number) // a quoted "12" is a string, not an integer
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

// externalID normalises external_id as Hipcall does: a JSON integer
// becomes its string, surrounding whitespace is trimmed, "" becomes null,
// and more than 255 characters is a 422.
func externalID(e fieldErrors, raw json.RawMessage) *string {
	if isNull(raw) {
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		n, ok := integer(raw)
		if !ok {
			e.add("external_id", msgInvalid)
			return nil
		}
		s = strconv.FormatInt(n, 10)
	}
	id := hipcall.NormalizeExternalID(s)
	if id != nil && utf8.RuneCountInString(*id) > hipcall.MaxExternalIDLength {
		e.add("external_id", "should be at most 255 character(s)")
		return nil
	}
	return id
}

// list decodes an array of objects, checking each object's keys.
func list(e fieldErrors, field string, raw json.RawMessage, allowed ...string) []map[string]json.RawMessage {
	if isNull(raw) {
		return nil
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		e.add(field, msgInvalid)
		return nil
	}
	for _, it := range items {
		if it == nil {
			e.add(field, msgInvalid)
			return nil
		}
		for _, k := range slices.Sorted(maps.Keys(it)) {
			if !contains(allowed, k) {
				e.add(field, k+": "+msgUnexpected)
			}
		}
	}
	return items
}

// phones decodes phones [{country, number[, order]}].
func phones(e fieldErrors, raw json.RawMessage, withOrder bool) []hipcall.Phone {
	allowed := []string{"country", "number"}
	if withOrder {
		allowed = append(allowed, "order")
	}
	items := list(e, "phones", raw, allowed...)
	out := make([]hipcall.Phone, 0, len(items))
	for i, it := range items {
		var p hipcall.Phone
		if v, ok := it["country"]; ok {
			p.Country = str(e, "phones", v)
		}
		if v, ok := it["number"]; ok {
			p.Number = strings.TrimSpace(str(e, "phones", v))
		}
		if p.Number == "" {
			e.add("phones", "number "+msgBlank)
		}
		p.Order = order(e, "phones", it, i, withOrder)
		out = append(out, p)
	}
	return out
}

// emails decodes emails [{email[, order]}].
func emails(e fieldErrors, raw json.RawMessage, withOrder bool) []hipcall.Email {
	allowed := []string{"email"}
	if withOrder {
		allowed = append(allowed, "order")
	}
	items := list(e, "emails", raw, allowed...)
	out := make([]hipcall.Email, 0, len(items))
	for i, it := range items {
		var m hipcall.Email
		if v, ok := it["email"]; ok {
			m.Email = strings.TrimSpace(str(e, "emails", v))
		}
		if m.Email == "" {
			e.add("emails", "email "+msgBlank)
		}
		m.Order = order(e, "emails", it, i, withOrder)
		out = append(out, m)
	}
	return out
}

// order reads an item's order, defaulting to its 1-based position.
func order(e fieldErrors, field string, it map[string]json.RawMessage, i int, withOrder bool) int {
	if !withOrder {
		return 0
	}
	if v, ok := it["order"]; ok && !isNull(v) {
		n, ok := integer(v)
		if !ok {
			e.add(field, "order "+msgInvalid)
		}
		return int(n)
	}
	return i + 1
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
