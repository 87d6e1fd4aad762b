package wire

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/packed"
	pb "github.com/switchboard-hq/switchboard/plugins/protocol/v1"
)

// This file converts between the contract's Go types and the generated
// protocol messages. Encoding (Go → proto) can fail only on a Fields value
// that cannot be expressed as JSON; decoding never fails.

// utf8String returns s with invalid UTF-8 replaced by U+FFFD: protobuf
// refuses to marshal a string field that is not valid UTF-8, and a CRM
// export in Latin-1 must not take a whole page down with it.
func utf8String(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func utf8Strings(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = utf8String(s)
	}
	return out
}

func cloneStrings(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	return append([]string(nil), ss...)
}

func timeToProto(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func timeFromProto(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	t := ts.AsTime()
	if t.IsZero() {
		return time.Time{}
	}
	return t
}

// fieldsToProto encodes a record's Fields. A nil map stays nil so that
// "no fields" and "empty fields" survive the round trip.
func fieldsToProto(fields map[string]any) (*structpb.Struct, error) {
	if fields == nil {
		return nil, nil
	}
	s := &structpb.Struct{Fields: make(map[string]*structpb.Value, len(fields))}
	for k, v := range fields {
		val, err := valueToProto(v)
		if err != nil {
			return nil, fmt.Errorf("fields.%s: %w", k, err)
		}
		s.Fields[utf8String(k)] = val
	}
	return s, nil
}

func fieldsFromProto(s *structpb.Struct) map[string]any {
	if s == nil {
		return nil
	}
	return s.AsMap()
}

// valueToProto encodes one JSON-like value. Go numbers of any kind become
// float64 on the other side; values of other types go through
// encoding/json first (a []string becomes a list, a struct an object).
func valueToProto(v any) (*structpb.Value, error) {
	switch v := v.(type) {
	case nil:
		return structpb.NewNullValue(), nil
	case string:
		return structpb.NewStringValue(utf8String(v)), nil
	case bool:
		return structpb.NewBoolValue(v), nil
	case float64:
		return structpb.NewNumberValue(v), nil
	case float32:
		return structpb.NewNumberValue(float64(v)), nil
	case int:
		return structpb.NewNumberValue(float64(v)), nil
	case int8:
		return structpb.NewNumberValue(float64(v)), nil
	case int16:
		return structpb.NewNumberValue(float64(v)), nil
	case int32:
		return structpb.NewNumberValue(float64(v)), nil
	case int64:
		return structpb.NewNumberValue(float64(v)), nil
	case uint:
		return structpb.NewNumberValue(float64(v)), nil
	case uint8:
		return structpb.NewNumberValue(float64(v)), nil
	case uint16:
		return structpb.NewNumberValue(float64(v)), nil
	case uint32:
		return structpb.NewNumberValue(float64(v)), nil
	case uint64:
		return structpb.NewNumberValue(float64(v)), nil
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return nil, fmt.Errorf("number %q: %w", v.String(), err)
		}
		return structpb.NewNumberValue(f), nil
	case []any:
		list := &structpb.ListValue{Values: make([]*structpb.Value, len(v))}
		for i, e := range v {
			val, err := valueToProto(e)
			if err != nil {
				return nil, fmt.Errorf("%d: %w", i, err)
			}
			list.Values[i] = val
		}
		return structpb.NewListValue(list), nil
	case map[string]any:
		s, err := fieldsToProto(v)
		if err != nil {
			return nil, err
		}
		return structpb.NewStructValue(s), nil
	default:
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("value of type %T is not JSON-like (use string, float64, bool, nil, []any or map[string]any): %w", v, err)
		}
		var generic any
		if err := json.Unmarshal(raw, &generic); err != nil {
			return nil, fmt.Errorf("value of type %T: %w", v, err)
		}
		return valueToProto(generic)
	}
}

func phonesToProto(phones []connectors.Phone) []*pb.Phone {
	if len(phones) == 0 {
		return nil
	}
	out := make([]*pb.Phone, len(phones))
	for i := range phones {
		out[i] = phoneToProto(phones[i])
	}
	return out
}

func phoneToProto(p connectors.Phone) *pb.Phone {
	return &pb.Phone{
		Raw:       utf8String(p.Raw),
		Label:     utf8String(p.Label),
		E164:      utf8String(p.E164),
		Extension: utf8String(p.Extension),
	}
}

func phonesFromProto(phones []*pb.Phone) []connectors.Phone {
	if len(phones) == 0 {
		return nil
	}
	out := make([]connectors.Phone, len(phones))
	for i, p := range phones {
		out[i] = phoneFromProto(p)
	}
	return out
}

