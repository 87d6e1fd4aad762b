package conf

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestNameList(t *testing.T) {
	type block struct {
		Phones NameList `yaml:"phones"`
	}
	tests := []struct {
		name string
		yaml string
		want NameList
		path string // of the problem, if any
		msg  string
	}{
		{"one name stands for a list of one", "phones: Phone\n", NameList{"Phone"}, "", ""},
		{"a list", "phones: [Phone, Mobile]\n", NameList{"Phone", "Mobile"}, "", ""},
		{"a block list", "phones:\n  - Phone\n  - ''\n", NameList{"Phone", ""}, "", ""},
		{"empty list", "phones: []\n", NameList{}, "", ""},
		{"absent", "{}\n", nil, "", ""},
		{"a map is not a list", "phones: {a: 1}\n", nil, "phones", "expected a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b block
			problems := Decode([]byte(tt.yaml), &b)
			if tt.path == "" && tt.msg == "" {
				if len(problems) > 0 {
					t.Fatalf("problems: %+v", problems)
				}
				if !reflect.DeepEqual(b.Phones, tt.want) {
					t.Errorf("got %#v, want %#v", b.Phones, tt.want)
				}
				return
			}
			if len(problems) != 1 || problems[0].Path != tt.path || !strings.Contains(problems[0].Message, tt.msg) {
				t.Errorf("problems %+v; want one at %q containing %q", problems, tt.path, tt.msg)
			}
		})
	}
}

func TestFieldTypes(t *testing.T) {
	if got := FieldTypes(); !reflect.DeepEqual(got, []string{"string", "number", "bool", "date"}) {
		t.Errorf("FieldTypes() = %q", got)
	}
	FieldTypes()[0] = "changed"
	if FieldTypes()[0] != "string" {
		t.Error("FieldTypes shares its slice with callers")
	}
}

