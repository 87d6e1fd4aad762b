package csv

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"sort"
	"sync"
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
	// defaultPageSize and maxPageSize bound List pages.
	defaultPageSize = 500
	maxPageSize     = 5000
)

// Connector serves the contacts of one CSV file. Create it with New; it is
// safe for concurrent use.
type Connector struct {
	log  hclog.Logger
	seed maphash.Seed

	// snap is the data every read uses; reloads swap it atomically.
	snap atomic.Pointer[snapshot]
	// reloadErr is the last failed reload, cleared by a successful one.
	reloadErr atomic.Pointer[reloadFailure]
	// held is the reload the shrink guard keeps out (reload.go), nil when
	// the served data is the file's.
	held atomic.Pointer[heldReload]

	// stream is the listed-only configuration (stream.go), nil when the
	// file is loaded whole (snap).
	stream atomic.Pointer[stream]
	gens   atomic.Uint64 // versions scanned by listed-only configurations
	hooks  *scanHooks    // tests: the first scan's progress steps (nil: none)

	mu     sync.Mutex // serialises Configure
	poller *poller    // guarded by mu
}

// reloadFailure is a reload that kept the old snapshot.
type reloadFailure struct {
	at  time.Time
	err error
}

// poller is the goroutine that watches the file for one configuration.
type poller struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns an unconfigured CSV connector logging to logger (nil: no
// logging). It has the signature plugins.Serve expects.
func New(logger hclog.Logger) connectors.Connector {
	return newConnector(logger)
}

func newConnector(logger hclog.Logger) *Connector {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &Connector{log: logger, seed: maphash.MakeSeed()}
}

// Describe implements connectors.Connector. A listed-only configuration
// (stream.go) guards shrinking reloads too: it cannot serve the previous
// rows (it keeps none), so a held reload fails listing instead, and the
// host keeps answering from its index.
func (c *Connector) Describe(context.Context, *connectors.DescribeRequest) (*connectors.DescribeResponse, error) {
	caps := []connectors.Capability{
		connectors.CapLookup, connectors.CapListContacts, connectors.CapListCompanies, connectors.CapChangedSince, connectors.CapChangedSinceExact,
		connectors.CapGuardsShrink, connectors.CapLookupByKey,
	}
	return &connectors.DescribeResponse{
		Name:            "csv",
		Version:         Version,
		ProtocolVersion: connectors.ProtocolVersion,
		Capabilities:    caps,
		Description:     "contacts from a CSV file, reloaded when the file changes",
	}, nil
}

// Configure implements connectors.Connector. It validates the block and,
// unless req.ValidateOnly, loads the file and starts watching it, replacing
// any earlier configuration only once the new one has loaded. A strict-mode
// load that finds broken rows fails with a ClassBadConfig error listing
// them. The shrink guard never holds a Configure's load: it is the first
// load of its configuration.
func (c *Connector) Configure(ctx context.Context, req *connectors.ConfigureRequest) (*connectors.ConfigureResponse, error) {
	s, problems := parseConfig(req)
	if len(problems) > 0 {
		return &connectors.ConfigureResponse{Problems: problems}, nil
	}
	if req.ValidateOnly {
		return &connectors.ConfigureResponse{Problems: validateHeader(s, c.log)}, nil
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if req.ListedOnly {
		why := streamUnsupported(s)
		if why == "" {
			return c.configureStream(s)
		}
		c.log.Info(fmt.Sprintf("%s is loaded whole although the host lists it (listed_only): %s", s.path, why))
	}
	snap, err := load(ctx, s, c.snap.Load(), c.seed, c.log)
	if err != nil {
		var ce *configError
		if errors.As(err, &ce) {
			return &connectors.ConfigureResponse{Problems: ce.problems}, nil
		}
		return nil, err
	}
	c.stopPoller()
	c.stopStream()
	c.snap.Store(snap)
	c.reloadErr.Store(nil)
	c.held.Store(nil) // a Configure loads what the file holds: never held
	c.log.Info(summary(snap))
	if s.reload > 0 {
		c.startPoller(snap)
	}
	return &connectors.ConfigureResponse{}, nil
}

// configureStream configures listed-only mode (stream.go): the file's
// header is checked, and a scan of its rows starts in the background.
// Callers hold mu.
func (c *Connector) configureStream(s *settings) (*connectors.ConfigureResponse, error) {
	if err := checkHead(s); err != nil {
		var ce *configError
		if errors.As(err, &ce) {
			return &connectors.ConfigureResponse{Problems: ce.problems}, nil
		}
		return nil, err
	}
	var prev *version
	if old := c.stream.Load(); old != nil {
		<-old.ready
		prev = old.cur.Load()
	}
	c.stopPoller()
	c.stopStream()
	c.snap.Store(nil)
	c.reloadErr.Store(nil)
	c.held.Store(nil)
	c.stream.Store(newStream(s, c.seed, c.log, &c.gens, prev, c.hooks))
	c.log.Info(fmt.Sprintf("configured %s for listing (listed_only): no rows are kept in memory; "+
		"pages are read from the file, lookups load it on first use", s.path))
	return &connectors.ConfigureResponse{}, nil
}

// stopStream stops the listed-only configuration, if any. Callers hold mu.
func (c *Connector) stopStream() {
	if st := c.stream.Swap(nil); st != nil {
		st.stop()
	}
}

// validateHeader checks the configured columns against the file's header
// when the file exists; a missing file is fine when only validating.
func validateHeader(s *settings, log hclog.Logger) []connectors.Problem {
	data, _, err := readFile(s.absPath)
	if err != nil {
		return nil
	}
	_, err = build(context.Background(), s, headerOnly(data), fileStamp{}, nil, maphash.MakeSeed(), hclog.NewNullLogger())
	var ce *configError
	if errors.As(err, &ce) {
		return ce.problems
	}
	return nil
}

// headerOnly cuts data after its first line, which is enough to check
// columns (a header with a quoted line break is rare; it then fails to
// parse and is not checked).
func headerOnly(data []byte) []byte {
	for i, b := range data {
		if b == '\n' {
			return data[:i+1]
		}
	}
	return data
}

// summary is the one-line description of a snapshot.
func summary(s *snapshot) string {
	msg := fmt.Sprintf("loaded %d contacts, %d companies from %s (%d rows skipped)",
		len(s.contacts), len(s.companies), s.set.path, s.skipped)
	if s.dropped > 0 {
		msg += fmt.Sprintf(", %d unreadable phone numbers dropped", s.dropped)
	}
	return msg
}

// Check implements connectors.Connector.
func (c *Connector) Check(ctx context.Context, _ *connectors.CheckRequest) (*connectors.CheckResponse, error) {
	if st := c.stream.Load(); st != nil {
		return st.check(ctx)
	}
	snap, err := c.current("Check")
	if err != nil {
		return nil, err
	}
	s := snap.set
	if _, err := os.Stat(s.absPath); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, connectors.Errorf(connectors.ClassBadConfig, "Check",
				"the CSV file %s does not exist (any more): fix path: in the connector's config or restore the file; "+
					"serving the %d contacts loaded at %s meanwhile",
				s.absPath, len(snap.contacts), snap.loadedAt.Format(time.RFC3339))
		}
		return nil, connectors.Errorf(connectors.ClassBadConfig, "Check",
			"cannot read the CSV file %s: %w; check its permissions", s.absPath, err)
	}
	if h := c.held.Load(); h != nil && h.snap.set == s {
		return nil, connectors.Errorf(connectors.ClassUnavailable, "Check",
			"degraded: a reload held since %s: %s", h.since.Format(time.RFC3339), heldMessage(s, h))
	}
	detail := summary(snap)
	if f := c.reloadErr.Load(); f != nil {
		detail += fmt.Sprintf("; the last reload, at %s, failed and the previous data is still served: %v",
			f.at.Format(time.RFC3339), f.err)
	}
	return &connectors.CheckResponse{Records: int64(len(snap.contacts)), Detail: detail}, nil
}

