package conf

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

type testRegion struct {
	Region string `yaml:"region"`
}

type testField struct {
	Column string `yaml:"column"`
	Type   string `yaml:"type"`
}

type testColumns struct {
	ID     string   `yaml:"id"`
	Phones []string `yaml:"phones"`
}

type testConfig struct {
	Path       string               `yaml:"path"`
	Strict     bool                 `yaml:"strict"`
	Count      int                  `yaml:"count"`
	Ratio      float64              `yaml:"ratio"`
	Interval   Duration             `yaml:"interval"`
	Timeout    time.Duration        `yaml:"timeout"`
	Columns    testColumns          `yaml:"columns"`
	Fields     map[string]testField `yaml:"fields"`
	Extra      map[string]any       `yaml:"extra"`
	Ptr        *testField           `yaml:"ptr"`
	testRegion `yaml:",inline"`
	Ignored    string `yaml:"-"`
	NoTag      string
}

// want is one expected problem: its path and fragments of its message.
type want struct {
	path string
	msg  []string
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		want  []want
		check func(t *testing.T, c *testConfig)
	}{
		{
			name: "valid block decodes every field",
			yaml: `
path: customers.csv
strict: true
count: 3
ratio: 0.5
interval: 1m30s
timeout: 250ms
region: GB
notag: x
columns:
  id: CustomerID
  phones: [Phone, Mobile]
fields:
  balance: {column: Balance, type: number}
extra:
  anything: [1, 2, {goes: here}]
ptr: {column: P}
`,
			check: func(t *testing.T, c *testConfig) {
				wantCfg := testConfig{
					Path: "customers.csv", Strict: true, Count: 3, Ratio: 0.5,
					Interval: Duration(90 * time.Second), Timeout: 250 * time.Millisecond,
					Columns:    testColumns{ID: "CustomerID", Phones: []string{"Phone", "Mobile"}},
					Fields:     map[string]testField{"balance": {Column: "Balance", Type: "number"}},
					Extra:      map[string]any{"anything": []any{1, 2, map[string]any{"goes": "here"}}},
					Ptr:        &testField{Column: "P"},
					testRegion: testRegion{Region: "GB"},
					NoTag:      "x",
				}
				if !reflect.DeepEqual(*c, wantCfg) {
					t.Errorf("decoded\n%+v\nwant\n%+v", *c, wantCfg)
				}
			},
		},
		{
			name:  "empty block keeps the defaults",
			yaml:  "",
			check: func(t *testing.T, c *testConfig) { checkDefaults(t, c) },
		},
		{
			name:  "comment-only block keeps the defaults",
			yaml:  "# nothing here\n",
			check: func(t *testing.T, c *testConfig) { checkDefaults(t, c) },
		},
		{
			name: "bare zero duration is off",
			yaml: "interval: 0",
			check: func(t *testing.T, c *testConfig) {
				if c.Interval != 0 {
					t.Errorf("interval = %v, want 0", c.Interval)
				}
			},
		},
		{
			name: "unknown top-level key with suggestion",
			yaml: "pth: customers.csv",
			want: []want{{"pth", []string{`unknown key "pth"`, `did you mean "path"?`}}},
		},
		{
			name: "unknown key with different separators suggests the snake_case key",
			yaml: "columns:\n  ID: x\n  Phone-s: [a]",
			want: []want{
				{"columns.ID", []string{`unknown key "ID"`, `did you mean "id"?`}},
				{"columns.Phone-s", []string{`did you mean "phones"?`}},
			},
		},
		{
			name: "unknown key far from every known key lists the allowed keys",
			yaml: "columns:\n  zzzzzzzz: 1",
			want: []want{{"columns.zzzzzzzz", []string{`unknown key "zzzzzzzz"`, "allowed here are: id, phones"}}},
		},
		{
			name: "unknown key inside a map of structs",
			yaml: "fields:\n  balance:\n    colum: Balance\n",
			want: []want{{"fields.balance.colum", []string{`did you mean "column"?`}}},
		},
		{
			name: "ignored and unexported fields are not keys",
			yaml: "ignored: x\ntestregion: y",
			want: []want{
				{"ignored", []string{`unknown key "ignored"`}},
				{"testregion", []string{`unknown key "testregion"`}},
			},
		},
		{
			name: "type errors carry the path of the value",
			yaml: `
strict: yes please
count: many
ratio: [1]
timeout: 5
interval: soon
columns:
  phones:
    - Phone
    - {x: 1}
`,
			want: []want{
				{"strict", []string{"expected true or false", `got "yes please"`}},
				{"count", []string{"expected a whole number", `got "many"`}},
				{"ratio", []string{"expected a number", "got a list"}},
				{"timeout", []string{"expected a duration like 2s"}},
				{"interval", []string{"expected a duration like 2s", `got "soon"`}},
				{"columns.phones.1", []string{"expected a text value", "got a mapping"}},
			},
		},
		{
			name: "several values on one flow line are told apart",
			yaml: "fields: {balance: {column: [a], type: number}, tier: {column: Tier, type: {}}}",
			want: []want{
				{"fields.balance.column", []string{"expected a text value", "got a list"}},
				{"fields.tier.type", []string{"expected a text value", "got a mapping"}},
			},
		},
		{
			name: "a scalar where a mapping belongs",
			yaml: "columns: CustomerID",
			want: []want{{"columns", []string{"expected a mapping of keys to values", `got "CustomerID"`}}},
		},
		{
			name: "a whole block that is not a mapping",
			yaml: "- a\n- b",
			want: []want{{"", []string{"expected a mapping of keys to values", "got a list"}}},
		},
		{
			name: "unknown keys and type errors together, in document order",
			yaml: "count: x\nbogus: 1\nstrict: 2\n",
			want: []want{
				{"count", []string{"a whole number"}},
				{"bogus", []string{`unknown key "bogus"`}},
				{"strict", []string{"true or false"}},
			},
		},
		{
			name: "duplicate key",
			yaml: "path: a.csv\ncount: 1\npath: b.csv\n",
			want: []want{{"path", []string{`key "path" appears twice`}}},
		},
		{
			name: "syntax error",
			yaml: "path: [unclosed\ncount: 1\n",
			want: []want{{"", []string{"not valid YAML", "of the block"}}},
		},
		{
			name: "merge keys are checked against the struct",
			yaml: "base: &b {column: A, typo: 1}\nfields:\n  x:\n    <<: *b\n    type: number\n",
			want: []want{
				{"base", []string{`unknown key "base"`}},
				{"fields.x.typo", []string{`unknown key "typo"`}},
			},
			check: func(t *testing.T, c *testConfig) {
				if got := c.Fields["x"]; got.Column != "A" || got.Type != "number" {
					t.Errorf("merged field = %+v, want column A, type number", got)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig{Path: "default.csv", Count: 7}
			got := Decode([]byte(tt.yaml), &cfg)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tt.want), formatProblems(got))
			}
			for i, w := range tt.want {
				if got[i].Path != w.path {
					t.Errorf("problem %d: path %q, want %q (%s)", i, got[i].Path, w.path, got[i].Message)
				}
				for _, frag := range w.msg {
					if !strings.Contains(got[i].Message, frag) {
						t.Errorf("problem %d: message %q lacks %q", i, got[i].Message, frag)
					}
				}
				if strings.Contains(got[i].Path, "line") {
					t.Errorf("problem %d: path %q mentions a line", i, got[i].Path)
				}
			}
			if tt.check != nil {
				tt.check(t, &cfg)
			}
		})
	}
}

