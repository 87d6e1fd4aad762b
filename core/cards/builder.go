package cards

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

// Spec is a card's templates, as configured (a card of the cards
// section: its title and rows, or unknown_caller, ambiguous).
type Spec struct {
	// Title is the heading (Text required; Link optional).
	Title TitleSpec `yaml:"title"`
	// Rows follow the title; a row whose text renders empty is left out.
	Rows []RowSpec `yaml:"rows"`
}

// TitleSpec is the title row's templates.
type TitleSpec struct {
	// Text is the title's template (required).
	Text string `yaml:"text"`
	// Link is an optional URL template.
	Link string `yaml:"link"`
}

// RowSpec is one shortText row's templates; Text is required.
type RowSpec struct {
	Label string `yaml:"label"`
	Text  string `yaml:"text"`
	Link  string `yaml:"link"`
}

// UserRowSpec adds a user row naming the record's owner in Hipcall.
type UserRowSpec struct {
	// Label is the row's label template (required).
	Label string `yaml:"label"`
	// Owners maps CRM owner ids (record.owner) to Hipcall user ids; a
	// record whose owner is not listed gets no user row.
	Owners map[string]int64 `yaml:"owners"`
}

// Options are a Builder's templates.
type Options struct {
	// Card is the card for a caller found in the CRM. Required.
	Card Spec
	// UserRow, when set, ends the found caller's card with a user row.
	UserRow *UserRowSpec
	// UnknownCaller is the card for a number no record answers (or that
	// cannot be read); nil pushes none.
	UnknownCaller *Spec
	// Ambiguous is the card for a number several records answer; nil
	// pushes none.
	Ambiguous *Spec
}

// Kind says which template a card came from.
type Kind string

// Card kinds.
const (
	KindRecord    Kind = "record"
	KindUnknown   Kind = "unknown_caller"
	KindAmbiguous Kind = "ambiguous"
)

// Card is a rendered Insight Card.
type Card struct {
	// Kind is the template used.
	Kind Kind
	// Rows are the card's rows; nil when this kind of caller gets no card.
	Rows []hipcall.Row
	// Problems lists templates that failed to render; their rows were
	// left out (or the title replaced by the number).
	Problems []string
}

// compiledCard is one card's compiled templates.
type compiledCard struct {
	titleText, titleLink tmpl
	rows                 []compiledRow
}

type compiledRow struct {
	label, text, link tmpl
}

// Builder renders cards from compiled templates. It is safe for
// concurrent use.
type Builder struct {
	card      compiledCard
	userLabel *tmpl
	owners    map[string]int64
	unknown   *compiledCard
	ambiguous *compiledCard
}

// New compiles every template, then renders each card against a sample
// caller and checks the rows with hipcall.ValidateCard, so a template that
// cannot parse, fails, or renders a row Hipcall would refuse is reported
// now. The error is a *TemplateErrors listing every problem.
func New(opts Options) (*Builder, error) {
	var errs []TemplateError
	b := &Builder{owners: maps.Clone(opts.UserRow.owners())}
	b.card = compileCard("", opts.Card, &errs)
	if opts.UserRow != nil {
		t := compile("user_row.label", opts.UserRow.Label, &errs)
		if t.src == "" {
			errs = append(errs, TemplateError{Path: t.path, Message: "the user row needs a label"})
		}
		b.userLabel = &t
	}
	if opts.UnknownCaller != nil {
		c := compileCard("unknown_caller.", *opts.UnknownCaller, &errs)
		b.unknown = &c
	}
	if opts.Ambiguous != nil {
		c := compileCard("ambiguous.", *opts.Ambiguous, &errs)
		b.ambiguous = &c
	}
	// Render even when some templates did not compile, to report every
	// problem at once; those render nothing and are not reported again.
	broken := map[string]bool{}
	for _, e := range errs {
		broken[e.Path] = true
	}
	errs = append(errs, b.dryRun(broken)...)
	if len(errs) > 0 {
		return nil, &TemplateErrors{List: errs}
	}
	return b, nil
}

func (u *UserRowSpec) owners() map[string]int64 {
	if u == nil {
		return nil
	}
	return u.Owners
}

