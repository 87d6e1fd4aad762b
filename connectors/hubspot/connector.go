package hubspot

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// Version is the connector's release version.
const Version = "1.0.0"

const (
	// defaultLookupLimit caps lookup matches when the request does not.
	defaultLookupLimit = 10
	// maxSearchLimit is HubSpot's cap on a search page.
	maxSearchLimit = 200
	// probeTimeout bounds Configure's check of the token.
	probeTimeout = 5 * time.Second
)

// API paths.
const (
	pathContacts      = "/crm/v3/objects/contacts"
	pathCompanies     = "/crm/v3/objects/companies"
	pathSearchContact = "/crm/v3/objects/contacts/search"
)

// Connector serves one HubSpot account. Create it with New; it is safe for
// concurrent use.
type Connector struct {
	log   hclog.Logger
	clock clock
	state atomic.Pointer[state]
	// locks serialise the writes of one key or number (write.go).
	locks keyedMutex
}

// state is one configuration and its client.
type state struct {
	set   *settings
	api   *client
	feeds map[string]*changeFeed // changed-since lists, by object type
	mem   *writeMemory           // the writes' memory (write.go), kept across Configures of one account
}

// New returns an unconfigured HubSpot connector logging to logger (nil: no
// logging). It has the signature plugins.Serve expects.
func New(logger hclog.Logger) connectors.Connector {
	return newConnector(logger, realClock)
}

func newConnector(logger hclog.Logger, clk clock) *Connector {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &Connector{log: logger, clock: clk}
}

// Describe implements connectors.Connector. The writes are declared once
// a configuration enables them.
func (c *Connector) Describe(context.Context, *connectors.DescribeRequest) (*connectors.DescribeResponse, error) {
	caps := (&settings{}).capabilities()
	if st := c.state.Load(); st != nil {
		caps = st.set.capabilities()
	}
	return &connectors.DescribeResponse{
		Name:            "hubspot",
		Version:         Version,
		ProtocolVersion: connectors.ProtocolVersion,
		Capabilities:    caps,
		Description: "HubSpot CRM contacts and companies (search for live lookups and changed records, lists for the index); " +
			"logs calls and creates contacts when enabled",
	}, nil
}

// Configure implements connectors.Connector. It validates the block and,
// unless req.ValidateOnly, asks HubSpot for one contact to check the token:
// a refused token or a base_url that is not the API is a problem with that
// key; HubSpot being down or rate limiting is only logged, so that the host
// can start and retry later.
func (c *Connector) Configure(ctx context.Context, req *connectors.ConfigureRequest) (*connectors.ConfigureResponse, error) {
	s, problems := parseConfig(req)
	if len(problems) > 0 {
		return &connectors.ConfigureResponse{Problems: problems}, nil
	}
	if req.ValidateOnly {
		return &connectors.ConfigureResponse{}, nil
	}
	st := &state{set: s, api: newClient(s, c.log, c.clock), feeds: newChangeFeeds(s)}
	if old := c.state.Load(); old != nil && old.set.baseURL == s.baseURL && old.set.token == s.token {
		st.mem = old.mem
	} else {
		st.mem = newWriteMemory(c.clock.now())
	}
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	err := st.api.do(pctx, call{op: "Configure", method: http.MethodGet, path: pathContacts,
		query: url.Values{"limit": {"1"}}}, nil)
	switch connectors.ClassOf(err) {
	case "":
	case connectors.ClassUnauthorized:
		return &connectors.ConfigureResponse{Problems: []connectors.Problem{{Path: "token", Message: err.Error()}}}, nil
	case connectors.ClassBadConfig:
		return &connectors.ConfigureResponse{Problems: []connectors.Problem{{Path: "base_url", Message: err.Error()}}}, nil
	default:
		if ctx.Err() != nil {
			return nil, ctxError("Configure", ctx)
		}
		c.log.Warn("could not check the HubSpot token now; will keep trying on use", "base_url", s.baseURL, "error", err)
	}
	if s.logCall && err == nil {
		// A missing key property stops only the logging, so it is a
		// warning here (and Check's failure), not a refused
		// configuration that would stop the lookups too.
		if err := c.checkKeyProperty(pctx, st, "Configure"); err != nil {
			c.log.Warn("cannot log calls until this is fixed", "error", err)
		}
	}
	if old := c.state.Swap(st); old != nil {
		// The old client's keep-alive connections would otherwise stay
		// open until their idle timeout, one set per Configure.
		old.api.rc.GetClient().CloseIdleConnections()
	}
	c.log.Info("configured", "base_url", s.baseURL, "fields", len(s.fields), "company_fields", len(s.companyFields))
	return &connectors.ConfigureResponse{}, nil
}

