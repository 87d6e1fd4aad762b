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

// lazy opens a reader on first use and keeps it until close: the
// console's readers of the journal and of the sync's state cost nothing
// until their page is opened.
type lazy[T interface{ Close() error }] struct {
	open func(context.Context) (T, error)

	mu     sync.Mutex
	v      T
	opened bool
}

func (l *lazy[T]) get(ctx context.Context) (T, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.opened {
		return l.v, nil
	}
	v, err := l.open(ctx)
	if err != nil {
		return v, err
	}
	l.v, l.opened = v, true
	return v, nil
}

func (l *lazy[T]) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.opened {
		_ = l.v.Close()
		var zero T
		l.v, l.opened = zero, false
	}
}

// syncRuns reads the sync's runs for the console from the state store
// the sync writes (console.Syncs), opened on first use. A SQLite state
// file that does not exist yet is not created: no sync has run.
type syncRuns struct{ lazy[store.Store] }

func newSyncRuns(cfg store.Config) *syncRuns {
	return &syncRuns{lazy[store.Store]{open: func(ctx context.Context) (store.Store, error) {
		if d := strings.ToLower(cfg.Driver); d == "" || d == store.DriverSQLite {
			if _, err := os.Stat(cfg.Path); errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("%w (no state file %s)", console.ErrNoSyncState, cfg.Path)
			}
		}
		st, err := store.Open(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("open the sync's state to read its runs: %w", err)
		}
		return st, nil
	}}}
}

func (s *syncRuns) Runs(ctx context.Context, limit int) ([]store.Run, error) {
	st, err := s.get(ctx)
	if err != nil {
		return nil, err
	}
	return st.Runs(ctx, limit)
}

func (s *syncRuns) Run(ctx context.Context, id int64) (store.Run, bool, error) {
	st, err := s.get(ctx)
	if err != nil {
		return store.Run{}, false, err
	}
	return st.Run(ctx, id)
}
