// Command switchboard-connector-example is the example connector plugin
// (connectors/example): a JSON file served from memory. It is the model
// docs/writing-a-connector.md builds.
package main

import (
	"github.com/switchboard-hq/switchboard/connectors/example"
	"github.com/switchboard-hq/switchboard/plugins"
)

func main() { plugins.Serve(example.New) }