// Close closes the client's idle connections. The connector stays usable
// (a later call opens new ones); the host need not call it, but tests and
// the conformance suite's leak check do.
func (c *Connector) Close() {
	if st := c.state.Load(); st != nil {
		st.api.rc.GetClient().CloseIdleConnections()
	}
}

// current returns the configuration, or an error before Configure.
func (c *Connector) current(op string) (*state, error) {
	return conf.Current(&c.state, "hubspot", op)
}

// Check implements connectors.Connector: it lists one contact (reach and
// token), then asks search for the number of contacts (Records is -1 when
// search is rate limited or lagging).
func (c *Connector) Check(ctx context.Context, _ *connectors.CheckRequest) (*connectors.CheckResponse, error) {
	st, err := c.current("Check")
	if err != nil {
		return nil, err
	}
	if err := st.api.do(ctx, call{op: "Check", method: http.MethodGet, path: pathContacts,
		query: url.Values{"limit": {"1"}}}, nil); err != nil {
		return nil, err
	}
	resp := &connectors.CheckResponse{Records: -1,
		Detail: fmt.Sprintf("HubSpot at %s accepts the token", st.set.baseURL)}
	if st.set.logCall {
		err := c.checkKeyProperty(ctx, st, "Check")
		switch connectors.ClassOf(err) {
		case "":
			resp.Detail += fmt.Sprintf("; call property %s exists", st.set.keyProperty)
		case connectors.ClassUnauthorized:
			resp.Detail += fmt.Sprintf("; call property %s not checked: %v", st.set.keyProperty, err)
		default:
			return nil, err
		}
	}
	var p page
	err = st.api.do(ctx, call{op: "Check", method: http.MethodPost, path: pathSearchContact, search: true,
		body: searchBody{FilterGroups: []filterGroup{}, Properties: []string{propFirstName}, Limit: 1}}, &p)
	if err == nil {
		resp.Records = int64(p.Total)
		resp.Detail += fmt.Sprintf("; %d contacts", p.Total)
	} else {
		resp.Detail += "; contacts not counted: " + err.Error()
	}
	return resp, nil
}

// searchBody is a search request.
type searchBody struct {
	FilterGroups []filterGroup `json:"filterGroups"`
	Properties   []string      `json:"properties"`
	Limit        int           `json:"limit"`
	Sorts        []changeSort  `json:"sorts,omitempty"`
	After        string        `json:"after,omitempty"`
}

type filterGroup struct {
	Filters []filter `json:"filters"`
}

type filter struct {
	PropertyName string `json:"propertyName"`
	Operator     string `json:"operator"`
	Value        string `json:"value"`
}

// lookupGroups are the filter groups for a number: its E.164 form in phone
// or mobilephone, or its national number in their searchable forms.
func lookupGroups(q phone.Number) []filterGroup {
	eq := func(prop, v string) filterGroup {
		return filterGroup{Filters: []filter{{PropertyName: prop, Operator: "EQ", Value: v}}}
	}
	var groups []filterGroup
	if q.E164 != "" {
		groups = append(groups, eq(propPhone, q.E164), eq(propMobile, q.E164))
	}
	if q.National != "" {
		groups = append(groups, eq(propSearchablePhone, q.National), eq(propSearchableMobile, q.National))
	}
	return groups
}

// LookupByPhone implements connectors.Connector with one search request;
// see the package documentation.
func (c *Connector) LookupByPhone(ctx context.Context, req *connectors.LookupRequest) (*connectors.LookupResponse, error) {
	st, err := c.current("LookupByPhone")
	if err != nil {
		return nil, err
	}
	q := phone.Number{Raw: req.Raw, E164: req.E164, National: req.National}
	if !q.Valid() && q.Raw != "" {
		if n, err := st.set.parser.ParseCaller(q.Raw); err == nil {
			q = n
		}
	}
	if !q.Valid() {
		return &connectors.LookupResponse{}, nil
	}
	limit := req.Limit
	if limit <= 0 {
		limit = defaultLookupLimit
	}
	matches, err := c.lookup(ctx, st, "LookupByPhone", q, limit)
	if err != nil {
		return nil, err
	}
	return &connectors.LookupResponse{Matches: matches}, nil
}

