package extmgmt

import (
	"strings"
	"testing"
	"time"
)

func TestConfigCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(c *Config)
		want   []string // "path: fragment"
	}{
		{"the example flow", func(*Config) {}, nil},
		{"off: only the endpoint's settings", func(c *Config) { c.Enabled, c.Steps, c.Default = false, nil, "" }, nil},
		{"no default", func(c *Config) { c.Default = " " }, []string{"default: is required"}},
		{"deadline too long", func(c *Config) { c.Deadline = 20 * time.Second }, []string{"deadline: must be longer than 0 and at most 10s"}},
		{"no steps", func(c *Config) { c.Steps = nil }, []string{"steps: the flow has no steps"}},
		{"start missing", func(c *Config) { c.Start = "begin" }, []string{`start: names no step: "begin"`}},
		{"bad step name", func(c *Config) { c.Steps["Ask__PIN"] = Step{Then: []Branch{{Hangup: true}}} }, []string{"steps.Ask__PIN: step name"}},
		{"goto nowhere", func(c *Config) { c.Steps["start"] = Step{Then: []Branch{{Goto: "menu"}}} }, []string{`steps.start.then.0.goto: names no step: "menu"`}},
		{"two actions", func(c *Config) { c.Steps["start"] = Step{Then: []Branch{{Goto: "ask_pin", Hangup: true}}} }, []string{"steps.start.then.0: needs exactly one of goto, connect, retry or hangup, got 2"}},
		{"no action", func(c *Config) { c.Steps["start"] = Step{Then: []Branch{{When: "found"}}} }, []string{"got 0"}},
		{"unreachable branch", func(c *Config) {
			c.Steps["start"] = Step{Then: []Branch{{Goto: "ask_pin"}, {Goto: "ask_account"}}}
		}, []string{"steps.start.then.1: is never reached"}},
		{"retry without a question", func(c *Config) { c.Steps["start"] = Step{Then: []Branch{{Retry: true}}} }, []string{"steps.start.then.0.retry: only a step with gather"}},
		{"find without a question", func(c *Config) { c.Steps["start"] = Step{Find: "account", Then: []Branch{{Hangup: true}}} }, []string{"steps.start.find: needs digits"}},
		{"gather without ask", func(c *Config) { c.Steps["ask_pin"].Gather.Ask = "" }, []string{"steps.ask_pin.gather.ask: is required"}},
		{"ask not a URL", func(c *Config) { c.Steps["ask_pin"].Gather.Ask = "pin.wav" }, []string{"steps.ask_pin.gather.ask: must be an http(s) URL"}},
		{"digits out of order", func(c *Config) { c.Steps["ask_pin"].Gather.MinDigits = 6 }, []string{"steps.ask_pin.gather: digits must satisfy"}},
		{"too many tries", func(c *Config) { c.Steps["ask_pin"].Gather.Tries = 9 }, []string{"steps.ask_pin.gather.tries: must be between 1 and 5"}},
		{"on_fail that retries", func(c *Config) {
			s := c.Steps["ask_pin"]
			s.OnFail = &Branch{Retry: true}
			c.Steps["ask_pin"] = s
		}, []string{"steps.ask_pin.on_fail.retry: the tries are used up"}},
		{"a loop without a question", func(c *Config) {
			c.Steps["a"] = Step{Then: []Branch{{When: "found", Goto: "b"}, {Connect: "1"}}}
			c.Steps["b"] = Step{Then: []Branch{{Goto: "a"}}}
		}, []string{"steps: steps a → b → a go to each other"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := pinFlow()
			tc.change(&c)
			ps := c.Check()
			var got []string
			for _, p := range ps {
				got = append(got, p.Path+": "+p.Message)
			}
			for _, w := range tc.want {
				found := false
				for _, g := range got {
					found = found || strings.Contains(g, w)
				}
				if !found {
					t.Errorf("no problem like %q in %q", w, got)
				}
			}
			if len(tc.want) == 0 && len(got) > 0 {
				t.Errorf("unexpected problems %q", got)
			}
		})
	}
}

func TestCompileChecksKeysAndConditions(t *testing.T) {
	c := pinFlow()
	c.Steps["start"] = Step{Then: []Branch{{When: "nonsense", Goto: "ask_pin"}, {Goto: "ask_account"}}}
	_, ps := Compile(c, &fakeDir{}, fakeRules{}, []string{"pin"})
	var got []string
	for _, p := range ps {
		got = append(got, p.Path+": "+p.Message)
	}
	joined := strings.Join(got, "\n")
	for _, want := range []string{
		`steps.start.then.0.when: unknown name "nonsense"`,
		`steps.ask_account.find: names no lookup key: "account" is not configured (the keys are pin)`,
		`external_id_key: names no lookup key: "crm_id"`,
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("no %q in\n%s", want, joined)
		}
	}
}
