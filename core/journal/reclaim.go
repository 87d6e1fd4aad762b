package journal

import (
	"context"
	"encoding/json"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// A SQLite journal is one host's (hosts share only a PostgreSQL journal),
// so a job that is running when the host starts was left so by its last
// process, killed or crashed. River's rescuer would run it again only
// rescueAfter (2 minutes) after it started, and look every 30 seconds:
// after a SIGKILL and an immediate restart, the work in flight (events
// being planned, steps being sent) would wait that long. reclaim makes
// such jobs available at once, before the client starts, the way the
// rescuer would (an error noted in the job, discarded when it has no
// attempts left). A comment or task step among them finds its sent mark
// in Effects and is held, exactly as after River's rescue.

// reclaimBatch caps the jobs one query returns.
const reclaimBatch = 1000

// reclaim makes every running job available (or discarded, when it used
// its last attempt) and returns how many it changed.
func reclaim(ctx context.Context, exec riverdriver.Executor) (int, error) {
	now := time.Now().UTC()
	total := 0
	var after int64
	for {
		jobs, err := exec.JobGetStuck(ctx, &riverdriver.JobGetStuckParams{AfterID: after, Max: reclaimBatch, StuckHorizon: now})
		if err != nil || len(jobs) == 0 {
			return total, err
		}
		p := &riverdriver.JobRescueManyParams{StuckHorizon: now}
		for _, job := range jobs {
			after = job.ID
			msg, err := json.Marshal(rivertype.AttemptError{At: now, Attempt: max(job.Attempt, 0),
				Error: "left running by a process that stopped without finishing it (killed or crashed); run again at the next start"})
			if err != nil {
				return total, err
			}
			state, finalized := rivertype.JobStateAvailable, (*time.Time)(nil)
			if job.Attempt >= job.MaxAttempts {
				state, finalized = rivertype.JobStateDiscarded, &now
			}
			p.ID, p.Error = append(p.ID, job.ID), append(p.Error, msg)
			p.FinalizedAt, p.ScheduledAt, p.State = append(p.FinalizedAt, finalized), append(p.ScheduledAt, now), append(p.State, string(state))
		}
		if _, err := exec.JobRescueMany(ctx, p); err != nil {
			return total, err
		}
		total += len(jobs)
	}
}