func TestParseFieldType(t *testing.T) {
	tests := []struct {
		written string
		def     FieldType
		want    FieldType
		msg     []string // the problem's message contains each; nil: no problem
	}{
		{"", FieldString, FieldString, nil},
		{"", FieldAsIs, FieldAsIs, nil},
		{"  ", FieldString, FieldString, nil},
		{"number", FieldString, FieldNumber, nil},
		{" Bool ", FieldAsIs, FieldBool, nil},
		{"DATE", FieldString, FieldDate, nil},
		{"string", FieldAsIs, FieldString, nil},
		{"numbr", FieldString, FieldString, []string{
			`unknown field type "numbr" (did you mean "number"?): use one of string, number, bool, date`}},
		{"nubmer", FieldAsIs, FieldAsIs, []string{
			`(did you mean "number"?)`, ", or leave type out to keep the column's own type"}},
		{"money", FieldString, FieldString, []string{`unknown field type "money": use one of string, number, bool, date`}},
		{"Bol", FieldString, FieldString, []string{`unknown field type "Bol" (did you mean "bool"?)`}},
	}
	for _, tt := range tests {
		t.Run(tt.written, func(t *testing.T) {
			got, p := ParseFieldType("fields.x.type", tt.written, tt.def)
			if got != tt.want {
				t.Errorf("type = %q, want %q", got, tt.want)
			}
			switch {
			case tt.msg == nil && p != nil:
				t.Errorf("unexpected problem %+v", *p)
			case tt.msg != nil && p == nil:
				t.Errorf("no problem; want one saying %q", tt.msg)
			case p != nil:
				if p.Path != "fields.x.type" {
					t.Errorf("problem at %q", p.Path)
				}
				for _, m := range tt.msg {
					if !strings.Contains(p.Message, m) {
						t.Errorf("problem %q does not contain %q", p.Message, m)
					}
				}
				if tt.def != FieldAsIs && strings.Contains(p.Message, "leave type out") {
					t.Errorf("problem %q offers to leave the type out, but the default is %q", p.Message, tt.def)
				}
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	noDigits := func(src string) error {
		if strings.ContainsAny(src, "0123456789") {
			return errors.New("no digits please")
		}
		return nil
	}
	type problem struct{ path, msg string }
	tests := []struct {
		name     string
		in       map[string]FieldConfig
		rules    FieldRules
		want     []Field
		problems []problem
	}{
		{
			name:  "sorted by name, trimmed, default type",
			in:    map[string]FieldConfig{"vip": {Source: " VIP ", Type: "Bool"}, "balance": {Source: "Balance"}},
			rules: FieldRules{Key: "column", Missing: "the column holding it", Default: FieldString},
			want: []Field{
				{Name: "balance", Path: "fields.balance", Source: "Balance", Type: FieldString},
				{Name: "vip", Path: "fields.vip", Source: "VIP", Type: FieldBool},
			},
		},
		{
			name:  "as-is default",
			in:    map[string]FieldConfig{"b": {Source: "b"}},
			rules: FieldRules{Key: "column", Missing: "x", Default: FieldAsIs},
			want:  []Field{{Name: "b", Path: "fields.b", Source: "b", Type: FieldAsIs}},
		},
		{
			name: "every problem, in field order",
			in: map[string]FieldConfig{
				"a": {Type: "number"}, "b": {Source: "b1"}, "c": {Source: "c", Type: "nmber"},
				"": {Source: "x", Type: "dte"},
			},
			rules: FieldRules{Key: "property", Missing: "the property's internal name", Default: FieldString, Check: noDigits},
			want: []Field{
				{Name: "", Path: "fields", Source: "x", Type: FieldString},
				{Name: "a", Path: "fields.a", Type: FieldNumber},
				{Name: "b", Path: "fields.b", Source: "b1", Type: FieldString},
				{Name: "c", Path: "fields.c", Source: "c", Type: FieldString},
			},
			problems: []problem{
				{"fields", "empty field name: give the field a name"},
				{"fields.type", `unknown field type "dte" (did you mean "date"?)`},
				{"fields.a.property", `missing property for field "a": add property: <the property's internal name>`},
				{"fields.b.property", "no digits please"},
				{"fields.c.type", `unknown field type "nmber" (did you mean "number"?)`},
			},
		},
		{
			name:  "Check sees only sources that are set",
			in:    map[string]FieldConfig{"a": {Source: "  "}},
			rules: FieldRules{Key: "column", Missing: "the column holding it", Check: func(string) error { return errors.New("called") }},
			want:  []Field{{Name: "a", Path: "fields.a"}},
			problems: []problem{
				{"fields.a.column", `missing column for field "a": add column: <the column holding it>`},
			},
		},
		{name: "empty block", in: nil, rules: FieldRules{Key: "column"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problems := ParseFields("fields", tt.in, tt.rules)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("fields:\n got %+v\nwant %+v", got, tt.want)
			}
			if len(problems) != len(tt.problems) {
				t.Fatalf("problems %+v; want %d", problems, len(tt.problems))
			}
			for i, w := range tt.problems {
				if problems[i].Path != w.path || !strings.Contains(problems[i].Message, w.msg) {
					t.Errorf("problem %d = %s: %s; want %s: ...%s...", i, problems[i].Path, problems[i].Message, w.path, w.msg)
				}
			}
		})
	}
}

func TestFieldConfigDecodes(t *testing.T) {
	var b struct {
		Fields map[string]FieldConfig `yaml:"fields"`
	}
	problems := Decode([]byte("fields:\n  balance: {column: Balance, type: number}\n  tier: {colum: Tier}\n"), &b)
	if len(problems) != 1 || problems[0].Path != "fields.tier.colum" || !strings.Contains(problems[0].Message, `did you mean "column"?`) {
		t.Errorf("problems: %+v", problems)
	}
	if b.Fields["balance"] != (FieldConfig{Source: "Balance", Type: "number"}) {
		t.Errorf("balance = %+v", b.Fields["balance"])
	}
}

func TestConvertField(t *testing.T) {
	tests := []struct {
		typ  FieldType
		raw  string
		want any
		err  string // the error contains it; "" for none
	}{
		// Strings, and values kept as they are, are never touched.
		{FieldString, "  gold ", "  gold ", ""},
		{FieldString, "", "", ""},
		{FieldAsIs, "1,5", "1,5", ""},

		// Empty typed values are no value.
		{FieldNumber, "", nil, ""},
		{FieldBool, "   ", nil, ""},
		{FieldDate, "", nil, ""},

		{FieldNumber, "4250.50", 4250.5, ""},
		{FieldNumber, " -12 ", -12.0, ""},
		{FieldNumber, "+7", 7.0, ""},
		{FieldNumber, "1,234.5", 1234.5, ""},
		{FieldNumber, "1.234,5", 1234.5, ""},
		{FieldNumber, "1234,5", 1234.5, ""},
		{FieldNumber, "1,5", 1.5, ""}, // a lone comma is a decimal comma
		{FieldNumber, "1,234,567", 1234567.0, ""},
		{FieldNumber, "1.234.567,89", 1234567.89, ""},
		{FieldNumber, "1 234 567", 1234567.0, ""},
		{FieldNumber, "1\u00a0234,5", 1234.5, ""},
		{FieldNumber, "1'234.5", 1234.5, ""},
		{FieldNumber, "1e3", 1000.0, ""},
		{FieldNumber, "12 EUR", nil, `"12 EUR" is not a number`},
		{FieldNumber, "NaN", nil, `"NaN" is not a number`},
		{FieldNumber, "Inf", nil, "is not a number"},
		{FieldNumber, "1.2.3", nil, "is not a number"},
		{FieldNumber, "lots", nil, `"lots" is not a number`},

		{FieldBool, "true", true, ""},
		{FieldBool, "Yes", true, ""},
		{FieldBool, "y", true, ""},
		{FieldBool, "1", true, ""},
		{FieldBool, "t", true, ""},
		{FieldBool, "ON", true, ""},
		{FieldBool, "Evet", true, ""},
		{FieldBool, "e", true, ""},
		{FieldBool, "FALSE", false, ""},
		{FieldBool, "no", false, ""},
		{FieldBool, "0", false, ""},
		{FieldBool, "off", false, ""},
		{FieldBool, "Hayır", false, ""},
		{FieldBool, "HAYIR", false, ""},
		{FieldBool, "hayir", false, ""},
		{FieldBool, " h ", false, ""},
		{FieldBool, "maybe", nil, `"maybe" is not true or false (yes/no, 1/0 work too)`},

		{FieldDate, "2024-03-01", "2024-03-01T00:00:00Z", ""},
		{FieldDate, "2024-03-01 09:30", "2024-03-01T09:30:00Z", ""},
		{FieldDate, "2024-03-01 09:30:15", "2024-03-01T09:30:15Z", ""},
		{FieldDate, "2024-03-01T09:30:15", "2024-03-01T09:30:15Z", ""},
		{FieldDate, "2024-03-01T09:30:00+03:00", "2024-03-01T06:30:00Z", ""},
		{FieldDate, "2025-03-01T09:30:00.123Z", "2025-03-01T09:30:00Z", ""},
		{FieldDate, "01.03.2024", "2024-03-01T00:00:00Z", ""},
		{FieldDate, "01.03.2024 09:30", "2024-03-01T09:30:00Z", ""},
		{FieldDate, "01.03.2024 09:30:15", "2024-03-01T09:30:15Z", ""},
		{FieldDate, "03/01/2024", nil, `"03/01/2024" is not a date: write 2024-03-01`},
		{FieldDate, "1725148800000", nil, "is not a date"},
		{FieldDate, "2024-02-30", nil, "is not a date"},

		{FieldType("money"), "1", nil, `unknown field type "money"`},
	}
	for _, tt := range tests {
		got, err := ConvertField(tt.typ, tt.raw)
		if got != tt.want {
			t.Errorf("ConvertField(%q, %q) = %#v, want %#v", tt.typ, tt.raw, got, tt.want)
		}
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("ConvertField(%q, %q): unexpected error %v", tt.typ, tt.raw, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ConvertField(%q, %q): error %v, want one containing %q", tt.typ, tt.raw, err, tt.err)
		}
	}
}
