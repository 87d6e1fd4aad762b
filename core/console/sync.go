package console

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/switchboard-hq/switchboard/core/store"
)

// Syncs reads the CRM → Hipcall sync's runs from its state store, where
// every run (scheduled in serve, or `switchboard sync` in another
// process) saves its progress while it runs.
type Syncs interface {
	// Runs returns the latest runs, newest first.
	Runs(ctx context.Context, limit int) ([]store.Run, error)
	// Run returns one run; ok is false when the store has none.
	Run(ctx context.Context, id int64) (run store.Run, ok bool, err error)
}

// ErrNoSyncState is what Syncs returns (wrapped) when no sync has kept
// state yet: the page then says so rather than showing an error.
var ErrNoSyncState = errors.New("no sync has run yet")

// syncRunsShown is how many runs the Sync page lists.
const syncRunsShown = 20

// runView is a run as the Sync pages show it.
type runView struct {
	store.Run
	URL string `json:"url"`
	// Percent is the current resource's progress (0-100), -1 when unknown.
	Percent int `json:"percent"`
	// Took is how long the run took, or has been running.
	Took string `json:"took"`
	// Resources are the counts by resource, in a fixed order.
	Resources []resourceCounts `json:"resources"`
	Requests  int64            `json:"requests"`
}

// resourceCounts is one resource's counts of a run ("companies": created
// 3, ...), in the order the page shows them.
type resourceCounts struct {
	Resource string       `json:"resource"`
	Counts   []namedCount `json:"counts"`
	Failed   int64        `json:"failed"`
}

type namedCount struct {
	Name  string `json:"name"`
	Value int64  `json:"value"`
}

// countOrder is the order counts are shown in.
var countOrder = []string{"read", "created", "updated", "unchanged", "adopted", "relearned", "skipped", "failed", "missing"}

func (c *console) runView(r store.Run) runView {
	v := runView{Run: r, URL: c.opts.Path + "/sync/" + strconv.FormatInt(r.ID, 10), Percent: -1, Requests: r.Counts["requests"]}
	if r.Total > 0 {
		v.Percent = int(min(100, r.Done*100/r.Total))
	}
	end := r.FinishedAt
	if end.IsZero() {
		end = c.opts.Now()
		if r.Status != store.RunRunning && !r.UpdatedAt.IsZero() {
			end = r.UpdatedAt
		}
	}
	v.Took = end.Sub(r.StartedAt).Round(time.Second).String()
	for _, res := range []string{string(store.Companies), string(store.Contacts)} {
		rc := resourceCounts{Resource: res, Counts: []namedCount{}}
		for _, name := range countOrder {
			if n := r.Counts[res+"."+name]; n != 0 {
				rc.Counts = append(rc.Counts, namedCount{Name: name, Value: n})
				if name == "failed" {
					rc.Failed = n
				}
			}
		}
		v.Resources = append(v.Resources, rc)
	}
	return v
}

// syncView is the Sync page.
type syncView struct {
	Configured bool      `json:"configured"`
	Runs       []runView `json:"runs"`
	// Running: a run is in progress (the page reloads itself).
	Running bool   `json:"running"`
	Empty   string `json:"empty,omitempty"`
	Error   string `json:"error,omitempty"`
}

// syncPage lists the latest runs, a running one with its progress.
func (c *console) syncPage(w http.ResponseWriter, r *http.Request) {
	v := syncView{Configured: c.opts.Syncs != nil, Runs: []runView{}}
	if v.Configured {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		runs, err := c.opts.Syncs.Runs(ctx, syncRunsShown)
		cancel()
		switch {
		case errors.Is(err, ErrNoSyncState):
			v.Empty = err.Error()
		case err != nil:
			v.Error = err.Error()
		}
		for _, run := range runs {
			rv := c.runView(run)
			v.Running = v.Running || run.Status == store.RunRunning
			v.Runs = append(v.Runs, rv)
		}
	}
	if wantJSON(r) {
		writeJSON(w, http.StatusOK, v)
		return
	}
	c.render(w, r, http.StatusOK, "sync", map[string]any{"Title": "Sync", "View": v})
}

// syncRunPage is one run: its counts, what it changed and what failed.
func (c *console) syncRunPage(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || c.opts.Syncs == nil {
		c.notFound(w, r, "no sync run has that id")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	run, ok, err := c.opts.Syncs.Run(ctx, id)
	cancel()
	switch {
	case err != nil && !errors.Is(err, ErrNoSyncState):
		http.Error(w, "reading the sync's state: "+err.Error(), http.StatusBadGateway)
		return
	case !ok:
		c.notFound(w, r, "the sync's state holds no run "+strconv.FormatInt(id, 10))
		return
	}
	v := c.runView(run)
	if wantJSON(r) {
		writeJSON(w, http.StatusOK, v)
		return
	}
	problems := slices.Clone(v.Problems)
	slices.SortStableFunc(problems, func(a, b store.RunProblem) int { // failures before skips
		if a.Skipped == b.Skipped {
			return 0
		}
		if a.Skipped {
			return 1
		}
		return -1
	})
	title := "Sync run " + strconv.FormatInt(id, 10)
	if run.DryRun {
		title += " (dry run)"
	}
	c.render(w, r, http.StatusOK, "syncrun", map[string]any{"Title": title, "Run": v, "Problems": problems,
		"Running": run.Status == store.RunRunning})
}
