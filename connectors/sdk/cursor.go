package sdk

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Key is the type of a keyset: the column a connector pages by. It is
// typed so that a cursor made from an integer id decodes to an integer: in
// SQLite every INTEGER sorts below every TEXT, so `id > '42'` is false for
// every row and paging would end, silently, after the first page.
type Key interface{ int64 | string }

// Position is a decoded cursor: where the next page starts.
type Position[K Key] struct {
	// First is true for an empty cursor: the first page. After is then
	// the zero key (0, ""), below every positive integer and every
	// non-empty string; branch on First when keys can be below it.
	First bool
	// After is the last key of the previous page: the next page holds the
	// keys above it.
	After K
	// State is the extra state the connector gave EncodeCursor ("" for
	// none), returned as it was.
	State string
}

// cursor is a cursor's JSON, before base64. V versions the format; I and
// S hold the key, exactly one of them, by its type.
type cursor struct {
	V int     `json:"v"`
	I *int64  `json:"i,omitempty"`
	S *string `json:"s,omitempty"`
	X string  `json:"x,omitempty"`
}

// cursorVersion is the format EncodeCursor writes.
const cursorVersion = 1

// EncodeCursor returns the opaque cursor of a page that ended at key
// after, carrying state (any string, "" for none) to the next page.
func EncodeCursor[K Key](after K, state string) string {
	c := cursor{V: cursorVersion, X: state}
	switch k := any(after).(type) {
	case int64:
		c.I = &k
	case string:
		c.S = &k
	}
	raw, _ := json.Marshal(c) // cannot fail: two scalars and a string
	return base64.RawURLEncoding.EncodeToString(raw)
}

// DecodeCursor decodes a ListRequest's Cursor for the call op
// ("ListContacts"). An empty cursor is the first page. A cursor
// EncodeCursor did not make, or made with a key of the other type, is a
// ClassInvalidRequest error that tells the caller to start over.
func DecodeCursor[K Key](op, s string) (Position[K], error) {
	var pos Position[K]
	if s == "" {
		pos.First = true
		return pos, nil
	}
	bad := func(why string) (Position[K], error) {
		return Position[K]{}, connectors.Errorf(connectors.ClassInvalidRequest, op,
			"invalid cursor %q (%s): pass the NextCursor of the previous page, or an empty cursor to start over", s, why)
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return bad("not one this connector issued")
	}
	var c cursor
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || dec.More() {
		return bad("not one this connector issued")
	}
	if c.V != cursorVersion {
		return bad(fmt.Sprintf("cursor format %d, this connector reads %d", c.V, cursorVersion))
	}
	switch p := any(&pos.After).(type) {
	case *int64:
		if c.I == nil || c.S != nil {
			return bad("it does not hold an integer key")
		}
		*p = *c.I
	case *string:
		if c.S == nil || c.I != nil {
			return bad("it does not hold a text key")
		}
		*p = *c.S
	}
	pos.State = c.X
	return pos, nil
}

// Page sizes PageSize falls back to.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// PageSize is the page a List call should return: req.PageSize, or
// DefaultPageSize when it names none, at most MaxPageSize.
func PageSize(req *connectors.ListRequest) int {
	if req.PageSize <= 0 {
		return DefaultPageSize
	}
	return min(req.PageSize, MaxPageSize)
}

// NextPage finishes a keyset page. Fetch one row more than the page holds
// (LIMIT size+1, in key order): rows are those, in order. NextPage cuts
// the extra row off and returns the page and the cursor of the next one,
// made from the last key of the page and state; the cursor is "" when no
// row followed, so that the last page says it is the last.
func NextPage[T any, K Key](rows []T, size int, key func(T) K, state string) ([]T, string) {
	if len(rows) <= size || size <= 0 {
		return rows, ""
	}
	rows = rows[:size]
	return rows, EncodeCursor(key(rows[size-1]), state)
}

// Page is one List call on a keyset, for a connector that needs no extra
// state in its cursors: it decodes req.Cursor (DecodeCursor, so a bad
// cursor is an invalid_request error of op), asks fetch for up to limit
// records with keys above after, in key order (limit is one more than the
// page, PageSize(req)+1: SELECT ... WHERE id > @after ORDER BY id LIMIT
// @limit), and finishes the page (NextPage). after is the zero key on the
// first page. An error of fetch is returned as it is.
func Page[T any, K Key](op string, req *connectors.ListRequest, key func(T) K,
	fetch func(after K, limit int) ([]T, error)) ([]T, string, error) {
	pos, err := DecodeCursor[K](op, req.Cursor)
	if err != nil {
		return nil, "", err
	}
	size := PageSize(req)
	rows, err := fetch(pos.After, size+1)
	if err != nil {
		return nil, "", err
	}
	page, next := NextPage(rows, size, key, "")
	return page, next, nil
}
