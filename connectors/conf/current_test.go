package conf

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
)

func TestCurrent(t *testing.T) {
	var p atomic.Pointer[string]
	got, err := Current(&p, "csv", "ListContacts")
	if got != nil || connectors.ClassOf(err) != connectors.ClassBadConfig ||
		err.Error() != "ListContacts (bad_config): the csv connector is not configured: call Configure with its config block first" {
		t.Errorf("before Configure: %v, %v", got, err)
	}
	v := "state"
	p.Store(&v)
	if got, err := Current(&p, "csv", "ListContacts"); got != &v || err != nil {
		t.Errorf("after Configure: %v, %v", got, err)
	}
	if _, err := Current(new(atomic.Pointer[int]), "hubspot", "Check"); err == nil || !strings.Contains(err.Error(), "the hubspot connector") {
		t.Errorf("error does not name the connector: %v", err)
	}
}
