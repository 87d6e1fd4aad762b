package conf

import (
	"sync/atomic"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Current returns what a connector's Configure stored in p. Before the
// first Configure (p holds nil) it returns the ClassBadConfig error every
// call of an unconfigured connector answers, naming the connector ("csv")
// and the call (op).
func Current[T any](p *atomic.Pointer[T], connector, op string) (*T, error) {
	if v := p.Load(); v != nil {
		return v, nil
	}
	return nil, connectors.Errorf(connectors.ClassBadConfig, op,
		"the %s connector is not configured: call Configure with its config block first", connector)
}
