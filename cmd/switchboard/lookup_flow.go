package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/core/host"
)

// runLookupFlow is `switchboard lookup -flow NUMBER [-keyed 1234,9999]`:
// the External Management flow explained step by step for a call from
// NUMBER, each question answered with the next keyed item, as Hipcall's
// requests would carry them (issue 16). Nothing is sent anywhere.
func runLookupFlow(ctx context.Context, env *cliEnv, cfgPath string, pos []string, keyed, extID string, asJSON bool, wait time.Duration) int {
	if len(pos) != 1 {
		fmt.Fprintln(env.stderr, "switchboard lookup -flow: give the caller's NUMBER")
		return exitUsage
	}
	var inputs []string
	if keyed != "" {
		inputs = strings.Split(keyed, ",")
		for i := range inputs {
			inputs[i] = strings.TrimSpace(inputs[i])
		}
	}
	logger := hclog.New(&hclog.LoggerOptions{Output: env.stderr, Level: hclog.Warn})
	h, code, ok := loadHost(ctx, env, cfgPath, host.Options{Logger: logger})
	if !ok {
		return code
	}
	defer h.Close()
	if h.Flow() == nil {
		fmt.Fprintln(env.stderr, "switchboard lookup -flow: hipcall.external_management is not enabled in "+cfgPath)
		return exitUsage
	}
	h.Directory.Start(ctx)
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := h.WaitReady(wctx); err != nil {
		fmt.Fprintf(env.stderr, "switchboard: not ready after %s: %v\n", wait, err)
		return exitFailed
	}
	steps := h.Flow().Simulate(ctx, pos[0], extID, inputs)
	if asJSON {
		return printJSON(env, steps)
	}
	w := env.stdout
	fmt.Fprintf(w, "flow for a call from %s\n", pos[0])
	for i, s := range steps {
		fmt.Fprintf(w, "request %d:  %s\n", i+1, describeData(s.Data))
		for _, line := range s.Trace {
			fmt.Fprintf(w, "  %s\n", line)
		}
		fmt.Fprintf(w, "  answer:   %s\n", s.Describe())
	}
	last := steps[len(steps)-1]
	switch {
	case last.Final == "gather":
		fmt.Fprintln(w, "the call waits for the caller's keys: give more with -keyed")
	case last.Fallback != "":
		fmt.Fprintf(w, "the default was connected (%s)\n", last.Fallback)
	}
	return exitOK
}

// describeData shows what a request carried without the digits (a PIN):
// the question and how many keys.
func describeData(data map[string]string) string {
	if len(data) == 0 {
		return "no data (the call's first request)"
	}
	var parts []string
	for k, v := range data {
		if v == "" {
			parts = append(parts, k+": no input")
		} else {
			parts = append(parts, fmt.Sprintf("%s: %d keys", k, len(v)))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}
