package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

var (
	_ connectors.CallLogger     = (*Connector)(nil)
	_ connectors.ContactCreator = (*Connector)(nil)
)

// LogCall implements connectors.CallLogger. It inserts the log unless its
// key is there already (INSERT ... ON CONFLICT (key) DO NOTHING RETURNING
// id, or log_call.sql); when nothing was inserted it finds the logged
// key's id (SELECT id ... WHERE key = @key, or log_call.existing_sql) and
// answers it with Existing. The unique index on the key makes concurrent
// logs of one key write one row.
func (c *Connector) LogCall(ctx context.Context, req *connectors.LogCallRequest) (*connectors.LogCallResponse, error) {
	const op = "LogCall"
	st, err := c.current(op)
	if err != nil {
		return nil, err
	}
	lp := st.plan.logCall
	if lp == nil {
		return nil, &connectors.Error{Class: connectors.ClassUnsupported, Op: op,
			Message: "this postgres connector does not log calls: configure log_call (a table with a unique key column, or your own SQL)"}
	}
	if req == nil || strings.TrimSpace(req.Key) == "" {
		return nil, connectors.Errorf(connectors.ClassInvalidRequest, op,
			"the request has no key: a call is logged under its key (the call id and the action's name), which makes a retry harmless")
	}
	if err := lp.canLog(op, req); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, st.set.classify(ctx, op, err)
	}
	args := logArgs(req)
	id, found, err := queryID(ctx, st.pool, lp.insert, args)
	var insertErr error
	if err != nil {
		// A plain INSERT of log_call.sql refuses a logged key with a
		// unique violation: then the key is found below.
		if ctx.Err() != nil || !isCode(err, codeUniqueViolation) {
			return nil, st.set.writeError(ctx, op, lp.where, err)
		}
		insertErr = err
	}
	if found {
		return &connectors.LogCallResponse{ID: id}, nil
	}
	id, found, err = queryID(ctx, st.pool, lp.existing, args)
	switch {
	case err != nil:
		return nil, st.set.writeError(ctx, op, lp.where, err)
	case found:
		return &connectors.LogCallResponse{ID: id, Existing: true}, nil
	case insertErr != nil:
		// The unique constraint that refused the row is not the key's.
		return nil, st.set.writeError(ctx, op, lp.where, insertErr)
	case lp.tableMode:
		return nil, connectors.Errorf(connectors.ClassBadConfig, op,
			"%s took no row for key %q and holds none with it: a trigger or rule on the table must have dropped the row; "+
				"log into a table that keeps what is inserted, or write log_call.sql", lp.where, req.Key)
	default:
		return nil, connectors.Errorf(connectors.ClassBadConfig, op,
			"log_call.sql returned no row for key %q and log_call.existing_sql found none: make sql return the new log's id "+
				"(RETURNING id) and existing_sql select the log by the same key", req.Key)
	}
}

// canLog checks that the plan can log against the records req names: a
// log names a contact, a company or both, and uses the contact when it
// can name only one kind.
func (lp *logCallPlan) canLog(op string, req *connectors.LogCallRequest) error {
	kind, id, key := "", "", ""
	switch {
	case req.ContactID == "" && req.CompanyID == "":
		return connectors.Errorf(connectors.ClassInvalidRequest, op,
			"the request names neither a contact nor a company to log the call against")
	case req.ContactID != "" && lp.contact, req.CompanyID != "" && lp.company:
		return nil
	case req.ContactID != "":
		kind, id, key = "contact", req.ContactID, paramContactID
	default:
		kind, id, key = "company", req.CompanyID, paramCompanyID
	}
	how := fmt.Sprintf("map log_call.columns.%s", key)
	if !lp.tableMode {
		how = fmt.Sprintf("use @%s in log_call.sql", key)
	}
	return connectors.Errorf(connectors.ClassBadConfig, op,
		"the call is to be logged against %s %s, and log_call cannot name a %s: %s", kind, id, kind, how)
}

