// Package wire is the connector protocol's plumbing, shared by the plugin
// side (plugins.Serve), the host side (plugins/manager) and the in-process
// test wire (plugins.ServeTest): the go-plugin handshake and plugin sets,
// the gRPC client and server, the conversions between the contract's Go
// types and protocol/v1, the mapping of connector errors onto gRPC
// statuses, and reattach configs for debug mode. Nothing here is for
// connector authors, which is why it is internal.
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
// # Optional methods
//
// The writes (LogCall, CreateContact) and LookupByKey are served for every
// connector: one that does not implement connectors.CallLogger,
// connectors.ContactCreator or connectors.KeyLookuper answers
// ClassUnsupported, and GRPCClient implements all three. LookupByKey came
// without a protocol version (the capability lookup_by_key gates it): a
// plugin built before it answers gRPC's UNIMPLEMENTED, which the client
// turns into a ClassUnsupported error saying to rebuild the plugin. Its
// request's Value may be a secret's hash: it is never logged here.
//
// # Lookup channel
//
// LookupByPhone, the call every ring makes in live mode, goes over a
// lookup channel when the plugin has one (channel.go): a small pool of
// connections beside the gRPC one, each a TLS 1.3 unix-socket connection
// whose two certificates were exchanged, and are pinned, over the gRPC
// connection go-plugin's AutoMTLS authenticates. Each connection carries
// one call at a time, with no goroutine hand-off on either side; a call
// that finds no idle connection is a unary RPC. The host asks for it with
// OpenLookupChannel after Describe; a plugin built before the method
// answers UNIMPLEMENTED and its lookups stay unary RPCs, and a host built
// before it never asks. Answers, errors and deadlines are those of the
// unary call; a canceled call returns at once, but the connector's
// context ends only at its deadline.
//
// # Message size
//
// Both sides accept messages up to MaxMessageSize (64 MB) so that a large
// page does not trip gRPC's default 4 MB limit. Connectors should page
// nonetheless: a page of a few thousand records keeps memory and latency in
// check on both sides.
package wire
