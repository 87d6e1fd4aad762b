package postgres

import (
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
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
// company_id), on a real PostgreSQL.
func TestConformanceTable(t *testing.T) {
	t.Parallel()
	connectortest.Run(t, connectortest.Suite{
		New: func() connectors.Connector { return New(nil) },
		Fixture: func(t testing.TB, data *connectortest.Records) []byte {
			return []byte(tableBlock(loadTable(t, data)))
		},
		BadConfigs:  badConfigs,
		Stall:       stall,
		MaxPageSize: defaultMaxPageSize,
	})
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
	})
}
