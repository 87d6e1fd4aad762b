package conf

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Helpers for the parts of a connector's block that every adapter shares:
// lists of names, and the extra fields (fields:) that routing rules and
// cards read from Contact.Fields and Company.Fields.

// NameList is a YAML list of names (columns, properties); a single name
// stands for a list of one ("phones: Phone" is "phones: [Phone]").
type NameList []string

// UnmarshalYAML implements yaml.Unmarshaler. A value that is neither a
// name nor a list of names is a *yaml.TypeError, which Decode
// locates.
func (l *NameList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = NameList{n.Value}
		return nil
	}
	var list []string
	if err := n.Decode(&list); err != nil {
		return err
	}
	*l = list
	return nil
}

// FieldType is how an extra field's values are read (ConvertField).
type FieldType string

// Field types. FieldAsIs is not written in a block: it is the default of
// adapters whose values carry their own types (a database column), which
// keep those types when a field has no type:.
const (
	FieldAsIs   FieldType = ""
	FieldString FieldType = "string"
	FieldNumber FieldType = "number"
	FieldBool   FieldType = "bool"
	FieldDate   FieldType = "date"
)

// FieldTypes returns the names a field's type: may have, in the order
// messages list them.
func FieldTypes() []string {
	return []string{string(FieldString), string(FieldNumber), string(FieldBool), string(FieldDate)}
}

// ParseFieldType reads a field's type: as written at path
// ("fields.balance.type"), ignoring case and surrounding spaces; an absent
// type gives def. An unknown type gives def and a problem at path that
// lists the types, with a "did you mean" suggestion when one is close.
func ParseFieldType(path, written string, def FieldType) (FieldType, *connectors.Problem) {
	t := strings.ToLower(strings.TrimSpace(written))
	if t == "" {
		return def, nil
	}
	types := FieldTypes()
	if slices.Contains(types, t) {
		return FieldType(t), nil
	}
	msg := fmt.Sprintf("unknown field type %q", written)
	if sug := Suggest(written, types); sug != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", sug)
	}
	msg += ": use one of " + strings.Join(types, ", ")
	if def == FieldAsIs {
		msg += ", or leave type out to keep the column's own type"
	}
	p := Problemf(path, "%s", msg)
	return def, &p
}

// FieldConfig is one entry of a fields: block as written: where the
// field's value comes from and its type. Adapters that name the source
// with another key (HubSpot's property:) decode their own struct and copy
// it into a FieldConfig for ParseFields.
type FieldConfig struct {
	Source string `yaml:"column"`
	Type   string `yaml:"type"`
}

// Field is one validated extra field.
type Field struct {
	Name   string    // its key in Contact.Fields
	Path   string    // where it sits in the block: "fields.balance"
	Source string    // the column or property holding it, trimmed
	Type   FieldType // never FieldAsIs unless that is the adapter's default
}

// FieldRules are an adapter's rules for ParseFields.
type FieldRules struct {
	// Key is the setting naming a field's source, as written in the block
	// ("column", "property"); problems about the source are at
	// <field>.<Key>.
	Key string
	// Missing says what to write at Key, for the problem of a field
	// without one ("the column holding it").
	Missing string
	// Default is the type of a field without type: (FieldString, or
	// FieldAsIs to keep the source's own types).
	Default FieldType
	// Check, if set, checks a field's source (never empty); an error
	// becomes a problem at <field>.<Key> with the error's text.
	Check func(source string) error
}

