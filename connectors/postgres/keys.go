package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/sdk"
)

// Lookups by key (connectors.KeyLookuper, capability lookup_by_key), in
// table mode: the contacts whose field holds a value. The fields are the
// block's fields: (each a column) and the standard id (columns.id), email
// (columns.emails) and external_id (a field of that name when mapped,
// else the id). The value is a bind parameter, folded in Go (trimmed,
// lower case: sdk.KeyFold); the column is folded in SQL the same way:
//
//	lower(btrim(account_no)) = @value
//
// which an expression index serves: CREATE INDEX ON customers
// (lower(btrim(account_no))). A field declared multi: true holds several
// values in one text, separated by commas or semicolons, and is split:
//
//	regexp_split_to_array(lower(btrim(order_numbers)), '\s*[,;]\s*') @> ARRAY[@value]
//
// which a GIN index on that expression serves. An array column (text[])
// is always several values: EXISTS (SELECT 1 FROM unnest(col) ...), which
// no index serves. An id of a type other than text is compared in its own
// type (id = @key_id, the primary key's index), and a value that is not
// of that type finds nothing. Every row is checked again with sdk's rule
// (sdk.KeyMatches) before it is answered. Queries mode has no lookups by
// key: its SQL is the operator's, and it has no lookup_by_key query.

// keyPlan is how a configuration looks records up by key.
type keyPlan struct {
	// head and tail surround a field's condition: "SELECT ... FROM t
	// WHERE (" and ") ORDER BY id LIMIT @limit".
	head, tail string
	// conds is the condition of each field, by name (the standard ones
	// included).
	conds map[string]string
	// recordID is the condition a RecordID adds.
	recordID string
	// fields are the block's field names, for the unknown field's error.
	fields []string
	layout *contactLayout
}

// Named parameters of the lookups by key.
const (
	paramValue    = "value"     // the value, folded
	paramKeyID    = "key_id"    // the value, trimmed, for an id of its own type
	paramRecordID = "record_id" // KeyLookupRequest.RecordID
)

// keyPlanFor builds the lookups by key of a table whose result columns
// have the type oids, reading list (the select list) into layout.
func keyPlanFor(c *contactCols, oids map[string]uint32, list, table string, layout *contactLayout) *keyPlan {
	id := ident(c.id.name)
	kp := &keyPlan{
		head:     fmt.Sprintf("SELECT %s FROM %s WHERE %s IS NOT NULL AND (", list, table, id),
		tail:     fmt.Sprintf(") ORDER BY %s LIMIT @limit", id),
		conds:    map[string]string{},
		recordID: id + " = @" + paramRecordID,
		layout:   layout,
	}
	idCond := id + " = @" + paramKeyID
	if isText(oids[c.id.name]) {
		idCond = keyCond(c.id.name, oids[c.id.name], false)
	}
	kp.conds[sdk.KeyFieldID] = idCond
	kp.conds[sdk.KeyFieldExternalID] = idCond
	var emails []string
	for _, e := range c.emails {
		emails = append(emails, keyCond(e.name, oids[e.name], false))
	}
	kp.conds[sdk.KeyFieldEmail] = "FALSE"
	if len(emails) > 0 {
		kp.conds[sdk.KeyFieldEmail] = strings.Join(emails, " OR ")
	}
	for _, f := range c.fields {
		kp.fields = append(kp.fields, f.name)
		if f.name != sdk.KeyFieldID && f.name != sdk.KeyFieldEmail { // the standard ones win, as in sdk.ContactKey
			kp.conds[f.name] = keyCond(f.col.name, oids[f.col.name], f.multi)
		}
	}
	return kp
}

