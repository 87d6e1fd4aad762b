package pipedrivetest

import (
	"time"

	"github.com/switchboard-hq/switchboard/connectors/fakeapi"
)

// Clock is a settable clock for Options.Now (fakeapi.Clock): tests move it
// forward to expire access tokens, end rate-limit windows and days, and
// stamp update_time, without sleeping.
type Clock = fakeapi.Clock

// NewClock returns a Clock set to start.
func NewClock(start time.Time) *Clock { return fakeapi.NewClock(start) }
