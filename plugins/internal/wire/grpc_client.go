package wire

import (
	"context"

	"google.golang.org/grpc"

	"github.com/switchboard-hq/switchboard/connectors"
	pb "github.com/switchboard-hq/switchboard/plugins/protocol/v1"
)

// GRPCClient is the host side of the wire: a connectors.Connector that
// forwards every call to a plugin over gRPC. Context deadlines and
// cancellation travel with each call. Errors come back as the
// *connectors.Error the connector returned (see the package doc); a
// plugin that cannot be reached yields a ClassUnavailable error wrapping
// ErrConnectionLost. It is safe for concurrent use.
type GRPCClient struct {
	client pb.ConnectorClient
}

var _ connectors.Connector = (*GRPCClient)(nil)

// NewGRPCClient returns a connector that calls the plugin on cc.
func NewGRPCClient(cc grpc.ClientConnInterface) *GRPCClient {
	return &GRPCClient{client: pb.NewConnectorClient(cc)}
}

// Describe implements connectors.Connector.
func (c *GRPCClient) Describe(ctx context.Context, _ *connectors.DescribeRequest) (*connectors.DescribeResponse, error) {
	resp, err := c.client.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		return nil, fromStatus("Describe", err)
	}
	return describeFromProto(resp), nil
}

// Configure implements connectors.Connector.
func (c *GRPCClient) Configure(ctx context.Context, req *connectors.ConfigureRequest) (*connectors.ConfigureResponse, error) {
	if req == nil {
		req = &connectors.ConfigureRequest{}
	}
	resp, err := c.client.Configure(ctx, configureRequestToProto(req))
	if err != nil {
		return nil, fromStatus("Configure", err)
	}
	return configureResponseFromProto(resp), nil
}

// Check implements connectors.Connector.
func (c *GRPCClient) Check(ctx context.Context, _ *connectors.CheckRequest) (*connectors.CheckResponse, error) {
	resp, err := c.client.Check(ctx, &pb.CheckRequest{})
	if err != nil {
		return nil, fromStatus("Check", err)
	}
	return checkResponseFromProto(resp), nil
}

// LookupByPhone implements connectors.Connector.
func (c *GRPCClient) LookupByPhone(ctx context.Context, req *connectors.LookupRequest) (*connectors.LookupResponse, error) {
	if req == nil {
		req = &connectors.LookupRequest{}
	}
	resp, err := c.client.LookupByPhone(ctx, lookupRequestToProto(req))
	if err != nil {
		return nil, fromStatus("LookupByPhone", err)
	}
	return lookupResponseFromProto(resp), nil
}

// ListCompanies implements connectors.Connector.
func (c *GRPCClient) ListCompanies(ctx context.Context, req *connectors.ListRequest) (*connectors.ListCompaniesResponse, error) {
	if req == nil {
		req = &connectors.ListRequest{}
	}
	resp, err := c.client.ListCompanies(ctx, listRequestToProto(req))
	if err != nil {
		return nil, fromStatus("ListCompanies", err)
	}
	return listCompaniesResponseFromProto(resp), nil
}

// ListContacts implements connectors.Connector.
func (c *GRPCClient) ListContacts(ctx context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	if req == nil {
		req = &connectors.ListRequest{}
	}
	resp, err := c.client.ListContacts(ctx, listRequestToProto(req))
	if err != nil {
		return nil, fromStatus("ListContacts", err)
	}
	return listContactsResponseFromProto(resp), nil
}
