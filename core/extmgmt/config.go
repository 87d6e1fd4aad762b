package extmgmt

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
)

// MaxDeadline is the longest deadline accepted: Hipcall waits 15 s for
// an answer and then connects its own default target; we answer well
// before, with ours.
const MaxDeadline = 10 * time.Second

// Limits on a flow.
const (
	// MaxTries bounds a gather step's tries.
	MaxTries = 5
	// MaxDigits bounds what a gather may collect.
	MaxDigits = 32
	// maxChain bounds the steps one answer runs through (goto after goto).
	maxChain = 16
)

// Config is the host's hipcall.external_management section: the endpoint
// and its flow.
type Config struct {
	// Enabled serves the endpoint.
	Enabled bool `yaml:"enabled"`
	// Path is where Hipcall POSTs each step, starting with "/".
	Path string `yaml:"path"`
	// Deadline is the time allowed for one answer, at most MaxDeadline.
	Deadline time.Duration `yaml:"deadline"`
	// BasicAuth, when set, is required on every request (Hipcall's
	// external managers send Basic Auth). Required off loopback unless
	// InsecureNoAuth.
	BasicAuth *conf.BasicAuth `yaml:"basic_auth"`
	// InsecureNoAuth serves the endpoint without credentials on a
	// listener other machines reach.
	InsecureNoAuth bool `yaml:"insecure_no_auth"`
	// Default is the extension every failure connects to: a malformed
	// request, a deadline, a loop cut, a step without an answer. Required
	// when Enabled.
	Default string `yaml:"default"`
	// MaxRequests bounds the requests one call may make (Hipcall calls
	// again at once, with empty data, when a prompt cannot be played);
	// beyond it the call is connected to Default.
	MaxRequests int `yaml:"max_requests"`
	// Language is the language of `say` prompts that do not name one
	// ("tr-TR").
	Language string `yaml:"language"`
	// ExternalIDKey names a lookup key (a connector's `keys:`) holding
	// the ids the sync sends Hipcall as external_id: when Hipcall sends
	// contact_external_id, the caller's record is found by it, without a
	// phone lookup. Empty: the caller is always looked up by number.
	ExternalIDKey string `yaml:"external_id_key"`
	// Start names the first step (default "start").
	Start string `yaml:"start"`
	// Steps are the flow's steps by name.
	Steps map[string]Step `yaml:"steps"`
}

// Step is one step of the flow. A step with Gather asks the caller for
// digits and runs Then when Hipcall calls back with them; a step without
// runs Then at once.
type Step struct {
	// Say and Play are prompts played before the step's question.
	Say  string `yaml:"say"`
	Play string `yaml:"play"`
	// Gather asks for digits.
	Gather *Gather `yaml:"gather"`
	// Find names a lookup key: the digits are looked up by it, and Then
	// sees the record found (found, record, ...) instead of the caller's.
	Find string `yaml:"find"`
	// Verify names a lookup key: the digits are checked against the
	// caller's record under it (a PIN), and Then sees verified.
	Verify string `yaml:"verify"`
	// Then are the branches, tried in order: the first whose When holds
	// (or that has none) is taken.
	Then []Branch `yaml:"then"`
	// OnFail is taken when the tries are used up (a gather step); unset:
	// connect Default.
	OnFail *Branch `yaml:"on_fail"`
}

// Gather is a step's question.
type Gather struct {
	// Ask is the audio played while the caller keys (Hipcall's "ask").
	Ask string `yaml:"ask"`
	// MinDigits and MaxDigits bound what is collected.
	MinDigits int `yaml:"min_digits"`
	MaxDigits int `yaml:"max_digits"`
	// Tries is how many times the question is asked before OnFail
	// (default 3): no input, too few digits and `retry: true` each use
	// one.
	Tries int `yaml:"tries"`
}