// current returns the snapshot, or an error before the first Configure.
func (c *Connector) current(op string) (*snapshot, error) {
	return conf.Current(&c.snap, "csv", op)
}

// lookupSnap is the snapshot a lookup reads: in listed-only mode the whole
// file, loaded on the first lookup.
func (c *Connector) lookupSnap(ctx context.Context, op string) (*snapshot, error) {
	if st := c.stream.Load(); st != nil {
		return st.snapshot(ctx, op)
	}
	return c.current(op)
}

// LookupByPhone implements connectors.Connector. It matches req.E164
// exactly, and req.National against every stored number's national
// significant number; when both are empty it parses req.Raw itself.
func (c *Connector) LookupByPhone(ctx context.Context, req *connectors.LookupRequest) (*connectors.LookupResponse, error) {
	snap, err := c.lookupSnap(ctx, "LookupByPhone")
	if err != nil {
		return nil, err
	}
	q := phone.Number{Raw: req.Raw, E164: req.E164, National: req.National}
	if q.E164 == "" && q.National == "" && q.Raw != "" && snap.set.parser != nil {
		if n, err := snap.set.parser.ParseCaller(q.Raw); err == nil {
			q = n
		}
	}

	type hit struct {
		e    *contactEntry
		kind connectors.MatchKind
		num  int
	}
	var hits []hit
	seen := map[*contactEntry]bool{}
	consider := func(es []*contactEntry) {
		for _, e := range es {
			if seen[e] {
				continue
			}
			seen[e] = true
			best := hit{e: e, num: -1}
			for j, n := range e.numbers {
				k := phone.Match(q, n, 0)
				if k.Strength() > best.kind.Strength() {
					best.kind, best.num = k, j
				}
			}
			if best.num >= 0 {
				hits = append(hits, best)
			}
		}
	}
	if q.E164 != "" {
		consider(snap.byE164.get(q.E164))
	}
	if q.National != "" {
		consider(snap.byNational.get(q.National))
	}
	sort.Slice(hits, func(a, b int) bool {
		if sa, sb := hits[a].kind.Strength(), hits[b].kind.Strength(); sa != sb {
			return sa > sb
		}
		return hits[a].e.contact.ID < hits[b].e.contact.ID
	})
	limit := req.Limit
	if limit <= 0 {
		limit = defaultLookupLimit
	}
	if len(hits) > limit {
		hits = hits[:limit]
	}
	resp := &connectors.LookupResponse{Matches: make([]connectors.Match, len(hits))}
	for i, h := range hits {
		e := h.e
		ct := cloneContact(&e.contact)
		resp.Matches[i] = connectors.Match{Contact: &ct, Kind: h.kind, Phone: e.contact.Phones[h.num]}
	}
	return resp, nil
}

