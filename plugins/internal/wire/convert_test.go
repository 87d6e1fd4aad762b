package wire

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/switchboard-hq/switchboard/connectors"
	pb "github.com/switchboard-hq/switchboard/plugins/protocol/v1"
)

var (
	when    = time.Date(2024, 3, 1, 12, 30, 45, 123456789, time.UTC)
	ankara  = time.FixedZone("TRT", 3*3600)
	nested  = map[string]any{"tier": "gold", "balance": 12.5, "vip": true, "note": nil, "tags": []any{"a", 1.0, map[string]any{"deep": []any{}}}, "addr": map[string]any{"city": "İstanbul", "zip": "34000"}}
	unicode = "Zoë Ğüşçö 東京 🚀"
)

// roundTrip marshals m to bytes and back, as the wire does.
func roundTrip[M proto.Message](t *testing.T, m M, into M) M {
	t.Helper()
	raw, err := proto.Marshal(m)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	if err := proto.Unmarshal(raw, into); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	return into
}

func TestContactRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   connectors.Contact
		want connectors.Contact // zero: same as in
	}{
		{name: "zero"},
		{name: "only id", in: connectors.Contact{ID: "c1"}},
		{
			name: "everything",
			in: connectors.Contact{
				ID: "c1", FirstName: "Ada", LastName: "Lovelace", CompanyID: "k1", CompanyName: "Analytical",
				Phones:  []connectors.Phone{{Raw: "0212 555 12 34 / 101", Label: "work", E164: "+902125551234", Extension: "101"}, {Raw: "x"}},
				Emails:  []string{"ada@example.com", "a@l.org"},
				OwnerID: "u7", JobTitle: "Countess",
				Fields:    nested,
				UpdatedAt: when,
			},
		},
		{name: "unicode", in: connectors.Contact{ID: unicode, FirstName: unicode, Fields: map[string]any{unicode: unicode}}},
		{name: "empty fields map stays empty", in: connectors.Contact{ID: "c", Fields: map[string]any{}}},
		{
			name: "empty slices arrive nil",
			in:   connectors.Contact{ID: "c", Phones: []connectors.Phone{}, Emails: []string{}},
			want: connectors.Contact{ID: "c"},
		},
		{
			name: "time comes back in UTC",
			in:   connectors.Contact{ID: "c", UpdatedAt: when.In(ankara)},
			want: connectors.Contact{ID: "c", UpdatedAt: when},
		},
		{
			name: "numbers become float64, other types go through JSON",
			in:   connectors.Contact{ID: "c", Fields: map[string]any{"n": 3, "u": uint8(4), "f": float32(0.5), "list": []string{"x", "y"}, "m": map[string]int{"a": 1}}},
			want: connectors.Contact{ID: "c", Fields: map[string]any{"n": 3.0, "u": 4.0, "f": 0.5, "list": []any{"x", "y"}, "m": map[string]any{"a": 1.0}}},
		},
		{
			name: "invalid UTF-8 is replaced",
			in:   connectors.Contact{ID: "c\xff", Emails: []string{"a\xfe@b"}, Fields: map[string]any{"k\xff": "v\xff"}},
			want: connectors.Contact{ID: "c\uFFFD", Emails: []string{"a\uFFFD@b"}, Fields: map[string]any{"k\uFFFD": "v\uFFFD"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if reflect.DeepEqual(want, connectors.Contact{}) {
				want = tt.in
			}
			msg, err := contactToProto(&tt.in)
			if err != nil {
				t.Fatalf("contactToProto: %v", err)
			}
			got := contactFromProto(roundTrip(t, msg, &pb.Contact{}))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip:\n got %#v\nwant %#v", got, want)
			}
		})
	}
}

func TestCompanyRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   connectors.Company
	}{
		{name: "zero"},
		{name: "everything", in: connectors.Company{
			ID: "k1", Name: "Acme Ltd", Website: "https://acme.example", OwnerID: "u1",
			Phones: []connectors.Phone{{Raw: "+44 20 4520 5757", E164: "+442045205757"}},
			Emails: []string{"info@acme.example"}, Fields: nested, UpdatedAt: when,
		}},
		{name: "unicode", in: connectors.Company{ID: "k", Name: unicode}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := companyToProto(&tt.in)
			if err != nil {
				t.Fatalf("companyToProto: %v", err)
			}
			got := companyFromProto(roundTrip(t, msg, &pb.Company{}))
			if !reflect.DeepEqual(got, tt.in) {
				t.Errorf("round trip:\n got %#v\nwant %#v", got, tt.in)
			}
		})
	}
}

