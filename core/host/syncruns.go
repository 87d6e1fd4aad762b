package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/switchboard-hq/switchboard/core/console"
	"github.com/switchboard-hq/switchboard/core/store"
)

// syncRuns reads the sync's runs for the console from the state store
// the sync writes (console.Syncs), opened on first use. A SQLite state
// file that does not exist yet is not created: no sync has run.
type syncRuns struct {
	cfg store.Config

	mu sync.Mutex
	st store.Store
}

func (s *syncRuns) open(ctx context.Context) (store.Store, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st != nil {
		return s.st, nil
	}
	if d := strings.ToLower(s.cfg.Driver); d == "" || d == store.DriverSQLite {
		if _, err := os.Stat(s.cfg.Path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w (no state file %s)", console.ErrNoSyncState, s.cfg.Path)
		}
	}
	st, err := store.Open(ctx, s.cfg)
	if err != nil {
		return nil, fmt.Errorf("open the sync's state to read its runs: %w", err)
	}
	s.st = st
	return st, nil
}

func (s *syncRuns) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st != nil {
		_ = s.st.Close()
		s.st = nil
	}
}

func (s *syncRuns) Runs(ctx context.Context, limit int) ([]store.Run, error) {
	st, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	return st.Runs(ctx, limit)
}

func (s *syncRuns) Run(ctx context.Context, id int64) (store.Run, bool, error) {
	st, err := s.open(ctx)
	if err != nil {
		return store.Run{}, false, err
	}
	return st.Run(ctx, id)
}
