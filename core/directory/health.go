package directory

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Health (issue 10, item 6): a connector can be degraded while it answers,
// for example a CSV connector holding back a reload that would lose most of
// its records. Only its Check says so, so every source's connector is
// checked every CheckInterval; a failing Check makes Ready report the
// source degraded (so /readyz answers 503 with the reason), in live mode as
// in index mode. When an index-mode source's Check recovers, the index is
// rebuilt at once: what ended the trouble (an accepted shrink, say) may
// have removed records, which only a rebuild applies.

// DefaultCheckInterval is how often each source's connector is checked
// when Options.CheckInterval is 0. A HubSpot Check makes two requests, so
// this stays well inside its rate budget.
const DefaultCheckInterval = 30 * time.Second

// checkTimeout bounds one Check.
const checkTimeout = 10 * time.Second

// checkLoop checks s's connector every d.checkEvery until ctx ends.
func (d *Directory) checkLoop(ctx context.Context, s *source) {
	defer d.wg.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(d.bgCtx, cancel)()
	t := time.NewTicker(d.checkEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		d.check(ctx, s)
	}
}

// check runs one Check of s's connector and records the outcome.
func (d *Directory) check(ctx context.Context, s *source) {
	cctx, cancel := context.WithTimeout(ctx, checkTimeout)
	_, err := s.Connector.Check(cctx, &connectors.CheckRequest{})
	cancel()
	if ctx.Err() != nil {
		return // shutting down: not the connector's fault
	}
	s.mu.Lock()
	was := s.stats.CheckError
	s.stats.LastCheck, s.stats.CheckError = d.now(), err
	s.mu.Unlock()
	switch {
	case err != nil && (was == nil || was.Error() != err.Error()):
		s.log.Error("the connector's Check fails: /readyz reports the source degraded until it passes", "error", err)
	case err == nil && was != nil:
		s.log.Info("the connector's Check passes again")
		if s.Mode == ModeIndex {
			// Rebuild now: deletions reach the index only by a rebuild.
			select {
			case s.fold <- struct{}{}:
			default:
			}
		}
	}
}

// checkFailure says why s is degraded by its Check, or "" when it is not.
func (s *source) checkFailure() string {
	s.mu.Lock()
	err, at := s.stats.CheckError, s.stats.LastCheck
	s.mu.Unlock()
	if err == nil {
		return ""
	}
	return fmt.Sprintf("source %q degraded: its connector's Check failed at %s: %v", s.Name, at.Format(time.RFC3339), err)
}
