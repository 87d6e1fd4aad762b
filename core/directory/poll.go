package directory

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Polling for changes (issue 10 #5): a full rebuild lists every record, so
// it runs every few minutes; an edit in the CRM would wait that long. A
// source whose connector declares changed_since is also asked, every Poll,
// for the records changed since its previous poll, and those are laid over
// the index (overlay.go) without a rebuild and without pausing lookups.

// DefaultPoll is how often a connectors: entry asks its connector what
// changed when its configuration does not say.
const DefaultPoll = 2 * time.Second

// DefaultPollOverlap is how far back before the previous poll each poll
// asks. A change can become visible after the time it is stamped with: a
// CSV reload stamps its rows before it swaps them in, a database row
// carries the time of a transaction that commits later, and the CRM's
// clock may run behind ours. Records seen again are recognised by their
// UpdatedAt and not applied twice.
const DefaultPollOverlap = 30 * time.Second

// exactPollOverlap is the look-back for a connector that declares
// changed_since_exact: its records are visible when stamped, so one second
// covers clock granularity. A long look-back would have such a connector
// list again every record it stamped in the last DefaultPollOverlap, all
// of them after a start.
const exactPollOverlap = time.Second

// pollTimeout bounds one poll, all its pages.
const pollTimeout = time.Minute

// foldMin is the fewest changed records that ask for an early full
// rebuild; a tenth of the base index counts if that is more. The overlay
// is rebuilt on every change, so it must stay small.
const foldMin = 10_000

// errNoChangedSince is the error of a poll of a connector that cannot say
// what changed.
var errNoChangedSince = errors.New("the connector does not declare changed_since: it cannot say what changed, so changes reach lookups at the next full rebuild (refresh)")

// pollLoop polls s every s.Poll until ctx ends or the connector turns out
// unable to say what changed.
func (d *Directory) pollLoop(ctx context.Context, s *source) {
	defer d.wg.Done()
	t := time.NewTicker(s.Poll)
	defer t.Stop()
	lastErr := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, err := d.poll(ctx, s)
		switch {
		case errors.Is(err, errNoChangedSince):
			s.log.Info(fmt.Sprintf("not polling for changes: %v", errNoChangedSince), "refresh", s.Refresh)
			return
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			if msg := err.Error(); msg != lastErr {
				lastErr = msg
				s.log.Error("polling for changed records failed; the index keeps what it has and the next poll asks again", "error", err)
			}
		case lastErr != "":
			lastErr = ""
			s.log.Info("polling for changed records works again")
		}
	}
}

// Poll asks the named source's connector, now, for the records changed
// since its previous poll (or since the build being served began) and lays
// them over the index; it returns how many were new to the index. The
// source must be in index mode, built, and its connector must declare
// changed_since.
func (d *Directory) Poll(ctx context.Context, name string) (int, error) {
	s, ok := d.byName[name]
	if !ok {
		return 0, fmt.Errorf("directory: poll: no source named %q; use one of the configured connector names", name)
	}
	if s.Mode != ModeIndex {
		return 0, fmt.Errorf("directory: poll: source %q is in %s mode and has no index", name, s.Mode)
	}
	return d.poll(ctx, s)
}

func (d *Directory) poll(ctx context.Context, s *source) (int, error) {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	if s.index.Load() == nil {
		return 0, fmt.Errorf("directory: source %q: %w", s.Name, ErrNotReady)
	}
	ctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()

	start := time.Now()
	n, err := d.pollChanges(ctx, s)
	s.mu.Lock()
	s.stats.Polls++
	s.stats.LastPoll = start
	s.stats.LastPollError = err
	if err != nil {
		s.stats.PollErrors++
	} else {
		s.stats.Changes += n
	}
	s.mu.Unlock()
	if err != nil {
		if !errors.Is(err, errNoChangedSince) {
			d.metrics.pollFailed(s.Name)
		}
		return 0, fmt.Errorf("directory: source %q: %w", s.Name, err)
	}
	d.metrics.changed(s.Name, n)
	s.pollSince = start
	return n, nil
}

