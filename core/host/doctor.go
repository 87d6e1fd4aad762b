package host

import (
	"context"

	"github.com/switchboard-hq/switchboard/core/doctor"
)

// Diagnose runs the data diagnosis (core/doctor) over this host's
// connectors, with the numbers they logged as dropped since they started
// (when the host collects their log: Options.ConnectorLog). limit is
// doctor.Options.Limit. `switchboard doctor` and the console's Data
// quality page both run it.
func (h *Host) Diagnose(ctx context.Context, limit int) (*doctor.Report, error) {
	sources := make([]doctor.Source, 0, len(h.Plugins))
	for _, p := range h.Plugins {
		sources = append(sources, doctor.Source{Name: p.Name(), Connector: p})
	}
	var lines []doctor.LogLine
	if h.connectorLog != nil {
		lines = h.connectorLog.Lines()
	}
	return doctor.Run(ctx, doctor.Options{
		Sources: sources, Parser: h.Parser, Routing: h.Config.Routing, Sync: h.Config.Sync,
		ConnectorLog: lines, Limit: limit,
	})
}

// quality is the console's Data quality (console.Quality).
type quality struct{ h *Host }

func (q quality) Diagnose(ctx context.Context) (*doctor.Report, error) {
	return q.h.Diagnose(ctx, doctor.DefaultLimit)
}