func checkDefaults(t *testing.T, c *testConfig) {
	t.Helper()
	if c.Path != "default.csv" || c.Count != 7 {
		t.Errorf("defaults lost: path %q count %d", c.Path, c.Count)
	}
}

func formatProblems(ps connectors.Problems) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + p.Path + ": " + p.Message + "\n")
	}
	return b.String()
}

func TestDecodeNeedsPointer(t *testing.T) {
	for _, into := range []any{nil, testConfig{}, (*testConfig)(nil)} {
		got := Decode([]byte("path: x"), into)
		if len(got) != 1 || !strings.Contains(got[0].Message, "connector bug") {
			t.Errorf("Decode(%T) = %v, want one connector-bug problem", into, got)
		}
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"path", "delimiter", "encoding", "reload_interval", "first_name"}
	tests := []struct{ word, want string }{
		{"pth", "path"},
		{"Path", "path"},
		{"delimeter", "delimiter"},
		{"reloadInterval", "reload_interval"},
		{"reload-intervall", "reload_interval"},
		{"FirstName", "first_name"},
		{"xyz", ""},
		{"path", ""}, // the word itself is not a suggestion
		{"encodings", "encoding"},
	}
	for _, tt := range tests {
		if got := Suggest(tt.word, keys); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func TestJoinPathAndProblemf(t *testing.T) {
	tests := []struct {
		elems []any
		want  string
	}{
		{[]any{"columns", "phones", 1}, "columns.phones.1"},
		{[]any{"", "path"}, "path"},
		{[]any{}, ""},
		{[]any{"fields", "balance", "", "type"}, "fields.balance.type"},
	}
	for _, tt := range tests {
		if got := JoinPath(tt.elems...); got != tt.want {
			t.Errorf("JoinPath(%v) = %q, want %q", tt.elems, got, tt.want)
		}
	}
	p := Problemf("columns.id", "column %q is missing: add it", "CustomerID")
	if p.Path != "columns.id" || p.Message != `column "CustomerID" is missing: add it` {
		t.Errorf("Problemf = %+v", p)
	}
}
