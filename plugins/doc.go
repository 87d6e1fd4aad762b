// Package plugins is the out-of-process wire between the Switchboard host
// and its connector plugins, built on hashicorp/go-plugin over gRPC.
//
// A plugin binary is a connectors.Connector plus three lines:
//
//	func main() { plugins.Serve(csv.New) }
//
// The host side lives in plugins/manager, which launches, supervises and
// restarts plugin processes and hands out connectors.Connector values that
// forward over this wire. The wire itself (gRPC service, conversions,
// error mapping) is internal; the service is defined in
// plugins/protocol/v1/connector.proto, mirrors package connectors field for
// field, and carries an error's class across.
//
// A connector author needs Serve, and for debugging DebugEnv, LogLevelEnv
// and ReattachEnv. ServeTest runs a connector over the real wire inside a
// test (package connectortest does, for the conformance suite).
package plugins
