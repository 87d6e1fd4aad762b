package fakehipcall

import (
	"time"

	"github.com/switchboard-hq/switchboard/connectors/fakeapi"
)

// Clock is a fake clock whose Sleep advances it at once (fakeapi.Clock).
// Share one between the fake server (Options.Now) and the client
// (hipcall.Options.Now and Sleep) to test waits of seconds or minutes
// instantly.
type Clock = fakeapi.Clock

// NewClock returns a Clock set to start.
func NewClock(start time.Time) *Clock { return fakeapi.NewClock(start) }
