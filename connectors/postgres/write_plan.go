package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
)

// logCallPlan is the SQL LogCall runs, checked against the database.
type logCallPlan struct {
	// insert writes a log and returns its id, or no row when the key was
	// logged before; existing returns the id of a logged key. Both use
	// named parameters (logParams).
	insert, existing string
	// contact and company: a log can name a contact / a company.
	contact, company bool
	// where names what is written, for messages ("table call_logs",
	// "log_call.sql").
	where string
	// tableMode: the connector wrote the SQL.
	tableMode bool
}

// createContactPlan is the SQL CreateContact runs.
type createContactPlan struct {
	// insert writes a contact and returns its id first, with named
	// parameters (contactParams, and full_name in table mode).
	insert string
	// where names what is written, for messages ("table contacts",
	// "create_contact.sql").
	where string
}

// tableColumn is one column of a table as the catalog describes it.
type tableColumn struct {
	oid      uint32
	typmod   int32
	typeName string // format_type: "character varying(50)"
	notNull  bool
	// defaulted: the column has a default, or is an identity or a
	// generated column, so an INSERT may leave it out.
	defaulted bool
}

// tableInfo is a table's columns.
type tableInfo struct {
	oid   uint32
	names []string // in the table's order
	cols  map[string]tableColumn
}

// describeTable reads a table's columns from the catalog; nil when there
// is no such table (or schema).
func describeTable(ctx context.Context, conn *pgx.Conn, table pgx.Identifier) (*tableInfo, error) {
	var oid *uint32
	if err := conn.QueryRow(ctx, "SELECT to_regclass($1)::oid", table.Sanitize()).Scan(&oid); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == codeInvalidSchemaName {
			return nil, nil
		}
		return nil, err
	}
	if oid == nil {
		return nil, nil
	}
	rows, err := conn.Query(ctx, `SELECT attname, atttypid, atttypmod, format_type(atttypid, atttypmod),
			attnotnull, atthasdef OR attidentity <> ''
		FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, *oid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	info := &tableInfo{oid: *oid, cols: map[string]tableColumn{}}
	for rows.Next() {
		var name string
		var col tableColumn
		if err := rows.Scan(&name, &col.oid, &col.typmod, &col.typeName, &col.notNull, &col.defaulted); err != nil {
			return nil, err
		}
		info.names = append(info.names, name)
		info.cols[name] = col
	}
	return info, rows.Err()
}

// hasUniqueIndex reports whether the table has a unique index (or a
// unique or primary key constraint) on exactly column, which INSERT ...
// ON CONFLICT (column) can use: valid, not deferrable, not partial.
func hasUniqueIndex(ctx context.Context, conn *pgx.Conn, table uint32, column string) (bool, error) {
	var ok bool
	err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_index i
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
		WHERE i.indrelid = $1 AND i.indisunique AND i.indimmediate AND i.indisvalid AND i.indnkeyatts = 1
		  AND i.indpred IS NULL AND i.indexprs IS NULL AND a.attname = $2)`, table, column).Scan(&ok)
	return ok, err
}

// userTypes start at this OID (FirstNormalObjectId): domains, enums and
// extension types (citext) the connector cannot judge.
const firstUserOID = 16384

// maxKeyLength is the longest key the contract sends (write.go).
const maxKeyLength = 200

// fieldTypeProblem says why a column of col's type cannot hold the logged
// call's field, "" when it can. Fields of other kinds (ids, texts) go
// into any column PostgreSQL can read their text into.
func fieldTypeProblem(field string, col tableColumn) string {
	if col.oid >= firstUserOID {
		return ""
	}
	text := col.oid == oidText || col.oid == oidVarchar || col.oid == oidBpchar
	switch field {
	case paramKey:
		if !text {
			return fmt.Sprintf("the key (the phone system's call id and the action's name, up to %d characters) needs a text column", maxKeyLength)
		}
		if col.typmod > 0 && col.typmod-4 < maxKeyLength {
			return fmt.Sprintf("a key is up to %d characters: make the column text or varchar(%d)", maxKeyLength, maxKeyLength)
		}
	case paramStartedAt, paramAnsweredAt, paramEndedAt:
		switch col.oid {
		case oidTimestamptz, oidTimestamp, oidDate:
		default:
			if !text {
				return "a time goes into a timestamptz (or timestamp, date or text) column"
			}
		}
	case paramTalkSeconds:
		switch col.oid {
		case oidInt2, oidInt4, oidInt8, oidNumeric, oidFloat4, oidFloat8:
		default:
			if !text {
				return "talk_seconds is a whole number of seconds: map it to an integer (or numeric or text) column"
			}
		}
	}
	return ""
}

