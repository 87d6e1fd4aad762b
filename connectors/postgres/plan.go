package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
)

// plan is the SQL a configuration runs and how its rows map, checked
// against the live database.
type plan struct {
	// lookup is the lookup SQL with named parameters; "" without lookups.
	lookup       string
	lookupLayout *contactLayout

	// contacts and companies page the records.
	contacts  *listPlan
	companies *listPlan

	// keys are the lookups by key (keys.go); nil in queries mode.
	keys *keyPlan

	// The writes (write_plan.go); nil when not configured.
	logCall       *logCallPlan
	createContact *createContactPlan
}

// listPlan is how one kind of record is paged.
type listPlan struct {
	// sql builds the statement for a page: with "id > @after" when after,
	// with the changed-since condition when since. In queries mode it is
	// the operator's query whatever the flags.
	sql func(after, since bool) string
	// firstAfter is the @after of the first page in queries mode (the
	// lowest value of the id's type); nil in table mode, whose first page
	// has no lower bound.
	firstAfter any
	// noSince is the @changed_since that keeps every row, in queries mode.
	noSince any

	contacts  *contactLayout // one of contacts and companies is set
	companies *companyLayout
}

// Type OIDs the connector needs to tell apart.
const (
	oidText        = 25
	oidVarchar     = 1043
	oidBpchar      = 1042
	oidName        = 19
	oidTextArray   = 1009
	oidVarcharArr  = 1015
	oidBpcharArr   = 1014
	oidInt2        = 21
	oidInt4        = 23
	oidInt8        = 20
	oidNumeric     = 1700
	oidFloat4      = 700
	oidFloat8      = 701
	oidUUID        = 2950
	oidTimestamp   = 1114
	oidTimestamptz = 1184
	oidDate        = 1082
)

// makePlan checks the configuration against the database over conn and
// builds its SQL, the writes' included. Problems are the configuration's fault (a missing table
// or column, SQL that does not prepare) and carry its paths; an error is
// anything else (the connection failed).
func (s *settings) makePlan(ctx context.Context, conn *pgx.Conn) (*plan, []connectors.Problem, error) {
	var (
		p        *plan
		problems []connectors.Problem
		err      error
	)
	if s.tableMode() {
		p, problems, err = s.tablePlan(ctx, conn)
	} else {
		p, problems, err = s.queriesPlan(ctx, conn)
	}
	if err != nil {
		return nil, nil, err
	}
	logCall, createContact, more, err := s.writePlans(ctx, conn, len(problems) == 0)
	if err != nil {
		return nil, nil, err
	}
	if problems = append(problems, more...); len(problems) > 0 {
		return nil, problems, nil
	}
	p.logCall, p.createContact = logCall, createContact
	return p, nil, nil
}

