// Package logging owns the log section of the configuration and builds the
// host's logger from it.
package logging

import (
	"io"
	"os"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
)

// Levels and formats the log section accepts.
var (
	Levels  = []string{"trace", "debug", "info", "warn", "error"}
	Formats = []string{"text", "json"}
)

// Config is the log section.
type Config struct {
	// Level is one of Levels.
	Level string `yaml:"level"`
	// Format is text or json.
	Format string `yaml:"format"`
}

// DefaultConfig is the log section when nothing is written.
func DefaultConfig() Config { return Config{Level: "info", Format: "text"} }

// Check normalises the level and format (any case) and reports what is
// wrong.
func (c *Config) Check() connectors.Problems {
	var ps connectors.Problems
	conf.OneOf(&ps, "level", &c.Level, Levels...)
	conf.OneOf(&ps, "format", &c.Format, Formats...)
	return ps
}

// New builds the host's logger, writing to out (nil: stderr). Every value
// it logs is escaped and bounded (Safe): a caller number, a plugin's
// output or an error quoting a request cannot forge or flood log lines.
// Lines logged through it with Log may be held back a few milliseconds
// when out is a busy file (see Log and Flush); every other line is
// written before the call returns.
func New(c Config, out io.Writer) hclog.Logger { return NewWithSink(c, out, nil) }

// NewWithSink is New with sink also receiving every line logged (at the
// logger's level), after Safe has escaped and bounded its values; nil:
// none.
func NewWithSink(c Config, out io.Writer, sink hclog.SinkAdapter) hclog.Logger {
	if out == nil {
		out = os.Stderr
	}
	o := newOutput(out)
	opts := &hclog.LoggerOptions{
		Name:       "switchboard",
		Level:      hclog.LevelFromString(c.Level),
		Output:     o,
		JSONFormat: c.Format == "json",
	}
	if sink == nil {
		return safeLogger{Logger: hclog.New(opts), out: o, json: opts.JSONFormat}
	}
	l := hclog.NewInterceptLogger(opts)
	l.RegisterSink(sink)
	return safeLogger{Logger: l, out: o, json: opts.JSONFormat, sink: sink}
}