func TestLookupResponseRoundTrip(t *testing.T) {
	contact := &connectors.Contact{ID: "c1", FirstName: "Ada", Fields: map[string]any{"tier": "gold"}}
	company := &connectors.Company{ID: "k1", Name: "Acme"}
	tests := []struct {
		name string
		in   connectors.LookupResponse
	}{
		{name: "no matches"},
		{name: "contact and company matches", in: connectors.LookupResponse{Matches: []connectors.Match{
			{Contact: contact, Kind: connectors.MatchExact, Phone: connectors.Phone{E164: "+442045205757"}},
			{Company: company, Kind: connectors.MatchNational, Phone: connectors.Phone{Raw: "020 4520 5757"}},
		}}},
		{name: "neither set survives", in: connectors.LookupResponse{Matches: []connectors.Match{{Kind: connectors.MatchSuffix}}}},
		{name: "both set survive", in: connectors.LookupResponse{Matches: []connectors.Match{{Contact: contact, Company: company}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := lookupResponseToProto(&tt.in)
			if err != nil {
				t.Fatalf("lookupResponseToProto: %v", err)
			}
			got := lookupResponseFromProto(roundTrip(t, msg, &pb.LookupResponse{}))
			if !reflect.DeepEqual(*got, tt.in) {
				t.Errorf("round trip:\n got %#v\nwant %#v", *got, tt.in)
			}
		})
	}
}

func TestRequestRoundTrips(t *testing.T) {
	t.Run("configure", func(t *testing.T) {
		for _, in := range []connectors.ConfigureRequest{
			{},
			{Config: []byte("path: müşteri.csv\n"), DefaultRegion: "TR", BaseDir: "/etc/switchboard", ValidateOnly: true, ListedOnly: true},
		} {
			got := configureRequestFromProto(roundTrip(t, configureRequestToProto(&in), &pb.ConfigureRequest{}))
			if string(got.Config) != string(in.Config) || got.DefaultRegion != in.DefaultRegion ||
				got.BaseDir != in.BaseDir || got.ValidateOnly != in.ValidateOnly || got.ListedOnly != in.ListedOnly {
				t.Errorf("got %#v, want %#v", got, in)
			}
		}
	})
	t.Run("lookup", func(t *testing.T) {
		for _, in := range []connectors.LookupRequest{{}, {E164: "+442045205757", National: "2045205757", Raw: "020 4520 5757", Limit: 5}} {
			got := lookupRequestFromProto(roundTrip(t, lookupRequestToProto(&in), &pb.LookupRequest{}))
			if *got != in {
				t.Errorf("got %#v, want %#v", *got, in)
			}
		}
	})
	t.Run("list", func(t *testing.T) {
		for _, in := range []connectors.ListRequest{{}, {Cursor: "opaque/ü", PageSize: 500, ChangedSince: when}} {
			got := listRequestFromProto(roundTrip(t, listRequestToProto(&in), &pb.ListRequest{}))
			if !reflect.DeepEqual(*got, in) {
				t.Errorf("got %#v, want %#v", *got, in)
			}
		}
	})
}

func TestResponseRoundTrips(t *testing.T) {
	t.Run("describe", func(t *testing.T) {
		for _, in := range []connectors.DescribeResponse{
			{},
			{Name: "csv", Version: "1.2.3", ProtocolVersion: 1, Description: "CSV files ✓",
				Capabilities: []connectors.Capability{connectors.CapLookup, connectors.CapChangedSince}},
		} {
			got := describeFromProto(roundTrip(t, describeToProto(&in), &pb.DescribeResponse{}))
			if !reflect.DeepEqual(*got, in) {
				t.Errorf("got %#v, want %#v", *got, in)
			}
		}
	})
	t.Run("configure", func(t *testing.T) {
		for _, in := range []connectors.ConfigureResponse{
			{},
			{Problems: []connectors.Problem{{Path: "columns.phones.1", Message: "no such column"}, {Message: "whole block"}}},
		} {
			got := configureResponseFromProto(roundTrip(t, configureResponseToProto(&in), &pb.ConfigureResponse{}))
			if !reflect.DeepEqual(*got, in) {
				t.Errorf("got %#v, want %#v", *got, in)
			}
		}
	})
	t.Run("check", func(t *testing.T) {
		for _, in := range []connectors.CheckResponse{{}, {Records: -1, Detail: "unknown"}, {Records: math.MaxInt64, Detail: unicode}} {
			got := checkResponseFromProto(roundTrip(t, checkResponseToProto(&in), &pb.CheckResponse{}))
			if *got != in {
				t.Errorf("got %#v, want %#v", *got, in)
			}
		}
	})
	// Both forms of a page: a message per record, and packed (what a
	// host of this version asks for).
	t.Run("list companies", func(t *testing.T) {
		for _, in := range []connectors.ListCompaniesResponse{{}, {Companies: []connectors.Company{{ID: "1"}, {ID: "2", Fields: nested}}, NextCursor: "2"}} {
			for form, toProto := range map[string]func(*connectors.ListCompaniesResponse) (*pb.ListCompaniesResponse, error){
				"messages": listCompaniesResponseToProto, "packed": listCompaniesResponseToPacked} {
				msg, err := toProto(&in)
				if err != nil {
					t.Fatal(err)
				}
				got, err := listCompaniesResponseFromProto(roundTrip(t, msg, &pb.ListCompaniesResponse{}))
				if err != nil || !reflect.DeepEqual(*got, in) {
					t.Errorf("%s: got %#v (%v), want %#v", form, got, err, in)
				}
			}
		}
	})
	t.Run("list contacts", func(t *testing.T) {
		for _, in := range []connectors.ListContactsResponse{{}, {Contacts: []connectors.Contact{{ID: "1", UpdatedAt: when}, {ID: "2", Fields: nested,
			Phones: []connectors.Phone{{Raw: "020", E164: "+4420", Label: "x", Extension: "1"}}}}, NextCursor: "x"}} {
			for form, toProto := range map[string]func(*connectors.ListContactsResponse) (*pb.ListContactsResponse, error){
				"messages": listContactsResponseToProto, "packed": listContactsResponseToPacked} {
				msg, err := toProto(&in)
				if err != nil {
					t.Fatal(err)
				}
				got, err := listContactsResponseFromProto(roundTrip(t, msg, &pb.ListContactsResponse{}))
				if err != nil || !reflect.DeepEqual(*got, in) {
					t.Errorf("%s: got %#v (%v), want %#v", form, got, err, in)
				}
			}
		}
	})
	t.Run("a packed page the host cannot read", func(t *testing.T) {
		_, err := listContactsResponseFromProto(&pb.ListContactsResponse{Packed: []byte{0xff}, PackedCount: 1})
		if connectors.ClassOf(err) != connectors.ClassPluginBug || !strings.Contains(err.Error(), "packed page") {
			t.Errorf("error %v (class %s), want a plugin bug about the packed page", err, connectors.ClassOf(err))
		}
	})
}

func TestFieldsThatCannotBeEncoded(t *testing.T) {
	tests := []struct {
		name  string
		value any
	}{
		{"channel", make(chan int)},
		{"function", func() {}},
		{"nested channel", []any{"ok", map[string]any{"bad": make(chan int)}}},
		{"bad json.Number", map[string]any{"n": json.Number("1e999")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := connectors.Contact{ID: "c9", Fields: map[string]any{"x": tt.value}}
			_, err := contactToProto(&c)
			if err == nil {
				t.Fatal("want an error")
			}
			if !strings.Contains(err.Error(), `contact "c9"`) || !strings.Contains(err.Error(), "fields.x") {
				t.Errorf("error %q does not say where the bad value is", err)
			}
			_, err = listContactsResponseToPacked(&connectors.ListContactsResponse{Contacts: []connectors.Contact{c}})
			if err == nil || !strings.Contains(err.Error(), `contact "c9"`) || !strings.Contains(err.Error(), "fields.x") {
				t.Errorf("packed: error %v does not say where the bad value is", err)
			}
		})
	}
}

func TestZeroTimeIsUnset(t *testing.T) {
	msg, err := contactToProto(&connectors.Contact{ID: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if msg.UpdatedAt != nil {
		t.Errorf("zero time sent as %v, want unset", msg.UpdatedAt)
	}
	if got := listRequestToProto(&connectors.ListRequest{}).ChangedSince; got != nil {
		t.Errorf("zero ChangedSince sent as %v, want unset", got)
	}
	if got := timeFromProto(nil); !got.IsZero() {
		t.Errorf("unset timestamp decoded as %v, want zero time", got)
	}
}
