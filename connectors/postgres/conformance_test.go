package postgres

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// badConfigs are blocks both fixtures' connectors must reject.
var badConfigs = []connectortest.BadConfig{
	{Name: "missing_dsn", Config: []byte("table: contacts\ncolumns: {id: id}\n"), Path: ""},
	{Name: "dsn_and_dsn_env", Config: []byte("dsn: postgres://x@127.0.0.1/x\ndsn_env: X\ntable: t\ncolumns: {id: id}\n"), Path: "dsn_env"},
	{Name: "unset_dsn_env", Config: []byte("dsn_env: SWITCHBOARD_TEST_NEVER_SET\ntable: t\ncolumns: {id: id}\n"), Path: "dsn_env"},
	{Name: "missing_id", Config: []byte("dsn: postgres://x@127.0.0.1/x\ntable: t\ncolumns: {first_name: a}\n"), Path: "columns.id"},
	{Name: "table_and_queries", Config: []byte("dsn: postgres://x@127.0.0.1/x\ntable: t\ncolumns: {id: id}\nqueries: {lookup: 'SELECT 1 WHERE @e164 = 1'}\n"), Path: "queries"},
	{Name: "unknown_parameter", Config: []byte("dsn: postgres://x@127.0.0.1/x\ncolumns: {id: id}\nqueries: {lookup: 'SELECT * FROM t WHERE p = @phone'}\n"), Path: "queries.lookup"},
	{Name: "list_without_after", Config: []byte("dsn: postgres://x@127.0.0.1/x\ncolumns: {id: id}\nqueries: {list_contacts: 'SELECT * FROM t LIMIT @limit'}\n"), Path: "queries.list_contacts"},
	{Name: "empty_phone_column", Config: []byte("dsn: postgres://x@127.0.0.1/x\ntable: t\ncolumns: {id: id, phones: [a, '']}\n"), Path: "columns.phones.1"},
	{Name: "bad_field_type", Config: []byte("dsn: postgres://x@127.0.0.1/x\ntable: t\ncolumns: {id: id}\nfields: {b: {column: b, type: nubmer}}\n"), Path: "fields.b.type"},
	{Name: "bad_dsn", Config: []byte("dsn: 'postgres://x@127.0.0.1:notaport/x'\ntable: t\ncolumns: {id: id}\n"), Path: "dsn"},
}

// TestConformanceTable runs the conformance suite against the connector
// reading a table (bigint ids, a text[] phone_key, companies derived from
// company_id), on a real PostgreSQL, with both writes on: calls logged
// into a call_logs table, contacts created in the contacts table.
func TestConformanceTable(t *testing.T) {
	t.Parallel()
	connectortest.Run(t, connectortest.Suite{
		New:       func() connectors.Connector { return New(nil) },
		NewLogged: New,
		Fixture: func(t testing.TB, data *connectortest.Records) []byte {
			return []byte(tableBlock(loadWritable(t, data)) + keyFieldsBlock(data) + logCallBlock + "create_contact:   # into the contacts table\n")
		},
		CountLogs:   countCallLogs,
		BadConfigs:  badConfigs,
		Stall:       stall,
		MaxPageSize: defaultMaxPageSize,
		// The phone_key column holds E.164 numbers: a number stored
		// without a country code that is not valid in the region, or a
		// caller of unknown country, cannot be found by design.
		ExactOnly: true,
		Mutate: func(t testing.TB, config []byte, ch connectortest.Change) {
			mutate(t, config, ch, `INSERT INTO contacts (id, first_name, last_name, company_id, company, phone, mobile, email, owner, updated_at, phone_e164)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
				`UPDATE contacts SET last_name = $2, updated_at = $3 WHERE id = $1`)
		},
	})
}

// mutate inserts ch.Insert with insertSQL (the contact's id, first and
// last name, company id and name, phone, mobile, email, owner, updated
// at, and its E.164 numbers as an array; or, with 13 parameters, without
// the company name and with tel_e164, cell_e164, tel_national and
// cell_national) and applies
// ch.Update with updateSQL (id, last name, updated at), in one
// transaction, as another user of the CRM would between two pages.
func mutate(t testing.TB, config []byte, ch connectortest.Change, insertSQL, updateSQL string) {
	t.Helper()
	ctx := testCtx(t)
	conn, err := pgx.Connect(ctx, dsnOf(t, config))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit: nothing to roll back
	for _, c := range ch.Insert {
		tel, cell := connectortest.PhoneRaw(&c, connectortest.LabelPhone), connectortest.PhoneRaw(&c, connectortest.LabelMobile)
		args := []any{c.ID, c.FirstName, c.LastName, c.CompanyID, nullable(c.CompanyName), nullable(tel), nullable(cell),
			nullable(first(c.Emails)), nullable(c.OwnerID), c.UpdatedAt}
		keys := []string{}
		var telE, cellE, telN, cellN any
		for _, p := range c.Phones {
			if p.E164 == "" {
				continue
			}
			keys = append(keys, p.E164)
			_, national, _ := phone.SplitE164(p.E164)
			if p.Label == connectortest.LabelPhone {
				telE, telN = p.E164, national
			} else {
				cellE, cellN = p.E164, national
			}
		}
		if strings.Count(insertSQL, "$") == 13 {
			args = append(append(args[:4:4], args[5:]...), telE, cellE, telN, cellN)
		} else {
			args = append(args, keys)
		}
		if _, err := tx.Exec(ctx, insertSQL, args...); err != nil {
			t.Fatalf("insert contact %s: %v", c.ID, err)
		}
	}
	for _, c := range ch.Update {
		if _, err := tx.Exec(ctx, updateSQL, c.ID, c.LastName, c.UpdatedAt); err != nil {
			t.Fatalf("update contact %s: %v", c.ID, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// loadWritable is loadTable's database made writable: the contacts
// table numbers the contacts it is given no id for (well above the
// datasets' ids, which are loaded as given), and an empty call_logs
// (callLogsDDL) takes the logs. Its call id column is text: the contract
// does not make the phone system's call id a uuid, and the suite's is not
// one.
func loadWritable(t testing.TB, data *connectortest.Records) string {
	t.Helper()
	dsn := loadTable(t, data)
	exec(t, dsn, `ALTER TABLE contacts ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (START WITH 1000000000)`,
		callLogsDDL, `ALTER TABLE call_logs ALTER COLUMN call_uuid TYPE text`)
	return dsn
}

// countCallLogs counts the rows of the block's call_logs with the key.
func countCallLogs(t testing.TB, config []byte, key string) int {
	t.Helper()
	return count(t, dsnOf(t, config), "SELECT count(*) FROM call_logs WHERE call_key = $1", key)
}

// TestConformanceQueries runs the suite against the connector running
// operator-written SQL (text ids, separate companies, a join).
func TestConformanceQueries(t *testing.T) {
	t.Parallel()
	connectortest.Run(t, connectortest.Suite{
		New: func() connectors.Connector { return New(nil) },
		Fixture: func(t testing.TB, data *connectortest.Records) []byte {
			return []byte(queriesBlock(loadQueryTables(t, data)))
		},
		BadConfigs:  badConfigs,
		Stall:       stall,
		MaxPageSize: defaultMaxPageSize,
		Mutate: func(t testing.TB, config []byte, ch connectortest.Change) {
			mutate(t, config, ch, `INSERT INTO crm.people (person_no, given, family, org_no, tel, cell, mail, manager, changed,
				tel_e164, cell_e164, tel_national, cell_national) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
				`UPDATE crm.people SET family = $2, changed = $3 WHERE person_no = $1`)
		},
	})
}
