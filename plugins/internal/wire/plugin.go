package wire

import (
	"context"
	"errors"
	"sort"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/switchboard-hq/switchboard/connectors"
	pb "github.com/switchboard-hq/switchboard/plugins/protocol/v1"
)

// PluginName is the name the connector is dispensed under in a go-plugin
// PluginSet.
const PluginName = "connector"

// MaxMessageSize is the largest gRPC message either side accepts (64 MB).
// It keeps a big page from failing on gRPC's 4 MB default; connectors
// should still page well below it.
const MaxMessageSize = 64 << 20

// Handshake is the go-plugin handshake shared by the host and every
// connector plugin. The magic cookie is not a security measure: it only
// lets a plugin binary tell that it was started by Switchboard.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  uint(connectors.ProtocolVersion),
	MagicCookieKey:   "SWITCHBOARD_PLUGIN",
	MagicCookieValue: "d65a31b7262c25f534e0e67477540194f7cbe16175fd6339",
}

// PluginSets returns the plugin sets keyed by the connector protocol
// versions this build speaks, for go-plugin's VersionedPlugins on both
// sides. The plugin side passes its connector and logger; the host passes
// nil for both. Version 2 (the writes) is version 1's service with two
// more methods, so both versions share one set: what differs is what the
// host may ask (the manager hides the writes of a plugin that negotiated
// version 1).
func PluginSets(impl connectors.Connector, logger hclog.Logger) map[int]plugin.PluginSet {
	sets := map[int]plugin.PluginSet{}
	for v := connectors.ReadOnlyProtocolVersion; v <= connectors.ProtocolVersion; v++ {
		sets[v] = plugin.PluginSet{PluginName: &ConnectorPlugin{Impl: impl, Logger: logger}}
	}
	return sets
}

// ProtocolVersions lists the connector protocol versions this build
// speaks, lowest first.
func ProtocolVersions() []int {
	sets := PluginSets(nil, nil)
	versions := make([]int, 0, len(sets))
	for v := range sets {
		versions = append(versions, v)
	}
	sort.Ints(versions)
	return versions
}

// GRPCServerOptions are the options the plugin's gRPC server is built with
// (message size limits).
func GRPCServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(MaxMessageSize),
		grpc.MaxSendMsgSize(MaxMessageSize),
	}
}

// GRPCDialOptions are the options the host dials a plugin with (message
// size limits), for go-plugin's ClientConfig.GRPCDialOptions.
func GRPCDialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(MaxMessageSize),
			grpc.MaxCallSendMsgSize(MaxMessageSize),
		),
	}
}

// DefaultGRPCServer builds the plugin's gRPC server for go-plugin's
// ServeConfig.GRPCServer: go-plugin's default with GRPCServerOptions.
func DefaultGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	return plugin.DefaultGRPCServer(append(opts, GRPCServerOptions()...))
}

// ConnectorPlugin is the go-plugin plugin.GRPCPlugin for a connector. On
// the plugin side Impl is the connector to serve; on the host side it is
// unused and GRPCClient returns a *GRPCClient.
type ConnectorPlugin struct {
	// The connector wire is gRPC only.
	plugin.NetRPCUnsupportedPlugin

	// Impl is the connector served (plugin side only).
	Impl connectors.Connector
	// Logger receives panics recovered from Impl (plugin side only).
	Logger hclog.Logger
}

var _ plugin.GRPCPlugin = (*ConnectorPlugin)(nil)

// GRPCServer registers the connector service on s (plugin side).
func (p *ConnectorPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil {
		return errors.New("plugins: ConnectorPlugin.Impl is nil; pass the connector to plugins.Serve")
	}
	pb.RegisterConnectorServer(s, NewGRPCServer(p.Impl, p.Logger))
	return nil
}

// GRPCClient returns a *GRPCClient calling the plugin on c (host side).
func (p *ConnectorPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return NewGRPCClient(c), nil
}