// logArgs are the named parameters of a log. Every value goes as text,
// which PostgreSQL reads into the column's (or the parameter's) type; an
// empty value, or a zero time, is NULL.
func logArgs(req *connectors.LogCallRequest) pgx.NamedArgs {
	c := &req.Call
	return pgx.NamedArgs{
		paramKey:         req.Key,
		paramContactID:   nullIfEmpty(req.ContactID),
		paramCompanyID:   nullIfEmpty(req.CompanyID),
		"call_id":        nullIfEmpty(c.ID),
		"direction":      nullIfEmpty(string(c.Direction)),
		"from":           nullIfEmpty(c.From),
		"to":             nullIfEmpty(c.To),
		paramStartedAt:   timeArg(c.StartedAt),
		paramAnsweredAt:  timeArg(c.AnsweredAt),
		paramEndedAt:     timeArg(c.EndedAt),
		paramTalkSeconds: strconv.Itoa(c.TalkSeconds),
		"outcome":        nullIfEmpty(string(c.Outcome)),
		"agent_id":       nullIfEmpty(c.AgentID),
		"agent_name":     nullIfEmpty(c.AgentName),
		paramOwnerID:     nullIfEmpty(c.OwnerID),
		"recording_url":  nullIfEmpty(c.RecordingURL),
		"title":          nullIfEmpty(c.Title),
		"body":           nullIfEmpty(c.Body),
	}
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// timeArg is a time as text PostgreSQL reads into a timestamptz,
// timestamp (the UTC wall time), date or text; NULL when zero.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.999999Z07:00")
}

// queryID runs sql and returns the first column of its first row as text;
// found is false when it returned no row.
func queryID(ctx context.Context, db querier, sql string, args pgx.NamedArgs) (id string, found bool, err error) {
	rows, err := db.Query(ctx, sql, args)
	if err != nil {
		return "", false, err
	}
	defer rows.Close()
	if rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return "", false, err
		}
		if len(vals) > 0 {
			id = strings.TrimSpace(textOf(vals[0]))
		}
		found = true
	}
	// Close reads the statement to its end: an INSERT's errors come there.
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", false, err
	}
	return id, found, nil
}

// lockSpace is the first key of the advisory locks CreateContact takes
// (the second is a hash of the number), apart from the one-key locks
// other applications may take.
const lockSpace int32 = 0x73626363 // "sbcc"

// numberLock is the second advisory-lock key of a number. Two numbers
// may share one: they then only wait for each other.
func numberLock(e164 string) int32 {
	h := fnv.New32a()
	h.Write([]byte(e164))
	return int32(h.Sum32())
}

// CreateContact implements connectors.ContactCreator. In one transaction
// it takes an advisory lock on the number (pg_advisory_xact_lock), looks
// the number up as LookupByPhone does and answers the contact found, with
// Existing; else it inserts the contact (into the table, or with
// create_contact.sql), looks the number up again and answers the new
// contact as LookupByPhone will. Concurrent creations of one number thus
// make one contact. A new contact the lookup cannot find is rolled back:
// a retry would otherwise create it again.
func (c *Connector) CreateContact(ctx context.Context, req *connectors.CreateContactRequest) (*connectors.CreateContactResponse, error) {
	const op = "CreateContact"
	st, err := c.current(op)
	if err != nil {
		return nil, err
	}
	cp := st.plan.createContact
	if cp == nil {
		return nil, &connectors.Error{Class: connectors.ClassUnsupported, Op: op,
			Message: "this postgres connector does not create contacts: configure create_contact"}
	}
	if req == nil {
		req = &connectors.CreateContactRequest{}
	}
	num, ok := phone.FromE164(strings.TrimSpace(req.Phone))
	if !ok {
		return nil, connectors.Errorf(connectors.ClassInvalidRequest, op,
			"the number %q is not in E.164 form (+442045205757)", req.Phone)
	}
	if err := ctx.Err(); err != nil {
		return nil, st.set.classify(ctx, op, err)
	}
	tx, err := st.pool.Begin(ctx)
	if err != nil {
		return nil, st.set.classify(ctx, op, err)
	}
	// Rolling back after a commit does nothing; after a failure it ends
	// the transaction (and with a dead context, the connection).
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, $2)", lockSpace, numberLock(num.E164)); err != nil {
		return nil, st.set.classify(ctx, op, err)
	}
	matches, err := st.lookup(ctx, op, tx, num, num.E164, defaultLookupLimit)
	if err != nil {
		return nil, err
	}
	if len(matches) > 0 {
		if err := tx.Commit(ctx); err != nil {
			return nil, st.set.classify(ctx, op, err)
		}
		return &connectors.CreateContactResponse{Contact: *matches[0].Contact, Existing: true}, nil
	}

	first, last := strings.TrimSpace(req.FirstName), strings.TrimSpace(req.LastName)
	full := connectors.Contact{FirstName: first, LastName: last}
	args := pgx.NamedArgs{
		paramPhone:     num.E164,
		paramFirstName: first,
		paramLastName:  last,
		paramFullName:  full.Name(),
		paramCompanyID: nullIfEmpty(req.CompanyID),
		paramOwnerID:   nullIfEmpty(req.OwnerID),
		paramKey:       nullIfEmpty(req.Key),
	}
	id, found, err := queryID(ctx, tx, cp.insert, args)
	if err != nil {
		return nil, st.set.writeError(ctx, op, cp.where, err)
	}
	if !found || id == "" {
		return nil, connectors.Errorf(connectors.ClassBadConfig, op,
			"%s returned no id for the new contact: return it (RETURNING id) and make the table number its rows", cp.where)
	}
	matches, err = st.lookup(ctx, op, tx, num, num.E164, defaultLookupLimit)
	if err != nil {
		return nil, err
	}
	for _, m := range matches {
		if m.Contact.ID == id {
			if err := tx.Commit(ctx); err != nil {
				return nil, st.set.classify(ctx, op, err)
			}
			return &connectors.CreateContactResponse{Contact: *m.Contact}, nil
		}
	}
	return nil, connectors.Errorf(connectors.ClassBadConfig, op,
		"the contact %s made (id %s) is not found by a lookup of %s, so a retry would make it again: it was not kept; "+
			"store the number where the lookup looks (the phone_key column, or what queries.lookup compares with @e164)",
		cp.where, id, num.E164)
}