// ListContacts implements connectors.Connector: contacts in ID order,
// paged by an opaque cursor that stays valid across reloads.
//
// In listed-only mode contacts come in file order, read from the file
// page by page (stream.go); a cursor is then valid for one version of the
// file only.
func (c *Connector) ListContacts(ctx context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	if st := c.stream.Load(); st != nil {
		return st.listContacts(ctx, req)
	}
	snap, err := c.current("ListContacts")
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(snap.contacts, req, "ListContacts",
		func(e **contactEntry) string { return (*e).contact.ID },
		func(e **contactEntry) time.Time { return (*e).contact.UpdatedAt })
	if err != nil {
		return nil, err
	}
	resp := &connectors.ListContactsResponse{Contacts: make([]connectors.Contact, len(page)), NextCursor: next}
	for i, e := range page {
		resp.Contacts[i] = cloneContact(&(*e).contact)
	}
	return resp, nil
}

// ListCompanies implements connectors.Connector: the distinct companies
// of the contacts (by company_id, or by name), in ID order.
func (c *Connector) ListCompanies(ctx context.Context, req *connectors.ListRequest) (*connectors.ListCompaniesResponse, error) {
	if st := c.stream.Load(); st != nil {
		return st.listCompanies(ctx, req)
	}
	snap, err := c.current("ListCompanies")
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(snap.companies, req, "ListCompanies",
		func(co *connectors.Company) string { return co.ID },
		func(co *connectors.Company) time.Time { return co.UpdatedAt })
	if err != nil {
		return nil, err
	}
	resp := &connectors.ListCompaniesResponse{Companies: make([]connectors.Company, len(page)), NextCursor: next}
	for i, co := range page {
		resp.Companies[i] = *co
	}
	return resp, nil
}

// cloneContact copies a contact so that callers cannot change the
// snapshot through its slices and map.
func cloneContact(c *connectors.Contact) connectors.Contact {
	out := *c
	if c.Phones != nil {
		out.Phones = append([]connectors.Phone(nil), c.Phones...)
	}
	if c.Emails != nil {
		out.Emails = append([]string(nil), c.Emails...)
	}
	if c.Fields != nil {
		out.Fields = make(map[string]any, len(c.Fields))
		for k, v := range c.Fields {
			out.Fields[k] = v
		}
	}
	return out
}

// stopPoller stops the current poller and waits for it. Callers hold mu.
func (c *Connector) stopPoller() {
	if c.poller == nil {
		return
	}
	c.poller.cancel()
	<-c.poller.done
	c.poller = nil
}

// startPoller watches the file of snap's configuration. Callers hold mu.
func (c *Connector) startPoller(snap *snapshot) {
	ctx, cancel := context.WithCancel(context.Background())
	p := &poller{cancel: cancel, done: make(chan struct{})}
	c.poller = p
	go func() {
		defer close(p.done)
		c.watch(ctx, snap)
	}()
}

// Close stops watching the file. The loaded data stays readable. It is
// safe to call more than once; the host need not call it, but tests do.
func (c *Connector) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopPoller()
	if st := c.stream.Load(); st != nil {
		st.stop()
	}
}