// writePlans checks the configured writes against the database and
// builds their SQL. readOK: the read plan was built (create_contact in
// table mode writes into the table it reads).
func (s *settings) writePlans(ctx context.Context, conn *pgx.Conn, readOK bool) (*logCallPlan, *createContactPlan, []connectors.Problem, error) {
	var problems []connectors.Problem
	var lp *logCallPlan
	var cp *createContactPlan
	if s.logCall != nil {
		var more []connectors.Problem
		var err error
		if s.logCall.tableMode() {
			lp, more, err = s.logCallTablePlan(ctx, conn)
		} else {
			lp, more, err = s.logCallSQLPlan(ctx, conn)
		}
		if err != nil {
			return nil, nil, nil, err
		}
		problems = append(problems, more...)
	}
	if s.createContact != nil && readOK {
		var more []connectors.Problem
		var err error
		if s.createContact.insert == nil {
			cp, more, err = s.createContactTablePlan(ctx, conn)
		} else {
			cp, more, err = s.createContactSQLPlan(ctx, conn)
		}
		if err != nil {
			return nil, nil, nil, err
		}
		problems = append(problems, more...)
	}
	return lp, cp, problems, nil
}

// missingTable is the problem of a table the catalog does not know.
func (s *settings) missingTable(path, name string) connectors.Problem {
	_, db := s.userAndDatabase()
	return conf.Problemf(path, "table %q does not exist in database %q on %s: create it, or fix %s "+
		"(a table outside the search path is written schema.table)", name, db, s.where(), path)
}

// logCallTablePlan checks log_call.table (its columns, their types, the
// unique index on the key) and writes the SQL.
func (s *settings) logCallTablePlan(ctx context.Context, conn *pgx.Conn) (*logCallPlan, []connectors.Problem, error) {
	l := s.logCall
	info, err := describeTable(ctx, conn, l.table)
	if err != nil {
		return nil, nil, s.classify(ctx, "Configure", err)
	}
	if info == nil {
		return nil, []connectors.Problem{s.missingTable("log_call.table", l.tableName)}, nil
	}
	where := "table " + l.tableName
	r := newResolver(info.names, where)
	mapped := map[string]bool{}
	for _, lc := range l.cols {
		r.col(lc.col)
		mapped[lc.col.name] = true
	}
	if l.id.path != l.key.path {
		r.col(l.id)
	}
	problems := r.problems
	keyOK := false
	for _, lc := range l.cols {
		col, ok := info.cols[lc.col.name]
		if !ok {
			continue
		}
		if msg := fieldTypeProblem(lc.param, col); msg != "" {
			problems = append(problems, conf.Problemf(lc.col.path, "column %q is of type %s: %s", lc.col.name, col.typeName, msg))
		} else if lc.param == paramKey {
			keyOK = true
		}
	}
	for _, name := range info.names {
		if col := info.cols[name]; col.notNull && !col.defaulted && !mapped[name] {
			problems = append(problems, conf.Problemf("log_call.columns",
				"column %q of %s is NOT NULL and has no default, and no field is mapped to it: map one to it, "+
					"give it a DEFAULT, or allow NULL", name, where))
		}
	}
	if keyOK {
		ok, err := hasUniqueIndex(ctx, conn, info.oid, l.key.name)
		if err != nil {
			return nil, nil, s.classify(ctx, "Configure", err)
		}
		if !ok {
			problems = append(problems, conf.Problemf(l.key.path,
				"column %q of %s has no unique index, so the connector cannot tell a retried log from a new one: "+
					"create a unique index on %s(%s) (CREATE UNIQUE INDEX ON %s (%s)); a partial or deferrable one does not do",
				l.key.name, where, l.tableName, l.key.name, l.table.Sanitize(), ident(l.key.name)))
		}
	}
	if len(problems) > 0 {
		return nil, problems, nil
	}

	table := l.table.Sanitize()
	cols := make([]string, len(l.cols))
	vals := make([]string, len(l.cols))
	for i, lc := range l.cols {
		cols[i], vals[i] = ident(lc.col.name), "@"+lc.param
	}
	key, id := ident(l.key.name), ident(l.id.name)
	p := &logCallPlan{
		insert: fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO NOTHING RETURNING %s",
			table, strings.Join(cols, ", "), strings.Join(vals, ", "), key, id),
		existing:  fmt.Sprintf("SELECT %s FROM %s WHERE %s = @%s", id, table, key, paramKey),
		contact:   l.contact,
		company:   l.company,
		where:     where,
		tableMode: true,
	}
	// Prepare what was written: anything the checks above missed (a
	// generated column, a type without a conversion) shows here.
	for _, sql := range []string{p.insert, p.existing} {
		if msg, err := prepareProblem(ctx, conn, sql, logParams); err != nil {
			return nil, nil, s.classify(ctx, "Configure", err)
		} else if msg != "" {
			problems = append(problems, conf.Problemf("log_call", "PostgreSQL cannot prepare the connector's %s: %s", firstWord(sql), msg))
		}
	}
	if len(problems) > 0 {
		return nil, problems, nil
	}
	return p, nil, nil
}

