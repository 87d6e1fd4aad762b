package crmsync_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/core/crmsync"
	"github.com/switchboard-hq/switchboard/core/hipcall"
)

// TestRunWaitsWithSyncPriority: every request of a run waits for the
// token's request budget as the sync, behind cards and post-call actions,
// whatever priority the caller's context carries.
func TestRunWaitsWithSyncPriority(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, newCRM(3, 5), envOptions{client: hipcall.Options{Registerer: reg}})
	ctx := hipcall.WithPriority(context.Background(), hipcall.PriorityCard)
	sum, err := e.engine().Run(ctx, crmsync.RunOptions{})
	if err != nil || sum.Failed() != 0 {
		t.Fatalf("Run: %v, problems %+v", err, sum.Problems)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	waits := map[string]uint64{}
	for _, f := range families {
		if f.GetName() != "switchboard_hipcall_budget_wait_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			waits[m.GetLabel()[0].GetValue()] = m.GetHistogram().GetSampleCount()
		}
	}
	if sum.Requests == 0 || waits["sync"] != uint64(sum.Requests) || waits["card"]+waits["action"]+waits["backfill"] != 0 {
		t.Errorf("requests waited by priority %v; the run made %d requests, want them all as sync", waits, sum.Requests)
	}
}
