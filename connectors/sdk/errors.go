package sdk

import (
	"context"
	"fmt"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Unavailable classifies a failed call to the CRM (a query, a request)
// made for op: when ctx has ended, the context's error (so that the host
// sees a deadline as a deadline); otherwise a ClassUnavailable error that
// says what failed (what: "query the CRM database") and wraps err.
func Unavailable(ctx context.Context, op, what string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %s: %w", op, what, ctx.Err())
	}
	return connectors.Errorf(connectors.ClassUnavailable, op, "%s: %w", what, err)
}
