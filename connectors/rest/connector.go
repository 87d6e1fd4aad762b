package rest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/nyaruka/phonenumbers"
	"github.com/tidwall/gjson"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// Name is the connector's name, as plugin: names it.
const Name = "rest"

// Version is the connector's release version.
const Version = "0.1.0"

// Connector is the generic REST connector. Create it with New.
type Connector struct {
	log   hclog.Logger
	clock clock
	state atomic.Pointer[state]
}

// state is one accepted configuration and what serves it.
type state struct {
	set   *settings
	api   *client
	names *nameCache
}

// New returns an unconfigured connector logging to logger (nil: none).
func New(logger hclog.Logger) connectors.Connector { return newConnector(logger, realClock) }

func newConnector(logger hclog.Logger, clk clock) *Connector {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &Connector{log: logger, clock: clk}
}

// Describe implements connectors.Connector. Before Configure it lists every
// read capability; after, those the block gives.
func (c *Connector) Describe(context.Context, *connectors.DescribeRequest) (*connectors.DescribeResponse, error) {
	caps := []connectors.Capability{connectors.CapLookup, connectors.CapListContacts, connectors.CapListCompanies, connectors.CapChangedSince,
		connectors.CapLookupByKey}
	if st := c.state.Load(); st != nil {
		caps = st.set.capabilities()
	}
	return &connectors.DescribeResponse{
		Name: Name, Version: Version, ProtocolVersion: connectors.ProtocolVersion, Capabilities: caps,
		Description: "contacts and companies from any JSON REST API, mapped in YAML (the generic REST connector)",
	}, nil
}

// Configure implements connectors.Connector.
func (c *Connector) Configure(_ context.Context, req *connectors.ConfigureRequest) (*connectors.ConfigureResponse, error) {
	s, problems := parseConfig(req)
	if len(problems) > 0 || req.ValidateOnly {
		return &connectors.ConfigureResponse{Problems: problems}, nil
	}
	if old := c.state.Swap(&state{set: s, api: newClient(s, c.clock, c.log), names: newNameCache()}); old != nil {
		old.api.closeIdle()
	}
	return &connectors.ConfigureResponse{}, nil
}

// Close closes the connector's idle connections. It stays usable: a later
// call opens new ones.
func (c *Connector) Close() {
	if st := c.state.Load(); st != nil {
		st.api.closeIdle()
	}
}

func (c *Connector) current(op string) (*state, error) {
	return conf.Current(&c.state, Name, op)
}

// Check implements connectors.Connector with one small request: a page of
// one contact (or company), else a lookup of the region's example number.
func (c *Connector) Check(ctx context.Context, _ *connectors.CheckRequest) (*connectors.CheckResponse, error) {
	const op = "Check"
	st, err := c.current(op)
	if err != nil {
		return nil, err
	}
	s := st.set
	what := ""
	switch {
	case s.contacts != nil:
		recs, _, err := c.page(ctx, st, op, s.contacts, &connectors.ListRequest{PageSize: 1})
		if err != nil {
			return nil, err
		}
		what = fmt.Sprintf("listed %d contact(s) from %s", len(recs), s.contacts.req.rawPath)
	case s.companies != nil:
		recs, _, err := c.page(ctx, st, op, s.companies, &connectors.ListRequest{PageSize: 1})
		if err != nil {
			return nil, err
		}
		what = fmt.Sprintf("listed %d company(ies) from %s", len(recs), s.companies.req.rawPath)
	default:
		q := phone.Number{}
		if ex := phonenumbers.GetExampleNumber(s.parser.Region()); ex != nil {
			q, _ = phone.FromE164(phonenumbers.Format(ex, phonenumbers.E164))
		}
		v := numberVars(q)
		if _, err := c.search(ctx, st, op, s.lookups[0], &v); err != nil {
			return nil, err
		}
		what = "searched " + s.lookups[0].req.rawPath
	}
	return &connectors.CheckResponse{Records: -1, Detail: fmt.Sprintf("%s at %s with %s", what, s.baseURL.Host, s.auth.describe())}, nil
}

