package journal

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"
)

// maxBatch caps the events one commit carries.
const maxBatch = 256

// pending is one Record call waiting for its batch's commit.
type pending struct {
	params river.InsertManyParams
	done   chan error
	// kind, args and opts are the job encoded for the SQLite intake.
	kind       string
	args, opts []byte
}

// Record stores a job durably and returns once it is committed: after a
// crash or SIGKILL it is still there and will be worked. Concurrent calls
// share one commit (group commit): a burst of webhooks costs one SQLite
// transaction per batch, not one per event. ctx bounds the wait.
func (j *Journal) Record(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	if _, err := j.started(); err != nil {
		return err
	}
	p := &pending{params: river.InsertManyParams{Args: args, InsertOpts: opts}, done: make(chan error, 1)}
	if j.intake != nil {
		if err := p.encode(); err != nil {
			return fmt.Errorf("journal: not recorded: %w", err)
		}
	}
	select {
	case j.batch <- p:
	case <-ctx.Done():
		return fmt.Errorf("journal: not recorded: %w", ctx.Err())
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		// The batch may still commit: the caller must treat the event as
		// not recorded (a duplicate is then possible, never a loss).
		return fmt.Errorf("journal: not confirmed: %w", ctx.Err())
	}
}

// commitLoop commits Record's batches until ctx ends; what is waiting then
// gets an error.
func (j *Journal) commitLoop(ctx context.Context) {
	defer j.wg.Done()
	batch := make([]*pending, 0, maxBatch)
	params := make([]river.InsertManyParams, 0, maxBatch)
	for {
		select {
		case <-ctx.Done():
			for {
				select {
				case p := <-j.batch:
					p.done <- errNotStarted
				default:
					return
				}
			}
		case p := <-j.batch:
			batch = append(batch[:0], p)
		fill:
			for len(batch) < maxBatch {
				select {
				case p := <-j.batch:
					batch = append(batch, p)
				default:
					break fill
				}
			}
			params = params[:0]
			for _, p := range batch {
				params = append(params, p.params)
			}
			var err error
			if j.intake != nil {
				err = j.intake.commit(ctx, batch)
			} else {
				err = j.insert(ctx, params)
			}
			if err != nil {
				err = fmt.Errorf("journal: record %d job(s): %w", len(batch), err)
				j.log.Error("the journal could not store events; they were answered with an error", "events", len(batch), "error", err)
			}
			for _, p := range batch {
				p.done <- err
			}
		}
	}
}
