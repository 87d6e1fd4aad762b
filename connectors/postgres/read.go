package postgres

import (
	"context"
	"encoding/base64"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

const (
	// defaultLookupLimit caps lookup matches when the request does not.
	defaultLookupLimit = 10
	// defaultPageSize is a List page when the request names no size.
	defaultPageSize = 500
)

// LookupByPhone implements connectors.Connector. In table mode it looks
// the caller's E.164 number up in the phone_key column(s); in queries mode
// it runs the lookup query with @e164, @national, @raw and @limit. Every
// row is then checked with core/phone's Match against the row's numbers,
// so only true matches come back, strongest first.
func (c *Connector) LookupByPhone(ctx context.Context, req *connectors.LookupRequest) (*connectors.LookupResponse, error) {
	const op = "LookupByPhone"
	st, err := c.current(op)
	if err != nil {
		return nil, err
	}
	if st.plan.lookup == "" {
		return nil, &connectors.Error{Class: connectors.ClassUnsupported, Op: op,
			Message: "this postgres connector has no live lookups: map columns.phone_key (a column of E.164 numbers) " +
				"or write queries.lookup, or use it in mode: index"}
	}
	if err := ctx.Err(); err != nil {
		return nil, st.set.classify(ctx, op, err)
	}
	q := phone.Number{Raw: req.Raw, E164: req.E164, National: req.National}
	if q.E164 == "" && q.National == "" && q.Raw != "" {
		if n, err := st.set.parser.ParseCaller(q.Raw); err == nil {
			q = n
		}
	}
	limit := req.Limit
	if limit <= 0 {
		limit = defaultLookupLimit
	}
	if st.set.tableMode() && q.E164 == "" {
		// The phone_key holds E.164 numbers: a number without a country
		// cannot be among them.
		return &connectors.LookupResponse{}, nil
	}
	matches, err := st.lookup(ctx, op, st.pool, q, req.Raw, limit)
	if err != nil {
		return nil, err
	}
	return &connectors.LookupResponse{Matches: matches}, nil
}

// querier runs a query: the pool, or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// lookup runs the lookup SQL for q over db and returns at most limit
// records that really have the number (core/phone's Match against the
// row's numbers), strongest match first. raw is the number as the phone
// system sent it (@raw).
func (st *state) lookup(ctx context.Context, op string, db querier, q phone.Number, raw string, limit int) ([]connectors.Match, error) {
	args := pgx.NamedArgs{paramE164: q.E164, paramNational: q.National, paramRaw: raw, paramLimit: limit}
	rows, err := db.Query(ctx, st.plan.lookup, args)
	if err != nil {
		return nil, st.set.classify(ctx, op, err)
	}
	defer rows.Close()

	type hit struct {
		match connectors.Match
		order int
	}
	var hits []hit
	seen := map[string]bool{}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, st.set.classify(ctx, op, err)
		}
		ct, nums := st.plan.lookupLayout.contact(vals, st.set.parser)
		if ct.ID == "" || seen[ct.ID] {
			continue
		}
		best, at := connectors.MatchKind(""), -1
		for i, n := range nums {
			if k := phone.Match(q, n, 0); k.Strength() > best.Strength() {
				best, at = k, i
			}
		}
		if at < 0 {
			continue // the query's candidate does not really have the number
		}
		seen[ct.ID] = true
		hits = append(hits, hit{order: len(hits), match: connectors.Match{Contact: &ct, Kind: best, Phone: ct.Phones[at]}})
	}
	if err := rows.Err(); err != nil {
		return nil, st.set.classify(ctx, op, err)
	}
	sort.SliceStable(hits, func(a, b int) bool {
		return hits[a].match.Kind.Strength() > hits[b].match.Kind.Strength()
	})
	if len(hits) > limit {
		hits = hits[:limit]
	}
	matches := make([]connectors.Match, len(hits))
	for i, h := range hits {
		matches[i] = h.match
	}
	return matches, nil
}

// ListContacts implements connectors.Connector: contacts in id order,
// paged by keyset (the cursor holds the last id), so a page costs the
// same on the millionth row as on the first.
func (c *Connector) ListContacts(ctx context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	const op = "ListContacts"
	st, err := c.current(op)
	if err != nil {
		return nil, err
	}
	lp := st.plan.contacts
	if lp == nil {
		return nil, &connectors.Error{Class: connectors.ClassUnsupported, Op: op,
			Message: "this postgres connector lists no contacts: write queries.list_contacts"}
	}
	resp := &connectors.ListContactsResponse{}
	next, err := st.page(ctx, op, lp, req, func(vals []any) string {
		ct, _ := lp.contacts.contact(vals, st.set.parser)
		resp.Contacts = append(resp.Contacts, ct)
		return ct.ID
	}, func(n int) { resp.Contacts = resp.Contacts[:n] })
	if err != nil {
		return nil, err
	}
	resp.NextCursor = next
	return resp, nil
}

