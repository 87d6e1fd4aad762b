package connectors

import (
	"strings"
	"sync/atomic"
	"testing"
)

func TestConfigured(t *testing.T) {
	var p atomic.Pointer[string]
	got, err := Configured(&p, "csv", "ListContacts")
	if got != nil || ClassOf(err) != ClassBadConfig ||
		err.Error() != "ListContacts (bad_config): the csv connector is not configured: call Configure with its config block first" {
		t.Errorf("before Configure: %v, %v", got, err)
	}
	v := "state"
	p.Store(&v)
	if got, err := Configured(&p, "csv", "ListContacts"); got != &v || err != nil {
		t.Errorf("after Configure: %v, %v", got, err)
	}
	if _, err := Configured(new(atomic.Pointer[int]), "hubspot", "Check"); err == nil || !strings.Contains(err.Error(), "the hubspot connector") {
		t.Errorf("error does not name the connector: %v", err)
	}
}
