package pluginbench

import (
	"context"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/directory"
)

// FreshnessB is the part of *testing.B the freshness benchmark uses.
type FreshnessB interface {
	B
	Logf(format string, args ...any)
}

// Freshness is the time from a CRM change to the host's index answering
// it: a directory in mode index over c polls it every second
// (connectors[].poll: 1s), with refresh far away so that no rebuild can
// help. Each op calls change(op), which commits a change to the CRM and
// returns the E.164 number it gave a contact, and then times until
// Directory.Lookup finds that number (5 ms resolution). It reports the mean
// and the worst, and fails if any change needed a rebuild.
func Freshness(b FreshnessB, c connectors.Connector, change func(op int) string) {
	b.Helper()
	parser, err := phone.NewParser("GB")
	if err != nil {
		b.Fatalf("%v", err)
	}
	d, err := directory.New(directory.Options{
		Sources: []directory.Source{{Name: "crm", Connector: c, Mode: directory.ModeIndex,
			Refresh: time.Hour, Poll: time.Second}},
		Parser:   parser,
		Deadline: time.Second,
	})
	if err != nil {
		b.Fatalf("%v", err)
	}
	ctx := context.Background()
	d.Start(ctx)
	defer d.Close()
	built := time.Now()
	if err := d.WaitReady(ctx); err != nil {
		b.Fatalf("%v", err)
	}
	b.Logf("index of %d records built in %s", d.Stats()[0].Records, time.Since(built).Round(time.Millisecond))
	buildsBefore := d.Stats()[0].Builds

	var total, worst time.Duration
	n := 0
	for b.Loop() {
		number := change(n)
		start := time.Now()
		for !d.Lookup(ctx, number).Found {
			if time.Since(start) > time.Minute {
				b.Fatalf("change %d not seen within a minute", n)
			}
			time.Sleep(5 * time.Millisecond) // the measurement's resolution
		}
		took := time.Since(start)
		total += took
		worst = max(worst, took)
		n++
	}
	if builds := d.Stats()[0].Builds; builds != buildsBefore {
		b.Fatalf("%d rebuilds during the benchmark; the change must arrive by polling", builds-buildsBefore)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(n), "ms/change-mean")
	b.ReportMetric(float64(worst.Milliseconds()), "ms/change-worst")
}
