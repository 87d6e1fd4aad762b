package crmsync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/core/store"
)

// leaseName is the store lease every sync run holds.
const leaseName = "sync"

// DefaultLeaseTTL is how long a run's lease lasts unless renewed; it is
// renewed every third of it, so a run that dies without releasing it
// blocks others for at most this long (less on the same host, where a
// dead holder's lease is taken over at once).
const DefaultLeaseTTL = 2 * time.Minute

// newHolder names this process as a lease holder: host:pid:random.
func newHolder() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "unknown"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s:%d:%s", strings.ReplaceAll(host, ":", "_"), os.Getpid(), hex.EncodeToString(b))
}

// deadOnThisHost reports whether holder names a process of this host that
// no longer runs.
func deadOnThisHost(holder string) bool {
	parts := strings.Split(holder, ":")
	if len(parts) != 3 {
		return false
	}
	host, _ := os.Hostname()
	if parts[0] != strings.ReplaceAll(host, ":", "_") {
		return false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	return !processAlive(pid)
}

// ErrBusy is returned (wrapped) by Run when another sync run holds the
// store's lease.
var ErrBusy = errors.New("another sync run is in progress")

// lease holds the store's sync lease for a run, renewing it in the
// background.
type lease struct {
	e      *Engine
	holder string
	lost   chan error
	stop   chan struct{}
	done   chan struct{}
}

func (e *Engine) acquireLease(ctx context.Context) (*lease, error) {
	req := store.LeaseRequest{Name: leaseName, Holder: e.holder, TTL: e.opts.LeaseTTL, Now: e.opts.Now()}
	_, err := e.opts.Store.Acquire(ctx, req)
	var held *store.LeaseHeldError
	if errors.As(err, &held) && deadOnThisHost(held.Lease.Holder) {
		e.log.Warn("taking over the sync lease of a process that died", "holder", held.Lease.Holder)
		req.TakeOver = held.Lease.Holder
		_, err = e.opts.Store.Acquire(ctx, req)
	}
	if errors.As(err, &held) {
		return nil, fmt.Errorf("%w: %s holds the state store's lease until %s; wait for it to finish (or, if it died on another host, for the lease to expire)",
			ErrBusy, held.Lease.Holder, held.Lease.Expires.Local().Format(time.TimeOnly))
	}
	if err != nil {
		return nil, fmt.Errorf("take the sync lease: %w", err)
	}
	l := &lease{e: e, holder: e.holder, lost: make(chan error, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go l.renew()
	return l, nil
}

// renew keeps the lease until stopped; losing it is reported on lost.
func (l *lease) renew() {
	defer close(l.done)
	t := time.NewTicker(l.e.opts.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.e.opts.LeaseTTL/3)
		_, err := l.e.opts.Store.Acquire(ctx, store.LeaseRequest{Name: leaseName, Holder: l.holder, TTL: l.e.opts.LeaseTTL, Now: l.e.opts.Now()})
		cancel()
		var held *store.LeaseHeldError
		switch {
		case errors.As(err, &held):
			l.lost <- fmt.Errorf("the sync lease was taken by %s (this run stalled longer than the lease lasts); stopping", held.Lease.Holder)
			return
		case err != nil:
			l.e.log.Warn("could not renew the sync lease; retrying", "error", err)
		}
	}
}

// release stops renewing and gives the lease up.
func (l *lease) release() {
	close(l.stop)
	<-l.done
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.e.opts.Store.Release(ctx, leaseName, l.holder); err != nil {
		l.e.log.Warn("could not release the sync lease; it expires by itself", "error", err)
	}
}
