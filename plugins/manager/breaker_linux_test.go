//go:build linux

package manager

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/directory"
)

// TestHungPluginAnswersAgainOnceReplaced measures what issue 13 found: a
// plugin that hangs (SIGSTOP) opens its live source's circuit breaker;
// the watchdog replaces the plugin within seconds, and the directory must
// ask the new process at once instead of skipping the source for the
// rest of the breaker's cooldown. The breaker and the health timeout are
// the defaults; health checks run every second, so that the plugin is
// replaced about 3 s after it hangs. It logs the time from SIGSTOP to the
// first answer.
func TestHungPluginAnswersAgainOnceReplaced(t *testing.T) {
	if testing.Short() {
		t.Skip("takes several seconds")
	}
	m := newManager(t, Options{Config: Config{HealthInterval: time.Second}, StartTimeout: 30 * time.Second})
	p := start(t, m, "crm", []byte(baseConfig))
	parser, err := phone.NewParser("GB")
	if err != nil {
		t.Fatal(err)
	}
	d, err := directory.New(directory.Options{
		Sources: []directory.Source{{Name: "crm", Connector: p, Mode: directory.ModeLive}},
		Parser:  parser,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	if res := d.Lookup(context.Background(), "+442045205757"); !res.Ambiguous && !res.Found {
		t.Fatalf("lookup before the hang: %+v", res)
	}

	pid := p.Pid()
	stopped := time.Now()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })

	var replaced, answered time.Duration
	failures := 0
	limit := 2*directory.DefaultBreakerCooldown + 2*DefaultConfig().HealthTimeout
	for time.Since(stopped) < limit {
		if replaced == 0 && p.Up() && p.Restarts() == 1 {
			replaced = time.Since(stopped)
		}
		res := d.Lookup(context.Background(), "+442045205757")
		if res.Found || res.Ambiguous {
			answered = time.Since(stopped)
			break
		}
		failures++
		time.Sleep(20 * time.Millisecond) // the pace of calls, not synchronisation
	}
	if answered == 0 {
		t.Fatalf("no answer within %s of SIGSTOP (plugin replaced after %s)", limit, replaced)
	}
	if replaced == 0 {
		replaced = answered // replaced between the last check and the answer
	}
	t.Logf("SIGSTOP -> plugin replaced: %s; SIGSTOP -> first answer: %s (%d lookups failed meanwhile); breaker cooldown %s",
		replaced.Round(time.Millisecond), answered.Round(time.Millisecond), failures, directory.DefaultBreakerCooldown)
	// Generous: an answer within a few seconds of the new process, not
	// after the breaker's cooldown.
	if lag := answered - replaced; lag > 3*time.Second {
		t.Errorf("first answer %s after the plugin was replaced; want the breaker reset at once, not after its %s cooldown",
			lag.Round(time.Millisecond), directory.DefaultBreakerCooldown)
	}
}
