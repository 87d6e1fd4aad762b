// Command switchboard-connector-csv is the CSV connector plugin; the host
// launches it (see connectors/csv for its configuration).
package main

import (
	"github.com/switchboard-hq/switchboard/connectors/csv"
	"github.com/switchboard-hq/switchboard/plugins"
)

func main() { plugins.Serve(csv.New) }
