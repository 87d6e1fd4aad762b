package config

import "testing"

func TestPosIn(t *testing.T) {
	const src = `phone:
  default_region: GB
connectors:
  - name: customers
    plugin: csv
routing:
  default: {hipcall: "100"}
cards:
  enabled: true
  title:
    text: x{{ .record.name }}
  rows:
    - text: '{{ mony .record.balance }}'
    - text: |
        line one
          {{ uper }}
    - text: "a
        {{ b }}"
`
	cfg, err := LoadBytes("c.yaml", []byte(src), "/etc", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path      string
		line, col int
		want      string
	}{
		{"cards.title.text", 1, 5, "c.yaml:11:15"},  // plain: the "." of x{{ .record
		{"cards.title.text", 0, 0, "c.yaml:11:11"},  // unknown: the value
		{"cards.rows.0.text", 1, 4, "c.yaml:13:17"}, // single-quoted: one more for the quote
		{"cards.rows.1.text", 2, 5, "c.yaml:16:13"}, // literal block: from the line after |
		{"cards.rows.2.text", 2, 3, "c.yaml:18:3"},  // a multi-line quoted scalar: the line only
		{"cards.rows.9.text", 1, 1, "c.yaml:12:3"},  // no such row: its nearest ancestor
		{"cards.unknown_caller.title.text", 1, 1, "c.yaml:8:1"},
	}
	for _, tc := range cases {
		if got := cfg.PosIn(tc.path, tc.line, tc.col).String(); got != tc.want {
			t.Errorf("PosIn(%s, %d, %d) = %s, want %s", tc.path, tc.line, tc.col, got, tc.want)
		}
	}
}