// logCallSQLPlan prepares log_call.sql and log_call.existing_sql.
func (s *settings) logCallSQLPlan(ctx context.Context, conn *pgx.Conn) (*logCallPlan, []connectors.Problem, error) {
	l := s.logCall
	var problems []connectors.Problem
	for _, q := range []*namedQuery{l.insert, l.existing} {
		sd, _, err := prepareNamed(ctx, conn, q)
		if err != nil {
			msg, perr := pgProblem(err)
			if perr != nil {
				return nil, nil, s.classify(ctx, "Configure", perr)
			}
			problems = append(problems, conf.Problemf(q.path, "PostgreSQL cannot prepare %s: %s; fix the SQL", q.path, msg))
			continue
		}
		if len(sd.Fields) == 0 {
			if q == l.insert {
				problems = append(problems, conf.Problemf(q.path, "log_call.sql returns nothing: end it with RETURNING and the log's id "+
					"(INSERT ... ON CONFLICT (ext_key) DO NOTHING RETURNING id): the id is the log's, and no row tells a retry from a new log"))
			} else {
				problems = append(problems, conf.Problemf(q.path, "log_call.existing_sql returns no column: select the log's id, "+
					"as in SELECT id FROM activity WHERE ext_key = @key"))
			}
		}
	}
	if len(problems) > 0 {
		return nil, problems, nil
	}
	return &logCallPlan{insert: l.insert.sql, existing: l.existing.sql, contact: l.contact, company: l.company, where: "log_call.sql"}, nil, nil
}