func compileCard(prefix string, s Spec, errs *[]TemplateError) compiledCard {
	c := compiledCard{
		titleText: compile(prefix+"title.text", s.Title.Text, errs),
		titleLink: compile(prefix+"title.link", s.Title.Link, errs),
	}
	if c.titleText.src == "" {
		*errs = append(*errs, TemplateError{Path: prefix + "title.text", Message: "the card needs a title"})
	}
	for i, r := range s.Rows {
		at := prefix + "rows." + strconv.Itoa(i) + "."
		row := compiledRow{
			label: compile(at+"label", r.Label, errs),
			text:  compile(at+"text", r.Text, errs),
			link:  compile(at+"link", r.Link, errs),
		}
		if row.text.src == "" {
			*errs = append(*errs, TemplateError{Path: at + "text", Message: "the row needs a text"})
		}
		c.rows = append(c.rows, row)
	}
	return c
}

// Build renders the card for a lookup result and the call it was made
// for: the record's card when found, else the ambiguous or unknown-caller
// card (Rows nil when that is not configured). A template that fails at
// run time costs its row (a title falls back to the caller's number), not
// the card.
func (b *Builder) Build(res directory.Result, call *webhook.Call) Card {
	data := Data(res, call)
	switch {
	case res.Found:
		card := Card{Kind: KindRecord}
		card.Rows, card.Problems = b.render(&b.card, data, false)
		if row, problem := b.userRow(data); row != nil {
			card.Rows = append(card.Rows, *row)
		} else if problem != "" {
			card.Problems = append(card.Problems, problem)
		}
		return card
	case res.Ambiguous:
		card := Card{Kind: KindAmbiguous}
		if b.ambiguous != nil {
			card.Rows, card.Problems = b.render(b.ambiguous, data, false)
		}
		return card
	default:
		card := Card{Kind: KindUnknown}
		if b.unknown != nil {
			card.Rows, card.Problems = b.render(b.unknown, data, false)
		}
		return card
	}
}

// HasTemplate reports whether a kind of caller gets a card at all.
func (b *Builder) HasTemplate(k Kind) bool {
	switch k {
	case KindAmbiguous:
		return b.ambiguous != nil
	case KindUnknown:
		return b.unknown != nil
	}
	return true
}

// render renders a card's rows. strict keeps an empty title as it is (for
// the dry run) instead of replacing it.
func (b *Builder) render(c *compiledCard, data map[string]any, strict bool) ([]hipcall.Row, []string) {
	var problems []string
	run := func(t tmpl) string {
		s, err := t.render(data)
		if err != nil {
			problems = append(problems, execError(t, err).Error())
			return ""
		}
		return s
	}
	title := run(c.titleText)
	if title == "" && !strict {
		title = fallbackTitle(data)
	}
	row := hipcall.Title(title)
	if link := run(c.titleLink); link != "" {
		row = row.WithLink(link)
	}
	rows := []hipcall.Row{row}
	for _, r := range c.rows {
		text := run(r.text)
		if text == "" {
			continue
		}
		row := hipcall.ShortText(run(r.label), text)
		if link := run(r.link); link != "" {
			row = row.WithLink(link)
		}
		rows = append(rows, row)
	}
	return rows, problems
}

// userRow is the user row for the record's owner, if the owner is mapped.
func (b *Builder) userRow(data map[string]any) (*hipcall.Row, string) {
	if b.userLabel == nil {
		return nil, ""
	}
	rec, _ := data["record"].(map[string]any)
	owner, _ := rec["owner"].(string)
	id, ok := b.owners[owner]
	if !ok {
		return nil, ""
	}
	label, err := b.userLabel.render(data)
	if err != nil {
		return nil, execError(*b.userLabel, err).Error()
	}
	if label == "" {
		return nil, b.userLabel.path + ": renders empty; the user row was left out"
	}
	row := hipcall.User(label, id)
	return &row, ""
}

// fallbackTitle is the title when the title template renders nothing: the
// caller's number.
func fallbackTitle(data map[string]any) string {
	for _, k := range []string{"caller", "caller_raw"} {
		if s, _ := data[k].(string); s != "" {
			return s
		}
	}
	return "Incoming call"
}

// Data is what card templates see: the routing environment (found,
// ambiguous, candidates, record with record.name, record.balance,
// record.fields..., caller, now, ...; see routing.EnvDoc) and call, the
// webhook's call payload under Hipcall's field names (call.uuid,
// call.direction, call.started_at, ...).
func Data(res directory.Result, call *webhook.Call) map[string]any {
	if call == nil {
		call = &webhook.Call{}
	}
	number := call.CustomerNumber()
	if number == "" {
		number = res.Query.Raw
	}
	env := routing.Env(res, routing.Call{Caller: number, UUID: call.UUID, Number: dialled(call)})
	env["call"] = call.Map()
	return env
}

