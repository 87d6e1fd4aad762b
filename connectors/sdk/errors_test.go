package sdk_test

import (
	"context"
	"errors"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/sdk"
)

func TestUnavailable(t *testing.T) {
	cause := errors.New("database is locked")
	err := sdk.Unavailable(context.Background(), "ListContacts", "query the CRM database", cause)
	if connectors.ClassOf(err) != connectors.ClassUnavailable || !errors.Is(err, cause) ||
		err.Error() != "ListContacts (unavailable): query the CRM database: database is locked" {
		t.Errorf("got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = sdk.Unavailable(ctx, "ListContacts", "query the CRM database", cause)
	if !errors.Is(err, context.Canceled) || connectors.ClassOf(err) != "" {
		t.Errorf("canceled: got %v; want the context's error", err)
	}
}
