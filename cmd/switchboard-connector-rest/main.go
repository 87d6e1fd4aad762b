// Command switchboard-connector-rest is the generic REST connector plugin;
// the host launches it (see connectors/rest for its configuration).
package main

import (
	"github.com/switchboard-hq/switchboard/connectors/rest"
	"github.com/switchboard-hq/switchboard/plugins"
)

func main() { plugins.Serve(rest.New) }
