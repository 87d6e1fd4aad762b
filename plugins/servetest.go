package plugins

import (
	"context"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/plugins/internal/wire"
)

// ServeTest serves impl inside the test's process over a real go-plugin
// gRPC connection (the wire the host uses) and returns the host's view of
// it: every call goes through the same encoding, error mapping and panic
// recovery as with a plugin process. logger receives what the plugin side
// logs (nil discards it). The connection closes when the test ends.
//
// It is for tests: connectortest runs the conformance suite through it.
func ServeTest(t testing.TB, impl connectors.Connector, logger hclog.Logger) connectors.Connector {
	t.Helper()
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	set := wire.PluginSets(impl, logger)[connectors.ProtocolVersion]
	client, _ := plugin.TestPluginGRPCConn(t, false, set)
	// Close also stops the server (go-plugin's controller Shutdown).
	t.Cleanup(func() { _ = client.Close() })
	raw, err := client.Dispense(wire.PluginName)
	if err != nil {
		t.Fatalf("dispense the connector over gRPC: %v", err)
	}
	host, ok := raw.(connectors.Connector)
	if !ok {
		t.Fatalf("dispensed %T, want a connectors.Connector", raw)
	}
	// Lookups by phone take the lookup channel, as they do from a real
	// host (plugins/manager opens it after Describe).
	if ch, ok := raw.(interface {
		OpenLookupChannel(context.Context) error
		Close() error
	}); ok {
		if err := ch.OpenLookupChannel(context.Background()); err != nil {
			t.Fatalf("open the lookup channel: %v", err)
		}
		t.Cleanup(func() { _ = ch.Close() })
	}
	return host
}
