package manager

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/plugins/internal/plugintest"
	"github.com/switchboard-hq/switchboard/plugins/internal/wire"
)

// channelOpen reports whether p's current process takes lookups over the
// lookup channel.
func channelOpen(t *testing.T, p *Plugin) bool {
	t.Helper()
	proc, err := p.current("LookupByPhone")
	if err != nil {
		t.Fatal(err)
	}
	c, ok := proc.conn.(*wire.GRPCClient)
	return ok && c.LookupChannelOpen()
}

// A launched plugin's lookups go over the lookup channel, and so do those
// of the process that replaces it; a plugin that dies mid-call fails the
// call at once as ClassUnavailable, the process gone (ErrNotRunning,
// ErrConnectionLost).
func TestLookupChannelThroughRestarts(t *testing.T) {
	m := newManager(t, fastOptions())
	p := start(t, m, "customers", withConfig("exit_on: lookup"))
	if !channelOpen(t, p) {
		t.Fatal("the lookup channel is not open after the launch")
	}
	resp, err := p.Check(context.Background(), nil)
	if err != nil || resp.Records < 0 {
		t.Fatalf("Check: %+v, %v", resp, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	began := time.Now()
	_, err = lookup(ctx, p)
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("the call took %s to fail after the process died", took)
	}
	if connectors.ClassOf(err) != connectors.ClassUnavailable || !errors.Is(err, connectors.ErrNotRunning) || !errors.Is(err, wire.ErrConnectionLost) {
		t.Fatalf("got %v, want ClassUnavailable wrapping ErrNotRunning and ErrConnectionLost", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the call waited for its deadline: %v", err)
	}
	plugintest.Eventually(t, 20*time.Second, "plugin restarted once", func() bool { return p.Up() && p.Restarts() == 1 })
	if !channelOpen(t, p) {
		t.Error("the lookup channel is not open after the restart")
	}
}

// Lookups of a plugin with the channel open answer as before, for every
// kind of number the fake plugin knows, from many goroutines at once.
func TestLookupChannelAnswers(t *testing.T) {
	m := newManager(t, fastOptions())
	p := start(t, m, "customers", []byte(baseConfig))
	if !channelOpen(t, p) {
		t.Fatal("the lookup channel is not open")
	}
	errs := make(chan error, 16)
	for range 16 {
		go func() {
			for range 20 {
				resp, err := lookup(context.Background(), p)
				if err == nil && len(resp.Matches) != 2 {
					err = errors.New("want 2 matches")
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
