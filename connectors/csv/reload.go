package csv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// racyWindow is how recently a file may have been modified, relative to
// when it was read, for a later write to share its mtime and size
// unnoticed. Such a file is re-hashed on every poll until it is older.
const racyWindow = 2 * time.Second

// acceptSuffix names the file an operator touches to accept a held reload:
// customers.csv.accept-shrink next to customers.csv.
const acceptSuffix = ".accept-shrink"

// heldReload is a reload the shrink guard keeps from being served: the file
// lost more than max_shrink of the records being served.
type heldReload struct {
	snap   *snapshot // the file's current content, built but not served
	served int       // contacts in the snapshot being served
	since  time.Time // when this content was first held
	// marker is the accept file's mtime when the hold began (zero: there
	// was none); a different one later means the operator touched it.
	marker time.Time
}

// shrinkGuard says whether going from served to next contacts loses more
// than share of them.
func shrinkGuard(served, next int, share float64) bool {
	return served > 0 && next < served && float64(served-next) > share*float64(served)
}

// percent formats a share as a percentage ("50", "33.3").
func percent(share float64) string {
	return strconv.FormatFloat(float64(int64(share*1000+0.5))/10, 'f', -1, 64)
}

// acceptPath is the accept file of the configuration's CSV file.
func acceptPath(s *settings) string { return s.absPath + acceptSuffix }

// markerTime is the accept file's mtime, zero if it does not exist.
func markerTime(s *settings) time.Time {
	fi, err := os.Stat(acceptPath(s))
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// heldMessage says what a hold keeps out and how to accept it.
func heldMessage(s *settings, h *heldReload) string {
	return shrinkMessage(s, h.served, len(h.snap.contacts))
}

// shrinkMessage says what a hold of a reload from served to next
// contacts keeps out and how to accept it.
func shrinkMessage(s *settings, served, next int) string {
	lost := served - next
	return fmt.Sprintf("%s: reload would drop %d of %d records (%s%%), more than max_shrink %s%%: keeping the previous data; "+
		"if the change is intended, run `touch %s` to load the %d records (checked on the next poll, no restart), "+
		"or raise max_shrink (1 turns the guard off); if it is not, restore the file",
		s.path, lost, served, percent(float64(lost)/float64(served)), percent(s.maxShrink), acceptPath(s), next)
}

// unchangedSince reports whether fi is the version st read, by mtime and
// size, and old enough that a same-size rewrite would have changed the
// mtime.
func unchangedSince(fi os.FileInfo, st fileStamp) bool {
	return fi.ModTime().Equal(st.modTime) && fi.Size() == st.size && st.readAt.Sub(st.modTime) >= racyWindow
}

// restamp marks the records a held snapshot's load found new or changed
// as changed at, the time it is served: a consumer syncing by ChangedSince
// asked since the hold began and would never see them under the load's
// time. The snapshot is not served yet, so nothing reads them meanwhile.
func restamp(snap *snapshot, at time.Time) {
	for _, e := range snap.contacts {
		if c := &e.contact; c.UpdatedAt.Equal(snap.loadedAt) {
			c.UpdatedAt = at
		}
	}
	for i := range snap.companies {
		if co := &snap.companies[i]; co.UpdatedAt.Equal(snap.loadedAt) {
			co.UpdatedAt = at
		}
	}
}

// watch polls the file of the configuration that loaded first, and swaps
// in a new snapshot whenever the file's content changes, unless the change
// loses more than max_shrink of the records: such a reload is held (the old
// snapshot keeps serving) until the operator touches the accept file, the
// file changes to content the guard lets through, or the connector is
// configured again. It returns when ctx is cancelled or a Configure has
// replaced the configuration.
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
	defer c.held.Store(nil)

	t := time.NewTicker(s.reload)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// The accept file first: it accepts what was held when the
		// operator touched it, before any newer content is looked at.
		if h := c.held.Load(); h != nil {
			if m := markerTime(s); !m.IsZero() && !m.Equal(h.marker) {
				prev := c.snap.Load()
				if prev == nil || prev.set != s {
					return // reconfigured
				}
				restamp(h.snap, time.Now())
				if !c.snap.CompareAndSwap(prev, h.snap) {
					return // reconfigured
				}
				c.held.Store(nil)
				last, failed, lastErr = h.snap.stamp, fileStamp{}, ""
				c.reloadErr.Store(nil)
				c.log.Warn(fmt.Sprintf("%s touched: accepting the held reload of %s, which drops %d of %d records; re%s",
					acceptPath(s), s.path, h.served-len(h.snap.contacts), h.served, summary(h.snap)))
			}
		}
		fi, err := os.Stat(s.absPath)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				err = fmt.Errorf("the file %s has disappeared: restore it or fix the path setting", s.absPath)
			}
			logOnce(err)
			continue
		}
		if unchangedSince(fi, last) {
			continue
		}
		if h := c.held.Load(); h != nil && unchangedSince(fi, h.snap.stamp) {
			continue // still the held version: already reported
		}
		data, stamp, err := readFile(s.absPath)
		if err != nil {
			logOnce(err)
			continue
		}
		if stamp.sum == last.sum {
			// The content being served, under a newer stamp (touched, or
			// restored after a failure or a hold).
			last, failed, lastErr = stamp, fileStamp{}, ""
			c.reloadErr.Store(nil)
			if c.held.Swap(nil) != nil {
				c.log.Info(fmt.Sprintf("%s has its served content again: the held reload is dropped", s.path))
			}
			continue
		}
		if h := c.held.Load(); h != nil && stamp.sum == h.snap.stamp.sum {
			continue // the held version, rewritten or touched
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
		if shrinkGuard(len(prev.contacts), len(snap.contacts), s.maxShrink) {
			h := &heldReload{snap: snap, served: len(prev.contacts), since: time.Now(), marker: markerTime(s)}
			c.held.Store(h)
			c.log.Error(heldMessage(s, h))
			continue
		}
		if !c.snap.CompareAndSwap(prev, snap) {
			return // reconfigured while loading: the new configuration wins
		}
		last, failed, lastErr = stamp, fileStamp{}, ""
		c.reloadErr.Store(nil)
		if c.held.Swap(nil) != nil {
			c.log.Info(fmt.Sprintf("%s changed again within max_shrink: the held reload is dropped", s.path))
		}
		c.log.Info("re" + summary(snap))
	}
}