func phoneFromProto(p *pb.Phone) connectors.Phone {
	return connectors.Phone{
		Raw:       p.GetRaw(),
		Label:     p.GetLabel(),
		E164:      p.GetE164(),
		Extension: p.GetExtension(),
	}
}

func contactToProto(c *connectors.Contact) (*pb.Contact, error) {
	fields, err := fieldsToProto(c.Fields)
	if err != nil {
		return nil, fmt.Errorf("contact %q: %w", c.ID, err)
	}
	return &pb.Contact{
		Id:          utf8String(c.ID),
		FirstName:   utf8String(c.FirstName),
		LastName:    utf8String(c.LastName),
		CompanyId:   utf8String(c.CompanyID),
		CompanyName: utf8String(c.CompanyName),
		Phones:      phonesToProto(c.Phones),
		Emails:      utf8Strings(c.Emails),
		OwnerId:     utf8String(c.OwnerID),
		JobTitle:    utf8String(c.JobTitle),
		Fields:      fields,
		UpdatedAt:   timeToProto(c.UpdatedAt),
	}, nil
}

func contactFromProto(c *pb.Contact) connectors.Contact {
	return connectors.Contact{
		ID:          c.GetId(),
		FirstName:   c.GetFirstName(),
		LastName:    c.GetLastName(),
		CompanyID:   c.GetCompanyId(),
		CompanyName: c.GetCompanyName(),
		Phones:      phonesFromProto(c.GetPhones()),
		Emails:      cloneStrings(c.GetEmails()),
		OwnerID:     c.GetOwnerId(),
		JobTitle:    c.GetJobTitle(),
		Fields:      fieldsFromProto(c.GetFields()),
		UpdatedAt:   timeFromProto(c.GetUpdatedAt()),
	}
}

func companyToProto(c *connectors.Company) (*pb.Company, error) {
	fields, err := fieldsToProto(c.Fields)
	if err != nil {
		return nil, fmt.Errorf("company %q: %w", c.ID, err)
	}
	return &pb.Company{
		Id:        utf8String(c.ID),
		Name:      utf8String(c.Name),
		Phones:    phonesToProto(c.Phones),
		Emails:    utf8Strings(c.Emails),
		Website:   utf8String(c.Website),
		OwnerId:   utf8String(c.OwnerID),
		Fields:    fields,
		UpdatedAt: timeToProto(c.UpdatedAt),
	}, nil
}

func companyFromProto(c *pb.Company) connectors.Company {
	return connectors.Company{
		ID:        c.GetId(),
		Name:      c.GetName(),
		Phones:    phonesFromProto(c.GetPhones()),
		Emails:    cloneStrings(c.GetEmails()),
		Website:   c.GetWebsite(),
		OwnerID:   c.GetOwnerId(),
		Fields:    fieldsFromProto(c.GetFields()),
		UpdatedAt: timeFromProto(c.GetUpdatedAt()),
	}
}

func matchToProto(m *connectors.Match) (*pb.Match, error) {
	out := &pb.Match{Kind: utf8String(string(m.Kind)), Phone: phoneToProto(m.Phone)}
	if m.Contact != nil {
		c, err := contactToProto(m.Contact)
		if err != nil {
			return nil, err
		}
		out.Contact = c
	}
	if m.Company != nil {
		c, err := companyToProto(m.Company)
		if err != nil {
			return nil, err
		}
		out.Company = c
	}
	return out, nil
}

func matchFromProto(m *pb.Match) connectors.Match {
	out := connectors.Match{Kind: connectors.MatchKind(m.GetKind()), Phone: phoneFromProto(m.GetPhone())}
	if m.GetContact() != nil {
		c := contactFromProto(m.GetContact())
		out.Contact = &c
	}
	if m.GetCompany() != nil {
		c := companyFromProto(m.GetCompany())
		out.Company = &c
	}
	return out
}

func describeToProto(d *connectors.DescribeResponse) *pb.DescribeResponse {
	caps := make([]string, 0, len(d.Capabilities))
	for _, c := range d.Capabilities {
		caps = append(caps, utf8String(string(c)))
	}
	return &pb.DescribeResponse{
		Name:            utf8String(d.Name),
		Version:         utf8String(d.Version),
		ProtocolVersion: int64(d.ProtocolVersion),
		Capabilities:    caps,
		Description:     utf8String(d.Description),
	}
}

