package connectortest

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

// faultClasses is the class every read must fail with under each fault.
var faultClasses = []struct {
	fault Fault
	class connectors.Class
}{
	{FaultUnauthorized, connectors.ClassUnauthorized},
	{FaultRateLimited, connectors.ClassRateLimited},
	{FaultUnavailable, connectors.ClassUnavailable},
}

// testErrors makes the backend fail in each way Suite.Faults can and
// checks that Check and every declared read fail with the class the host
// acts on (retry later, trip a breaker, tell the operator about the
// credentials), and work again once the backend recovers. A bad block is
// checked by the config check: Configure answers problems, not an error.
func (r *runner) testErrors(t *testing.T) {
	for _, fc := range faultClasses {
		t.Run(string(fc.fault), func(t *testing.T) {
			inject := r.s.Faults[fc.fault]
			if inject == nil {
				t.Skipf("skipped: Suite.Faults has no %q: the fixture's backend cannot be made to fail that way", fc.fault)
			}
			ops := append([]call{{"Check", func(ctx context.Context, c connectors.Connector) (string, error) {
				_, err := c.Check(ctx, &connectors.CheckRequest{})
				return "", err
			}}}, r.calls()...)
			restore := inject(t, r.config)
			restored := false
			defer func() {
				if !restored {
					restore()
				}
			}()
			for _, cl := range ops {
				_, err := cl.do(r.ctx(t), r.conn.host)
				switch got := connectors.ClassOf(err); {
				case err == nil:
					t.Errorf("%s while the backend is %s: no error; want class %s", cl.op, fc.fault, fc.class)
				case got != fc.class:
					t.Errorf("%s while the backend is %s: error %v (class %q); want class %s (return a *connectors.Error of that class)",
						cl.op, fc.fault, err, got, fc.class)
				}
			}
			restore()
			restored = true
			// A connector may hold back after a rate limit or an outage
			// (its own breaker or Retry-After): give it a bounded while.
			for _, cl := range ops {
				deadline := time.Now().Add(r.s.CallTimeout)
				for {
					_, err := cl.do(r.ctx(t), r.conn.host)
					if err == nil {
						break
					}
					if time.Now().After(deadline) {
						t.Errorf("%s after the backend recovered from %s: %v", cl.op, fc.fault, err)
						break
					}
					time.Sleep(50 * time.Millisecond) // paces the retries
				}
			}
		})
	}
}
