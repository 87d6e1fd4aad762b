package wire

import (
	"context"
	"fmt"

	"github.com/switchboard-hq/switchboard/connectors"
	pb "github.com/switchboard-hq/switchboard/plugins/protocol/v1"
)

// The writes of protocol version 2 (connectors/write.go), both sides.

var (
	_ connectors.CallLogger     = (*GRPCClient)(nil)
	_ connectors.ContactCreator = (*GRPCClient)(nil)
)

// unsupported is the error of a write the served connector does not
// implement.
func unsupported(op string, c connectors.Capability) error {
	return &connectors.Error{Class: connectors.ClassUnsupported, Op: op,
		Message: fmt.Sprintf("this connector cannot %s (it does not declare %q); write to a connector that does, or remove the action", op, c)}
}

// LogCall implements protocolv1.ConnectorServer.
func (s *GRPCServer) LogCall(ctx context.Context, req *pb.LogCallRequest) (*pb.LogCallResponse, error) {
	return serve(s, "LogCall",
		func() (*connectors.LogCallResponse, error) {
			w, ok := s.impl.(connectors.CallLogger)
			if !ok {
				return nil, unsupported("LogCall", connectors.CapLogCall)
			}
			return w.LogCall(ctx, logCallRequestFromProto(req))
		},
		noError(func(r *connectors.LogCallResponse) *pb.LogCallResponse {
			return &pb.LogCallResponse{Id: utf8String(r.ID), Existing: r.Existing}
		}))
}

// CreateContact implements protocolv1.ConnectorServer.
func (s *GRPCServer) CreateContact(ctx context.Context, req *pb.CreateContactRequest) (*pb.CreateContactResponse, error) {
	return serve(s, "CreateContact",
		func() (*connectors.CreateContactResponse, error) {
			w, ok := s.impl.(connectors.ContactCreator)
			if !ok {
				return nil, unsupported("CreateContact", connectors.CapCreateContact)
			}
			return w.CreateContact(ctx, createContactRequestFromProto(req))
		},
		func(r *connectors.CreateContactResponse) (*pb.CreateContactResponse, error) {
			c, err := contactToProto(&r.Contact)
			if err != nil {
				return nil, err
			}
			return &pb.CreateContactResponse{Contact: c, Existing: r.Existing}, nil
		})
}

// LogCall implements connectors.CallLogger.
func (c *GRPCClient) LogCall(ctx context.Context, req *connectors.LogCallRequest) (*connectors.LogCallResponse, error) {
	if req == nil {
		req = &connectors.LogCallRequest{}
	}
	resp, err := c.client.LogCall(ctx, logCallRequestToProto(req))
	if err != nil {
		return nil, fromStatus("LogCall", err)
	}
	return &connectors.LogCallResponse{ID: resp.GetId(), Existing: resp.GetExisting()}, nil
}

// CreateContact implements connectors.ContactCreator.
func (c *GRPCClient) CreateContact(ctx context.Context, req *connectors.CreateContactRequest) (*connectors.CreateContactResponse, error) {
	if req == nil {
		req = &connectors.CreateContactRequest{}
	}
	resp, err := c.client.CreateContact(ctx, &pb.CreateContactRequest{
		Phone: utf8String(req.Phone), FirstName: utf8String(req.FirstName), LastName: utf8String(req.LastName),
		CompanyId: utf8String(req.CompanyID), OwnerId: utf8String(req.OwnerID), Key: utf8String(req.Key),
	})
	if err != nil {
		return nil, fromStatus("CreateContact", err)
	}
	out := &connectors.CreateContactResponse{Existing: resp.GetExisting()}
	if resp.GetContact() != nil {
		out.Contact = contactFromProto(resp.GetContact())
	}
	return out, nil
}

func logCallRequestToProto(r *connectors.LogCallRequest) *pb.LogCallRequest {
	c := &r.Call
	return &pb.LogCallRequest{
		Key: utf8String(r.Key), ContactId: utf8String(r.ContactID), CompanyId: utf8String(r.CompanyID),
		Call: &pb.CallRecord{
			Id: utf8String(c.ID), Direction: string(c.Direction), From: utf8String(c.From), To: utf8String(c.To),
			StartedAt: timeToProto(c.StartedAt), AnsweredAt: timeToProto(c.AnsweredAt), EndedAt: timeToProto(c.EndedAt),
			TalkSeconds: int64(c.TalkSeconds), Outcome: string(c.Outcome),
			AgentId: utf8String(c.AgentID), AgentName: utf8String(c.AgentName), OwnerId: utf8String(c.OwnerID),
			RecordingUrl: utf8String(c.RecordingURL), Title: utf8String(c.Title), Body: utf8String(c.Body),
		},
	}
}

func logCallRequestFromProto(r *pb.LogCallRequest) *connectors.LogCallRequest {
	c := r.GetCall()
	return &connectors.LogCallRequest{
		Key: r.GetKey(), ContactID: r.GetContactId(), CompanyID: r.GetCompanyId(),
		Call: connectors.CallRecord{
			ID: c.GetId(), Direction: connectors.CallDirection(c.GetDirection()), From: c.GetFrom(), To: c.GetTo(),
			StartedAt: timeFromProto(c.GetStartedAt()), AnsweredAt: timeFromProto(c.GetAnsweredAt()), EndedAt: timeFromProto(c.GetEndedAt()),
			TalkSeconds: int(c.GetTalkSeconds()), Outcome: connectors.CallOutcome(c.GetOutcome()),
			AgentID: c.GetAgentId(), AgentName: c.GetAgentName(), OwnerID: c.GetOwnerId(),
			RecordingURL: c.GetRecordingUrl(), Title: c.GetTitle(), Body: c.GetBody(),
		},
	}
}

func createContactRequestFromProto(r *pb.CreateContactRequest) *connectors.CreateContactRequest {
	return &connectors.CreateContactRequest{Phone: r.GetPhone(), FirstName: r.GetFirstName(), LastName: r.GetLastName(),
		CompanyID: r.GetCompanyId(), OwnerID: r.GetOwnerId(), Key: r.GetKey()}
}
