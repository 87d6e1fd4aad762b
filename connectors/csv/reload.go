package csv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// racyWindow is how recently a file may have been modified, relative to
// when it was read, for a later write to share its mtime and size
// unnoticed. Such a file is re-hashed on every poll until it is older.
const racyWindow = 2 * time.Second

// watch polls the file of the configuration that loaded first, and swaps
// in a new snapshot whenever the file's content changes. It returns when
// ctx is cancelled or a Configure has replaced the configuration.
func (c *Connector) watch(ctx context.Context, first *snapshot) {
	s := first.set
	last := first.stamp  // the version being served
	var failed fileStamp // the version that last failed to load
	var lastErr string   // the last error logged, to log each once
	logOnce := func(err error) {
		if msg := err.Error(); msg != lastErr {
			lastErr = msg
			c.log.Error(fmt.Sprintf("reloading %s failed; still serving the data loaded at %s: %v",
				s.path, c.snap.Load().loadedAt.Format(time.RFC3339), err))
		}
		c.reloadErr.Store(&reloadFailure{at: time.Now(), err: err})
	}

	t := time.NewTicker(s.reload)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fi, err := os.Stat(s.absPath)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				err = fmt.Errorf("the file %s has disappeared: restore it or fix the path setting", s.absPath)
			}
			logOnce(err)
			continue
		}
		unchanged := fi.ModTime().Equal(last.modTime) && fi.Size() == last.size
		if unchanged && last.readAt.Sub(last.modTime) >= racyWindow {
			continue
		}
		data, stamp, err := readFile(s.absPath)
		if err != nil {
			logOnce(err)
			continue
		}
		if stamp.sum == last.sum {
			// The content being served, under a newer stamp (touched, or
			// restored after a failure).
			last, failed, lastErr = stamp, fileStamp{}, ""
			c.reloadErr.Store(nil)
			continue
		}
		if stamp.sum == failed.sum {
			continue // still the version that failed: already reported
		}
		prev := c.snap.Load()
		if prev == nil || prev.set != s {
			return // reconfigured
		}
		snap, err := build(ctx, s, data, stamp, prev, c.seed, c.log)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failed = stamp
			logOnce(err)
			continue
		}
		if !c.snap.CompareAndSwap(prev, snap) {
			return // reconfigured while loading: the new configuration wins
		}
		last, failed, lastErr = stamp, fileStamp{}, ""
		c.reloadErr.Store(nil)
		c.log.Info("re" + summary(snap))
	}
}
