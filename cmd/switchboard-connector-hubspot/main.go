// Command switchboard-connector-hubspot is the HubSpot connector plugin; the
// host launches it (see connectors/hubspot for its configuration).
package main

import (
	"github.com/switchboard-hq/switchboard/connectors/hubspot"
	"github.com/switchboard-hq/switchboard/plugins"
)

func main() { plugins.Serve(hubspot.New) }