// ParseFields validates the fields: block in (at base, e.g. "fields")
// and returns its fields sorted by name, with one problem for each empty
// name, missing or rejected source and unknown type, in that order for
// each field.
func ParseFields(base string, in map[string]FieldConfig, r FieldRules) ([]Field, connectors.Problems) {
	var (
		out      []Field
		problems connectors.Problems
	)
	for _, name := range slices.Sorted(maps.Keys(in)) {
		fc := in[name]
		f := Field{Name: name, Path: JoinPath(base, name), Source: strings.TrimSpace(fc.Source)}
		if strings.TrimSpace(name) == "" {
			problems = append(problems, Problemf(f.Path, "empty field name: give the field a name"))
		}
		srcPath := f.Path + "." + r.Key
		if f.Source == "" {
			problems = append(problems, Problemf(srcPath, "missing %s for field %q: add %s: <%s>", r.Key, name, r.Key, r.Missing))
		} else if r.Check != nil {
			if err := r.Check(f.Source); err != nil {
				problems = append(problems, Problemf(srcPath, "%v", err))
			}
		}
		var p *connectors.Problem
		if f.Type, p = ParseFieldType(f.Path+".type", fc.Type, r.Default); p != nil {
			problems = append(problems, *p)
		}
		out = append(out, f)
	}
	return out, problems
}

// ConvertField reads raw, an extra field's value as text, as a value of
// type t for Contact.Fields:
//
//   - FieldString and FieldAsIs: raw itself, untouched ("" stays "").
//   - FieldNumber: a float64. Spaces, "'" and "_" are ignored; a decimal
//     point ("1234.5", "1,234.5") or a decimal comma ("1234,5",
//     "1.234,5") both read, and a lone comma is a decimal comma ("1,5" is
//     1.5). NaN and infinities are not numbers.
//   - FieldBool: true from true/yes/y/1/t/on/evet/e, false from
//     false/no/n/0/f/off/hayır/hayir/h, in any case.
//   - FieldDate: an RFC 3339 string in UTC (so that dates compare
//     correctly as strings in routing rules), from RFC 3339, "2024-03-01",
//     "2024-03-01 09:30[:00]", "2024-03-01T09:30:00" or "01.03.2024
//     [09:30[:00]]"; times without a zone are UTC. Slashed dates are
//     ambiguous (day or month first) and deliberately refused.
//
// For the typed kinds raw is trimmed first, and an empty value is nil (no
// value) without an error. A value that does not read is nil and an error
// quoting it, for the adapter to report or log.
func ConvertField(t FieldType, raw string) (any, error) {
	if t == FieldString || t == FieldAsIs {
		return raw, nil
	}
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil, nil
	}
	switch t {
	case FieldNumber:
		if v, err := parseNumber(s); err == nil {
			return v, nil
		}
		return nil, fmt.Errorf("%q is not a number", s)
	case FieldBool:
		switch strings.ToLower(s) {
		case "true", "yes", "y", "1", "t", "on", "evet", "e":
			return true, nil
		case "false", "no", "n", "0", "f", "off", "hayır", "hayir", "h":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not true or false (yes/no, 1/0 work too)", s)
	case FieldDate:
		for _, l := range dateLayouts {
			if d, err := time.Parse(l, s); err == nil {
				return d.UTC().Format(time.RFC3339), nil
			}
		}
		return nil, fmt.Errorf("%q is not a date: write 2024-03-01, 2024-03-01 09:30, 2024-03-01T09:30:00Z or 01.03.2024", s)
	}
	return nil, fmt.Errorf("unknown field type %q", t)
}

// parseNumber reads a number written with a decimal point or a decimal
// comma (see ConvertField).
func parseNumber(text string) (float64, error) {
	s := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\'' || r == '_' {
			return -1
		}
		return r
	}, text)
	comma, dot := strings.LastIndexByte(s, ','), strings.LastIndexByte(s, '.')
	switch {
	case comma >= 0 && dot >= 0 && comma < dot: // 1,234.5
		s = strings.ReplaceAll(s, ",", "")
	case comma >= 0 && dot >= 0: // 1.234,5
		s = strings.ReplaceAll(s, ".", "")
		s = strings.Replace(s, ",", ".", 1)
	case comma >= 0 && strings.Count(s, ",") == 1: // 1234,5
		s = strings.Replace(s, ",", ".", 1)
	case comma >= 0: // 1,234,567
		s = strings.ReplaceAll(s, ",", "")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a number", text)
	}
	return v, nil
}

// dateLayouts are the formats ConvertField reads dates in.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
	"02.01.2006 15:04:05",
	"02.01.2006 15:04",
	"02.01.2006",
}
