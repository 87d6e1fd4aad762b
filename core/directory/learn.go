package directory

import (
	"fmt"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Learn lays a contact the host itself just wrote to the named source's
// CRM (one a post-call action created) over that source's index at once,
// as a poll would once the CRM reports it, so the next call from its
// number is recognised without waiting for a poll or a rebuild; the next
// rebuild finds it in the CRM anyway. A source in live mode asks the CRM
// on every lookup and needs nothing but the cache's forgetting its old "not
// found" answer, which Learn does for every source. A contact without a
// change time is stamped now.
func (d *Directory) Learn(name string, c connectors.Contact) error {
	s, ok := d.byName[name]
	if !ok {
		return fmt.Errorf("directory: learn: no source named %q; use one of the configured connector names", name)
	}
	if s.Mode == ModeIndex {
		s.pollMu.Lock()
		defer s.pollMu.Unlock()
		if s.index.Load() == nil {
			return fmt.Errorf("directory: source %q: %w", name, ErrNotReady)
		}
		if c.UpdatedAt.IsZero() {
			c.UpdatedAt = time.Now()
		}
		d.apply(s, []change{{contact: &c}})
	}
	if d.cache != nil {
		d.cache.clear()
	}
	return nil
}
