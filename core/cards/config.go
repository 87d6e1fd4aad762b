package cards

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/core/hipcall"
)

// MaxPushDeadline is the longest accepted cards.push_deadline: a card is
// only worth showing while the phone rings.
const MaxPushDeadline = 5 * time.Minute

// eventNameRE is the shape of a webhook event name (call_init; the legacy
// format's call::init is accepted and means the same).
var eventNameRE = regexp.MustCompile(`^[a-z][a-z0-9_:]*$`)

// Config is the cards section: on the events listed, the caller is looked
// up and a card rendered from these templates is pushed to the agent's
// Webphone. The templates are Go text/template text; they are compiled and
// test-rendered when the host is built (New).
type Config struct {
	Enabled bool `yaml:"enabled"`
	// OnEvents are the webhook events that trigger a card.
	OnEvents []string `yaml:"on_events"`
	// PushDeadline bounds a card's lookup, render and push, retries
	// included.
	PushDeadline time.Duration `yaml:"push_deadline"`
	// Spec is the card for a caller found in the CRM: title and rows.
	Spec `yaml:",inline"`
	// UserRow names the record's owner as a Hipcall user.
	UserRow *UserRowConfig `yaml:"user_row"`
	// UnknownCaller is the card for a number no record answers; nil
	// pushes none.
	UnknownCaller *Spec `yaml:"unknown_caller"`
	// Ambiguous is the card for a number several records answer; nil
	// pushes none.
	Ambiguous *Spec `yaml:"ambiguous"`
}

// UserRowConfig is cards.user_row: the record's CRM owner as a Hipcall
// user, in a row of the found caller's card.
type UserRowConfig struct {
	// Label is the row's label template (required).
	Label string `yaml:"label"`
	// Owners maps CRM owner ids to Hipcall user ids, as written (a number,
	// quoted or not); Check refuses what is not one.
	Owners map[string]string `yaml:"owners"`
}

// Spec is the user row the Builder shows.
func (u *UserRowConfig) Spec() *UserRowSpec {
	if u == nil {
		return nil
	}
	return &UserRowSpec{Label: u.Label, Owners: hipcall.UserIDs(nil, "", u.Owners)}
}

// DefaultConfig is the cards section when nothing is written.
func DefaultConfig() Config {
	return Config{OnEvents: []string{"call_init"}, PushDeadline: DefaultPushDeadline}
}

// Wanted reports whether the templates are to be built: cards are enabled,
// or at least a title is written (so that validate checks it).
func (c Config) Wanted() bool { return c.Enabled || c.Title.Text != "" }

// Options are the Builder's templates.
func (c Config) Options() Options {
	return Options{Card: c.Spec, UserRow: c.UserRow.Spec(), UnknownCaller: c.UnknownCaller, Ambiguous: c.Ambiguous}
}

// Check trims the event names and reports what is wrong. The templates
// themselves are compiled by New.
func (c *Config) Check() connectors.Problems {
	var ps connectors.Problems
	if len(c.OnEvents) == 0 {
		ps.Addf("on_events", "must list at least one event, such as [call_init]")
	}
	for i, ev := range c.OnEvents {
		ev = strings.TrimSpace(ev)
		c.OnEvents[i] = ev
		if !eventNameRE.MatchString(ev) {
			ps.Addf("on_events."+strconv.Itoa(i), "%q is not an event name such as call_init", ev)
		}
	}
	if c.PushDeadline <= 0 || c.PushDeadline > MaxPushDeadline {
		ps.Addf("push_deadline", "must be longer than 0 and at most %s, such as \"20s\", got %s",
			conf.FormatDuration(MaxPushDeadline), conf.FormatDuration(c.PushDeadline))
	}
	if c.Enabled || strings.TrimSpace(c.Title.Text) != "" {
		checkSpec(&ps, "", c.Spec)
	}
	if u := c.UserRow; u != nil {
		if strings.TrimSpace(u.Label) == "" {
			ps.Addf("user_row.label", "is required: the row's label, such as \"Account manager\"")
		}
		hipcall.UserIDs(&ps, "user_row.owners", u.Owners)
	}
	if s := c.UnknownCaller; s != nil {
		checkSpec(&ps, "unknown_caller.", *s)
	}
	if s := c.Ambiguous; s != nil {
		checkSpec(&ps, "ambiguous.", *s)
	}
	return ps
}

// checkSpec requires a card's title and every row's text; prefix is the
// card's path with a trailing dot ("" for the main card).
func checkSpec(ps *connectors.Problems, prefix string, s Spec) {
	if strings.TrimSpace(s.Title.Text) == "" {
		ps.Addf(prefix+"title.text", "is required: the card's heading, such as \"{{ .record.name }}\"")
	}
	for i, r := range s.Rows {
		if strings.TrimSpace(r.Text) == "" {
			ps.Addf(prefix+"rows."+strconv.Itoa(i)+".text", "is required: the row's text, such as \"{{ .record.company }}\"")
		}
	}
}
