package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-hq/switchboard/core/aftercall"
	"github.com/switchboard-hq/switchboard/core/calljobs"
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
	id, uuid, key, err := parseStepRef(pos[0])
	if err != nil {
		fmt.Fprintf(env.stderr, "switchboard calls resolve: %v\n", err)
		return exitUsage
	}
	ref := strings.TrimSpace(pos[1])
	r, code, ok := openJournalReader(ctx, env, *cfgPath)
	if !ok {
		return code
	}
	defer r.Close()
	job := findStepJob(ctx, env, "calls resolve", r, id, uuid, key)
	if job == nil {
		return exitFailed
	}
	var step calljobs.ActionArgs
	if err := json.Unmarshal(job.EncodedArgs, &step); err != nil || job.Kind != calljobs.KindAction {
		fmt.Fprintf(env.stderr, "switchboard calls resolve: job %d is not a post-call step\n", job.ID)
		return exitFailed
	}
	crm := step.Step.CRM
	if step.Step.Kind != aftercall.KindCRMLog || crm == nil || crm.Log == nil {
		fmt.Fprintf(env.stderr, "switchboard calls resolve: step %s of call %s is a %s step: only a crm_log step is resolved to a record\n", step.Key, step.UUID, step.Step.Kind)
		return exitFailed
	}
	if crm.Log.ContactID != "" || crm.Log.CompanyID != "" {
		fmt.Fprintf(env.stderr, "switchboard calls resolve: step %s of call %s already has its record; nothing to resolve\n", step.Key, step.UUID)
		return exitFailed
	}
	switch job.State {
	case rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
	default:
		state, attempt, msg := jobState(job)
		fmt.Fprintf(env.stdout, "job %d (call %s, step %s) is not held: %s; nothing done\n", job.ID, step.UUID, step.Key,
			stateText(state, attempt, job.MaxAttempts, msg, nil))
		return exitOK
	}
	if err := calljobs.Resolve(ctx, r.Effects(), step.UUID, step.Key, ref); err != nil {
		fmt.Fprintf(env.stderr, "switchboard calls resolve: %v\n", err)
		return exitUsage
	}
	if len(crm.Candidates) > 0 && !slices.Contains(crm.Candidates, ref) {
		fmt.Fprintf(env.stderr, "switchboard calls resolve: warning: %s is not one of the records that share the number (%s); logging against it as you asked\n",
			ref, strings.Join(crm.Candidates, ", "))
	}
	if _, err := r.Retry(ctx, job.ID); err != nil {
		printError(env, fmt.Errorf("retry job %d: %w", job.ID, err))
		return exitFailed
	}
	fmt.Fprintf(env.stdout, "job %d (call %s, step %s): the call will be logged against %s in %s; a serving host runs it now\n",
		job.ID, step.UUID, step.Key, ref, crm.Connector)
	return exitOK
}