// callerNumber is the caller's number as the host normalised it; only a
// request with neither form is parsed from Raw.
func callerNumber(p *phone.Parser, req *connectors.LookupRequest) phone.Number {
	q := phone.Number{Raw: req.Raw, E164: req.E164, National: req.National}
	if !q.Valid() && q.Raw != "" {
		if n, err := p.ParseCaller(q.Raw); err == nil {
			return n
		}
	}
	return q
}

// candidate is a search result and the lookup request that found it.
type candidate struct {
	rec    record
	lookup *lookupSettings
}

// LookupByPhone implements connectors.Connector: every lookup request at
// once, the results merged by record, each re-read when fetch: says so,
// and kept only when one of its numbers truly matches the caller's (parsed
// with the default region and compared with phone.Match).
func (c *Connector) LookupByPhone(ctx context.Context, req *connectors.LookupRequest) (*connectors.LookupResponse, error) {
	const op = "LookupByPhone"
	st, err := c.current(op)
	if err != nil {
		return nil, err
	}
	if len(st.set.lookups) == 0 {
		return nil, connectors.Unsupported(op)
	}
	q := callerNumber(st.set.parser, req)
	if !q.Valid() {
		return &connectors.LookupResponse{}, nil
	}
	limit := req.Limit
	if limit <= 0 {
		limit = DefaultLookupLimit
	}
	v := numberVars(q)

	results := make([][]record, len(st.set.lookups))
	errs := make([]error, len(st.set.lookups))
	var wg sync.WaitGroup
	for i, l := range st.set.lookups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = c.search(ctx, st, op, l, &v)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}

	// Merge by record; a candidate whose search answer shows numbers
	// none of which matches is dropped before any fetch.
	var order []string
	byKey := map[string]candidate{}
	for i, recs := range results {
		l := st.set.lookups[i]
		for _, r := range recs {
			if len(l.mapping.phones) > 0 {
				if k, _ := best(q, r.phones); k == "" {
					continue
				}
			}
			if _, dup := byKey[r.key()]; !dup {
				byKey[r.key()] = candidate{r, l}
				order = append(order, r.key())
			}
		}
	}
	var matches []connectors.Match
	for _, key := range order {
		cand := byKey[key]
		r := cand.rec
		if cand.lookup.fetch {
			fetched, err := c.fetch(ctx, st, op, cand.lookup.kind, r.id())
			if err != nil {
				if httpStatus(err) == http.StatusNotFound {
					continue // deleted since the search
				}
				return nil, err
			}
			r = fetched
		}
		kind, at := best(q, r.phones)
		if kind == "" {
			continue
		}
		m := connectors.Match{Kind: kind, Phone: r.phones[at].phone, Contact: r.contact, Company: r.company}
		matches = append(matches, m)
	}
	if err := c.fillCompanyNames(ctx, st, op, matchContacts(matches)); err != nil {
		return nil, err
	}
	sort.SliceStable(matches, func(a, b int) bool {
		ma, mb := &matches[a], &matches[b]
		if sa, sb := ma.Kind.Strength(), mb.Kind.Strength(); sa != sb {
			return sa > sb
		}
		if (ma.Contact != nil) != (mb.Contact != nil) {
			return ma.Contact != nil
		}
		return lessID(strings.SplitN(ma.Key(), ":", 2)[1], strings.SplitN(mb.Key(), ":", 2)[1])
	})
	if len(matches) > limit {
		matches = matches[:limit]
	}
	return &connectors.LookupResponse{Matches: matches}, nil
}

func matchContacts(ms []connectors.Match) []*connectors.Contact {
	var out []*connectors.Contact
	for _, m := range ms {
		if m.Contact != nil {
			out = append(out, m.Contact)
		}
	}
	return out
}

// best is the strongest match of q among phones, and its index.
func best(q phone.Number, phones []parsedPhone) (connectors.MatchKind, int) {
	kind, at := connectors.MatchKind(""), -1
	for i, p := range phones {
		if !p.ok {
			continue
		}
		if k := phone.Match(q, p.num, 0); k.Strength() > kind.Strength() {
			kind, at = k, i
		}
	}
	return kind, at
}

// lessID orders ids numerically when both are numbers, else as text.
func lessID(a, b string) bool {
	na, ea := strconv.ParseInt(a, 10, 64)
	nb, eb := strconv.ParseInt(b, 10, 64)
	if ea == nil && eb == nil {
		return na < nb
	}
	return a < b
}

