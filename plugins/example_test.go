package plugins_test

import (
	"fmt"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/example"
	"github.com/switchboard-hq/switchboard/plugins"
)

// A plugin's whole main: cmd/switchboard-connector-example/main.go. Serve
// takes the connector's constructor, which receives the plugin's logger.
// (Not run here: Serve only serves when the host starts the binary.)
func ExampleServe() {
	var newConnector func(hclog.Logger) connectors.Connector = example.New
	main := func() { plugins.Serve(newConnector) }
	_ = main
}

// The environment variable that attaches a host to a plugin running in
// debug mode, for the connector named "my-crm" in the host's config.
func ExampleReattachEnv() {
	fmt.Println(plugins.DebugEnv + "=1 dlv exec ./switchboard-connector-mycrm")
	fmt.Println("export " + plugins.ReattachEnv("my-crm") + "='<the JSON the plugin prints>'")
	// Output:
	// SWITCHBOARD_PLUGIN_DEBUG=1 dlv exec ./switchboard-connector-mycrm
	// export SWITCHBOARD_REATTACH_MY_CRM='<the JSON the plugin prints>'
}

// The protocol versions this build speaks, as `switchboard plugins
// describe` shows them.
func ExampleProtocolVersions() {
	fmt.Println(plugins.ProtocolVersions(), connectors.ProtocolVersion)
	// Output: [1 2] 2
}