// tablePlan reads the table's columns and builds the SQL for them.
func (s *settings) tablePlan(ctx context.Context, conn *pgx.Conn) (*plan, []connectors.Problem, error) {
	table := s.table.Sanitize()
	sd, err := conn.Prepare(ctx, "", "SELECT * FROM "+table+" LIMIT 0")
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && (pgErr.Code == codeUndefinedTable || pgErr.Code == codeInvalidSchemaName) {
			_, db := s.userAndDatabase()
			return nil, []connectors.Problem{conf.Problemf("table",
				"table %q does not exist in database %q on %s: create it, or fix table: "+
					"(a table outside the search path is written schema.table)", s.tableName, db, s.where())}, nil
		}
		return nil, nil, s.classify(ctx, "Configure", err)
	}
	names := make([]string, len(sd.Fields))
	oids := make(map[string]uint32, len(sd.Fields))
	for i, f := range sd.Fields {
		names[i] = f.Name
		oids[f.Name] = f.DataTypeOID
	}
	r := newResolver(names, "table "+s.tableName)
	c := &s.contacts
	// Check every mapped column (problems carry their paths).
	r.contactLayout(c, true)
	for _, k := range c.phoneKey {
		oid, ok := oids[k.name]
		if !ok {
			continue
		}
		switch oid {
		case oidText, oidVarchar, oidBpchar, oidTextArray, oidVarcharArr, oidBpcharArr:
		default:
			r.problems = append(r.problems, conf.Problemf(k.path,
				"column %q is of type %s: a phone_key column must be text (or text[]) holding numbers in E.164 (+442045205757)",
				k.name, typeName(conn, oid)))
		}
	}
	if len(r.problems) > 0 {
		return nil, r.problems, nil
	}

	// The select list: every mapped column once, in a fixed order.
	var selected []string
	seen := map[string]bool{}
	pick := func(refs ...colRef) {
		for _, ref := range refs {
			if ref.set() && !seen[ref.name] {
				seen[ref.name] = true
				selected = append(selected, ref.name)
			}
		}
	}
	pick(c.id, c.firstName, c.lastName, c.name, c.company, c.companyID, c.owner, c.jobTitle, c.updatedAt)
	pick(c.phones...)
	pick(c.emails...)
	pick(c.phoneKey...)
	for _, f := range c.fields {
		pick(f.col)
	}
	quoted := make([]string, len(selected))
	for i, n := range selected {
		quoted[i] = ident(n)
	}
	list := strings.Join(quoted, ", ")
	layout := newResolver(selected, "").contactLayout(c, true)
	id := ident(c.id.name)

	p := &plan{}
	if len(c.phoneKey) > 0 {
		conds := make([]string, len(c.phoneKey))
		for i, k := range c.phoneKey {
			switch oids[k.name] {
			case oidTextArray, oidVarcharArr, oidBpcharArr:
				// Containment can use a GIN index on the array.
				conds[i] = ident(k.name) + " @> ARRAY[@e164]"
			default:
				conds[i] = ident(k.name) + " = @e164"
			}
		}
		p.lookup = fmt.Sprintf("SELECT %s FROM %s WHERE %s ORDER BY %s LIMIT @limit",
			list, table, strings.Join(conds, " OR "), id)
		p.lookupLayout = layout
	}

	p.keys = keyPlanFor(c, oids, list, table, layout)

	updated := ""
	if c.updatedAt.set() {
		updated = ident(c.updatedAt.name)
	}
	p.contacts = &listPlan{contacts: layout, sql: func(after, since bool) string {
		where := []string{id + " IS NOT NULL"}
		if after {
			where = append(where, id+" > @after")
		}
		if since && updated != "" {
			where = append(where, updated+" >= @changed_since")
		}
		return fmt.Sprintf("SELECT %s FROM %s WHERE %s ORDER BY %s LIMIT @limit",
			list, table, strings.Join(where, " AND "), id)
	}}

	if c.companyID.set() {
		cid := ident(c.companyID.name)
		name, upd := "NULL", "NULL"
		if c.company.set() {
			name = "min(" + ident(c.company.name) + ")"
		}
		if updated != "" {
			upd = "max(" + updated + ")"
		}
		cols := []string{"id", "name", "updated_at"}
		companyLayout := newResolver(cols, "").companyLayout(&companyCols{
			id: colRef{name: "id"}, name: colRef{name: "name"}, updatedAt: colRef{name: "updated_at"},
		})
		p.companies = &listPlan{companies: companyLayout, sql: func(after, since bool) string {
			where := []string{cid + " IS NOT NULL"}
			if after {
				where = append(where, cid+" > @after")
			}
			having := ""
			if since && updated != "" {
				having = " HAVING max(" + updated + ") >= @changed_since"
			}
			return fmt.Sprintf("SELECT %s AS id, %s AS name, %s AS updated_at FROM %s WHERE %s GROUP BY %s%s ORDER BY %s LIMIT @limit",
				cid, name, upd, table, strings.Join(where, " AND "), cid, having, cid)
		}}
	}
	return p, nil, nil
}

