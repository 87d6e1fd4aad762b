package journal

import (
	"context"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Provisional jobs on PostgreSQL. Record inserts every job into River
// before it returns (several hosts share the queue: there is no intake to
// hold a row in), so a provisional job is queued like any other. What
// Settle saves there is the job's run: the settled jobs still scheduled
// are deleted in batches (one statement every settleEvery), instead of
// each being fetched, checked against its mark and completed seconds
// later. A job that runs before its delete (the delete failed, or came
// late) finds the mark its caller wrote: Settle answers false, so the
// caller always writes it.

// settleEvery is how often settled jobs are deleted.
const settleEvery = 200 * time.Millisecond

// pgSettled tracks the provisional jobs this host inserted, by key, and
// those settled since the last delete.
type pgSettled struct {
	mu      sync.Mutex
	ids     map[string]pgJob // provisional jobs inserted, by key
	pending []int64          // settled, to delete
	pruned  time.Time
}

type pgJob struct {
	id int64
	at time.Time
}

func newPGSettled() *pgSettled { return &pgSettled{ids: map[string]pgJob{}} }

// inserted notes the provisional jobs among a batch River took.
func (p *pgSettled) inserted(params []river.InsertManyParams, res []*rivertype.JobInsertResult) {
	if len(params) != len(res) {
		return
	}
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, r := range res {
		key := provisionalKey(params[i].Args)
		if key == "" || r == nil || r.Job == nil || r.UniqueSkippedAsDuplicate {
			continue
		}
		p.ids[key] = pgJob{id: r.Job.ID, at: now}
	}
	if now.Sub(p.pruned) > time.Second {
		p.pruned = now
		for k, j := range p.ids {
			if now.Sub(j.at) > settleKeep {
				delete(p.ids, k)
			}
		}
	}
}

// settle queues key's job for deletion.
func (p *pgSettled) settle(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if j, ok := p.ids[key]; ok {
		delete(p.ids, key)
		p.pending = append(p.pending, j.id)
	}
}

// take returns the ids to delete, at most n.
func (p *pgSettled) take(n int) []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	n = min(n, len(p.pending))
	ids := p.pending[:n:n]
	p.pending = p.pending[n:]
	return ids
}

// deleteLoop deletes settled jobs that are still scheduled until ctx
// ends (what is pending then runs, finds its mark and does nothing).
func (j *Journal) deleteLoop(ctx context.Context) {
	defer j.wg.Done()
	t := time.NewTicker(settleEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for {
			ids := j.pgSettled.take(1000)
			if len(ids) == 0 {
				break
			}
			params := river.NewJobDeleteManyParams().IDs(ids...).States(rivertype.JobStateScheduled, rivertype.JobStateAvailable).First(len(ids))
			if _, err := j.cli.JobDeleteMany(context.WithoutCancel(ctx), params); err != nil {
				j.log.Debug("settled jobs could not be deleted; they run, find their marks and do nothing", "jobs", len(ids), "error", err)
			}
		}
	}
}