// ListCompanies implements connectors.Connector: companies in id order,
// paged like ListContacts. In table mode they are the distinct
// columns.company_id values of the contacts.
func (c *Connector) ListCompanies(ctx context.Context, req *connectors.ListRequest) (*connectors.ListCompaniesResponse, error) {
	const op = "ListCompanies"
	st, err := c.current(op)
	if err != nil {
		return nil, err
	}
	lp := st.plan.companies
	if lp == nil {
		return nil, &connectors.Error{Class: connectors.ClassUnsupported, Op: op,
			Message: "this postgres connector lists no companies: map columns.company_id (table mode) or write queries.list_companies"}
	}
	resp := &connectors.ListCompaniesResponse{}
	next, err := st.page(ctx, op, lp, req, func(vals []any) string {
		co := lp.companies.company(vals, st.set.parser)
		resp.Companies = append(resp.Companies, co)
		return co.ID
	}, func(n int) { resp.Companies = resp.Companies[:n] })
	if err != nil {
		return nil, err
	}
	resp.NextCursor = next
	return resp, nil
}

// page runs one page of lp: it asks for one row more than the page holds
// to learn whether another page follows, hands each row to add (which
// returns the row's id) and cuts the extra row off with truncate.
func (st *state) page(ctx context.Context, op string, lp *listPlan, req *connectors.ListRequest,
	add func(vals []any) string, truncate func(n int)) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", st.set.classify(ctx, op, err)
	}
	size := req.PageSize
	if size <= 0 {
		size = defaultPageSize
	}
	size = min(size, st.set.maxPage)

	args := pgx.NamedArgs{paramLimit: size + 1}
	after := req.Cursor != ""
	if after {
		id, err := decodeCursor(op, req.Cursor)
		if err != nil {
			return "", err
		}
		args[paramAfter] = id
	} else if lp.firstAfter != nil {
		args[paramAfter] = lp.firstAfter
	}
	since := !req.ChangedSince.IsZero()
	switch {
	case since:
		args[paramChangedSince] = req.ChangedSince.UTC()
	case lp.noSince != nil:
		args[paramChangedSince] = lp.noSince
	}

	rows, err := st.pool.Query(ctx, lp.sql(after, since), args)
	if err != nil {
		return "", st.listError(ctx, op, after, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return "", st.set.classify(ctx, op, err)
		}
		ids = append(ids, add(vals))
	}
	if err := rows.Err(); err != nil {
		return "", st.listError(ctx, op, after, err)
	}
	if len(ids) <= size {
		return "", nil
	}
	truncate(size)
	return encodeCursor(ids[size-1]), nil
}

// listError classifies a List failure; a value the database cannot read
// as an id, when a cursor was given, is the cursor's fault.
func (st *state) listError(ctx context.Context, op string, after bool, err error) error {
	// pgx has no error type for arguments it cannot encode: its message
	// ("failed to encode args[0]: ...") is the only mark.
	if after && ctx.Err() == nil && strings.Contains(err.Error(), "failed to encode args") {
		return connectors.Errorf(connectors.ClassInvalidRequest, op,
			"the cursor does not hold an id of this table: pass the NextCursor of the previous page, or an empty cursor to start over")
	}
	cerr := st.set.classify(ctx, op, err)
	if after && connectors.ClassOf(cerr) == connectors.ClassInvalidRequest {
		return connectors.Errorf(connectors.ClassInvalidRequest, op,
			"the cursor does not hold an id of this table (%v): pass the NextCursor of the previous page, or an empty cursor to start over", err)
	}
	return cerr
}

// cursorPrefix starts every cursor, so that garbage is told from an id.
const cursorPrefix = "pg1:"

// A cursor is the base64 (URL alphabet, unpadded) of cursorPrefix and the
// last id a page returned, in the id's text form; the next page asks for
// ids above it, so rows inserted or deleted between pages neither shift
// nor repeat the others.
func encodeCursor(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + id))
}

func decodeCursor(op, cursor string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	id, ok := strings.CutPrefix(string(raw), cursorPrefix)
	if err != nil || !ok {
		return "", connectors.Errorf(connectors.ClassInvalidRequest, op,
			"invalid cursor %q: pass the NextCursor of the previous page, or an empty cursor to start over", cursor)
	}
	return id, nil
}