// queriesPlan prepares the operator's queries to check them and learn
// their result columns and parameter types.
func (s *settings) queriesPlan(ctx context.Context, conn *pgx.Conn) (*plan, []connectors.Problem, error) {
	p := &plan{}
	var problems []connectors.Problem
	for _, q := range []*namedQuery{s.lookup, s.listContacts, s.listCompanies} {
		if q == nil {
			continue
		}
		sd, ordinals, err := prepareNamed(ctx, conn, q)
		if err != nil {
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) {
				return nil, nil, s.classify(ctx, "Configure", err)
			}
			msg := pgErr.Message
			if pgErr.Position > 0 {
				msg += fmt.Sprintf(" (at character %d of the query)", pgErr.Position)
			}
			problems = append(problems, conf.Problemf(q.path,
				"PostgreSQL cannot prepare the %s query: %s; fix the SQL", q.key, msg))
			continue
		}
		names := make([]string, len(sd.Fields))
		for i, f := range sd.Fields {
			names[i] = f.Name
		}
		r := newResolver(names, "the result of the "+q.key+" query")
		param := func(name string) uint32 {
			if i, ok := ordinals[name]; ok && i < len(sd.ParamOIDs) {
				return sd.ParamOIDs[i]
			}
			return 0
		}
		sql := q.sql
		switch q.key {
		case "lookup":
			p.lookup, p.lookupLayout = sql, r.contactLayout(&s.contacts, false)
		default:
			lp := &listPlan{sql: func(bool, bool) string { return sql }}
			if q.key == "list_contacts" {
				lp.contacts, p.contacts = r.contactLayout(&s.contacts, false), lp
			} else {
				lp.companies, p.companies = r.companyLayout(&s.companies), lp
			}
			var ok bool
			if lp.firstAfter, ok = lowest(param(paramAfter)); !ok {
				problems = append(problems, conf.Problemf(q.path,
					"@after compares with a value of type %s, which the connector cannot page by: "+
						"page by an id of type text, integer, numeric or uuid (or compare id::text > @after and ORDER BY id::text)",
					typeName(conn, param(paramAfter))))
			}
			if q.uses(paramChangedSince) {
				if lp.noSince, ok = beginningOfTime(param(paramChangedSince)); !ok {
					problems = append(problems, conf.Problemf(q.path,
						"@changed_since compares with a value of type %s: compare it with a timestamptz, timestamp or date column "+
							"(updated_at >= @changed_since)", typeName(conn, param(paramChangedSince))))
				}
			}
		}
		problems = append(problems, r.problems...)
	}
	if len(problems) > 0 {
		return nil, problems, nil
	}
	return p, nil, nil
}

// prepareNamed prepares q (rewritten to positional parameters, as pgx
// will run it) and returns the ordinal (0-based) of each named parameter.
func prepareNamed(ctx context.Context, conn *pgx.Conn, q *namedQuery) (*pgconn.StatementDescription, map[string]int, error) {
	sentinels := pgx.NamedArgs{}
	for name := range q.params {
		sentinels[name] = name
	}
	sql, args, err := sentinels.RewriteQuery(ctx, conn, q.sql, nil)
	if err != nil {
		return nil, nil, err
	}
	ordinals := make(map[string]int, len(args))
	for i, a := range args {
		if name, ok := a.(string); ok {
			ordinals[name] = i
		}
	}
	sd, err := conn.Prepare(ctx, "", sql)
	return sd, ordinals, err
}

// lowest is a value below every id of the type, for the first page's
// @after.
func lowest(oid uint32) (any, bool) {
	switch oid {
	case oidText, oidVarchar, oidBpchar, oidName:
		return "", true
	case oidInt2:
		return int16(math.MinInt16), true
	case oidInt4:
		return int32(math.MinInt32), true
	case oidInt8:
		return int64(math.MinInt64), true
	case oidFloat4, oidFloat8:
		return math.Inf(-1), true
	case oidNumeric:
		return pgtype.Numeric{InfinityModifier: pgtype.NegativeInfinity, Valid: true}, true
	case oidUUID:
		return "00000000-0000-0000-0000-000000000000", true
	case oidTimestamptz:
		return pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}, true
	case oidTimestamp:
		return pgtype.Timestamp{InfinityModifier: pgtype.NegativeInfinity, Valid: true}, true
	case oidDate:
		return pgtype.Date{InfinityModifier: pgtype.NegativeInfinity, Valid: true}, true
	}
	return nil, false
}

// beginningOfTime is the @changed_since that keeps every row.
func beginningOfTime(oid uint32) (any, bool) {
	switch oid {
	case oidTimestamptz, oidTimestamp, oidDate:
		return lowest(oid)
	}
	return nil, false
}

// typeName names a type OID for messages.
func typeName(conn *pgx.Conn, oid uint32) string {
	if t, ok := conn.TypeMap().TypeForOID(oid); ok {
		return t.Name
	}
	return fmt.Sprintf("oid %d", oid)
}

// ident quotes one identifier from the configuration.
func ident(name string) string { return pgx.Identifier{name}.Sanitize() }