// keyCond is the condition "the column holds @value".
func keyCond(column string, oid uint32, multi bool) string {
	col := ident(column)
	switch {
	case isArray(oid):
		return fmt.Sprintf("EXISTS (SELECT 1 FROM unnest(%s) AS v WHERE lower(btrim(v::text)) = @%s)", col, paramValue)
	case !isText(oid):
		col += "::text"
	}
	if multi {
		return fmt.Sprintf(`regexp_split_to_array(lower(btrim(%s)), '\s*[,;]\s*') @> ARRAY[@%s::text]`, col, paramValue)
	}
	return fmt.Sprintf("lower(btrim(%s)) = @%s", col, paramValue)
}

func isText(oid uint32) bool {
	switch oid {
	case oidText, oidVarchar, oidBpchar, oidName:
		return true
	}
	return false
}

func isArray(oid uint32) bool {
	switch oid {
	case oidTextArray, oidVarcharArr, oidBpcharArr:
		return true
	}
	return false
}

var _ connectors.KeyLookuper = (*Connector)(nil)

// LookupByKey implements connectors.KeyLookuper (table mode). The value
// looked for may be a secret's hash: it is a bind parameter, and it is
// never logged nor put in an error.
func (c *Connector) LookupByKey(ctx context.Context, req *connectors.KeyLookupRequest) (*connectors.KeyLookupResponse, error) {
	const op = "LookupByKey"
	st, err := c.current(op)
	if err != nil {
		return nil, err
	}
	kp := st.plan.keys
	if kp == nil {
		return nil, &connectors.Error{Class: connectors.ClassUnsupported, Op: op,
			Message: "this postgres connector has no lookups by key: they read a table (table: with columns:), not your own SQL"}
	}
	cond, ok := kp.conds[req.Field]
	if !ok {
		return nil, sdk.UnknownKeyField(req.Field, kp.fields)
	}
	if err := ctx.Err(); err != nil {
		return nil, st.set.classify(ctx, op, err)
	}
	value := sdk.KeyFold(req.Value)
	if value == "" {
		return &connectors.KeyLookupResponse{}, nil
	}
	limit := req.Limit
	if limit <= 0 {
		limit = sdk.DefaultKeyLookupLimit
	}
	sql := kp.head + cond
	args := pgx.NamedArgs{paramValue: value, paramKeyID: strings.TrimSpace(req.Value), paramLimit: limit}
	if req.RecordID != "" {
		sql += ") AND (" + kp.recordID
		args[paramRecordID] = req.RecordID
	}
	contacts, err := st.keyRows(ctx, sql+kp.tail, args)
	if err != nil {
		if err = st.keyError(ctx, op, err); errors.Is(err, errNoSuchID) {
			return &connectors.KeyLookupResponse{}, nil
		}
		return nil, err
	}
	return &connectors.KeyLookupResponse{Matches: sdk.KeyMatches(req, contacts, nil)}, nil
}

// keyRows runs a lookup by key and reads its rows as contacts.
func (st *state) keyRows(ctx context.Context, sql string, args pgx.NamedArgs) ([]connectors.Contact, error) {
	rows, err := st.pool.Query(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var contacts []connectors.Contact
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		ct, _ := st.plan.keys.layout.contact(vals, st.set.parser)
		contacts = append(contacts, ct)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return contacts, nil
}

// keyError classifies a failed lookup by key: a value (or record id) that
// is not of the id's type is errNoSuchID, which finds nothing. The others
// are classified as reads are; their messages never hold the value (only
// PostgreSQL's and pgx's for a value of the wrong type quote it, and
// those are errNoSuchID).
func (st *state) keyError(ctx context.Context, op string, err error) error {
	if ctx.Err() == nil && (strings.Contains(err.Error(), "failed to encode args") ||
		isCode(err, codeInvalidTextRepresentation) || isCode(err, codeNumericOutOfRange)) {
		return errNoSuchID
	}
	return st.set.classify(ctx, op, err)
}

// PostgreSQL error codes of a value of the wrong type.
const (
	codeInvalidTextRepresentation = "22P02"
	codeNumericOutOfRange         = "22003"
)

// errNoSuchID marks a lookup whose value cannot be an id.
var errNoSuchID = errors.New("not an id of the table's type")
