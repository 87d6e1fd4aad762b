package cards

import (
	"reflect"
	"testing"
	"time"
)

func TestConfigCheck(t *testing.T) {
	cases := []struct {
		name string
		edit func(c *Config)
		want []string // "path: message"
	}{
		{"defaults", func(*Config) {}, nil},
		{"events", func(c *Config) { c.OnEvents = []string{" call_init ", "Call-Init"} },
			[]string{`on_events.1: "Call-Init" is not an event name such as call_init`}},
		{"no events", func(c *Config) { c.OnEvents = nil }, []string{"on_events: must list at least one event, such as [call_init]"}},
		{"push deadline", func(c *Config) { c.PushDeadline = time.Hour },
			[]string{`push_deadline: must be longer than 0 and at most 5m, such as "20s", got 1h`}},
		{"enabled without a title", func(c *Config) {
			c.Enabled = true
			c.Rows = []RowSpec{{Label: "Balance"}}
		}, []string{
			`title.text: is required: the card's heading, such as "{{ .record.name }}"`,
			`rows.0.text: is required: the row's text, such as "{{ .record.company }}"`,
		}},
		{"fallback cards and user row", func(c *Config) {
			c.UnknownCaller = &Spec{Rows: []RowSpec{{Text: "x"}}}
			c.Ambiguous = &Spec{Title: TitleSpec{Text: "t"}}
			c.UserRow = &UserRowConfig{Owners: map[string]string{"u-17": "forty-two", "u-18": "0", "u-19": "19"}}
		}, []string{
			`user_row.label: is required: the row's label, such as "Account manager"`,
			`user_row.owners.u-17: must be a Hipcall user id (a whole number above 0), got "forty-two"`,
			"user_row.owners.u-18: must be a Hipcall user id (a whole number above 0), got 0",
			`unknown_caller.title.text: is required: the card's heading, such as "{{ .record.name }}"`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			var got []string
			for _, p := range c.Check() {
				got = append(got, p.Path+": "+p.Message)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Check() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestConfigOptions(t *testing.T) {
	c := DefaultConfig()
	if c.Wanted() {
		t.Error("the default section wants cards")
	}
	c.Title.Text = "{{ .record.name }}"
	c.UserRow = &UserRowConfig{Label: "Owner", Owners: map[string]string{"u-17": "42", "u-18": "x"}}
	o := c.Options()
	if !c.Wanted() || o.Card.Title.Text != c.Title.Text || o.UnknownCaller != nil {
		t.Errorf("Options() = %+v", o)
	}
	if want := (&UserRowSpec{Label: "Owner", Owners: map[string]int64{"u-17": 42}}); !reflect.DeepEqual(o.UserRow, want) {
		t.Errorf("UserRow = %+v, want %+v", o.UserRow, want)
	}
	if _, err := New(o); err != nil {
		t.Errorf("New: %v", err)
	}
}