// createContactTablePlan writes the INSERT of a contact into the table
// the connector reads: the names, the number in the first phone_key and
// phones columns, company_id (with the company's name from its other
// contacts) and owner when mapped, updated_at now. The table must make
// the id.
func (s *settings) createContactTablePlan(ctx context.Context, conn *pgx.Conn) (*createContactPlan, []connectors.Problem, error) {
	info, err := describeTable(ctx, conn, s.table)
	if err != nil {
		return nil, nil, s.classify(ctx, "Configure", err)
	}
	if info == nil {
		return nil, []connectors.Problem{s.missingTable("table", s.tableName)}, nil
	}
	c := &s.contacts
	var cols, vals []string
	written := map[string]bool{}
	set := func(ref colRef, expr string) {
		col, ok := info.cols[ref.name]
		if !ref.set() || !ok || written[ref.name] {
			return
		}
		switch col.oid {
		case oidTextArray, oidVarcharArr, oidBpcharArr:
			expr = "ARRAY[" + expr + "]"
		}
		written[ref.name] = true
		cols = append(cols, ident(ref.name))
		vals = append(vals, expr)
	}
	// @phone may go into two columns of different types: give it one.
	phoneExpr := "CAST(@" + paramPhone + " AS text)"
	set(c.phoneKey[0], phoneExpr)
	if len(c.phones) > 0 {
		set(c.phones[0], phoneExpr)
	}
	if c.name.set() {
		set(c.name, "@"+paramFullName)
	} else {
		set(c.firstName, "@"+paramFirstName)
		set(c.lastName, "@"+paramLastName)
	}
	set(c.companyID, "@"+paramCompanyID)
	if c.company.set() && c.companyID.set() {
		// The company's name as its other contacts have it (the name
		// ListCompanies gives the company).
		set(c.company, fmt.Sprintf("(SELECT min(%s) FROM %s WHERE %s = @%s)",
			ident(c.company.name), s.table.Sanitize(), ident(c.companyID.name), paramCompanyID))
	}
	set(c.owner, "@"+paramOwnerID)
	set(c.updatedAt, "now()")

	where := "table " + s.tableName
	var problems []connectors.Problem
	if id, ok := info.cols[c.id.name]; ok && !id.defaulted {
		problems = append(problems, conf.Problemf("create_contact",
			"column %q of %s has no default, and create_contact inserts contacts without an id: make the table "+
				"number them (ALTER TABLE %s ALTER COLUMN %s ADD GENERATED BY DEFAULT AS IDENTITY, or for a uuid SET DEFAULT gen_random_uuid()) "+
				"or write create_contact.sql", c.id.name, where, s.table.Sanitize(), ident(c.id.name)))
	}
	for _, name := range info.names {
		if col := info.cols[name]; col.notNull && !col.defaulted && !written[name] && name != c.id.name {
			problems = append(problems, conf.Problemf("create_contact",
				"column %q of %s is NOT NULL and has no default, and create_contact does not fill it: give it a DEFAULT, "+
					"allow NULL, or write create_contact.sql", name, where))
		}
	}
	if len(problems) > 0 {
		return nil, problems, nil
	}
	p := &createContactPlan{
		insert: fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) RETURNING %s",
			s.table.Sanitize(), strings.Join(cols, ", "), strings.Join(vals, ", "), ident(c.id.name)),
		where: where,
	}
	msg, err := prepareProblem(ctx, conn, p.insert, append([]string{paramFullName}, contactParams...))
	if err != nil {
		return nil, nil, s.classify(ctx, "Configure", err)
	}
	if msg != "" {
		return nil, []connectors.Problem{conf.Problemf("create_contact", "PostgreSQL cannot prepare the connector's INSERT into %s: %s", where, msg)}, nil
	}
	return p, nil, nil
}

// createContactSQLPlan prepares create_contact.sql.
func (s *settings) createContactSQLPlan(ctx context.Context, conn *pgx.Conn) (*createContactPlan, []connectors.Problem, error) {
	q := s.createContact.insert
	sd, _, err := prepareNamed(ctx, conn, q)
	if err != nil {
		msg, perr := pgProblem(err)
		if perr != nil {
			return nil, nil, s.classify(ctx, "Configure", perr)
		}
		return nil, []connectors.Problem{conf.Problemf(q.path, "PostgreSQL cannot prepare %s: %s; fix the SQL", q.path, msg)}, nil
	}
	if len(sd.Fields) == 0 {
		return nil, []connectors.Problem{conf.Problemf(q.path, "create_contact.sql returns nothing: end it with RETURNING "+
			"and the new contact's id (INSERT INTO people (...) VALUES (...) RETURNING id)")}, nil
	}
	return &createContactPlan{insert: q.sql, where: q.path}, nil, nil
}

// prepareProblem prepares sql, whose named parameters are among params,
// and returns what PostgreSQL says is wrong with it ("" when nothing);
// an error is a failure that is not the SQL's.
func prepareProblem(ctx context.Context, conn *pgx.Conn, sql string, params []string) (string, error) {
	used, _ := namedParams(sql, params)
	_, _, err := prepareNamed(ctx, conn, &namedQuery{sql: sql, params: used})
	if err == nil {
		return "", nil
	}
	return pgProblem(err)
}

// pgProblem is PostgreSQL's complaint about a statement, with where in
// it; an error that is not PostgreSQL's is returned as it is.
func pgProblem(err error) (string, error) {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return "", err
	}
	switch pgErr.Code[:2] {
	case "08", "53", "57": // the connection or the server, not the SQL
		return "", err
	}
	msg := pgErr.Message
	if pgErr.Position > 0 {
		msg += fmt.Sprintf(" (at character %d)", pgErr.Position)
	}
	return msg, nil
}

// firstWord is the statement's verb, for messages.
func firstWord(sql string) string {
	if f := strings.Fields(sql); len(f) > 0 {
		return f[0]
	}
	return "statement"
}
