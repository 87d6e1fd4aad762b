package config

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// MaxCardPushDeadline is the longest accepted cards.push_deadline: a card
// is only worth showing while the phone rings.
const MaxCardPushDeadline = 5 * time.Minute

// eventNameRE is the shape of a webhook event name (call_init; the legacy
// format's call::init is accepted and means the same).
var eventNameRE = regexp.MustCompile(`^[a-z][a-z0-9_:]*$`)

// CardsConfig configures Insight Cards: on the events listed, the caller is
// looked up and a card rendered from these templates is pushed to the
// agent's Webphone. The templates are Go text/template text; they are
// compiled and test-rendered when the host is built.
type CardsConfig struct {
	Enabled bool `yaml:"enabled"`
	// OnEvents are the webhook events that trigger a card.
	OnEvents []string `yaml:"on_events"`
	// PushDeadline bounds a card's lookup, render and push, retries
	// included.
	PushDeadline time.Duration `yaml:"push_deadline"`
	// Title is the card's first row.
	Title CardTitleConfig `yaml:"title"`
	// Rows follow the title; a row whose text renders empty is left out.
	Rows []CardRowConfig `yaml:"rows"`
	// UserRow names the record's owner as a Hipcall user.
	UserRow *CardUserRowConfig `yaml:"user_row"`
	// UnknownCaller is the card for a number no record answers; nil
	// pushes none.
	UnknownCaller *CardTemplateConfig `yaml:"unknown_caller"`
	// Ambiguous is the card for a number several records answer; nil
	// pushes none.
	Ambiguous *CardTemplateConfig `yaml:"ambiguous"`
	// Pos is where the section starts (or, when it is left out, the
	// nearest thing that is there).
	Pos Position `yaml:"-"`
}

// CardTitleConfig is a card's title row.
type CardTitleConfig struct {
	// Text is the title's template (required).
	Text string `yaml:"text"`
	// Link is an optional URL template.
	Link string `yaml:"link"`
	// Pos is where the title starts.
	Pos Position `yaml:"-"`
}

// CardRowConfig is one labelled row (Hipcall's shortText).
type CardRowConfig struct {
	// Label is the label's template.
	Label string `yaml:"label"`
	// Text is the text's template (required).
	Text string `yaml:"text"`
	// Link is an optional URL template.
	Link string `yaml:"link"`
	// Pos is where the row starts.
	Pos Position `yaml:"-"`
}

// CardTemplateConfig is a whole card: the fallbacks for unknown and
// ambiguous callers.
type CardTemplateConfig struct {
	Title CardTitleConfig `yaml:"title"`
	Rows  []CardRowConfig `yaml:"rows"`
	// Pos is where the card starts.
	Pos Position `yaml:"-"`
}

// CardUserRowConfig maps the record's CRM owner to a Hipcall user shown in
// a user row.
type CardUserRowConfig struct {
	// Label is the row's label template (required).
	Label string `yaml:"label"`
	// Owners maps CRM owner ids to Hipcall user ids; filled from the
	// owners: mapping by the checks.
	Owners map[string]int64 `yaml:"-"`
	// OwnersNode is the owners: mapping as written.
	OwnersNode *yaml.Node `yaml:"-" raw:"owners"`
	// Pos is where the section starts.
	Pos Position `yaml:"-"`
}

// defaultCards is the cards section's defaults.
func defaultCards() CardsConfig {
	return CardsConfig{OnEvents: []string{"call_init"}, PushDeadline: 20 * time.Second}
}

func (c *checker) cards() {
	const p = "cards"
	k := &c.cfg.Cards
	if len(k.OnEvents) == 0 && !c.tainted(p+".on_events") {
		c.addf(p+".on_events", "cards.on_events must list at least one event, such as [call_init]")
	}
	for i, ev := range k.OnEvents {
		ev = strings.TrimSpace(ev)
		k.OnEvents[i] = ev
		if !eventNameRE.MatchString(ev) {
			c.addf(p+".on_events."+strconv.Itoa(i), "cards.on_events[%d] %q is not an event name such as call_init", i, ev)
		}
	}
	if k.PushDeadline <= 0 || k.PushDeadline > MaxCardPushDeadline {
		c.addf(p+".push_deadline", "cards.push_deadline must be longer than 0 and at most %s, such as \"20s\", got %s",
			formatDuration(MaxCardPushDeadline), formatDuration(k.PushDeadline))
	}
	if k.Enabled || strings.TrimSpace(k.Title.Text) != "" {
		c.cardTemplate(p, k.Title, k.Rows)
	}
	if u := k.UserRow; u != nil {
		if strings.TrimSpace(u.Label) == "" {
			c.addf(p+".user_row.label", "cards.user_row.label is required: the row's label, such as \"Account manager\"")
		}
		u.Owners = c.owners(p+".user_row.owners", u.OwnersNode)
	}
	if t := k.UnknownCaller; t != nil {
		c.cardTemplate(p+".unknown_caller", t.Title, t.Rows)
	}
	if t := k.Ambiguous; t != nil {
		c.cardTemplate(p+".ambiguous", t.Title, t.Rows)
	}
}

// cardTemplate checks that a card has a title and every row a text.
func (c *checker) cardTemplate(path string, title CardTitleConfig, rows []CardRowConfig) {
	if strings.TrimSpace(title.Text) == "" {
		c.addf(path+".title.text", "%s.title.text is required: the card's heading, such as \"{{ .record.name }}\"", display(path))
	}
	for i, r := range rows {
		if strings.TrimSpace(r.Text) == "" {
			at := path + ".rows." + strconv.Itoa(i)
			c.addf(at+".text", "%s.text is required: the row's text, such as \"{{ .record.company }}\"", display(at))
		}
	}
}

// owners decodes the owners: mapping of CRM owner ids to Hipcall user ids.
func (c *checker) owners(path string, n *yaml.Node) map[string]int64 {
	out := map[string]int64{}
	n = deref(n)
	if n == nil || isNull(n) {
		return out
	}
	// The decoder has checked that n is a mapping without duplicate keys.
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k == nil || v == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() == tagMerge || strings.TrimSpace(k.Value) == "" {
			c.problems.Addf(nodePos(c.cfg.File, k), "%s: each key must be a CRM owner id such as \"u-17\"", display(path))
			continue
		}
		id, err := strconv.ParseInt(strings.TrimSpace(v.Value), 10, 64)
		if v.Kind != yaml.ScalarNode || err != nil || id <= 0 {
			c.problems.Addf(nodePos(c.cfg.File, v), "%s.%s must be a Hipcall user id (a whole number above 0), got %s",
				display(path), k.Value, describe(v, false))
			continue
		}
		out[k.Value] = id
	}
	return out
}

// PosIn is the position of a line and column (1-based; 0 when unknown)
// inside the text of the scalar setting at path ("cards.rows.1.text"),
// for problems found in templates. It falls back to PosOf(path).
func (c *Config) PosIn(path string, line, col int) Position {
	pos := c.PosOf(path)
	ref, ok := c.index[path]
	n := deref(ref.value)
	if !ok || n == nil || n.Kind != yaml.ScalarNode || line < 1 {
		return pos
	}
	switch {
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		// The text starts on the line after | or >, indented past the key.
		pos.Line = n.Line + line
		if ref.key != nil && col > 0 {
			pos.Col = ref.key.Column + 2 + col - 1
		}
	case line == 1 && col > 0:
		pos.Col = n.Column + col - 1
		if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 {
			pos.Col++
		}
	case line > 1:
		pos.Line = n.Line + line - 1
		pos.Col = max(col, 1)
	}
	return pos
}
