package hubspot

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Changed-since lists (issue 10 #5). The list API cannot filter by
// modification time, so a ListRequest with ChangedSince is answered by the
// search API: records whose last-modified property (lastmodifieddate for
// contacts, hs_lastmodifieddate for companies) is at or after the time,
// sorted by it ascending, 200 at a time (search's cap), paged by keyset
// (last-modified, id) rather than by search's offset, so HubSpot's 10,000
// results per query never cut a long backlog short.
//
// Budget. Search allows 5 requests a second per account, shared with live
// lookups, and the host polls every 2 s by default. So a changeFeed per
// object type keeps the last search's result (its window) and:
//
//   - starts a new search for a first page (empty cursor) at most once per
//     change_poll_interval; a first page asked sooner is answered from the
//     window (what changed since the time asked, as of that search) without
//     a request;
//   - answers later pages from the window while it covers them and is no
//     older than change_poll_interval, so a host page size below 200 costs
//     no more requests;
//   - spends at most rate_limit.change_search_per_second of the search
//     limit on change searches (a backlog's further pages), leaving the rest
//     to lookups.
//
// Lag. HubSpot's search shows a change a few seconds after its stamp
// (search_lag). A first page therefore looks back to the last complete
// search's time minus search_lag when that is earlier than the time asked,
// and adds the records from that stretch which it has not returned before
// with the same last-modified time (deduplicated by id and time), so a
// change that became searchable late is not lost between two polls even if
// the caller's own since has moved past its stamp.

// Change-poll defaults and bounds.
const (
	DefaultChangePollInterval    = 5 * time.Second
	DefaultSearchLag             = 10 * time.Second
	DefaultChangeSearchPerSecond = 2

	minChangePollInterval = 10 * time.Millisecond
	maxChangePollInterval = 20 * time.Second
	maxSearchLag          = 5 * time.Minute
)

// Properties of the changed-since searches.
const (
	propContactModified = "lastmodifieddate"
	propCompanyModified = "hs_lastmodifieddate"
	propObjectID        = "hs_object_id"
)

const pathSearchCompany = "/crm/v3/objects/companies/search"

// changeKey orders records in a changed-since listing: last-modified time
// in epoch milliseconds, then id.
type changeKey struct{ ms, id int64 }

func (a changeKey) less(b changeKey) bool { return a.ms < b.ms || (a.ms == b.ms && a.id < b.id) }

// changed is one record of a window with its key.
type changed struct {
	key changeKey
	obj object
}

// window is the answer of one search: every record with a key in
// (lower, upper] as search saw it at fetched; end means no upper bound.
type window struct {
	lower, upper changeKey
	end          bool
	recs         []changed // sorted by key
	fetched      time.Time
}

// covers reports whether the window holds every record after p that the
// next page needs.
func (w *window) covers(p changeKey) bool {
	return w != nil && !p.less(w.lower) && (w.end || p.less(w.upper))
}

// changeFeed answers the changed-since lists of one object type.
type changeFeed struct {
	typ      string // "contacts", "companies"
	path     string // the search path
	modified string // the last-modified property
	props    []string

	mu        sync.Mutex
	win       *window
	lastFirst time.Time // when the last first-page search was sent
	mark      time.Time // the last complete search's time minus search_lag
	// sent holds the last-modified times of records returned with a time at
	// or after mark-search_lag, by id, to drop repeats from the look-back.
	sent map[int64]int64
}

func newChangeFeeds(s *settings) map[string]*changeFeed {
	return map[string]*changeFeed{
		"contacts": {typ: "contacts", path: pathSearchContact, modified: propContactModified,
			props: append(contactProperties(s), propContactModified), sent: map[int64]int64{}},
		"companies": {typ: "companies", path: pathSearchCompany, modified: propCompanyModified,
			props: append(companyProperties(s), propCompanyModified), sent: map[int64]int64{}},
	}
}

// changeSort is one search sort.
type changeSort struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"`
}

// ceilMillis is t in epoch milliseconds, rounded up: HubSpot's times have
// milliseconds, so a record is at or after t exactly when its time is at or
// after ceilMillis(t).
func ceilMillis(t time.Time) int64 {
	ms := t.UnixMilli()
	if time.UnixMilli(ms).Before(t) {
		ms++
	}
	return ms
}