// dialled is the company's own number in the call: the callee of an
// inbound call, the caller of an outbound one.
func dialled(c *webhook.Call) string {
	switch c.Direction {
	case webhook.Inbound:
		return c.CalleeNumber
	case webhook.Outbound:
		return c.CallerNumber
	}
	return ""
}

// cardIndexRE reads the row index of ValidateCard's messages ("card[2].label: ...").
var cardIndexRE = regexp.MustCompile(`^card\[(\d+)\]\.?(\w*)`)

// dryRun renders every card against sample callers and checks the rows
// the way Hipcall will. Problems with the templates in broken (already
// reported) are left out.
func (b *Builder) dryRun(broken map[string]bool) []TemplateError {
	var errs []TemplateError
	check := func(prefix string, c *compiledCard, data map[string]any, withUser bool) {
		rows, problems := b.render(c, data, true)
		paths := []string{prefix + "title.text"}
		for i, r := range c.rows {
			if s, err := r.text.render(data); err == nil && s != "" {
				paths = append(paths, prefix+"rows."+strconv.Itoa(i)+".text")
			}
		}
		if withUser && b.userLabel != nil {
			label, _ := b.userLabel.render(data)
			rows = append(rows, hipcall.User(label, 1))
			paths = append(paths, "user_row.label")
		}
		failed := maps.Clone(broken)
		for _, p := range problems {
			failed[pathOf(p)] = true
			errs = append(errs, TemplateError{Path: pathOf(p), Message: "fails on a sample record: " + p})
		}
		var ce *hipcall.CardError
		if err := hipcall.ValidateCard(rows); errors.As(err, &ce) {
			for _, msg := range ce.Problems {
				path := prefix + "title.text"
				if m := cardIndexRE.FindStringSubmatch(msg); m != nil {
					if i, _ := strconv.Atoi(m[1]); i < len(paths) {
						path = paths[i]
					}
				}
				if failed[path] {
					continue // already reported: it failed, so it rendered nothing
				}
				errs = append(errs, TemplateError{Path: path, Message: fmt.Sprintf(
					"Hipcall would refuse the card rendered for a sample record: %s", msg)})
			}
		}
	}
	owner := ""
	if keys := slices.Sorted(maps.Keys(b.owners)); len(keys) > 0 {
		owner = keys[0]
	}
	check("", &b.card, Data(SampleResult(owner), SampleCall()), true)
	if b.unknown != nil {
		check("unknown_caller.", b.unknown, Data(directory.Result{Query: sampleNumber(), Via: directory.ViaNone}, SampleCall()), false)
	}
	if b.ambiguous != nil {
		res := SampleResult(owner)
		res.Found, res.Ambiguous, res.Matches = false, true, []connectors.Match{*res.Match, *res.Match}
		res.Match = nil
		check("ambiguous.", b.ambiguous, Data(res, SampleCall()), false)
	}
	return errs
}

// pathOf is the template path an execError message starts with.
func pathOf(msg string) string {
	for i, r := range msg {
		if r == ':' {
			return msg[:i]
		}
	}
	return msg
}

// sampleNumber is the sample caller's number.
func sampleNumber() phone.Number {
	return phone.Number{Raw: "+442045205757", E164: "+442045205757", National: "2045205757", CountryCode: 44, Region: "GB"}
}

// SampleCall is the inbound call the dry run renders for.
func SampleCall() *webhook.Call {
	return &webhook.Call{UUID: "sample-call", Direction: webhook.Inbound, CallerNumber: "+442045205757", CalleeNumber: "+442045200000"}
}

// SampleResult is the found contact the dry run renders for, owned by
// owner.
func SampleResult(owner string) directory.Result {
	n := sampleNumber()
	c := &connectors.Contact{
		ID: "sample-1", FirstName: "Ada", LastName: "Lovelace",
		CompanyName: "Analytical Engines Ltd", CompanyID: "sample-co", OwnerID: owner,
		JobTitle: "Analyst", Emails: []string{"ada@example.com"},
		Phones: []connectors.Phone{{Raw: n.E164, E164: n.E164}},
		Fields: map[string]any{},
	}
	m := connectors.Match{Contact: c, Kind: connectors.MatchExact, Phone: c.Phones[0]}
	return directory.Result{Query: n, Found: true, Match: &m, Matches: []connectors.Match{m}, Source: "sample", Via: directory.ViaIndex}
}
