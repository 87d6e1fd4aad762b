package main

import (
	"context"
	"fmt"

	"github.com/switchboard-hq/switchboard/core/callview"
)

// runCallsResolve is `switchboard calls resolve`: a person names the
// record a held crm_log step logs its call against (the number was shared
// by several records with no common company), and the step runs again.
func runCallsResolve(ctx context.Context, env *cliEnv, args []string) int {
	fs, cfgPath := newFlags(env, "calls resolve", "JOB_ID|UUID/STEP contact:<id>|company:<id>")
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: switchboard calls resolve [flags] JOB_ID|UUID/STEP contact:<id>|company:<id>\n\n"+
			"Logs a call held because several CRM records share its number against the record you name\n"+
			"(`switchboard calls` lists the held step and its candidates), then runs the step again.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 2 {
		fs.Usage()
		return exitUsage
	}
	ref, err := callview.ParseStepRef(pos[0])
	if err != nil {
		fmt.Fprintf(env.stderr, "switchboard calls resolve: %v\n", err)
		return exitUsage
	}
	r, code, ok := openJournalReader(ctx, env, *cfgPath)
	if !ok {
		return code
	}
	defer r.Close()
	out, err := callview.Resolve(ctx, r, ref, pos[1])
	return report(env, "calls resolve", out, err)
}
