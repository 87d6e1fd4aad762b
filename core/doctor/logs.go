package doctor

import (
	"strconv"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// maxLogLines bounds what a LogCollector keeps.
const maxLogLines = 10_000

// LogCollector keeps the warnings connector plugins log, for
// Options.ConnectorLog: register it as a sink of the intercept logger the
// host (and so its plugin manager) is built with, before the plugins
// start, as they log the numbers they drop while loading:
//
//	c := doctor.NewLogCollector()
//	log := hclog.NewInterceptLogger(&hclog.LoggerOptions{Output: io.Discard})
//	log.RegisterSink(c)
//
// It keeps messages at Warn and above from loggers named
// "plugin.<connector>..." (plugins/manager's naming; under the host
// logger's name too), each once (a
// connector that reloads its data logs the same dropped number again), at
// most 10,000.
type LogCollector struct {
	mu    sync.Mutex
	lines []LogLine
	seen  map[LogLine]struct{}
}

// NewLogCollector returns an empty collector.
func NewLogCollector() *LogCollector { return &LogCollector{seen: map[LogLine]struct{}{}} }

// Accept implements hclog.SinkAdapter.
func (c *LogCollector) Accept(name string, level hclog.Level, msg string, _ ...any) {
	if level < hclog.Warn {
		return
	}
	// "plugin.<connector>", or under the host's own name
	// ("switchboard.plugin.<connector>").
	i := strings.Index(name, "plugin.")
	if i < 0 || (i > 0 && name[i-1] != '.') {
		return
	}
	rest := name[i+len("plugin."):]
	source, _, _ := strings.Cut(rest, ".")
	line := LogLine{Source: source, Message: msg}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.seen[line]; dup || len(c.lines) >= maxLogLines {
		return
	}
	c.seen[line] = struct{}{}
	c.lines = append(c.lines, line)
}

// Lines returns what was collected so far.
func (c *LogCollector) Lines() []LogLine {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]LogLine(nil), c.lines...)
}

// fromLog turns the connectors' warnings about numbers they could not read
// into unreadable numbers, and keeps the other warnings as they are.
func (d *diagnosis) fromLog(lines []LogLine) {
	for _, l := range lines {
		u, ok := parseDropped(l.Message)
		if !ok {
			d.r.ConnectorWarnings.add(d.limit, l, Warning)
			continue
		}
		for i := range d.r.Sources {
			if d.r.Sources[i].Name == l.Source {
				d.r.Sources[i].Unreadable++
			}
		}
		u.Record.Source = l.Source
		d.r.Unreadable.add(d.limit, u, Problem)
	}
}

// parseDropped reads a warning that carries a phone.ParseError,
//
//	<where>: column <field>: cannot read "<raw>" as a phone number: <reason> (<consequence>)
//
// as the CSV connector logs it (the "column <field>: " part and the
// consequence in parentheses are optional). A long raw text is shortened
// by ParseError itself.
func parseDropped(msg string) (UnreadableNumber, bool) {
	const lead, mid = `cannot read "`, " as a phone number"
	i := strings.Index(msg, lead)
	if i < 0 {
		return UnreadableNumber{}, false
	}
	quoted, err := strconv.QuotedPrefix(msg[i+len(lead)-1:])
	if err != nil {
		return UnreadableNumber{}, false
	}
	raw, err := strconv.Unquote(quoted)
	if err != nil {
		return UnreadableNumber{}, false
	}
	after := msg[i+len(lead)-1+len(quoted):]
	why, ok := strings.CutPrefix(after, mid)
	if !ok {
		return UnreadableNumber{}, false
	}
	if j := strings.LastIndex(why, " ("); j >= 0 && strings.HasSuffix(why, ")") && strings.Contains(why[j:], "dropped") {
		why = why[:j]
	}
	if why = strings.TrimSpace(strings.TrimPrefix(why, ":")); why == "" {
		why = "not a phone number"
	}
	u := UnreadableNumber{Raw: raw, Why: why}
	where := strings.TrimSuffix(strings.TrimSpace(msg[:i]), ":")
	if w, f, ok := strings.Cut(where, ": column "); ok {
		where, u.Field = w, f
	}
	u.Where = where
	return u, true
}
