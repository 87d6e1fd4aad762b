package wire

import (
	"context"
	"fmt"
	"sync/atomic"

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
	// channel carries LookupByPhone once OpenLookupChannel succeeded
	// (channel.go); nil: every call is a unary RPC.
	channel atomic.Pointer[lookupChannel]
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

// LookupByPhone implements connectors.Connector. It goes over an idle
// connection of the lookup channel when there is one, and is a unary RPC
// otherwise.
func (c *GRPCClient) LookupByPhone(ctx context.Context, req *connectors.LookupRequest) (*connectors.LookupResponse, error) {
	if req == nil {
		req = &connectors.LookupRequest{}
	}
	if ch := c.channel.Load(); ch != nil {
		if conn := ch.take(); conn != nil {
			resp, reusable, err := conn.lookup(ctx, req)
			if reusable {
				ch.put(conn)
			} else {
				ch.drop(conn)
			}
			return resp, err
		}
	}
	return c.LookupByPhoneUnary(ctx, req)
}

// LookupByPhoneUnary is LookupByPhone as a unary RPC, whether or not a
// lookup channel is open: what a host does with a plugin that predates
// the channel (for benchmarks and tests).
func (c *GRPCClient) LookupByPhoneUnary(ctx context.Context, req *connectors.LookupRequest) (*connectors.LookupResponse, error) {
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
	preq := listRequestToProto(req)
	preq.Packed = true
	resp, err := c.client.ListCompanies(ctx, preq)
	if err != nil {
		return nil, fromStatus("ListCompanies", err)
	}
	return listCompaniesResponseFromProto(resp)
}

// ListContacts implements connectors.Connector.
func (c *GRPCClient) ListContacts(ctx context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	if req == nil {
		req = &connectors.ListRequest{}
	}
	preq := listRequestToProto(req)
	preq.Packed = true
	resp, err := c.client.ListContacts(ctx, preq)
	if err != nil {
		return nil, fromStatus("ListContacts", err)
	}
	return listContactsResponseFromProto(resp)
}

// OpenLookupChannel negotiates a lookup channel with the plugin and, when
// the plugin speaks one, sends LookupByPhone over it from then on (see
// channel.go): it opens the first connection of the channel's pool, and
// the pool grows as concurrent lookups need. It returns ErrNoLookupChannel
// for a plugin built before the channel existed, and another error when
// opening it failed; either way lookups keep working as unary RPCs.
// Opening a channel again replaces the open one.
func (c *GRPCClient) OpenLookupChannel(ctx context.Context) error {
	first, err := c.openChannelConn(ctx)
	if err != nil {
		return err
	}
	if old := c.channel.Swap(newLookupChannel(first, c.openChannelConn)); old != nil {
		old.close()
	}
	return nil
}

// openChannelConn opens one channel connection.
func (c *GRPCClient) openChannelConn(ctx context.Context) (*channelConn, error) {
	cert, err := newChannelCertificate()
	if err != nil {
		return nil, fmt.Errorf("lookup channel: making a certificate: %w", err)
	}
	resp, err := c.client.OpenLookupChannel(ctx, &pb.OpenLookupChannelRequest{
		Version:           LookupChannelVersion,
		ClientCertificate: cert.Certificate[0],
	})
	if err != nil {
		if methodUnknown(err) {
			return nil, ErrNoLookupChannel
		}
		return nil, fmt.Errorf("lookup channel: %w", fromStatus("OpenLookupChannel", err))
	}
	conn, err := dialChannelConn(ctx, resp, cert)
	if err != nil {
		return nil, fmt.Errorf("lookup channel: %w", err)
	}
	return conn, nil
}

// LookupChannelOpen reports whether a lookup channel is open.
func (c *GRPCClient) LookupChannelOpen() bool {
	return c.channel.Load() != nil
}

// Close closes the lookup channel, if one is open: calls in flight on it
// fail, and later lookups go over gRPC. The gRPC connection itself
// belongs to go-plugin.
func (c *GRPCClient) Close() error {
	if ch := c.channel.Swap(nil); ch != nil {
		ch.close()
	}
	return nil
}
