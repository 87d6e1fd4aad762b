package cards

import (
	"errors"
	"strings"
	"testing"
)

func TestNewReportsEveryProblem(t *testing.T) {
	cases := []struct {
		name string
		opts Options
		want []TemplateError // Message is matched as a substring
	}{
		{
			name: "parse errors with line and column",
			opts: Options{Card: Spec{
				Title: TitleSpec{Text: "{{ .record.name }"},
				Rows: []RowSpec{
					{Label: "Balance", Text: `{{ mony .record.balance "USD" }}`},
					{Label: "Multi", Text: "line one\n  {{ .x | nosuch }}"},
				},
			}},
			want: []TemplateError{
				{Path: "title.text", Line: 1, Message: "unexpected"},
				{Path: "rows.0.text", Line: 1, Col: 4, Message: `function "mony" not defined`},
				{Path: "rows.1.text", Line: 2, Col: 11, Message: `function "nosuch" not defined`},
			},
		},
		{
			name: "missing title and row text",
			opts: Options{Card: Spec{Rows: []RowSpec{{Label: "x"}}}, UnknownCaller: &Spec{}},
			want: []TemplateError{
				{Path: "title.text", Message: "needs a title"},
				{Path: "rows.0.text", Message: "needs a text"},
				{Path: "unknown_caller.title.text", Message: "needs a title"},
			},
		},
		{
			name: "a template failing on the sample record",
			opts: Options{Card: Spec{Title: TitleSpec{Text: "{{ .record.name.first }}"}}},
			want: []TemplateError{{Path: "title.text", Message: "fails on a sample record"}},
		},
		{
			name: "a title Hipcall would refuse",
			opts: Options{Card: Spec{Title: TitleSpec{Text: "{{ .record.nmae }}"}}},
			want: []TemplateError{{Path: "title.text", Message: "card[0].text: can't be blank"}},
		},
		{
			name: "a user row Hipcall would refuse",
			opts: Options{
				Card:    Spec{Title: TitleSpec{Text: "{{ .record.name }}"}},
				UserRow: &UserRowSpec{Label: "{{ .record.fields.nope }}", Owners: map[string]int64{"u-1": 5}},
			},
			want: []TemplateError{{Path: "user_row.label", Message: "label: can't be blank"}},
		},
		{
			name: "fallback cards are checked with their own samples",
			opts: Options{
				Card:      Spec{Title: TitleSpec{Text: "{{ .record.name }}"}},
				Ambiguous: &Spec{Title: TitleSpec{Text: "{{ .record.name }}"}}, // no record when ambiguous
			},
			want: []TemplateError{{Path: "ambiguous.title.text", Message: "can't be blank"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			var te *TemplateErrors
			if !errors.As(err, &te) {
				t.Fatalf("New = %v, want *TemplateErrors", err)
			}
			if len(te.List) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(te.List), len(tc.want), err)
			}
			for i, w := range tc.want {
				g := te.List[i]
				if g.Path != w.Path || (w.Line != 0 && g.Line != w.Line) || (w.Col != 0 && g.Col != w.Col) || !strings.Contains(g.Message, w.Message) {
					t.Errorf("problem %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestNewAcceptsGoodTemplates(t *testing.T) {
	b, err := New(Options{
		Card:          Spec{Title: TitleSpec{Text: "{{ .record.name }}", Link: "https://crm/{{ .record.id }}"}, Rows: []RowSpec{{Label: "Balance", Text: `{{ money .record.balance "USD" }}`}}},
		UserRow:       &UserRowSpec{Label: "Owner", Owners: map[string]int64{"u-17": 42}},
		UnknownCaller: &Spec{Title: TitleSpec{Text: "Unknown {{ .caller }}"}},
		Ambiguous:     &Spec{Title: TitleSpec{Text: "{{ .candidates }} records"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []Kind{KindRecord, KindUnknown, KindAmbiguous} {
		if !b.HasTemplate(k) {
			t.Errorf("HasTemplate(%s) = false", k)
		}
	}
	card := b.Build(SampleResult("u-17"), SampleCall())
	if len(card.Rows) != 2 || card.Rows[1].UserID == nil || *card.Rows[1].UserID != 42 {
		t.Errorf("card %+v: want a title and the owner's user row (the balance is absent)", card.Rows)
	}
}
