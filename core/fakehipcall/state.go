package fakehipcall

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/switchboard-hq/switchboard/core/hipcall"
)

// state is the fake's data.
type state struct {
	companies   map[int64]*hipcall.Company
	contacts    map[int64]*hipcall.Contact
	extensions  []hipcall.Extension
	nextCompany int64
	nextContact int64

	// calls are the calls AddCall stored, by uuid; comments, tags,
	// dispositions and recordings hang off them.
	calls        map[string]*callRecord
	nextCallSeq  int64
	nextComment  int64
	tags         map[int64]string // the account's tags: id → name
	dispositions []*DispositionType
	tasks        []*Task
	nextTask     int64
	// links are the recording links handed out, by token.
	links map[string]recordingLink

	cards  map[string][]cardRecord
	hungUp map[string]bool
}

// cardRecord is one accepted Insight Card.
type cardRecord struct {
	rows  []hipcall.Row
	shown bool
}

func newState() *state {
	return &state{
		companies:   map[int64]*hipcall.Company{},
		contacts:    map[int64]*hipcall.Contact{},
		nextCompany: 1, nextContact: 1,
		calls:       map[string]*callRecord{},
		nextComment: 1, nextTask: 1,
		tags:   map[int64]string{},
		links:  map[string]recordingLink{},
		cards:  map[string][]cardRecord{},
		hungUp: map[string]bool{},
	}
}

// sortedIDs returns a map's keys in ascending order (sort=id.asc).
func sortedIDs[V any](m map[int64]V) []int64 {
	ids := slices.Collect(maps.Keys(m))
	slices.Sort(ids)
	return ids
}

// pathID reads the {id} path parameter; ok is false for anything but a
// positive integer (Hipcall answers 404).
func pathID(c *call) (int64, bool) {
	id, err := strconv.ParseInt(c.params["id"], 10, 64)
	return id, err == nil && id > 0
}

// paging reads limit, offset and sort (only id.asc), answering 422 for
// bad values.
func paging(q url.Values) (limit, offset int, bad *reply) {
	limit, offset, _, bad = pagingSort(q, hipcall.SortIDAsc)
	return limit, offset, bad
}

// pagingSort reads limit, offset and sort, which must be one of sorts
// ("" when the query has none), answering 422 for bad values.
func pagingSort(q url.Values, sorts ...string) (limit, offset int, sort string, bad *reply) {
	limit, offset = hipcall.DefaultLimit, 0
	e := fieldErrors{}
	if v := q.Get("limit"); q.Has("limit") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > hipcall.MaxLimit {
			e.add("limit", "must be an integer between 1 and 100")
		}
		limit = n
	}
	if v := q.Get("offset"); q.Has("offset") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			e.add("offset", "must be an integer greater than or equal to 0")
		}
		offset = n
	}
	if q.Has("sort") {
		sort = q.Get("sort")
		if !contains(sorts, sort) {
			e.add("sort", msgInvalid)
		}
	}
	if len(e) > 0 {
		rep := invalid(e)
		return 0, 0, "", &rep
	}
	return limit, offset, sort, nil
}

// page answers one page of items.
func page[T any](items []T, limit, offset int) reply {
	start := min(offset, len(items))
	end := min(start+limit, len(items))
	data := items[start:end]
	if data == nil {
		data = []T{}
	}
	return reply{http.StatusOK, map[string]any{
		"data": data,
		"meta": map[string]int{"count": len(items), "offset": offset, "limit": limit},
	}}
}

// listPage answers the page of records that the query's paging asks for,
// by ascending id, each rendered as Hipcall shows it.
func listPage[T any](q url.Values, records map[int64]*T, render func(*T) map[string]any) reply {
	limit, offset, bad := paging(q)
	if bad != nil {
		return *bad
	}
	var items []map[string]any
	for _, id := range sortedIDs(records) {
		items = append(items, render(records[id]))
	}
	return page(items, limit, offset)
}

// cloneSorted returns copies of every record, by ascending id.
func cloneSorted[T any](records map[int64]*T, clone func(*T) *T) []T {
	out := make([]T, 0, len(records))
	for _, id := range sortedIDs(records) {
		out = append(out, *clone(records[id]))
	}
	return out
}

// orNull turns "" into JSON null, as Hipcall shows empty fields.
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// externalIDTaken reports whether a record of records other than the one
// numbered id already has the external id ext (nil: none to take).
func externalIDTaken[T any](records map[int64]*T, id int64, ext *string, externalID func(*T) *string) bool {
	if ext == nil {
		return false
	}
	for otherID, other := range records {
		if o := externalID(other); otherID != id && o != nil && *o == *ext {
			return true
		}
	}
	return false
}

// byExternalID answers the record whose external id is the {external_id}
// path parameter, the lowest-numbered if several, or 404.
func byExternalID[T any](c *call, records map[int64]*T, externalID func(*T) *string, render func(*T) map[string]any) reply {
	ext := c.params["external_id"]
	for _, id := range sortedIDs(records) {
		if e := externalID(records[id]); e != nil && *e == ext {
			return data(http.StatusOK, render(records[id]))
		}
	}
	return notFound()
}