// matches reads a phone search's answer: the contacts one of whose numbers
// truly matches q, strongest first then by id, at most limit.
func (c *Connector) matches(st *state, q phone.Number, p *page, limit int) []connectors.Match {
	type hit struct {
		match connectors.Match
		id    int64
	}
	var hits []hit
	for i := range p.Results {
		ct, phones := toContact(st.set, c.log, &p.Results[i])
		best, at := connectors.MatchKind(""), -1
		for j, ph := range phones {
			if k := phone.Match(q, ph.num, 0); k.Strength() > best.Strength() {
				best, at = k, j
			}
		}
		if at < 0 {
			continue // a search hit whose numbers do not truly match
		}
		id, _ := strconv.ParseInt(ct.ID, 10, 64)
		hits = append(hits, hit{match: connectors.Match{Contact: &ct, Kind: best, Phone: phones[at].phone}, id: id})
	}
	sort.SliceStable(hits, func(a, b int) bool {
		if sa, sb := hits[a].match.Kind.Strength(), hits[b].match.Kind.Strength(); sa != sb {
			return sa > sb
		}
		return hits[a].id < hits[b].id
	})
	if len(hits) > limit {
		hits = hits[:limit]
	}
	out := make([]connectors.Match, len(hits))
	for i, h := range hits {
		out[i] = h.match
	}
	return out
}

// ListContacts implements connectors.Connector: contacts in HubSpot's id
// order with their primary company.
func (c *Connector) ListContacts(ctx context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	st, err := c.current("ListContacts")
	if err != nil {
		return nil, err
	}
	objs, next, err := c.list(ctx, st, "ListContacts", "contacts", pathContacts, contactProperties(st.set), "companies", req)
	if err != nil {
		return nil, err
	}
	resp := &connectors.ListContactsResponse{Contacts: make([]connectors.Contact, 0, len(objs)), NextCursor: next}
	for i := range objs {
		ct, _ := toContact(st.set, c.log, &objs[i])
		resp.Contacts = append(resp.Contacts, ct)
	}
	return resp, nil
}

// ListCompanies implements connectors.Connector: companies in HubSpot's id
// order.
func (c *Connector) ListCompanies(ctx context.Context, req *connectors.ListRequest) (*connectors.ListCompaniesResponse, error) {
	st, err := c.current("ListCompanies")
	if err != nil {
		return nil, err
	}
	objs, next, err := c.list(ctx, st, "ListCompanies", "companies", pathCompanies, companyProperties(st.set), "", req)
	if err != nil {
		return nil, err
	}
	resp := &connectors.ListCompaniesResponse{Companies: make([]connectors.Company, 0, len(objs)), NextCursor: next}
	for i := range objs {
		resp.Companies = append(resp.Companies, toCompany(st.set, c.log, &objs[i]))
	}
	return resp, nil
}

// list returns one page of records and the next cursor: from the list
// endpoint, or with ChangedSince from the type's change feed (changes.go).
func (c *Connector) list(ctx context.Context, st *state, op, typ, path string, props []string, assoc string, req *connectors.ListRequest) ([]object, string, error) {
	if !req.ChangedSince.IsZero() {
		return st.feeds[typ].list(ctx, c, st, op, req)
	}
	p, err := c.listPage(ctx, st, op, path, props, assoc, req)
	if err != nil {
		return nil, "", err
	}
	return p.Results, encodeCursor(p.next()), nil
}

// listPage fetches one page of a list endpoint.
func (c *Connector) listPage(ctx context.Context, st *state, op, path string, props []string, assoc string, req *connectors.ListRequest) (*page, error) {
	q := url.Values{"properties": {strings.Join(props, ",")}}
	size := req.PageSize
	if size <= 0 || size > st.set.pageSize {
		size = st.set.pageSize
	}
	q.Set("limit", strconv.Itoa(size))
	if req.Cursor != "" {
		after, err := decodeCursor(op, req.Cursor)
		if err != nil {
			return nil, err
		}
		q.Set("after", after)
	}
	if assoc != "" {
		q.Set("associations", assoc)
	}
	var p page
	if err := st.api.do(ctx, call{op: op, method: http.MethodGet, path: path, query: q}, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// A cursor is HubSpot's paging.next.after, base64 (URL alphabet, unpadded)
// so that callers treat it as opaque.

func encodeCursor(after string) string {
	if after == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte("hs:" + after))
}

func decodeCursor(op, cursor string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	after, ok := strings.CutPrefix(string(raw), "hs:")
	if err != nil || !ok || after == "" {
		return "", connectors.Errorf(connectors.ClassInvalidRequest, op,
			"invalid cursor %q: pass the NextCursor of the previous page, or an empty cursor to start over", cursor)
	}
	return after, nil
}