// A changed-since cursor is "hc:<ms>:<id>:<since ms>", base64 like the list
// cursor: the key of the last record returned and the time asked.

func encodeChangeCursor(p changeKey, since int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("hc:%d:%d:%d", p.ms, p.id, since)))
}

func decodeChangeCursor(op, cursor string) (changeKey, int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	rest, ok := strings.CutPrefix(string(raw), "hc:")
	parts := strings.Split(rest, ":")
	if err == nil && ok && len(parts) == 3 {
		ms, e1 := strconv.ParseInt(parts[0], 10, 64)
		id, e2 := strconv.ParseInt(parts[1], 10, 64)
		since, e3 := strconv.ParseInt(parts[2], 10, 64)
		if e1 == nil && e2 == nil && e3 == nil {
			return changeKey{ms, id}, since, nil
		}
	}
	return changeKey{}, 0, connectors.Errorf(connectors.ClassInvalidRequest, op,
		"invalid cursor %q for a changed-since list: pass the NextCursor of the previous page with the same ChangedSince, or an empty cursor to start over", cursor)
}

// list returns one page of the records changed since req.ChangedSince and
// the next cursor.
func (f *changeFeed) list(ctx context.Context, c *Connector, st *state, op string, req *connectors.ListRequest) ([]object, string, error) {
	size := req.PageSize
	if size <= 0 || size > maxSearchLimit {
		size = maxSearchLimit
	}
	since := ceilMillis(req.ChangedSince)
	var p changeKey
	first := req.Cursor == ""
	if first {
		p = changeKey{ms: since}
	} else {
		var err error
		if p, since, err = decodeChangeCursor(op, req.Cursor); err != nil {
			return nil, "", err
		}
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	now := c.clock.now()
	if first && !f.mark.IsZero() {
		// Look back for changes that became searchable after the last
		// complete search although stamped before the time asked.
		if m := f.mark.UnixMilli(); m < p.ms {
			p.ms = m
		}
	}
	fresh := f.win != nil && now.Sub(f.win.fetched) < st.set.changePollInterval
	if !fresh || !f.win.covers(p) {
		if first {
			if wait := f.lastFirst.Add(st.set.changePollInterval).Sub(now); wait > 0 {
				// A first page the window cannot answer: the caller asks
				// further back than the last search. Wait for the turn.
				if dl, ok := ctx.Deadline(); ok && dl.Before(now.Add(wait)) {
					return nil, "", connectors.Errorf(connectors.ClassRateLimited, op,
						"change_poll_interval allows the next changed-since search of %s in %s, past this call's deadline",
						f.typ, wait.Round(time.Millisecond))
				}
				if err := c.clock.sleep(ctx, wait); err != nil {
					return nil, "", ctxError(op, ctx)
				}
			}
			f.lastFirst = c.clock.now()
		}
		w, err := f.search(ctx, st, op, p)
		if err != nil {
			return nil, "", err
		}
		f.win = w
		if w.end && first {
			f.mark = w.fetched.Add(-st.set.searchLag)
			f.prune(f.mark.Add(-st.set.searchLag).UnixMilli())
		}
	}

	// Serve from the window.
	w := f.win
	i, _ := slices.BinarySearchFunc(w.recs, p, func(r changed, k changeKey) int {
		if r.key.less(k) || r.key == k {
			return -1
		}
		return 1
	})
	var out []object
	var last changeKey
	for ; i < len(w.recs) && len(out) < size; i++ {
		r := &w.recs[i]
		last = r.key
		if r.key.ms < since {
			// From the look-back: only what was not returned before.
			if f.sent[r.key.id] == r.key.ms {
				continue
			}
		}
		f.sent[r.key.id] = r.key.ms
		out = append(out, r.obj)
	}
	switch {
	case i < len(w.recs):
		return out, encodeChangeCursor(last, since), nil
	case w.end:
		return out, "", nil
	default:
		return out, encodeChangeCursor(w.upper, since), nil
	}
}

// prune forgets the sent times before ms.
func (f *changeFeed) prune(ms int64) {
	for id, t := range f.sent {
		if t < ms {
			delete(f.sent, id)
		}
	}
}

// search asks HubSpot for the records after p: one request, two when more
// than a search page of records share one millisecond.
func (f *changeFeed) search(ctx context.Context, st *state, op string, p changeKey) (*window, error) {
	ms := func(v int64) string { return strconv.FormatInt(v, 10) }
	body := searchBody{
		FilterGroups: []filterGroup{
			{Filters: []filter{{PropertyName: f.modified, Operator: "GT", Value: ms(p.ms)}}},
			{Filters: []filter{
				{PropertyName: f.modified, Operator: "EQ", Value: ms(p.ms)},
				{PropertyName: propObjectID, Operator: "GT", Value: ms(p.id)},
			}},
		},
		Sorts:      []changeSort{{PropertyName: f.modified, Direction: "ASCENDING"}},
		Properties: f.props,
		Limit:      maxSearchLimit,
	}
	if p.id == 0 {
		body.FilterGroups = []filterGroup{{Filters: []filter{{PropertyName: f.modified, Operator: "GTE", Value: ms(p.ms)}}}}
	}
	recs, more, fetched, err := f.do(ctx, st, op, body)
	if err != nil {
		return nil, err
	}
	w := &window{lower: p, end: !more, fetched: fetched}
	if more && len(recs) > 0 {
		// HubSpot orders ties of one sort property as it likes, so the
		// records sharing the page's last time may straddle the page's
		// end: keep those before it, the next search starts at it.
		lastMs := recs[len(recs)-1].key.ms
		keep := len(recs)
		for keep > 0 && recs[keep-1].key.ms == lastMs {
			keep--
		}
		if keep > 0 {
			recs = recs[:keep]
			w.upper = changeKey{ms: lastMs}
		} else {
			// A whole page at one millisecond: page that millisecond by id.
			after := int64(0)
			if p.ms == lastMs {
				after = p.id
			}
			tie := searchBody{
				FilterGroups: []filterGroup{{Filters: []filter{
					{PropertyName: f.modified, Operator: "EQ", Value: ms(lastMs)},
					{PropertyName: propObjectID, Operator: "GT", Value: ms(after)},
				}}},
				Sorts:      []changeSort{{PropertyName: propObjectID, Direction: "ASCENDING"}},
				Properties: f.props,
				Limit:      maxSearchLimit,
			}
			var tieMore bool
			if recs, tieMore, _, err = f.do(ctx, st, op, tie); err != nil {
				return nil, err
			}
			w.upper = changeKey{ms: lastMs, id: math.MaxInt64}
			if tieMore && len(recs) > 0 {
				w.upper = recs[len(recs)-1].key
			}
		}
	}
	slices.SortFunc(recs, func(a, b changed) int {
		switch {
		case a.key.less(b.key):
			return -1
		case b.key.less(a.key):
			return 1
		}
		return 0
	})
	// Keep the window's records inside its bounds.
	recs = slices.DeleteFunc(recs, func(r changed) bool { return !p.less(r.key) || (!w.end && w.upper.less(r.key)) })
	w.recs = recs
	return w, nil
}

// do sends one changed-since search and keys its records.
func (f *changeFeed) do(ctx context.Context, st *state, op string, body searchBody) ([]changed, bool, time.Time, error) {
	var pg page
	// Search shows what it held when the request went out (less its lag).
	fetched := st.api.clock.now()
	err := st.api.do(ctx, call{op: op, method: http.MethodPost, path: f.path, search: true, change: true, body: body}, &pg)
	if err != nil {
		return nil, false, time.Time{}, err
	}
	out := make([]changed, 0, len(pg.Results))
	for _, o := range pg.Results {
		id, err := strconv.ParseInt(o.ID, 10, 64)
		if err != nil {
			continue
		}
		t := parseTime(o.prop(f.modified))
		if t.IsZero() {
			t = parseTime(o.UpdatedAt)
		}
		out = append(out, changed{key: changeKey{ms: t.UnixMilli(), id: id}, obj: o})
	}
	return out, pg.next() != "", fetched, nil
}