// search sends one lookup request; a request one of whose templates gives
// nothing for this number (no E.164 form, say) is not sent.
func (c *Connector) search(ctx context.Context, st *state, op string, l *lookupSettings, v *vars) ([]record, error) {
	cl, empty, err := buildCall(st.set, op, l.req, v)
	if err != nil {
		return nil, err
	}
	if empty {
		return nil, nil
	}
	resp, err := st.api.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	arr := resp.json().Get(l.results)
	if !arr.Exists() || arr.Type == gjson.Null {
		return nil, nil // no results: some APIs leave the array out
	}
	if !arr.IsArray() {
		return nil, connectors.Errorf(connectors.ClassBadConfig, op,
			"%s.results %q gives no array in the answer of %s %s; point it at the list of records", l.req.path, l.results, cl.method, cl.url.Path)
	}
	var out []record
	for _, e := range arr.Array() {
		if r, ok := l.mapping.read(st.set.parser, c.log, e); ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// fetch reads one record with its kind's get request.
func (c *Connector) fetch(ctx context.Context, st *state, op, kind, id string) (record, error) {
	l := st.set.contacts
	if kind == kindCompany {
		l = st.set.companies
	}
	cl, _, err := buildCall(st.set, op, l.get, &vars{ID: id})
	if err != nil {
		return record{}, err
	}
	resp, err := st.api.do(ctx, cl)
	if err != nil {
		return record{}, err
	}
	r, ok := l.mapping.read(st.set.parser, c.log, resp.json().Get(l.getResult))
	if !ok {
		return record{}, connectors.Errorf(connectors.ClassBadConfig, op,
			"%s %s answered no record with an id at %s.get.result %q", cl.method, cl.url.Path, l.kind+"s", l.getResult)
	}
	return r, nil
}

// buildCall renders a request. empty reports a path or query value that
// rendered empty (a lookup skips such a request; a list leaves the
// parameter out).
func buildCall(s *settings, op string, r *request, v *vars) (call, bool, error) {
	empty := false
	fail := func(err error) (call, bool, error) {
		return call{}, false, connectors.Errorf(connectors.ClassBadConfig, op, "%s: %v", r.path, err)
	}
	p, err := execute(r.pathT, v)
	if err != nil {
		return fail(err)
	}
	u, err := url.Parse(s.baseURL.String() + p)
	if err != nil || strings.Contains(p, "//") {
		return fail(fmt.Errorf("the path renders to %q, not a URL path", p))
	}
	q := url.Values{}
	for k, t := range r.query {
		val, err := execute(t, v)
		if err != nil {
			return fail(err)
		}
		if val == "" {
			empty = true
			continue
		}
		q.Set(k, val)
	}
	u.RawQuery = q.Encode() // url.Values escapes "+" as %2B
	h := http.Header{}
	for k, t := range r.headers {
		val, err := execute(t, v)
		if err != nil {
			return fail(err)
		}
		h.Set(k, val)
	}
	var body []byte
	if r.body != nil {
		b, err := execute(r.body, v)
		if err != nil {
			return fail(err)
		}
		body = []byte(b)
	}
	return call{op: op, method: r.method, url: u, header: h, body: body}, empty, nil
}

// ListContacts implements connectors.Connector.
func (c *Connector) ListContacts(ctx context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	const op = "ListContacts"
	st, err := c.current(op)
	if err != nil {
		return nil, err
	}
	if st.set.contacts == nil {
		return nil, connectors.Unsupported(op)
	}
	recs, next, err := c.page(ctx, st, op, st.set.contacts, req)
	if err != nil {
		return nil, err
	}
	resp := &connectors.ListContactsResponse{Contacts: make([]connectors.Contact, 0, len(recs)), NextCursor: next}
	ptrs := make([]*connectors.Contact, len(recs))
	for i := range recs {
		ptrs[i] = recs[i].contact
	}
	if st.set.contacts.companyNames {
		if err := c.fillCompanyNames(ctx, st, op, ptrs); err != nil {
			return nil, err
		}
	}
	for _, p := range ptrs {
		resp.Contacts = append(resp.Contacts, *p)
	}
	return resp, nil
}

// ListCompanies implements connectors.Connector.
func (c *Connector) ListCompanies(ctx context.Context, req *connectors.ListRequest) (*connectors.ListCompaniesResponse, error) {
	const op = "ListCompanies"
	st, err := c.current(op)
	if err != nil {
		return nil, err
	}
	if st.set.companies == nil {
		return nil, connectors.Unsupported(op)
	}
	recs, next, err := c.page(ctx, st, op, st.set.companies, req)
	if err != nil {
		return nil, err
	}
	resp := &connectors.ListCompaniesResponse{Companies: make([]connectors.Company, 0, len(recs)), NextCursor: next}
	for _, r := range recs {
		resp.Companies = append(resp.Companies, *r.company)
	}
	return resp, nil
}

// cursor is what the connector's own (opaque) cursor holds: the kind it
// pages, and the API's cursor, next-page URL, offset or page.
type cursor struct {
	Kind   string `json:"k"`
	Cursor string `json:"c,omitempty"`
	URL    string `json:"u,omitempty"`
	Offset int    `json:"o,omitempty"`
	Page   int    `json:"p,omitempty"`
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(op, kind, s string) (cursor, error) {
	var c cursor
	if s == "" {
		return cursor{Kind: kind}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.Kind != kind || c.Offset < 0 || c.Page < 0 {
		return c, connectors.Errorf(connectors.ClassInvalidRequest, op,
			"invalid cursor %q: pass the NextCursor of the previous page, or an empty cursor to start over", s)
	}
	return c, nil
}

// page reads one page of a list.
func (c *Connector) page(ctx context.Context, st *state, op string, l *listSettings, req *connectors.ListRequest) ([]record, string, error) {
	cur, err := decodeCursor(op, l.kind, req.Cursor)
	if err != nil {
		return nil, "", err
	}
	pg := l.paging
	size := req.PageSize
	if size <= 0 || size > pg.maxLimit {
		size = pg.maxLimit
	}
	v := &vars{Since: sinceVar(req.ChangedSince), Limit: size}
	cl, _, err := buildCall(st.set, op, l.req, v)
	if err != nil {
		return nil, "", err
	}
	q := cl.url.Query()
	if pg.limitParam != "" {
		q.Set(pg.limitParam, strconv.Itoa(size))
	}
	if l.updatedSince != "" && !req.ChangedSince.IsZero() {
		q.Set(l.updatedSince, sinceVar(req.ChangedSince))
	}
	page := cur.Page
	switch pg.style {
	case pageCursor:
		if cur.Cursor != "" {
			q.Set(pg.param, cur.Cursor)
		}
	case pageOffset:
		q.Set(pg.param, strconv.Itoa(cur.Offset))
	case pagePage:
		if cur.Page == 0 {
			page = pg.firstPage
		}
		q.Set(pg.param, strconv.Itoa(page))
	}
	cl.url.RawQuery = q.Encode()
	if cur.URL != "" {
		u, err := url.Parse(cur.URL)
		if err != nil || u.Scheme != st.set.baseURL.Scheme || u.Host != st.set.baseURL.Host {
			return nil, "", connectors.Errorf(connectors.ClassInvalidRequest, op, "invalid cursor: its next-page link does not point at base_url's host")
		}
		cl.url = u
	}
	resp, err := st.api.do(ctx, cl)
	if err != nil {
		return nil, "", err
	}
	body := resp.json()
	arr := body.Get(l.results)
	if !arr.IsArray() {
		if !arr.Exists() || arr.Type == gjson.Null {
			arr = gjson.Parse("[]")
		} else {
			return nil, "", connectors.Errorf(connectors.ClassBadConfig, op,
				"%s.results %q gives no array in the answer of %s %s; point it at the list of records", l.kind+"s", l.results, cl.method, cl.url.Path)
		}
	}
	elems := arr.Array()
	var recs []record
	for _, e := range elems {
		r, ok := l.mapping.read(st.set.parser, c.log, e)
		if !ok {
			continue
		}
		if t := updatedAt(r); !req.ChangedSince.IsZero() && !t.IsZero() && t.Before(req.ChangedSince) {
			continue // the API ignored updated_since, or rounds it
		}
		recs = append(recs, r)
	}
	if len(recs) > size {
		return nil, "", connectors.Errorf(connectors.ClassBadConfig, op,
			"%s %s answered %d records where %s=%d asked for at most %d; check paging.limit_param", cl.method, cl.url.Path, len(elems), pg.limitParam, size, size)
	}
	next := ""
	switch pg.style {
	case pageCursor:
		if n := str(body.Get(pg.next)); n != "" {
			next = encodeCursor(cursor{Kind: l.kind, Cursor: n})
		}
	case pageLink:
		if n := nextLink(resp.header, cl.url); n != "" {
			next = encodeCursor(cursor{Kind: l.kind, URL: n})
		}
	case pageOffset:
		if len(elems) >= size {
			next = encodeCursor(cursor{Kind: l.kind, Offset: cur.Offset + len(elems)})
		}
	case pagePage:
		if len(elems) >= size {
			next = encodeCursor(cursor{Kind: l.kind, Page: page + 1})
		}
	}
	return recs, next, nil
}

func updatedAt(r record) time.Time {
	if r.contact != nil {
		return r.contact.UpdatedAt
	}
	return r.company.UpdatedAt
}

// nextLink finds the rel="next" target of the Link headers (RFC 8288),
// resolved against the request's URL.
func nextLink(h http.Header, base *url.URL) string {
	for _, line := range h.Values("Link") {
		for _, link := range splitLinks(line) {
			open, close := strings.IndexByte(link, '<'), strings.IndexByte(link, '>')
			if open < 0 || close < open {
				continue
			}
			target := link[open+1 : close]
			for _, param := range strings.Split(link[close+1:], ";") {
				k, v, ok := strings.Cut(strings.TrimSpace(param), "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(k), "rel") {
					continue
				}
				for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(v), `"`)) {
					if strings.EqualFold(rel, "next") {
						if u, err := base.Parse(target); err == nil {
							return u.String()
						}
					}
				}
			}
		}
	}
	return ""
}

// splitLinks splits a Link header at the commas between links (not those
// inside <...> or quotes).
func splitLinks(s string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case quoted:
		case r == '<':
			depth++
		case r == '>':
			depth--
		case r == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// nameCache holds the company names read for company_names: companies.
type nameCache struct {
	lock  chan struct{} // one reader at a time, leaving on ctx
	names map[string]string
	at    time.Time
}

func newNameCache() *nameCache { return &nameCache{lock: make(chan struct{}, 1)} }

// fillCompanyNames sets the company name of the contacts that have a
// company id but no name, from the companies list (read again after
// CompanyNamesRefresh, or when an id is unknown and the list is older than
// a second).
func (c *Connector) fillCompanyNames(ctx context.Context, st *state, op string, contacts []*connectors.Contact) error {
	if st.set.contacts == nil || !st.set.contacts.companyNames {
		return nil
	}
	need := false
	for _, ct := range contacts {
		need = need || (ct.CompanyID != "" && ct.CompanyName == "")
	}
	if !need {
		return nil
	}
	nc := st.names
	select {
	case nc.lock <- struct{}{}:
	case <-ctx.Done():
		return ctxError(op, ctx)
	}
	defer func() { <-nc.lock }()
	age := c.clock.now().Sub(nc.at)
	missing := false
	for _, ct := range contacts {
		if ct.CompanyID != "" && ct.CompanyName == "" {
			_, ok := nc.names[ct.CompanyID]
			missing = missing || !ok
		}
	}
	if nc.names == nil || age > CompanyNamesRefresh || (missing && age > time.Second) {
		names := map[string]string{}
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 100_000 {
				return connectors.Errorf(connectors.ClassUnavailable, op, "the companies list never ends; check companies.paging")
			}
			recs, next, err := c.page(ctx, st, op, st.set.companies, &connectors.ListRequest{Cursor: cursor})
			if err != nil {
				return err
			}
			for _, r := range recs {
				names[r.company.ID] = r.company.Name
			}
			if next == "" {
				break
			}
			cursor = next
		}
		nc.names, nc.at = names, c.clock.now()
	}
	for _, ct := range contacts {
		if ct.CompanyID != "" && ct.CompanyName == "" {
			ct.CompanyName = nc.names[ct.CompanyID]
		}
	}
	return nil
}