// Branch is a condition and what to do.
type Branch struct {
	// When is a condition over the routing rules' variables and helpers
	// plus the flow's own (see FlowVars); empty: always.
	When string `yaml:"when"`
	// Say and Play are prompts played first; Language is Say's language
	// (default: the section's).
	Say      string `yaml:"say"`
	Play     string `yaml:"play"`
	Language string `yaml:"language"`
	// Exactly one of these: go to another step, connect (an extension, or
	// "rules": the routing rules' Smart IVR decision for the record),
	// ask the same question again (a gather step), or hang up.
	Goto    string `yaml:"goto"`
	Connect string `yaml:"connect"`
	Retry   bool   `yaml:"retry"`
	Hangup  bool   `yaml:"hangup"`
}

// ConnectRules, as Branch.Connect, connects where the routing rules send
// the record for Hipcall's Smart IVR.
const ConnectRules = "rules"

// DefaultConfig is the section when nothing is written: off.
func DefaultConfig() Config {
	return Config{Path: "/hipcall/external-management", Deadline: 2 * time.Second, MaxRequests: 12,
		Language: "en-US", Start: "start"}
}

// HasAuth reports whether the endpoint asks for credentials.
func (c Config) HasAuth() bool { return c.BasicAuth != nil }

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Check reports what is wrong with the section that can be seen without
// the routing rules and the directory (Compile checks the conditions and
// the keys).
func (c *Config) Check() connectors.Problems {
	var ps connectors.Problems
	if !strings.HasPrefix(c.Path, "/") {
		ps.Addf("path", "must start with \"/\", such as %q, got %q", DefaultConfig().Path, c.Path)
	}
	if c.Deadline <= 0 || c.Deadline > MaxDeadline {
		ps.Addf("deadline", "must be longer than 0 and at most %s (Hipcall waits 15s, then connects its own default), got %s",
			conf.FormatDuration(MaxDeadline), conf.FormatDuration(c.Deadline))
	}
	conf.CheckBasicAuth(&ps, "basic_auth", &c.BasicAuth)
	if c.MaxRequests < 2 || c.MaxRequests > 100 {
		ps.Addf("max_requests", "must be between 2 and 100, got %d", c.MaxRequests)
	}
	if !c.Enabled {
		return ps
	}
	if strings.TrimSpace(c.Default) == "" {
		ps.Addf("default", "is required: the extension every failure connects to (such as your general queue)")
	}
	if len(c.Steps) == 0 {
		ps.Addf("steps", "the flow has no steps: add at least %q", c.Start)
		return ps
	}
	if _, ok := c.Steps[c.Start]; !ok {
		ps.Addf("start", "names no step: %q is not among %s", c.Start, strings.Join(c.stepNames(), ", "))
	}
	for _, name := range c.stepNames() {
		c.checkStep(&ps, name, c.Steps[name])
	}
	if cycle := c.gotoCycle(); cycle != nil {
		ps.Addf("steps", "steps %s go to each other without asking anything: a call would never get an answer; put a gather step in the loop",
			strings.Join(cycle, " → "))
	}
	return ps
}

