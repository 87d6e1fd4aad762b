package wire

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/switchboard-hq/switchboard/connectors"
	pb "github.com/switchboard-hq/switchboard/plugins/protocol/v1"
)

// Lookups by key (connectors/keys.go), both sides. The method has no
// protocol version of its own: the capability gates it (the host asks
// only a plugin that declares lookup_by_key), the served connector that
// lacks connectors.KeyLookuper answers ClassUnsupported, and a plugin
// built before the method existed answers gRPC's UNIMPLEMENTED, which the
// client turns into ClassUnsupported too.
//
// KeyLookupRequest.Value may be a secret's hash: nothing here logs a
// request, and no error built here quotes it.

var _ connectors.KeyLookuper = (*GRPCClient)(nil)

// LookupByKey implements protocolv1.ConnectorServer.
func (s *GRPCServer) LookupByKey(ctx context.Context, req *pb.KeyLookupRequest) (*pb.KeyLookupResponse, error) {
	return serve(s, "LookupByKey",
		func() (*connectors.KeyLookupResponse, error) {
			l, ok := s.impl.(connectors.KeyLookuper)
			if !ok {
				return nil, &connectors.Error{Class: connectors.ClassUnsupported, Op: "LookupByKey",
					Message: fmt.Sprintf("this connector cannot look records up by key (it does not declare %q); "+
						"look keys up in a connector that does", connectors.CapLookupByKey)}
			}
			return l.LookupByKey(ctx, keyLookupRequestFromProto(req))
		},
		keyLookupResponseToProto)
}

// LookupByKey implements connectors.KeyLookuper.
func (c *GRPCClient) LookupByKey(ctx context.Context, req *connectors.KeyLookupRequest) (*connectors.KeyLookupResponse, error) {
	if req == nil {
		req = &connectors.KeyLookupRequest{}
	}
	resp, err := c.client.LookupByKey(ctx, keyLookupRequestToProto(req))
	if err != nil {
		if methodUnknown(err) {
			return nil, &connectors.Error{Class: connectors.ClassUnsupported, Op: "LookupByKey",
				Message: "the plugin was built before lookups by key existed (it does not know the LookupByKey method): " +
					"rebuild it against this switchboard's connectors package, or look keys up in another connector"}
		}
		return nil, fromStatus("LookupByKey", err)
	}
	return keyLookupResponseFromProto(resp), nil
}

// methodUnknown reports an UNIMPLEMENTED status that no connector sent
// (it carries no ErrorDetail): gRPC's own answer for a method the
// plugin's service does not have.
func methodUnknown(err error) bool {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.Unimplemented {
		return false
	}
	for _, d := range st.Details() {
		if _, ok := d.(*pb.ErrorDetail); ok {
			return false
		}
	}
	return true
}

func keyLookupRequestToProto(r *connectors.KeyLookupRequest) *pb.KeyLookupRequest {
	return &pb.KeyLookupRequest{Field: utf8String(r.Field), Value: utf8String(r.Value),
		Limit: int64(r.Limit), RecordId: utf8String(r.RecordID)}
}

func keyLookupRequestFromProto(r *pb.KeyLookupRequest) *connectors.KeyLookupRequest {
	return &connectors.KeyLookupRequest{Field: r.GetField(), Value: r.GetValue(),
		Limit: int(r.GetLimit()), RecordID: r.GetRecordId()}
}

func keyLookupResponseToProto(r *connectors.KeyLookupResponse) (*pb.KeyLookupResponse, error) {
	ms, err := matchesToProto(r.Matches)
	if err != nil {
		return nil, err
	}
	return &pb.KeyLookupResponse{Matches: ms}, nil
}

func keyLookupResponseFromProto(r *pb.KeyLookupResponse) *connectors.KeyLookupResponse {
	return &connectors.KeyLookupResponse{Matches: matchesFromProto(r.GetMatches())}
}
