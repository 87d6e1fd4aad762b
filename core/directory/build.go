package directory

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Start builds every index-mode source's index in the background, one
// goroutine per source, retrying a failed first build with backoff, then
// rebuilds each on its Refresh interval until ctx ends or Close is called,
// and polls each with a Poll interval for changed records (see poll.go).
// Lookups answer from a source once its first build has finished (see
// Ready). Every source's connector is checked every CheckInterval
// (health.go). Start does nothing the second time.
func (d *Directory) Start(ctx context.Context) {
	d.startOnce.Do(func() {
		for _, s := range d.sources {
			if d.checkEvery > 0 {
				d.wg.Add(1)
				go d.checkLoop(ctx, s)
			}
			if s.Mode != ModeIndex {
				continue
			}
			d.wg.Add(1)
			go d.run(ctx, s)
		}
	})
}

// run keeps one source's index built.
func (d *Directory) run(ctx context.Context, s *source) {
	defer d.wg.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(d.bgCtx, cancel)
	defer stop()

	// First build: retry until it works, backing off.
	wait := d.retryMin
	for {
		if err := d.build(ctx, s); err == nil {
			break
		}
		if !sleep(ctx, wait) {
			return
		}
		wait *= 2
		if wait > d.retryMax {
			wait = d.retryMax
		}
		if s.Refresh > 0 && wait > s.Refresh {
			wait = s.Refresh
		}
	}
	if s.Poll > 0 {
		d.wg.Add(1)
		go d.pollLoop(ctx, s)
	}
	var tick <-chan time.Time
	if s.Refresh > 0 {
		t := time.NewTicker(s.Refresh)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			// A failed rebuild keeps the old index; build logs and counts it.
			_ = d.build(ctx, s)
		case <-s.fold:
			// Too many changed records: fold them in now.
			_ = d.build(ctx, s)
		}
	}
}

// sleep waits for d or the end of ctx; false if ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Rebuild builds the named source's index now and waits for it. On success
// the new index replaces the old one at once and the cache is cleared; on
// failure the old index stays in use.
func (d *Directory) Rebuild(ctx context.Context, name string) error {
	s, ok := d.byName[name]
	if !ok {
		return fmt.Errorf("directory: rebuild: no source named %q; use one of the configured connector names", name)
	}
	if s.Mode != ModeIndex {
		return fmt.Errorf("directory: rebuild: source %q is in %s mode and has no index", name, s.Mode)
	}
	return d.build(ctx, s)
}

// ErrRebuildHeld is wrapped by the error of a rebuild the shrink guard kept
// out: it listed fewer than (1 - MaxShrink) of the records being served.
var ErrRebuildHeld = errors.New("rebuild held by the shrink guard")

// heldBuild is a rebuild the shrink guard kept out.
type heldBuild struct {
	records int       // what the held rebuild listed
	served  int       // what the index being served holds
	since   time.Time // when the hold began
}

// validShrink reports whether share is a usable max_shrink: above 0 and at
// most 1.
func validShrink(share float64) bool { return share > 0 && share <= 1 }

// shrinks reports whether going from served to next records loses more
// than share of them.
func shrinks(served, next int, share float64) bool {
	return served > 0 && next < served && float64(served-next) > share*float64(served)
}

// percent formats a share as a percentage ("50", "33.3").
func percent(share float64) string {
	return strconv.FormatFloat(float64(int64(share*1000+0.5))/10, 'f', -1, 64)
}

// describe says what a hold keeps out.
func (h *heldBuild) describe(share float64) string {
	lost := h.served - h.records
	return fmt.Sprintf("the rebuild listed %d records against the %d served: %d (%s%%) fewer, more than directory.max_shrink %s%%",
		h.records, h.served, lost, percent(float64(lost)/float64(h.served)), percent(share))
}

// guard decides whether a rebuild that listed next records replaces the
// index of served records. A rebuild that loses more than maxShrink of them
// is held, unless the rebuild before it was held too and found about as
// many records (neither more than maxShrink below the other): two rebuilds
// in a row agreeing on the smaller size confirm it. It returns the hold
// (nil: swap the index in) and whether the swap confirms a hold.
func (d *Directory) guard(s *source, served, next int) (hold *heldBuild, confirmed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.held
	if !shrinks(served, next, d.maxShrink) {
		s.held = nil
		return nil, false
	}
	if prev != nil && !shrinks(max(prev.records, next), min(prev.records, next), d.maxShrink) {
		s.held = nil
		return nil, true
	}
	s.held = &heldBuild{records: next, served: served, since: d.now()}
	return s.held, false
}

