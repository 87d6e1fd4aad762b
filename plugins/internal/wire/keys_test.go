package wire

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/plugins/internal/plugintest"
	pb "github.com/switchboard-hq/switchboard/plugins/protocol/v1"
)

// The round trip, error classes, panics and nil answers of LookupByKey
// are in grpc_test.go's methods; these are what only it has.

func TestKeyLookupConversions(t *testing.T) {
	for _, in := range []connectors.KeyLookupRequest{{}, {Field: "order_numbers", Value: " sha256:ab ü ", Limit: 7, RecordID: unicode}} {
		got := keyLookupRequestFromProto(roundTrip(t, keyLookupRequestToProto(&in), &pb.KeyLookupRequest{}))
		if *got != in {
			t.Errorf("request: got %#v, want %#v", *got, in)
		}
	}
	ada := connectors.Contact{ID: "c1", FirstName: "Ada", Fields: map[string]any{"account_no": "AB-12", "orders": []any{"o1", "o2"}}}
	for _, in := range []connectors.KeyLookupResponse{
		{},
		{Matches: []connectors.Match{{Contact: &ada, Kind: connectors.MatchKey}, {Company: &connectors.Company{ID: "k1"}, Kind: connectors.MatchKey}}},
	} {
		p, err := keyLookupResponseToProto(&in)
		if err != nil {
			t.Fatal(err)
		}
		got := keyLookupResponseFromProto(roundTrip(t, p, &pb.KeyLookupResponse{}))
		if !reflect.DeepEqual(*got, in) {
			t.Errorf("response: got %#v, want %#v", *got, in)
		}
	}
}

// A connector without connectors.KeyLookuper is asked anyway: the wire
// answers unsupported, naming the capability, and never calls it.
func TestGRPCLookupByKeyUnsupported(t *testing.T) {
	impl := &scripted{keys: &connectors.KeyLookupResponse{}}
	conn := connect(t, struct{ connectors.Connector }{impl}, &plugintest.SyncBuffer{})
	_, err := conn.(connectors.KeyLookuper).LookupByKey(context.Background(), &connectors.KeyLookupRequest{Field: "account_no", Value: "secret-value"})
	if connectors.ClassOf(err) != connectors.ClassUnsupported || !strings.Contains(err.Error(), `"lookup_by_key"`) {
		t.Errorf("got %v; want an unsupported error naming lookup_by_key", err)
	}
	if strings.Contains(err.Error(), "secret-value") {
		t.Errorf("the error %q quotes the value looked for", err)
	}
	if len(impl.reqs) != 0 {
		t.Errorf("the connector was called: %v", impl.reqs)
	}
}

// A plugin built before LookupByKey existed serves the service without
// it, and gRPC answers UNIMPLEMENTED: the host reads unsupported, saying
// to rebuild the plugin.
func TestGRPCLookupByKeyOfAnOlderPlugin(t *testing.T) {
	old := pb.Connector_ServiceDesc
	old.Methods = nil
	for _, m := range pb.Connector_ServiceDesc.Methods {
		if m.MethodName != "LookupByKey" {
			old.Methods = append(old.Methods, m)
		}
	}
	impl := &scripted{check: &connectors.CheckResponse{Records: 3, Detail: "3"}, keys: &connectors.KeyLookupResponse{}}
	cc, _ := plugin.TestGRPCConn(t, func(s *grpc.Server) {
		s.RegisterService(&old, NewGRPCServer(impl, nil))
	})
	t.Cleanup(func() { _ = cc.Close() })
	conn := NewGRPCClient(cc)

	if _, err := conn.Check(context.Background(), nil); err != nil {
		t.Fatalf("Check on the older plugin: %v", err)
	}
	_, err := conn.LookupByKey(context.Background(), &connectors.KeyLookupRequest{Field: "account_no", Value: "secret-value"})
	var ce *connectors.Error
	if connectors.ClassOf(err) != connectors.ClassUnsupported || !strings.Contains(err.Error(), "rebuild it") {
		t.Fatalf("got %v; want an unsupported error saying to rebuild the plugin", err)
	}
	if ce, _ = err.(*connectors.Error); ce == nil || ce.Op != "LookupByKey" {
		t.Errorf("got %#v; want a *connectors.Error of LookupByKey", err)
	}
	if strings.Contains(err.Error(), "secret-value") {
		t.Errorf("the error %q quotes the value looked for", err)
	}
}

// A connector's own unsupported answer (the capability turned off by its
// block) is its own, not mistaken for an older plugin's.
func TestGRPCLookupByKeyUnsupportedByTheConnector(t *testing.T) {
	sent := connectors.Errorf(connectors.ClassUnsupported, "LookupByKey", "no key fields in this block: map fields")
	conn := connect(t, &scripted{err: sent}, &plugintest.SyncBuffer{})
	_, err := conn.(connectors.KeyLookuper).LookupByKey(context.Background(), &connectors.KeyLookupRequest{Field: "x", Value: "y"})
	if err == nil || err.Error() != sent.Error() {
		t.Errorf("got %v; want the connector's %v", err, sent)
	}
}
