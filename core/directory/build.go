package directory

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Start builds every index-mode source's index in the background, one
// goroutine per source, retrying a failed first build with backoff, then
// rebuilds each on its Refresh interval until ctx ends or Close is called.
// Lookups answer from a source once its first build has finished (see
// Ready). Start does nothing the second time.
func (d *Directory) Start(ctx context.Context) {
	d.startOnce.Do(func() {
		for _, s := range d.sources {
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
	if s.Refresh <= 0 {
		return
	}
	t := time.NewTicker(s.Refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// A failed rebuild keeps the old index; build logs and counts it.
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

// build builds s's index and swaps it in, or keeps the old one on failure.
func (d *Directory) build(ctx context.Context, s *source) error {
	s.buildMu.Lock()
	defer s.buildMu.Unlock()

	start := time.Now()
	ix, err := BuildIndex(ctx, s.Connector, IndexOptions{
		Parser:       d.parser,
		SuffixDigits: d.suffixDigits,
		PageSize:     s.PageSize,
		Logger:       s.log,
	})
	took := time.Since(start)

	s.mu.Lock()
	s.stats.Builds++
	s.stats.LastBuild = d.now()
	s.stats.LastBuildDuration = took
	s.stats.LastBuildError = err
	if err != nil {
		s.stats.BuildErrors++
	} else {
		s.stats.LastSuccess = s.stats.LastBuild
		s.stats.Records, s.stats.Phones = ix.Len(), ix.Phones()
	}
	s.mu.Unlock()

	if err != nil {
		d.metrics.buildFailed(s.Name)
		old := s.index.Load()
		if old != nil {
			s.log.Error("index build failed; keeping the previous index", "records", old.Len(), "error", err)
		} else {
			s.log.Error("index build failed; the source answers nothing until a build works", "error", err)
		}
		return fmt.Errorf("directory: source %q: %w", s.Name, err)
	}

	s.index.Store(ix)
	if d.cache != nil {
		d.cache.clear()
	}
	s.builtOnce.Do(func() { close(s.built) })
	d.metrics.built(s.Name, ix.Len(), took)
	s.log.Info("index built", "records", ix.Len(), "phones", ix.Phones(), "skipped_phones", ix.Skipped(), "took", took)
	return nil
}

// Ready reports whether every index-mode source has been built at least
// once; if not, why says which are missing and their last build error.
func (d *Directory) Ready() (ready bool, why string) {
	var missing []string
	for _, s := range d.sources {
		if s.index.Load() != nil || s.Mode != ModeIndex {
			continue
		}
		s.mu.Lock()
		lastErr := s.stats.LastBuildError
		s.mu.Unlock()
		msg := fmt.Sprintf("index of source %q not built yet", s.Name)
		if lastErr != nil {
			msg += fmt.Sprintf(" (last attempt failed: %v)", lastErr)
		}
		missing = append(missing, msg)
	}
	if len(missing) > 0 {
		return false, strings.Join(missing, "; ")
	}
	return true, ""
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
		if s.breaker != nil {
			st.Breaker = s.breaker.State().String()
		}
		out = append(out, st)
	}
	return out
}
