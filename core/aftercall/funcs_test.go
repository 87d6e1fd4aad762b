package aftercall

import (
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/core/cards"
)

// TestFuncsMatchCards renders the same helper calls through a card title
// and through an after-call template: funcs.go is a copy of core/cards'
// helpers and must not drift from them.
func TestFuncsMatchCards(t *testing.T) {
	templates := []string{
		`{{ money 4250 "USD" }} {{ money -12.5 "eur" }} {{ money "1,234.5" "CHF" }} {{ money "n/a" "USD" }} {{ money .record.nope "GBP" }}x`,
		`{{ date "2026-03-25T10:39:51Z" "datetime" }} {{ date 1774435191 "date" }} {{ date "soon" "time" }} {{ date "2026-03-25" "02 Jan 2006" }}`,
		`{{ .record.tier | default "none" }} {{ default "zero" 0 }} {{ default "empty" .record.emails }} {{ default "x" " " }}`,
		`{{ upper .record.name }} {{ lower "ÇAĞRI" }} {{ join ", " .record.emails }} {{ join "-" "one" }}`,
		`{{ .record.nope }}|{{ .call.uuid }}|{{ .record.fields }}|{{ 4250.0 }}`,
	}
	res, call := cards.SampleResult(""), cards.SampleCall()
	env := buildEnv(call, res, time.Now(), time.Local)
	for _, src := range templates {
		b, err := cards.New(cards.Options{Card: cards.Spec{Title: cards.TitleSpec{Text: src}}})
		if err != nil {
			t.Fatalf("cards cannot use %q: %v (a helper was renamed or removed in core/cards: update funcs.go)", src, err)
		}
		card := b.Build(res, call)
		if len(card.Rows) == 0 || card.Rows[0].Text == nil || len(card.Problems) > 0 {
			t.Fatalf("card for %q: %+v", src, card)
		}
		tm, err := parseTemplate("t", src)
		if err != nil {
			t.Fatalf("parse %q: %v", src, err)
		}
		got, err := tm.render(env)
		if err != nil {
			t.Fatalf("render %q: %v", src, err)
		}
		if want := *card.Rows[0].Text; got != want {
			t.Errorf("%s\n  after-call: %q\n  card:       %q\nfuncs.go drifted from core/cards' helpers", src, got, want)
		}
	}
}