// PostgreSQL error codes of refused writes.
const (
	codeUniqueViolation     = "23505"
	codeNotNullViolation    = "23502"
	codeForeignKeyViolation = "23503"
	codeStringTooLong       = "22001"
)

// isCode reports whether err is a PostgreSQL error with the code.
func isCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

// writeError classifies a failed write into what (the table or the SQL
// written to, for messages): a constraint refusing the row, a missing
// privilege, a column too narrow or SQL that no longer runs are the
// configuration's or the table's fault; a record the request names that
// is not there is the request's; the rest is classified as reads are
// (connection failures unavailable, and so on).
func (s *settings) writeError(ctx context.Context, op, what string, err error) error {
	var pgErr *pgconn.PgError
	if ctx.Err() != nil || !errors.As(err, &pgErr) {
		return s.classify(ctx, op, err)
	}
	mk := func(class connectors.Class, format string, args ...any) error {
		return &connectors.Error{Class: class, Op: op, Message: redact(fmt.Sprintf(format, args...), s.dsn)}
	}
	user, _ := s.userAndDatabase()
	switch code := pgErr.Code; {
	case code == codeNotNullViolation:
		return mk(connectors.ClassBadConfig, "%s refused the row: column %q may not be NULL, and this %s had no value for it: "+
			"allow NULL or give the column a DEFAULT, or map to it a field that is never empty", what, pgErr.ColumnName, op)
	case code == codeForeignKeyViolation:
		return mk(connectors.ClassInvalidRequest, "%s refused the row: %s: a record the request names is not there", what, pgErr.Message)
	case code == codeUniqueViolation:
		return mk(connectors.ClassBadConfig, "%s refused the row: %s: a unique constraint the connector cannot satisfy "+
			"(only the log's key may be unique); drop it, or change what goes into its column", what, pgErr.Message)
	case strings.HasPrefix(code, "23"):
		return mk(connectors.ClassBadConfig, "%s refused the row: %s (SQLSTATE %s): the table's constraint does not accept "+
			"what the connector writes; change the constraint or the mapping", what, pgErr.Message, code)
	case code == codeStringTooLong:
		return mk(connectors.ClassBadConfig, "%s refused a value: %s; widen the column (text has no limit)", what, pgErr.Message)
	case code == codeInsufficientPrivilege:
		return mk(connectors.ClassUnauthorized, "%s: user %q may not write there; GRANT INSERT, SELECT on the table "+
			"(and USAGE on the sequence of its id) to %s", pgErr.Message, user, user)
	case strings.HasPrefix(code, "42"):
		return mk(connectors.ClassBadConfig, "PostgreSQL cannot run the %s SQL of %s: %s (SQLSTATE %s); the table must have "+
			"changed since the connector was configured: fix the table or the connector's config", op, what, pgErr.Message, code)
	}
	return s.classify(ctx, op, err)
}
