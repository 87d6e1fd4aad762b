package wire

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	pb "github.com/switchboard-hq/switchboard/plugins/protocol/v1"
)

// GRPCServer is the plugin side of the wire: it serves a
// connectors.Connector as the generated protocolv1.ConnectorServer. Every
// RPC recovers from a panic in the connector and answers with a
// ClassPluginBug error instead of taking the process down.
type GRPCServer struct {
	pb.UnimplementedConnectorServer

	impl   connectors.Connector
	logger hclog.Logger
}

var _ pb.ConnectorServer = (*GRPCServer)(nil)

// NewGRPCServer wraps impl. The logger receives the stack of any panic; nil
// discards it.
func NewGRPCServer(impl connectors.Connector, logger hclog.Logger) *GRPCServer {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &GRPCServer{impl: impl, logger: logger}
}

// serve runs one call on the connector and encodes its answer, turning
// errors into status errors and panics into ClassPluginBug errors.
func serve[R, P any](s *GRPCServer, op string, call func() (*R, error), encode func(*R) (P, error)) (out P, err error) {
	defer func() {
		if v := recover(); v != nil {
			s.logger.Error("connector panicked; this is a bug in the connector",
				"method", op, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			var zero P
			out, err = zero, toStatus(op, &connectors.Error{
				Class: connectors.ClassPluginBug,
				Op:    op,
				Message: fmt.Sprintf("connector panicked in %s: %v "+
					"(a bug in the connector: report it to its author with the stack from the plugin's log)", op, v),
			})
		}
	}()
	resp, err := call()
	if err != nil {
		return out, toStatus(op, err)
	}
	if resp == nil {
		return out, toStatus(op, &connectors.Error{
			Class:   connectors.ClassPluginBug,
			Op:      op,
			Message: "the connector returned neither a response nor an error (a bug in the connector: report it to its author)",
		})
	}
	out, err = encode(resp)
	if err != nil {
		return out, toStatus(op, &connectors.Error{
			Class:   connectors.ClassPluginBug,
			Op:      op,
			Message: "the connector's response cannot be sent to the host (record fields must be JSON-like)",
			Err:     err,
		})
	}
	return out, nil
}

func noError[R, P any](f func(*R) P) func(*R) (P, error) {
	return func(r *R) (P, error) { return f(r), nil }
}

// Describe implements protocolv1.ConnectorServer.
func (s *GRPCServer) Describe(ctx context.Context, _ *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	return serve(s, "Describe",
		func() (*connectors.DescribeResponse, error) {
			return s.impl.Describe(ctx, &connectors.DescribeRequest{})
		},
		noError(describeToProto))
}

// Configure implements protocolv1.ConnectorServer.
func (s *GRPCServer) Configure(ctx context.Context, req *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	return serve(s, "Configure",
		func() (*connectors.ConfigureResponse, error) {
			return s.impl.Configure(ctx, configureRequestFromProto(req))
		},
		noError(configureResponseToProto))
}

// Check implements protocolv1.ConnectorServer.
func (s *GRPCServer) Check(ctx context.Context, _ *pb.CheckRequest) (*pb.CheckResponse, error) {
	return serve(s, "Check",
		func() (*connectors.CheckResponse, error) {
			return s.impl.Check(ctx, &connectors.CheckRequest{})
		},
		noError(checkResponseToProto))
}

// LookupByPhone implements protocolv1.ConnectorServer.
func (s *GRPCServer) LookupByPhone(ctx context.Context, req *pb.LookupRequest) (*pb.LookupResponse, error) {
	return serve(s, "LookupByPhone",
		func() (*connectors.LookupResponse, error) {
			return s.impl.LookupByPhone(ctx, lookupRequestFromProto(req))
		},
		lookupResponseToProto)
}

// ListCompanies implements protocolv1.ConnectorServer.
func (s *GRPCServer) ListCompanies(ctx context.Context, req *pb.ListRequest) (*pb.ListCompaniesResponse, error) {
	toProto := listCompaniesResponseToProto
	if req.GetPacked() {
		toProto = listCompaniesResponseToPacked
	}
	return serve(s, "ListCompanies",
		func() (*connectors.ListCompaniesResponse, error) {
			return s.impl.ListCompanies(ctx, listRequestFromProto(req))
		},
		toProto)
}

// ListContacts implements protocolv1.ConnectorServer.
func (s *GRPCServer) ListContacts(ctx context.Context, req *pb.ListRequest) (*pb.ListContactsResponse, error) {
	toProto := listContactsResponseToProto
	if req.GetPacked() {
		toProto = listContactsResponseToPacked
	}
	return serve(s, "ListContacts",
		func() (*connectors.ListContactsResponse, error) {
			return s.impl.ListContacts(ctx, listRequestFromProto(req))
		},
		toProto)
}