func describeFromProto(d *pb.DescribeResponse) *connectors.DescribeResponse {
	var caps []connectors.Capability
	if n := len(d.GetCapabilities()); n > 0 {
		caps = make([]connectors.Capability, n)
		for i, c := range d.GetCapabilities() {
			caps[i] = connectors.Capability(c)
		}
	}
	return &connectors.DescribeResponse{
		Name:            d.GetName(),
		Version:         d.GetVersion(),
		ProtocolVersion: int(d.GetProtocolVersion()),
		Capabilities:    caps,
		Description:     d.GetDescription(),
	}
}

func configureRequestToProto(r *connectors.ConfigureRequest) *pb.ConfigureRequest {
	return &pb.ConfigureRequest{
		Config:        r.Config,
		DefaultRegion: utf8String(r.DefaultRegion),
		BaseDir:       utf8String(r.BaseDir),
		ValidateOnly:  r.ValidateOnly,
		ListedOnly:    r.ListedOnly,
	}
}

func configureRequestFromProto(r *pb.ConfigureRequest) *connectors.ConfigureRequest {
	return &connectors.ConfigureRequest{
		Config:        r.GetConfig(),
		DefaultRegion: r.GetDefaultRegion(),
		BaseDir:       r.GetBaseDir(),
		ValidateOnly:  r.GetValidateOnly(),
		ListedOnly:    r.GetListedOnly(),
	}
}

func configureResponseToProto(r *connectors.ConfigureResponse) *pb.ConfigureResponse {
	out := &pb.ConfigureResponse{}
	for _, p := range r.Problems {
		out.Problems = append(out.Problems, &pb.ConfigProblem{Path: utf8String(p.Path), Message: utf8String(p.Message)})
	}
	return out
}

func configureResponseFromProto(r *pb.ConfigureResponse) *connectors.ConfigureResponse {
	out := &connectors.ConfigureResponse{}
	for _, p := range r.GetProblems() {
		out.Problems = append(out.Problems, connectors.Problem{Path: p.GetPath(), Message: p.GetMessage()})
	}
	return out
}

func checkResponseToProto(r *connectors.CheckResponse) *pb.CheckResponse {
	return &pb.CheckResponse{Records: r.Records, Detail: utf8String(r.Detail)}
}

func checkResponseFromProto(r *pb.CheckResponse) *connectors.CheckResponse {
	return &connectors.CheckResponse{Records: r.GetRecords(), Detail: r.GetDetail()}
}

func lookupRequestToProto(r *connectors.LookupRequest) *pb.LookupRequest {
	return &pb.LookupRequest{
		E164:     utf8String(r.E164),
		National: utf8String(r.National),
		Raw:      utf8String(r.Raw),
		Limit:    int64(r.Limit),
	}
}

func lookupRequestFromProto(r *pb.LookupRequest) *connectors.LookupRequest {
	return &connectors.LookupRequest{
		E164:     r.GetE164(),
		National: r.GetNational(),
		Raw:      r.GetRaw(),
		Limit:    int(r.GetLimit()),
	}
}

func lookupResponseToProto(r *connectors.LookupResponse) (*pb.LookupResponse, error) {
	ms, err := matchesToProto(r.Matches)
	if err != nil {
		return nil, err
	}
	return &pb.LookupResponse{Matches: ms}, nil
}

func lookupResponseFromProto(r *pb.LookupResponse) *connectors.LookupResponse {
	return &connectors.LookupResponse{Matches: matchesFromProto(r.GetMatches())}
}

// matchesToProto converts a lookup's matches (nil stays nil).
func matchesToProto(matches []connectors.Match) ([]*pb.Match, error) {
	if len(matches) == 0 {
		return nil, nil
	}
	out := make([]*pb.Match, len(matches))
	for i := range matches {
		m, err := matchToProto(&matches[i])
		if err != nil {
			return nil, fmt.Errorf("match %d: %w", i, err)
		}
		out[i] = m
	}
	return out, nil
}

// matchesFromProto converts a lookup's matches back (none: nil).
func matchesFromProto(matches []*pb.Match) []connectors.Match {
	if len(matches) == 0 {
		return nil
	}
	out := make([]connectors.Match, len(matches))
	for i, m := range matches {
		out[i] = matchFromProto(m)
	}
	return out
}

func listRequestToProto(r *connectors.ListRequest) *pb.ListRequest {
	return &pb.ListRequest{
		Cursor:       utf8String(r.Cursor),
		PageSize:     int64(r.PageSize),
		ChangedSince: timeToProto(r.ChangedSince),
	}
}

func listRequestFromProto(r *pb.ListRequest) *connectors.ListRequest {
	return &connectors.ListRequest{
		Cursor:       r.GetCursor(),
		PageSize:     int(r.GetPageSize()),
		ChangedSince: timeFromProto(r.GetChangedSince()),
	}
}