func (c *Config) stepNames() []string {
	names := make([]string, 0, len(c.Steps))
	for n := range c.Steps {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (c *Config) checkStep(ps *connectors.Problems, name string, s Step) {
	at := "steps." + name
	if !nameRE.MatchString(name) || strings.Contains(name, "__") {
		ps.Addf(at, "step name %q: use lower-case letters, digits and single underscores, starting with a letter", name)
	}
	checkURL(ps, at+".play", s.Play)
	if g := s.Gather; g != nil {
		if strings.TrimSpace(g.Ask) == "" {
			ps.Addf(at+".gather.ask", "is required: the audio Hipcall plays while the caller keys")
		} else {
			checkURL(ps, at+".gather.ask", g.Ask)
		}
		if g.Tries == 0 {
			g.Tries = 3
		}
		if g.Tries < 1 || g.Tries > MaxTries {
			ps.Addf(at+".gather.tries", "must be between 1 and %d, got %d", MaxTries, g.Tries)
		}
		if g.MinDigits == 0 {
			g.MinDigits = 1
		}
		if g.MaxDigits == 0 {
			g.MaxDigits = max(g.MinDigits, 1)
		}
		if g.MinDigits < 1 || g.MaxDigits > MaxDigits || g.MinDigits > g.MaxDigits {
			ps.Addf(at+".gather", "digits must satisfy 1 <= min_digits <= max_digits <= %d, got min %d, max %d", MaxDigits, g.MinDigits, g.MaxDigits)
		}
		c.Steps[name] = s
	} else {
		for _, k := range []struct{ key, v string }{{"find", s.Find}, {"verify", s.Verify}} {
			if k.v != "" {
				ps.Addf(at+"."+k.key, "needs digits: only a step with gather can %s them", k.key)
			}
		}
		if s.OnFail != nil {
			ps.Addf(at+".on_fail", "is for a step with gather (its tries used up)")
		}
	}
	if s.Find != "" && s.Verify != "" {
		ps.Addf(at, "find and verify in one step: find replaces the record the PIN would be checked against; use two steps")
	}
	if len(s.Then) == 0 {
		ps.Addf(at+".then", "is empty: say what the step leads to (goto, connect, retry or hangup)")
	}
	for i, b := range s.Then {
		c.checkBranch(ps, fmt.Sprintf("%s.then.%d", at, i), b, s.Gather != nil)
		if b.When == "" && i < len(s.Then)-1 {
			ps.Addf(fmt.Sprintf("%s.then.%d", at, i+1), "is never reached: the branch before it has no when")
		}
	}
	if s.OnFail != nil {
		if s.OnFail.When != "" {
			ps.Addf(at+".on_fail.when", "on_fail is taken when the tries are used up; it has no condition")
		}
		if s.OnFail.Retry {
			ps.Addf(at+".on_fail.retry", "the tries are used up: on_fail cannot ask again")
		}
		c.checkBranch(ps, at+".on_fail", *s.OnFail, false)
	}
}

func (c *Config) checkBranch(ps *connectors.Problems, at string, b Branch, gather bool) {
	n := 0
	for _, set := range []bool{b.Goto != "", b.Connect != "", b.Retry, b.Hangup} {
		if set {
			n++
		}
	}
	if n != 1 {
		ps.Addf(at, "needs exactly one of goto, connect, retry or hangup, got %d", n)
	}
	if b.Goto != "" {
		if _, ok := c.Steps[b.Goto]; !ok {
			ps.Addf(at+".goto", "names no step: %q is not among %s", b.Goto, strings.Join(c.stepNames(), ", "))
		}
	}
	if b.Retry && !gather {
		ps.Addf(at+".retry", "only a step with gather can ask again")
	}
	checkURL(ps, at+".play", b.Play)
}

func checkURL(ps *connectors.Problems, at, s string) {
	if s == "" {
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		ps.Addf(at, "must be an http(s) URL Hipcall can fetch, got %q", s)
	}
}

// gotoCycle returns steps that go to each other without a gather between
// them, or nil.
func (c *Config) gotoCycle() []string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var found []string
	var visit func(n string) bool
	visit = func(n string) bool {
		color[n] = grey
		stack = append(stack, n)
		s := c.Steps[n]
		if s.Gather == nil {
			for _, b := range s.Then {
				t := b.Goto
				if _, ok := c.Steps[t]; !ok || t == "" {
					continue
				}
				switch color[t] {
				case grey:
					i := slices.Index(stack, t)
					found = append(slices.Clone(stack[i:]), t)
					return true
				case white:
					if visit(t) {
						return true
					}
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		return false
	}
	for _, n := range c.stepNames() {
		if color[n] == white && visit(n) {
			return found
		}
	}
	return nil
}
