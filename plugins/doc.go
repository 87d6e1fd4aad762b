// Package plugins is the out-of-process wire between the Switchboard host
// and its connector plugins, built on hashicorp/go-plugin over gRPC.
//
// A plugin binary is a connectors.Connector plus three lines:
//
//	func main() { plugins.Serve(csv.New) }
//
// The host side lives in plugins/manager, which launches, supervises and
// restarts plugin processes and hands out connectors.Connector values that
// forward over this wire.
//
// # Wire format
//
// The gRPC service is defined in plugins/protocol/v1/connector.proto and
// mirrors the contract in package connectors field for field. Conversion
// rules:
//
//   - Contact.Fields and Company.Fields travel as google.protobuf.Struct. A
//     nil map stays nil and an empty map stays empty; numbers come back as
//     float64, and values that are not JSON-like are passed through
//     encoding/json first (a []string arrives as []any).
//   - Times travel as google.protobuf.Timestamp; the zero time is sent as
//     unset and comes back as the zero time. Other times come back in UTC.
//   - Empty slices arrive as nil slices (protobuf cannot tell them apart).
//   - Strings that are not valid UTF-8 (protobuf refuses them) have each
//     invalid byte sequence replaced by U+FFFD.
//
// # Errors
//
// A *connectors.Error returned by a connector travels as a gRPC status
// whose code follows its class (ClassBadConfig→FailedPrecondition,
// ClassUnavailable→Unavailable, ClassRateLimited→ResourceExhausted,
// ClassUnauthorized→Unauthenticated, ClassUnsupported→Unimplemented,
// ClassInvalidRequest→InvalidArgument, ClassPluginBug→Internal; an error
// caused by a context deadline or cancellation uses DeadlineExceeded or
// Canceled instead) and whose details carry a protocolv1.ErrorDetail with
// the class, the method and the full message. The host rebuilds an equal
// *connectors.Error from it (same Class, Op, Message and Error() text; the
// cause itself cannot cross the wire, except that context.DeadlineExceeded
// and context.Canceled are restored so errors.Is keeps working). A status
// without ErrorDetail (a plugin written in another language, or a transport
// failure) is classified from its code alone. A connector that panics
// answers with a ClassPluginBug error naming the method and the panic value;
// the stack goes to the plugin's log.
//
// # Message size
//
// Both sides accept messages up to MaxMessageSize (64 MB) so that a large
// page does not trip gRPC's default 4 MB limit. Connectors should page
// nonetheless: a page of a few thousand records keeps memory and latency in
// check on both sides.
package plugins