func listCompaniesResponseToProto(r *connectors.ListCompaniesResponse) (*pb.ListCompaniesResponse, error) {
	out := &pb.ListCompaniesResponse{NextCursor: utf8String(r.NextCursor)}
	if len(r.Companies) > 0 {
		out.Companies = make([]*pb.Company, len(r.Companies))
	}
	for i := range r.Companies {
		c, err := companyToProto(&r.Companies[i])
		if err != nil {
			return nil, err
		}
		out.Companies[i] = c
	}
	return out, nil
}

// listCompaniesResponseToPacked answers a ListRequest that asked for a
// packed page: one byte string instead of a message per record. A record
// whose fields are not JSON-like is refused, as in a message.
func listCompaniesResponseToPacked(r *connectors.ListCompaniesResponse) (*pb.ListCompaniesResponse, error) {
	buf, err := packPage("company", r.Companies, func(c *connectors.Company) string { return c.ID }, (*packed.Encoder).Company)
	if err != nil {
		return nil, err
	}
	return &pb.ListCompaniesResponse{NextCursor: utf8String(r.NextCursor), Packed: buf, PackedCount: int64(len(r.Companies))}, nil
}

// packPage encodes a page of records with add, refusing the first whose
// fields are not JSON-like.
func packPage[T any](kind string, recs []T, id func(*T) string, add func(*packed.Encoder, *T)) ([]byte, error) {
	var e packed.Encoder
	for i := range recs {
		add(&e, &recs[i])
		if err := e.Err(); err != nil {
			return nil, fmt.Errorf("%s %q: %w", kind, id(&recs[i]), err)
		}
	}
	return e.Buf, nil
}

func listCompaniesResponseFromProto(r *pb.ListCompaniesResponse) (*connectors.ListCompaniesResponse, error) {
	out := &connectors.ListCompaniesResponse{NextCursor: r.GetNextCursor()}
	if n := r.GetPackedCount(); n > 0 || len(r.GetPacked()) > 0 {
		cos, err := packed.Companies(r.GetPacked(), int(n))
		if err != nil {
			return nil, &connectors.Error{Class: connectors.ClassPluginBug, Op: "ListCompanies",
				Message: fmt.Sprintf("the plugin sent a packed page the host cannot read; this is a bug in the plugin or its SDK: %v", err)}
		}
		out.Companies = cos
		return out, nil
	}
	if len(r.GetCompanies()) > 0 {
		out.Companies = make([]connectors.Company, len(r.GetCompanies()))
	}
	for i, c := range r.GetCompanies() {
		out.Companies[i] = companyFromProto(c)
	}
	return out, nil
}

func listContactsResponseToProto(r *connectors.ListContactsResponse) (*pb.ListContactsResponse, error) {
	out := &pb.ListContactsResponse{NextCursor: utf8String(r.NextCursor)}
	if len(r.Contacts) > 0 {
		out.Contacts = make([]*pb.Contact, len(r.Contacts))
	}
	for i := range r.Contacts {
		c, err := contactToProto(&r.Contacts[i])
		if err != nil {
			return nil, err
		}
		out.Contacts[i] = c
	}
	return out, nil
}

// listContactsResponseToPacked is listCompaniesResponseToPacked for
// contacts.
func listContactsResponseToPacked(r *connectors.ListContactsResponse) (*pb.ListContactsResponse, error) {
	buf, err := packPage("contact", r.Contacts, func(c *connectors.Contact) string { return c.ID }, (*packed.Encoder).Contact)
	if err != nil {
		return nil, err
	}
	return &pb.ListContactsResponse{NextCursor: utf8String(r.NextCursor), Packed: buf, PackedCount: int64(len(r.Contacts))}, nil
}

func listContactsResponseFromProto(r *pb.ListContactsResponse) (*connectors.ListContactsResponse, error) {
	out := &connectors.ListContactsResponse{NextCursor: r.GetNextCursor()}
	if n := r.GetPackedCount(); n > 0 || len(r.GetPacked()) > 0 {
		cs, err := packed.Contacts(r.GetPacked(), int(n))
		if err != nil {
			return nil, &connectors.Error{Class: connectors.ClassPluginBug, Op: "ListContacts",
				Message: fmt.Sprintf("the plugin sent a packed page the host cannot read; this is a bug in the plugin or its SDK: %v", err)}
		}
		out.Contacts = cs
		return out, nil
	}
	if len(r.GetContacts()) > 0 {
		out.Contacts = make([]connectors.Contact, len(r.GetContacts()))
	}
	for i, c := range r.GetContacts() {
		out.Contacts[i] = contactFromProto(c)
	}
	return out, nil
}