// guardsShrink reports whether s's connector holds back shrinking reloads
// itself (connectors.CapGuardsShrink): its smaller listing was accepted
// by its operator and is not held again here. A connector that cannot
// describe itself is guarded.
func guardsShrink(ctx context.Context, s *source) bool {
	desc, err := s.Connector.Describe(ctx, &connectors.DescribeRequest{})
	return err == nil && desc.Has(connectors.CapGuardsShrink)
}

// build builds s's index and swaps it in, or keeps the old one when the
// build fails or the shrink guard holds it.
func (d *Directory) build(ctx context.Context, s *source) error {
	s.buildMu.Lock()
	defer s.buildMu.Unlock()

	start := time.Now()
	s.building.Store(start.UnixNano())
	ix, err := BuildIndex(ctx, s.Connector, IndexOptions{
		Parser:       d.parser,
		SuffixDigits: d.suffixDigits,
		PageSize:     s.PageSize,
		Logger:       s.log,
		Keys:         s.Keys,
		Progress:     func(n int) { s.listed.Store(int64(n)) },
	})
	took := time.Since(start)
	s.listed.Store(0)
	s.building.Store(0)

	old := s.index.Load()
	var (
		hold      *heldBuild
		confirmed bool
	)
	if err == nil && old != nil && !guardsShrink(ctx, s) {
		hold, confirmed = d.guard(s, old.Len(), ix.Len())
	}

	s.mu.Lock()
	s.stats.Builds++
	s.stats.LastBuild = d.now()
	s.stats.LastBuildDuration = took
	s.stats.LastBuildError = err
	switch {
	case err != nil:
		s.stats.BuildErrors++
	case hold != nil:
		s.stats.Held = hold.describe(d.maxShrink)
	default:
		s.stats.Held = ""
		s.stats.LastSuccess = s.stats.LastBuild
		s.stats.Records, s.stats.Phones = ix.Len(), ix.Phones()
		s.stats.SkippedNumbers, s.stats.SkippedRecords = ix.Skipped(), ix.SkippedRecords()
	}
	s.mu.Unlock()

	if err != nil {
		d.metrics.buildFailed(s.Name)
		if old != nil {
			s.log.Error("index build failed; keeping the previous index", "records", old.Len(), "error", err)
		} else {
			s.log.Error("index build failed; the source answers nothing until a build works", "error", err)
		}
		return fmt.Errorf("directory: source %q: %w", s.Name, err)
	}
	if hold != nil {
		d.metrics.rebuildHeld(s.Name)
		next := "the next rebuild"
		if s.Refresh > 0 {
			next += fmt.Sprintf(" (in %s)", s.Refresh)
		}
		s.log.Error(fmt.Sprintf("index rebuild held: %s; still answering from the previous index and /readyz reports the hold. "+
			"If the records were really removed, %s applies them when it finds about as many again (or restart Switchboard: "+
			"a first build is never held); if they were not, fix the connector's data and the next rebuild lifts the hold; "+
			"directory.max_shrink: 1 turns the guard off", hold.describe(d.maxShrink), next),
			"served", hold.served, "listed", hold.records)
		return fmt.Errorf("directory: source %q: %w: %s", s.Name, ErrRebuildHeld, hold.describe(d.maxShrink))
	}

	// Changes a poll applied while this build listed may be newer than
	// what it listed: they stay laid over the new index, unless it holds
	// them already. Older ones were listed by the build.
	s.swapMu.Lock()
	served := s.index.Load().withChanges(ix, d.parser, nil, func(c *change) bool {
		return !c.seen.Before(start) && !ix.known(c)
	})
	// The gauges first: /readyz says ready once the index is stored, and
	// the metrics must never lag behind it.
	d.metrics.built(s.Name, served.Len(), served.bytesUsed(), took)
	s.index.Store(served)
	s.swapMu.Unlock()
	s.mu.Lock()
	s.servedFrom = start
	s.stats.Records, s.stats.Phones, s.stats.Changed = served.Len(), served.Phones(), served.Changed()
	s.stats.SkippedNumbers, s.stats.SkippedRecords = served.Skipped(), served.SkippedRecords()
	s.mu.Unlock()
	if d.cache != nil {
		d.cache.clear()
	}
	oldLen := old.Len() // nothing reads the replaced index after this
	if ix.Len() >= returnMemoryAfter {
		// A large build leaves its pages' garbage and the index it
		// replaced: collect them now and give the memory back, rather
		// than hold twice the index until the heap grows again.
		debug.FreeOSMemory()
	}
	s.builtOnce.Do(func() { close(s.built) })
	d.reportIndexBytes()
	if confirmed {
		s.log.Warn("index rebuild confirmed the smaller size of the held one: applying it", "records", ix.Len(), "was", oldLen)
	}
	s.log.Info("index built", "records", ix.Len(), "phones", ix.Phones(), "skipped_phones", ix.Skipped(),
		"records_with_skipped_phones", ix.SkippedRecords(), "took", took)
	return nil
}