// pollChanges lists what changed since s's previous poll and applies it.
// What the index already holds (a connector reports its overlap window's
// changes again, and a first poll may report every record read just
// before the build) is dropped page by page, not gathered first.
// s.pollMu is held.
func (d *Directory) pollChanges(ctx context.Context, s *source) (int, error) {
	if s.pollDesc == nil {
		desc, err := s.Connector.Describe(ctx, &connectors.DescribeRequest{})
		if err != nil {
			return 0, fmt.Errorf("describe connector: %w", err)
		}
		s.pollDesc = desc
	}
	if !s.pollDesc.Has(connectors.CapChangedSince) {
		return 0, errNoChangedSince
	}
	if s.pollSince.IsZero() {
		s.mu.Lock()
		s.pollSince = s.servedFrom
		s.mu.Unlock()
	}
	overlap := d.pollOverlap
	if s.pollDesc.Has(connectors.CapChangedSinceExact) {
		overlap = min(overlap, exactPollOverlap)
	}
	since := s.pollSince.Add(-overlap)

	wantCompanies := s.pollDesc.Has(connectors.CapListCompanies)
	wantContacts := s.pollDesc.Has(connectors.CapListContacts) || !wantCompanies
	var (
		changes []change
		listed  int
	)
	// keep gathers the changes the index does not hold already (apply
	// checks again, under swapMu).
	keep := func(n int, at func(i int) change) error {
		known := s.index.Load()
		listed += n
		for i := range n {
			if c := at(i); known == nil || !known.known(&c) {
				changes = append(changes, c)
			}
		}
		return nil
	}
	if wantContacts {
		err := listContacts(ctx, s.Connector, s.PageSize, since, func(page []connectors.Contact) error {
			return keep(len(page), func(i int) change { return change{contact: &page[i]} })
		})
		if err != nil {
			return 0, err
		}
	}
	if wantCompanies {
		err := listCompanies(ctx, s.Connector, s.PageSize, since, func(page []connectors.Company) error {
			return keep(len(page), func(i int) change { return change{company: &page[i]} })
		})
		if err != nil {
			return 0, err
		}
	}
	n := d.apply(s, changes)
	if listed >= returnMemoryAfter {
		// The connector listed many records again (a first poll after a
		// build, a file rewritten whole): give back what their pages held,
		// as a build does.
		debug.FreeOSMemory()
	}
	return n, nil
}

// apply lays the changes the index does not know yet over s's index and
// swaps the result in; it returns how many there were.
func (d *Directory) apply(s *source, changes []change) int {
	s.swapMu.Lock()
	defer s.swapMu.Unlock()
	cur := s.index.Load()
	now := time.Now()
	fresh := changes[:0]
	for _, c := range changes {
		if !cur.known(&c) {
			c.seen = now
			fresh = append(fresh, c)
		}
	}
	if len(fresh) == 0 {
		return 0
	}
	next := cur.withChanges(cur.base(), d.parser, fresh, nil)
	s.index.Store(next)
	if d.cache != nil {
		d.cache.clear()
	}
	s.mu.Lock()
	s.stats.Records, s.stats.Phones, s.stats.Changed = next.Len(), next.Phones(), next.Changed()
	s.stats.SkippedNumbers, s.stats.SkippedRecords = next.Skipped(), next.SkippedRecords()
	s.mu.Unlock()
	d.metrics.records(s.Name, next.Len())
	d.reportIndexBytes()
	s.log.Debug("changed records applied to the index", "changed", len(fresh), "pending_fold", next.Changed())
	if base := next.base().Len(); next.Changed() >= max(foldMin, base/10) {
		select {
		case s.fold <- struct{}{}:
			s.log.Info("many records changed since the index was built: rebuilding it now to fold them in",
				"changed", next.Changed(), "records", base)
		default:
		}
	}
	return len(fresh)
}
