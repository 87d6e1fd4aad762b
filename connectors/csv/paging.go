package csv

import (
	"encoding/base64"
	"sort"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

// A cursor is the base64 (URL alphabet, unpadded) of the last ID a page
// returned. Records are kept in ID order, so the next page starts at the
// first ID after it in whatever snapshot is current: a reload between
// pages neither repeats nor skips records that were there all along.

func encodeCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

func decodeCursor(op, cursor string) (string, error) {
	id, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(id) == 0 {
		return "", connectors.Errorf(connectors.ClassInvalidRequest, op,
			"invalid cursor %q: pass the NextCursor of the previous page, or an empty cursor to start over", cursor)
	}
	return string(id), nil
}

// pageOf returns one page of items (sorted by id) after req.Cursor,
// keeping only those updated at or after req.ChangedSince, and the cursor
// of the next page ("" after the last).
func pageOf[T any](items []T, req *connectors.ListRequest, op string,
	id func(*T) string, updated func(*T) time.Time) ([]*T, string, error) {
	start := 0
	if req.Cursor != "" {
		after, err := decodeCursor(op, req.Cursor)
		if err != nil {
			return nil, "", err
		}
		start = sort.Search(len(items), func(i int) bool { return id(&items[i]) > after })
	}
	size := req.PageSize
	if size <= 0 {
		size = defaultPageSize
	}
	size = min(size, maxPageSize)
	keep := func(t *T) bool {
		return req.ChangedSince.IsZero() || !updated(t).Before(req.ChangedSince)
	}

	var page []*T
	i := start
	for ; i < len(items) && len(page) < size; i++ {
		if keep(&items[i]) {
			page = append(page, &items[i])
		}
	}
	// Only hand out a cursor if another matching record follows.
	for ; i < len(items); i++ {
		if keep(&items[i]) {
			return page, encodeCursor(id(page[len(page)-1])), nil
		}
	}
	return page, "", nil
}