// returnMemoryAfter is the size of a build (records) after which build
// returns the memory it freed to the system at once; a poll does the same
// after listing as many.
const returnMemoryAfter = 100_000

// reportIndexBytes tells Options.IndexBytes what the indexes hold now.
func (d *Directory) reportIndexBytes() {
	if d.indexBytes == nil {
		return
	}
	var total int64
	for _, s := range d.sources {
		if ix := s.index.Load(); ix != nil {
			total += int64(ix.bytesUsed())
		}
	}
	d.indexBytes(total)
}

// Ready reports whether every index-mode source has been built at least
// once and has no rebuild held by the shrink guard; if not, why says which
// are missing and their last build error, and which are held (degraded:
// they answer from their previous index).
func (d *Directory) Ready() (ready bool, why string) {
	notReady, degraded := d.Health()
	if all := append(notReady, degraded...); len(all) > 0 {
		return false, strings.Join(all, "; ")
	}
	return true, ""
}

// Health sorts what is wrong into what keeps rings from being answered
// from CRM data (notReady: an index not built yet) and what leaves them
// answered, perhaps from older data (degraded: a failed connector check, a
// held rebuild). Ready is Health with both lists joined.
func (d *Directory) Health() (notReady, degraded []string) {
	for _, s := range d.sources {
		if why := s.checkFailure(); why != "" {
			degraded = append(degraded, why)
		}
		if s.Mode != ModeIndex {
			continue
		}
		s.mu.Lock()
		lastErr, held := s.stats.LastBuildError, s.held
		s.mu.Unlock()
		if s.index.Load() != nil {
			if held != nil {
				degraded = append(degraded, fmt.Sprintf("source %q degraded: a rebuild is held since %s: %s; "+
					"answering from the previous index until a rebuild confirms or recovers (see the log)",
					s.Name, held.since.Format(time.RFC3339), held.describe(d.maxShrink)))
			}
			continue
		}
		msg := fmt.Sprintf("index of source %q not built yet", s.Name)
		if n, at := s.listed.Load(), s.building.Load(); at != 0 {
			msg += fmt.Sprintf(" (building: %d records listed in %s)", n, time.Since(time.Unix(0, at)).Round(100*time.Millisecond))
		}
		if lastErr != nil {
			msg += fmt.Sprintf(" (last attempt failed: %v)", lastErr)
		}
		notReady = append(notReady, msg)
	}
	return notReady, degraded
}

// AnswersFromIndex reports whether the named source answers rings from a
// built index (so without its connector).
func (d *Directory) AnswersFromIndex(name string) bool {
	for _, s := range d.sources {
		if s.Name == name {
			return s.Mode == ModeIndex && s.index.Load() != nil
		}
	}
	return false
}

// WaitReady waits until Ready or until ctx ends (an error saying what is
// still missing) or the directory is closed.
func (d *Directory) WaitReady(ctx context.Context) error {
	for _, s := range d.sources {
		select {
		case <-s.built:
			continue
		default:
		}
		select {
		case <-s.built:
		case <-ctx.Done():
			_, why := d.Ready()
			return fmt.Errorf("directory not ready: %s: %w", why, ctx.Err())
		case <-d.bgCtx.Done():
			_, why := d.Ready()
			return fmt.Errorf("directory closed before it was ready: %s", why)
		}
	}
	return nil
}

// Stats describes every source, in lookup order.
func (d *Directory) Stats() []SourceStats {
	out := make([]SourceStats, 0, len(d.sources))
	for _, s := range d.sources {
		s.mu.Lock()
		st := s.stats
		s.mu.Unlock()
		st.Ready = s.Mode != ModeIndex || s.index.Load() != nil
		if at := s.building.Load(); at != 0 {
			st.Building, st.BuildingFor = int(s.listed.Load()), time.Since(time.Unix(0, at))
		}
		if s.breaker != nil {
			st.Breaker = s.breaker.State().String()
		}
		out = append(out, st)
	}
	return out
}
