package hipcall

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// RowType is the type of an Insight Card row.
type RowType string

// The three row types Hipcall accepts.
const (
	// RowTitle is a heading, optionally a link.
	RowTitle RowType = "title"
	// RowShortText is a labelled line of text, optionally a link with
	// deep links for the iOS and Android apps.
	RowShortText RowType = "shortText"
	// RowUser names a Hipcall user (the record's owner, say).
	RowUser RowType = "user"
)

// rowSpec lists, per row type, the keys Hipcall allows and requires.
type rowSpec struct {
	allowed  []string
	required []string
}

var rowSpecs = map[RowType]rowSpec{
	RowTitle:     {allowed: []string{"type", "text", "link"}, required: []string{"text"}},
	RowShortText: {allowed: []string{"type", "text", "label", "link", "ios", "android"}, required: []string{"text"}},
	RowUser:      {allowed: []string{"type", "label", "user_id"}, required: []string{"label", "user_id"}},
}

// Row is one row of an Insight Card. Unset (nil) fields are left out of the
// JSON, so a row built with the constructors marshals exactly the keys its
// type allows. Setting a field its type does not allow makes ValidateCard
// (and so PushCard) fail.
type Row struct {
	Type    RowType `json:"type"`
	Text    *string `json:"text,omitempty"`
	Label   *string `json:"label,omitempty"`
	Link    *string `json:"link,omitempty"`
	IOS     *string `json:"ios,omitempty"`
	Android *string `json:"android,omitempty"`
	UserID  *int64  `json:"user_id,omitempty"`
}

// Title returns a title row.
func Title(text string) Row { return Row{Type: RowTitle, Text: &text} }

// ShortText returns a shortText row with a label ("" for none).
func ShortText(label, text string) Row {
	r := Row{Type: RowShortText, Text: &text}
	if label != "" {
		r.Label = &label
	}
	return r
}

// User returns a user row naming the Hipcall user with the id.
func User(label string, userID int64) Row {
	return Row{Type: RowUser, Label: &label, UserID: &userID}
}

// WithLink returns the row with a link (title and shortText rows).
func (r Row) WithLink(url string) Row { r.Link = &url; return r }

// WithApps returns the row with deep links for Hipcall's iOS and Android
// apps (shortText rows); an empty argument leaves that key out.
func (r Row) WithApps(ios, android string) Row {
	if ios != "" {
		r.IOS = &ios
	}
	if android != "" {
		r.Android = &android
	}
	return r
}

// CardResult is Hipcall's answer to an accepted Insight Card.
type CardResult struct {
	// CallID is the call the card was attached to.
	CallID string `json:"call_id"`
	// Card is the card as Hipcall stored it.
	Card []Row `json:"card"`
}

// CardError lists every problem Hipcall's row rules find in a card.
type CardError struct {
	// Problems holds one message per problem, each naming the row
	// ("card[1].label: ...").
	Problems []string
}

func (e *CardError) Error() string {
	return "invalid Insight Card: " + strings.Join(e.Problems, "; ") +
		" (rows are title{text,link}, shortText{text,label,link,ios,android} or user{label,user_id}; fix the rows listed)"
}

// ValidateCard checks rows against Hipcall's Insight Card rules: only the
// types title, shortText and user; only each type's keys; required keys
// present. It returns a *CardError listing every problem, or nil.
func ValidateCard(rows []Row) error {
	if rows == nil {
		rows = []Row{}
	}
	body, err := json.Marshal(map[string][]Row{"card": rows})
	if err != nil {
		return fmt.Errorf("encode Insight Card: %w", err)
	}
	return ValidateCardJSON(body)
}

// ValidateCardJSON checks a raw request body ({"card":[rows]}) the way
// Hipcall does, including keys that are present with a null value, which a
// Row cannot express. The fake Hipcall uses it, so client and fake agree.
// It returns a *CardError listing every problem, or nil.
func ValidateCardJSON(body []byte) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return &CardError{Problems: []string{"body: must be a JSON object {\"card\": [rows]}"}}
	}
	var problems []string
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if k != "card" {
			problems = append(problems, fmt.Sprintf("%s: unexpected field", k))
		}
	}
	raw, ok := top["card"]
	if !ok || isNull(raw) {
		return &CardError{Problems: append(problems, "card: can't be blank")}
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(raw, &rows); err != nil {
		return &CardError{Problems: append(problems, "card: must be a list of rows")}
	}
	if len(rows) == 0 {
		problems = append(problems, "card: must have at least one row")
	}
	for i, row := range rows {
		problems = append(problems, validateRow(i, row)...)
	}
	if len(problems) > 0 {
		return &CardError{Problems: problems}
	}
	return nil
}

func validateRow(i int, raw json.RawMessage) []string {
	at := func(key string) string { return fmt.Sprintf("card[%d].%s", i, key) }
	var row map[string]json.RawMessage
	if err := json.Unmarshal(raw, &row); err != nil || row == nil {
		return []string{fmt.Sprintf("card[%d]: must be an object", i)}
	}
	typRaw, ok := row["type"]
	if !ok || isNull(typRaw) {
		return []string{at("type") + ": can't be blank"}
	}
	var typ string
	if err := json.Unmarshal(typRaw, &typ); err != nil {
		return []string{at("type") + ": is invalid"}
	}
	if typ == "" {
		return []string{at("type") + ": can't be blank"}
	}
	spec, ok := rowSpecs[RowType(typ)]
	if !ok {
		return []string{fmt.Sprintf("%s: unknown row type %q (want title, shortText or user)", at("type"), typ)}
	}
	var problems []string
	for _, k := range slices.Sorted(maps.Keys(row)) {
		if !slices.Contains(spec.allowed, k) {
			problems = append(problems, fmt.Sprintf("%s: unexpected key for a %s row (allowed: %s)",
				at(k), typ, strings.Join(spec.allowed, ", ")))
		}
	}
	for _, k := range spec.allowed {
		v, present := row[k]
		if k == "type" {
			continue
		}
		required := slices.Contains(spec.required, k)
		if !present || isNull(v) {
			if required {
				problems = append(problems, at(k)+": can't be blank")
			}
			continue
		}
		if k == "user_id" {
			if !isInteger(v) {
				problems = append(problems, at(k)+": must be an integer")
			}
			continue
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			problems = append(problems, at(k)+": must be a string")
			continue
		}
		if required && strings.TrimSpace(s) == "" {
			problems = append(problems, at(k)+": can't be blank")
		}
	}
	return problems
}

func isNull(raw json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

func isInteger(raw json.RawMessage) bool {
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return false
	}
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	_, err := n.Int64()
	return err == nil
}
