package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/core/doctor"
	"github.com/switchboard-hq/switchboard/core/host"
)

// runDoctor is `switchboard doctor` (issue 15): it starts the configured
// connectors as serve does, lists every record through them (read-only)
// and reports the data problems that hurt calls and the sync: unreadable
// and national-only numbers, shared numbers, external_id collisions and
// values routing rules need (core/doctor). Exit 0 when there is no
// problem, 1 when there is one, 2 on a bad command line or configuration.
func runDoctor(ctx context.Context, env *cliEnv, args []string) int {
	fs, cfgPath := newFlags(env, "doctor", "")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	limit := fs.Int("limit", doctor.DefaultLimit, "how many entries of each list to show (the totals are always counted)")
	timeout := fs.Duration("timeout", 10*time.Minute, "bound on the whole diagnosis")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 || *limit < 0 {
		if *limit < 0 {
			fmt.Fprintln(env.stderr, "switchboard doctor: -limit must be 0 or more")
		}
		fs.Usage()
		return exitUsage
	}
	cfg, ok := loadConfig(env, *cfgPath)
	if !ok {
		return exitUsage
	}
	// The plugins log the numbers they drop while loading at Warn (and
	// take the host's level): the collector keeps those, stderr shows
	// only errors.
	logs := doctor.NewLogCollector()
	logger := hclog.NewInterceptLogger(&hclog.LoggerOptions{Output: io.Discard, Level: hclog.Warn})
	logger.RegisterSink(logs)
	logger.RegisterSink(hclog.NewSinkAdapter(&hclog.LoggerOptions{Output: env.stderr, Level: hclog.Error}))

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	// Loaded whole: a connector then reports what it drops while loading,
	// before the diagnosis reads its log.
	h, err := host.Build(ctx, cfg, host.Options{Logger: logger, ConnectorLog: logs, LoadWhole: true})
	if err != nil {
		printError(env, err)
		return exitFor(err)
	}
	defer h.Close()
	n := *limit
	if n == 0 {
		n = -1 // doctor.Options: negative keeps none
	}
	rep, err := h.Diagnose(ctx, n)
	if err != nil {
		printError(env, err)
		return exitFailed
	}
	if *asJSON {
		if code := printJSON(env, rep); code != exitOK {
			return code
		}
	} else if err := rep.WriteText(env.stdout); err != nil {
		printError(env, err)
		return exitFailed
	}
	if !rep.OK() {
		return exitFailed
	}
	return exitOK
}
