package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/core/crmsync"
	"github.com/switchboard-hq/switchboard/core/host"
)

// runSync is `switchboard sync`: one CRM → Hipcall sync run.
func runSync(ctx context.Context, env *cliEnv, args []string) int {
	fs, cfgPath := newFlags(env, "sync", "")
	companies := fs.Bool("companies", false, "sync companies (default: companies and contacts)")
	contacts := fs.Bool("contacts", false, "sync contacts (default: companies and contacts)")
	dryRun := fs.Bool("dry-run", false, "print the planned creates and updates with their field changes; write nothing")
	full := fs.Bool("full", false, "ignore the saved hashes: list Hipcall's records again and compare every record")
	relearn := fs.Bool("relearn", false, "discard the stored Hipcall ids (and the account the state is bound to) and match every record by external_id again")
	connector := fs.String("connector", "", "read this connector only (default: sync.source, else every connector that can list)")
	asJSON := fs.Bool("json", false, "print the summary (and a dry run's plan) as JSON")
	every := fs.Duration("progress-interval", 10*time.Second, "how often progress is logged when the output is not a terminal")
	if _, code, ok := parseFlags(fs, args); !ok {
		return code
	}
	h, code, ok := loadHost(ctx, env, *cfgPath, host.Options{LogOutput: env.stderr})
	if !ok {
		return code
	}
	defer h.Close()

	tty := isTerminal(env.stdout) && !*asJSON
	pp := &progressPrinter{w: env.stdout, tty: tty, log: h.Logger.Named("sync"), eta: map[string]etaMark{}}
	interval := *every
	if tty {
		interval = 250 * time.Millisecond
	}
	eng, st, err := h.NewSync(ctx, host.SyncOptions{Connector: *connector, OnProgress: pp.update, ProgressInterval: interval})
	if err != nil {
		printError(env, err)
		return exitFailed
	}
	defer st.Close()

	sum, err := eng.Run(ctx, crmsync.RunOptions{Companies: *companies, Contacts: *contacts, DryRun: *dryRun, Full: *full, Relearn: *relearn})
	pp.clear()
	if errors.Is(err, crmsync.ErrBusy) {
		// This run did nothing: no summary (it would be all zeros), only
		// why and what to do.
		fmt.Fprintf(env.stderr, "switchboard: %v; this run did nothing\n", err)
		return exitFailed
	}
	if *asJSON {
		if code := printJSON(env, sum); code != exitOK {
			return code
		}
	} else {
		if *dryRun {
			printPlan(env.stdout, sum.Plan)
		}
		printSummary(env.stdout, sum)
	}
	switch {
	case err != nil:
		fmt.Fprintf(env.stderr, "switchboard: sync stopped: %v\n", err)
		return exitFailed
	case sum.Failed() > 0:
		fmt.Fprintf(env.stderr, "switchboard: %d record(s) failed; see above\n", sum.Failed())
		return exitFailed
	}
	return exitOK
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressPrinter shows a sync's progress: a bar with counts and ETA on a
// terminal, else a structured log line per report.
type progressPrinter struct {
	w   io.Writer
	tty bool
	log hclog.Logger
	eta map[string]etaMark
	// drawn says a bar is on the terminal's last line.
	drawn bool
}

// etaMark is where the writing phase of a resource started.
type etaMark struct {
	at   time.Duration
	done int64
}

func (p *progressPrinter) update(pr crmsync.Progress) {
	if pr.Phase == crmsync.PhaseDone {
		return
	}
	counts := pr.Companies
	if pr.Resource == "contacts" {
		counts = pr.Contacts
	}
	eta := p.estimate(pr)
	if !p.tty {
		p.log.Info("sync progress", "phase", pr.Phase, "resource", pr.Resource, "done", pr.Done, "total", pr.Total,
			"created", counts.Created, "updated", counts.Updated, "unchanged", counts.Unchanged, "failed", counts.Failed,
			"requests", pr.Requests, "rate_limited", pr.RateLimited, "eta", eta)
		return
	}
	const width = 30
	filled := 0
	if pr.Total > 0 {
		filled = int(int64(width) * min(pr.Done, pr.Total) / pr.Total)
	}
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
	line := fmt.Sprintf("%-9s [%s] %d/%d  +%d ~%d =%d !%d  %d requests", pr.Resource, bar, pr.Done, pr.Total,
		counts.Created, counts.Updated, counts.Unchanged, counts.Failed, pr.Requests)
	if pr.Phase != crmsync.PhaseWriting {
		line = fmt.Sprintf("%-9s %s...  %d requests", pr.Resource, pr.Phase, pr.Requests)
	}
	if eta != "" {
		line += "  ETA " + eta
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
	p.drawn = true
}

// estimate is the time left for the current resource, from the pace since
// its writing started.
func (p *progressPrinter) estimate(pr crmsync.Progress) string {
	if pr.Phase != crmsync.PhaseWriting {
		return ""
	}
	key := string(pr.Resource)
	m, ok := p.eta[key]
	if !ok {
		p.eta[key] = etaMark{at: pr.Elapsed, done: pr.Done}
		return ""
	}
	done, took := pr.Done-m.done, pr.Elapsed-m.at
	if done <= 0 || took <= 0 || pr.Total <= pr.Done {
		return ""
	}
	left := time.Duration(float64(took) / float64(done) * float64(pr.Total-pr.Done))
	return left.Round(time.Second).String()
}

// clear ends the bar's line.
func (p *progressPrinter) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

// printPlan lists a dry run's planned writes.
func printPlan(w io.Writer, plan []crmsync.Change) {
	if len(plan) == 0 {
		fmt.Fprintln(w, "nothing to write")
		return
	}
	for _, c := range plan {
		var parts []string
		for _, f := range c.Fields {
			switch {
			case c.Action == "create":
				parts = append(parts, f.Field+"="+strconv.Quote(f.New))
			case f.Old == "":
				parts = append(parts, f.Field+": +"+strconv.Quote(f.New))
			case f.New == "" && (f.Field == "phones" || f.Field == "emails"):
				parts = append(parts, f.Field+": -"+strconv.Quote(f.Old))
			default:
				parts = append(parts, f.Field+": "+strconv.Quote(f.Old)+" → "+strconv.Quote(f.New))
			}
		}
		id := ""
		if c.HipcallID != 0 {
			id = fmt.Sprintf(" (Hipcall id %d)", c.HipcallID)
		}
		fmt.Fprintf(w, "%s %s/%s%s: %s\n", c.Action, c.Resource, c.ExternalID, id, strings.Join(parts, "; "))
	}
}

// printSummary prints the counts, the requests and the problems.
func printSummary(w io.Writer, s *crmsync.Summary) {
	title := "sync"
	if s.DryRun {
		title = "sync (dry run: nothing written; counts are what would be done)"
	}
	fmt.Fprintf(w, "%s finished in %s\n", title, s.Wall.Round(time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tread\tcreated\tupdated\tunchanged\tskipped\tfailed\tmissing\tadopted\t")
	for _, r := range []struct {
		name string
		c    crmsync.Counts
	}{{"companies", s.Companies}, {"contacts", s.Contacts}} {
		c := r.c
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", r.name, c.Read, c.Created, c.Updated, c.Unchanged, c.Skipped, c.Failed, c.Missing, c.Adopted)
	}
	tw.Flush()
	// Waited is wall time during which at least one request waited (for
	// the rate limit or a retry), not a sum over the workers: it is part
	// of the wall time.
	fmt.Fprintf(w, "requests: %d (%d retries), 429s: %d, wall time: %s, of which waiting for the rate limit or a retry: %s\n",
		s.Requests, s.Retries, s.RateLimited, s.Wall.Round(time.Millisecond), s.Waited.Round(time.Millisecond))
	if len(s.Learned) > 0 {
		names := make([]string, len(s.Learned))
		for i, r := range s.Learned {
			names[i] = string(r)
		}
		fmt.Fprintf(w, "listed Hipcall's %s to match records by external_id\n", strings.Join(names, " and "))
	}
	if len(s.Problems) > 0 {
		fmt.Fprintln(w, "problems:")
		for _, p := range s.Problems {
			kind := "failed"
			if p.Skipped {
				kind = "skipped"
			}
			fmt.Fprintf(w, "  %s %s/%s (connector %s): %s\n", kind, p.Resource, showID(p.ExternalID), p.Source, p.Err)
		}
		if n := s.Companies.Skipped + s.Companies.Failed + s.Contacts.Skipped + s.Contacts.Failed; n > int64(len(s.Problems)) {
			fmt.Fprintf(w, "  ... and %d more (see the log)\n", n-int64(len(s.Problems)))
		}
	}
	if len(s.Relearned) > 0 {
		fmt.Fprintf(w, "relearned by external_id (the stored Hipcall id no longer held the record): %d\n", s.Companies.Relearned+s.Contacts.Relearned)
		for _, r := range s.Relearned {
			fmt.Fprintf(w, "  %s\n", r)
		}
	}
	if len(s.MissingIDs) > 0 {
		fmt.Fprintf(w, "no longer in the CRM (left in Hipcall): %s\n", strings.Join(s.MissingIDs, ", "))
	}
}

// showID quotes an id that would not show plainly (empty, spaces).
func showID(id string) string {
	if id == "" || strings.TrimSpace(id) != id || strings.ContainsAny(id, " \t\n") {
		return strconv.Quote(id)
	}
	return id
}
