package postgres

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/connectors/postgres/pgtest"
)

// callLogsDDL is the table the log_call tests log into: every field
// mapped, a bigint identity id, the key unique.
const callLogsDDL = `CREATE TABLE call_logs (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	call_key text NOT NULL CONSTRAINT call_logs_key UNIQUE,
	contact_id bigint, company_id bigint, call_uuid uuid, direction text, from_number text, to_number text,
	started_at timestamptz, answered_at timestamptz, ended_at timestamptz, talk_seconds integer, outcome text,
	agent_id text, agent_name text, owner_id text, recording_url text, title text, body text)`

// logCallBlock maps every field of a logged call to call_logs.
const logCallBlock = `log_call:
  table: call_logs
  columns:
    key: call_key
    contact_id: contact_id
    company_id: company_id
    call_id: call_uuid
    direction: direction
    from: from_number
    to: to_number
    started_at: started_at
    answered_at: answered_at
    ended_at: ended_at
    talk_seconds: talk_seconds
    outcome: outcome
    agent_id: agent_id
    agent_name: agent_name
    owner_id: owner_id
    recording_url: recording_url
    title: title
    body: body
  id_column: id
`

// loadCallLogs is a database with the dataset's contacts table and an
// empty call_logs.
func loadCallLogs(t testing.TB) string {
	t.Helper()
	dsn := loadTable(t, connectortest.Dataset())
	exec(t, dsn, callLogsDDL)
	return dsn
}

var callStart = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

// answeredCall is a request to log an answered inbound call under key
// against contact 1001.
func answeredCall(key string) *connectors.LogCallRequest {
	return &connectors.LogCallRequest{Key: key, ContactID: "1001", Call: connectors.CallRecord{
		ID: "0b8e7a52-9c1d-4a8e-8f00-3f1c9a2b7d10", Direction: connectors.CallInbound,
		From: connectortest.AdaPhone, To: "+442071234567",
		StartedAt: callStart, AnsweredAt: callStart.Add(5 * time.Second), EndedAt: callStart.Add(65*time.Second + 123456789),
		TalkSeconds: 60, Outcome: connectors.CallAnswered, AgentID: "u42", AgentName: "Grace", OwnerID: "owner-7",
		RecordingURL: "https://rec.example/1", Title: "Inbound call", Body: "**Talked** for a minute",
	}}
}

// count runs a count(*) query on dsn.
func count(t testing.TB, dsn, sql string, args ...any) int {
	t.Helper()
	ctx := testCtx(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// concurrently runs f(0..n-1) in n goroutines released together, and
// returns their results by i.
func concurrently[T any](n int, f func(i int) T) []T {
	start := make(chan struct{})
	out := make([]T, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = f(i)
		}()
	}
	close(start)
	wg.Wait()
	return out
}

type logResult struct {
	resp *connectors.LogCallResponse
	err  error
}

// checkOneLog checks that concurrent logs of one key all succeeded with
// one id, exactly one of them writing.
func checkOneLog(t *testing.T, results []logResult) {
	t.Helper()
	written := 0
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("log %d: %v", i, r.err)
		}
		if r.resp.ID != results[0].resp.ID || r.resp.ID == "" {
			t.Errorf("log %d: id %q, log 0: %q", i, r.resp.ID, results[0].resp.ID)
		}
		if !r.resp.Existing {
			written++
		}
	}
	if written != 1 {
		t.Errorf("%d of %d concurrent logs of one key say they wrote it; want 1", written, len(results))
	}
}

// TestLogCall logs calls into a mapped table: every field lands in its
// column, a retry of the key answers the first log's id with Existing and
// writes nothing, and requests the table cannot take are refused,
// classified.
func TestLogCall(t *testing.T) {
	t.Parallel()
	dsn := loadCallLogs(t)
	c := configured(t, tableBlock(dsn)+logCallBlock)
	ctx := testCtx(t)
	check, err := c.Check(ctx, &connectors.CheckRequest{})
	if err != nil || !strings.HasSuffix(check.Detail, "; writes call logs into table call_logs") {
		t.Errorf("Check: %+v %v", check, err)
	}

	first, err := c.LogCall(ctx, answeredCall("call-1/crm-log"))
	if err != nil || first.ID == "" || first.Existing {
		t.Fatalf("first LogCall: %+v %v", first, err)
	}
	again, err := c.LogCall(ctx, answeredCall("call-1/crm-log"))
	if err != nil || again.ID != first.ID || !again.Existing {
		t.Fatalf("LogCall of the same key: %+v %v; want id %s, existing", again, err, first.ID)
	}
	if n := count(t, dsn, "SELECT count(*) FROM call_logs"); n != 1 {
		t.Fatalf("%d rows after a log and its retry", n)
	}

	// Every field in its column, times to the microsecond.
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var (
		key, direction, from, to, outcome, agentID, agentName, owner, url, title, body, uuid string
		contact                                                                              int64
		company                                                                              *int64
		started, answered, ended                                                             time.Time
		talk                                                                                 int
	)
	err = conn.QueryRow(ctx, `SELECT call_key, contact_id, company_id, call_uuid::text, direction, from_number, to_number,
		started_at, answered_at, ended_at, talk_seconds, outcome, agent_id, agent_name, owner_id, recording_url, title, body
		FROM call_logs WHERE id = $1`, first.ID).Scan(&key, &contact, &company, &uuid, &direction, &from, &to,
		&started, &answered, &ended, &talk, &outcome, &agentID, &agentName, &owner, &url, &title, &body)
	if err != nil {
		t.Fatal(err)
	}
	want := answeredCall("call-1/crm-log")
	got := []any{key, contact, company, uuid, direction, from, to, started.UTC(), answered.UTC(), ended.UTC(), talk,
		outcome, agentID, agentName, owner, url, title, body}
	wantRow := []any{want.Key, int64(1001), (*int64)(nil), want.Call.ID, "inbound", want.Call.From, want.Call.To,
		callStart, callStart.Add(5 * time.Second), callStart.Add(65*time.Second + 123456000), 60,
		"answered", "u42", "Grace", "owner-7", want.Call.RecordingURL, want.Call.Title, want.Call.Body}
	if !reflect.DeepEqual(got, wantRow) {
		t.Errorf("row\n%v\nwant\n%v", got, wantRow)
	}

	// A missed call against a company: no answer time, NULLs for what
	// is empty.
	missed := &connectors.LogCallRequest{Key: "call-2/crm-log", CompanyID: "2002", Call: connectors.CallRecord{
		Direction: connectors.CallInbound, From: "+442079460999", StartedAt: callStart, EndedAt: callStart.Add(20 * time.Second),
		Outcome: connectors.CallMissed, Title: "Missed call",
	}}
	resp, err := c.LogCall(ctx, missed)
	if err != nil || resp.Existing || resp.ID == first.ID {
		t.Fatalf("LogCall of a missed call: %+v %v", resp, err)
	}
	if n := count(t, dsn, `SELECT count(*) FROM call_logs WHERE id = $1 AND company_id = 2002 AND contact_id IS NULL
		AND answered_at IS NULL AND talk_seconds = 0 AND agent_id IS NULL AND body IS NULL AND call_uuid IS NULL`, resp.ID); n != 1 {
		t.Errorf("the missed call's row is not as logged")
	}

	for _, tc := range []struct {
		name  string
		req   *connectors.LogCallRequest
		class connectors.Class
		want  string
	}{
		{"no key", &connectors.LogCallRequest{ContactID: "1001"}, connectors.ClassInvalidRequest, "no key"},
		{"no record", &connectors.LogCallRequest{Key: "k"}, connectors.ClassInvalidRequest, "neither a contact nor a company"},
		{"contact id not a bigint", &connectors.LogCallRequest{Key: "k", ContactID: "c-1001"}, connectors.ClassInvalidRequest, "rejected a value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.LogCall(testCtx(t), tc.req)
			if connectors.ClassOf(err) != tc.class || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LogCall: %v; want %s with %q", err, tc.class, tc.want)
			}
		})
	}
	if n := count(t, dsn, "SELECT count(*) FROM call_logs"); n != 2 {
		t.Errorf("%d rows; want 2", n)
	}
}

// TestLogCallConcurrentRetries: 16 LogCalls of one key at once write one
// row, and all answer its id.
func TestLogCallConcurrentRetries(t *testing.T) {
	t.Parallel()
	dsn := loadCallLogs(t)
	c := configured(t, tableBlock(dsn)+"max_conns: 16\n"+logCallBlock)
	results := concurrently(16, func(int) logResult {
		resp, err := c.LogCall(testCtx(t), answeredCall("call-9/crm-log"))
		return logResult{resp, err}
	})
	checkOneLog(t, results)
	if n := count(t, dsn, "SELECT count(*) FROM call_logs"); n != 1 {
		t.Errorf("%d rows after 16 concurrent logs of one key", n)
	}
}

// TestLogCallLooseColumns: times go into timestamp, date and text
// columns, talk_seconds into text, and without id_column the id is the
// key.
func TestLogCallLooseColumns(t *testing.T) {
	t.Parallel()
	dsn := loadCallLogs(t)
	exec(t, dsn, `CREATE TABLE crm_notes (k varchar(200) PRIMARY KEY, person text NOT NULL, started timestamp, answered date,
		ended text, talk text, note text NOT NULL DEFAULT '')`)
	c := configured(t, tableBlock(dsn)+`log_call:
  table: crm_notes
  columns: {key: k, contact_id: person, started_at: started, answered_at: answered, ended_at: ended, talk_seconds: talk, body: note}
`)
	resp, err := c.LogCall(testCtx(t), answeredCall("call-3/note"))
	if err != nil || resp.ID != "call-3/note" || resp.Existing {
		t.Fatalf("LogCall: %+v %v; want the key as id", resp, err)
	}
	if n := count(t, dsn, `SELECT count(*) FROM crm_notes WHERE person = '1001' AND started = '2024-03-01 09:00:00'
		AND answered = '2024-03-01' AND ended = '2024-03-01T09:01:05.123456Z' AND talk = '60'`); n != 1 {
		t.Error("the row is not as logged")
	}
	// The table names contacts only: a log against a company alone cannot
	// go there, which is the configuration's matter.
	_, err = c.LogCall(testCtx(t), &connectors.LogCallRequest{Key: "call-4/note", CompanyID: "2001"})
	if connectors.ClassOf(err) != connectors.ClassBadConfig || !strings.Contains(err.Error(), "map log_call.columns.company_id") {
		t.Errorf("LogCall against a company: %v", err)
	}
	// Both named: the contact is used.
	req := answeredCall("call-5/note")
	req.CompanyID = "2001"
	if _, err := c.LogCall(testCtx(t), req); err != nil {
		t.Errorf("LogCall against a contact and a company: %v", err)
	}
}

// activityDDL is the operator's table for the SQL-mode tests.
const activityDDL = `CREATE TABLE activity (id serial PRIMARY KEY, ext_key text NOT NULL UNIQUE, person_id text, org_id text,
	note text, happened timestamptz)`

// TestLogCallSQL logs with the operator's SQL: with ON CONFLICT DO
// NOTHING, and with a plain INSERT whose unique violation marks a retry.
// Either way a retry answers the first id, and concurrent logs of one key
// write one row.
func TestLogCallSQL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, sql string }{
		{"on conflict", "INSERT INTO activity (ext_key, person_id, org_id, note, happened) VALUES (@key, @contact_id, @company_id, @body, @started_at) ON CONFLICT (ext_key) DO NOTHING RETURNING id"},
		{"plain insert", "INSERT INTO activity (ext_key, person_id, org_id, note, happened) VALUES (@key, @contact_id, @company_id, @body, @started_at) RETURNING id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dsn := loadCallLogs(t)
			exec(t, dsn, activityDDL)
			c := configured(t, tableBlock(dsn)+fmt.Sprintf("max_conns: 16\nlog_call:\n  sql: %q\n  existing_sql: %q\n",
				tc.sql, "SELECT id FROM activity WHERE ext_key = @key"))
			d, _ := c.Describe(testCtx(t), &connectors.DescribeRequest{})
			if !d.Has(connectors.CapLogCall) || d.Has(connectors.CapCreateContact) {
				t.Errorf("capabilities %v", d.Capabilities)
			}
			first, err := c.LogCall(testCtx(t), answeredCall("a/log"))
			if err != nil || first.ID != "1" || first.Existing {
				t.Fatalf("LogCall: %+v %v", first, err)
			}
			again, err := c.LogCall(testCtx(t), answeredCall("a/log"))
			if err != nil || again.ID != "1" || !again.Existing {
				t.Fatalf("LogCall again: %+v %v", again, err)
			}
			checkOneLog(t, concurrently(16, func(int) logResult {
				resp, err := c.LogCall(testCtx(t), answeredCall("b/log"))
				return logResult{resp, err}
			}))
			if n := count(t, dsn, "SELECT count(*) FROM activity"); n != 2 {
				t.Errorf("%d rows; want 2", n)
			}
			if n := count(t, dsn, "SELECT count(*) FROM activity WHERE person_id = '1001' AND org_id IS NULL AND happened = '2024-03-01T09:00:00Z'"); n != 2 {
				t.Errorf("rows not as logged")
			}
		})
	}
}

// TestLogCallSQLRefusals: SQL that writes nothing and finds nothing, and a
// unique constraint other than the key's, are the configuration's fault.
func TestLogCallSQLRefusals(t *testing.T) {
	t.Parallel()
	dsn := loadCallLogs(t)
	exec(t, dsn, activityDDL, `CREATE UNIQUE INDEX ON activity (note)`)
	c := configured(t, tableBlock(dsn)+`log_call:
  sql: INSERT INTO activity (ext_key, person_id, note) SELECT @key, @contact_id, @body WHERE false RETURNING id
  existing_sql: SELECT id FROM activity WHERE ext_key = @key
`)
	_, err := c.LogCall(testCtx(t), answeredCall("x"))
	if connectors.ClassOf(err) != connectors.ClassBadConfig || !strings.Contains(err.Error(), "existing_sql found none") {
		t.Errorf("LogCall with SQL that writes nothing: %v", err)
	}
	c = configured(t, tableBlock(dsn)+`log_call:
  sql: INSERT INTO activity (ext_key, person_id, note) VALUES (@key, @contact_id, @body) RETURNING id
  existing_sql: SELECT id FROM activity WHERE ext_key = @key
`)
	if _, err := c.LogCall(testCtx(t), answeredCall("y")); err != nil {
		t.Fatal(err)
	}
	_, err = c.LogCall(testCtx(t), answeredCall("z")) // the same note
	if connectors.ClassOf(err) != connectors.ClassBadConfig || !strings.Contains(err.Error(), "unique constraint") {
		t.Errorf("LogCall refused by another unique constraint: %v", err)
	}
	// PostgreSQL checks ON CONFLICT's target when the statement runs, not
	// when Configure prepares it.
	c = configured(t, tableBlock(dsn)+`log_call:
  sql: INSERT INTO activity (ext_key, person_id) VALUES (@key, @contact_id) ON CONFLICT (person_id) DO NOTHING RETURNING id
  existing_sql: SELECT id FROM activity WHERE ext_key = @key
`)
	_, err = c.LogCall(testCtx(t), answeredCall("w"))
	if connectors.ClassOf(err) != connectors.ClassBadConfig || !strings.Contains(err.Error(), "no unique or exclusion constraint") {
		t.Errorf("LogCall with ON CONFLICT on a column without a unique index: %v", err)
	}
}

// TestLogCallNeedsAUniqueKey: Configure refuses a key column without a
// unique index, saying which index to create; Check and LogCall say so
// when the index goes after Configure.
func TestLogCallNeedsAUniqueKey(t *testing.T) {
	t.Parallel()
	dsn := loadCallLogs(t)
	exec(t, dsn, `CREATE TABLE plain_logs (id serial PRIMARY KEY, call_key text, contact_id bigint)`,
		`CREATE UNIQUE INDEX ON plain_logs (call_key) WHERE contact_id IS NOT NULL`)
	wantProblem(t, configureProblems(t, tableBlock(dsn)+"log_call: {table: plain_logs, columns: {key: call_key, contact_id: contact_id}}\n"),
		"log_call.columns.key", `column "call_key" of table plain_logs has no unique index`, "create a unique index on plain_logs(call_key)")

	c := configured(t, tableBlock(dsn)+logCallBlock)
	exec(t, dsn, "ALTER TABLE call_logs DROP CONSTRAINT call_logs_key")
	_, err := c.Check(testCtx(t), &connectors.CheckRequest{})
	if connectors.ClassOf(err) != connectors.ClassBadConfig || !strings.Contains(err.Error(), "log_call.columns.key: ") ||
		!strings.Contains(err.Error(), "create a unique index on call_logs(call_key)") {
		t.Errorf("Check after the unique index went: %v", err)
	}
	_, err = c.LogCall(testCtx(t), answeredCall("k"))
	if connectors.ClassOf(err) != connectors.ClassBadConfig || !strings.Contains(err.Error(), "ON CONFLICT") {
		t.Errorf("LogCall after the unique index went: %v", err)
	}
}

// TestWriteConfigureChecksTheSchema: what Configure finds wrong with the
// writes' tables and SQL is a problem at its path.
func TestWriteConfigureChecksTheSchema(t *testing.T) {
	t.Parallel()
	dsn := loadCallLogs(t)
	exec(t, dsn, activityDDL,
		`CREATE TABLE int_keys (k bigint PRIMARY KEY, c bigint)`,
		`CREATE TABLE short_keys (k varchar(50) PRIMARY KEY, c bigint)`,
		`CREATE TABLE strict_logs (k text PRIMARY KEY, c bigint, started integer, note text NOT NULL)`)
	head := tableBlock(dsn)
	for _, tc := range []struct {
		name, block, path string
		want              []string
	}{
		{"no table", "log_call: {table: nolog, columns: {key: k, contact_id: c}}\n", "log_call.table",
			[]string{`table "nolog" does not exist`, "fix log_call.table"}},
		{"no schema", "log_call: {table: nowhere.logs, columns: {key: k, contact_id: c}}\n", "log_call.table",
			[]string{`table "nowhere.logs" does not exist`}},
		{"misspelt column", strings.Replace(logCallBlock, "body: body", "body: bodi", 1), "log_call.columns.body",
			[]string{`column "bodi" does not exist in table call_logs`, `did you mean "body"`}},
		{"missing id column", strings.Replace(logCallBlock, "id_column: id", "id_column: log_id", 1), "log_call.id_column",
			[]string{`column "log_id" does not exist`}},
		{"integer key", "log_call: {table: int_keys, columns: {key: k, contact_id: c}}\n", "log_call.columns.key",
			[]string{"of type bigint", "needs a text column"}},
		{"short key", "log_call: {table: short_keys, columns: {key: k, contact_id: c}}\n", "log_call.columns.key",
			[]string{"character varying(50)", "up to 200 characters"}},
		{"time into integer", "log_call: {table: strict_logs, columns: {key: k, contact_id: c, started_at: started, body: note}}\n",
			"log_call.columns.started_at", []string{"of type integer", "a time goes into"}},
		{"not null unmapped", "log_call: {table: strict_logs, columns: {key: k, contact_id: c}}\n", "log_call.columns",
			[]string{`column "note" of table strict_logs is NOT NULL and has no default`}},
		{"sql does not prepare", "log_call:\n  sql: INSERT INTO activity (ext_key, person) VALUES (@key, @contact_id) ON CONFLICT (ext_key) DO NOTHING RETURNING id\n  existing_sql: SELECT id FROM activity WHERE ext_key = @key\n",
			"log_call.sql", []string{"cannot prepare log_call.sql", `column "person" of relation "activity" does not exist`}},
		{"sql returns nothing", "log_call:\n  sql: INSERT INTO activity (ext_key, person_id) VALUES (@key, @contact_id) ON CONFLICT (ext_key) DO NOTHING\n  existing_sql: SELECT id FROM activity WHERE ext_key = @key\n",
			"log_call.sql", []string{"returns nothing", "RETURNING"}},
		{"existing_sql returns no column", "log_call:\n  sql: INSERT INTO activity (ext_key, person_id) VALUES (@key, @contact_id) RETURNING id\n  existing_sql: SELECT FROM activity WHERE ext_key = @key\n",
			"log_call.existing_sql", []string{"returns no column"}},
		{"existing_sql does not prepare", "log_call:\n  sql: INSERT INTO activity (ext_key, person_id) VALUES (@key, @contact_id) RETURNING id\n  existing_sql: SELECT id FROM activities WHERE ext_key = @key\n",
			"log_call.existing_sql", []string{`relation "activities" does not exist`}},
		{"contact id has no default", "create_contact:\n", "create_contact",
			[]string{`column "id" of table contacts has no default`, "GENERATED BY DEFAULT AS IDENTITY"}},
		{"create_contact sql does not prepare", "create_contact: {sql: 'INSERT INTO people (phone) VALUES (@phone) RETURNING id'}\n",
			"create_contact.sql", []string{`relation "people" does not exist`}},
		{"create_contact sql returns nothing", "create_contact: {sql: 'INSERT INTO contacts (id, phone) VALUES (7, @phone)'}\n",
			"create_contact.sql", []string{"returns nothing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, configureProblems(t, head+tc.block), tc.path, tc.want...)
		})
	}
}

// TestWriteConfigProblems: what is wrong with the log_call and
// create_contact blocks themselves is found without connecting, each at
// its path.
func TestWriteConfigProblems(t *testing.T) {
	t.Setenv("SWITCHBOARD_PG_TEST_DSN", "postgres://u:pw@127.0.0.1:1/db")
	const table = "dsn_env: SWITCHBOARD_PG_TEST_DSN\ntable: t\ncolumns: {id: id, phone_key: k}\n"
	const queries = "dsn_env: SWITCHBOARD_PG_TEST_DSN\ncolumns: {id: id}\nqueries: {lookup: 'SELECT * FROM t WHERE k = @e164'}\n"
	const ok = "existing_sql: SELECT id FROM a WHERE k = @key"
	for _, tc := range []struct {
		name, block, path, want string
	}{
		{"empty log_call", table + "log_call:\n", "log_call", "needs table: and columns:"},
		{"table and sql", table + "log_call: {table: l, columns: {key: k, contact_id: c}, sql: 'INSERT INTO l VALUES (@key, @contact_id) RETURNING 1'}\n",
			"log_call.sql", "not both"},
		{"no table", table + "log_call: {columns: {key: k, contact_id: c}}\n", "log_call.table", "missing log_call.table"},
		{"bad table", table + "log_call: {table: a.b.c, columns: {key: k, contact_id: c}}\n", "log_call.table", "more than one dot"},
		{"no key", table + "log_call: {table: l, columns: {contact_id: c}}\n", "log_call.columns.key", "missing log_call.columns.key"},
		{"no record", table + "log_call: {table: l, columns: {key: k, body: b}}\n", "log_call.columns", "map contact_id or company_id"},
		{"unknown field", table + "log_call: {table: l, columns: {key: k, contact_id: c, bodyy: b}}\n", "log_call.columns.bodyy", `did you mean "body"`},
		{"unknown key", table + "log_call: {table: l, columns: {key: k, contact_id: c}, existing: x}\n", "log_call.existing", `did you mean "existing_sql"`},
		{"empty column", table + "log_call: {table: l, columns: {key: ' ', contact_id: c}}\n", "log_call.columns.key", "empty column name"},
		{"column twice", table + "log_call: {table: l, columns: {key: k, contact_id: c, title: c}}\n", "log_call.columns.title", "already mapped by log_call.columns.contact_id"},
		{"existing_sql with table", table + "log_call: {table: l, columns: {key: k, contact_id: c}, " + ok + "}\n", "log_call.existing_sql", "goes with sql"},
		{"sql without existing_sql", table + "log_call: {sql: 'INSERT INTO a VALUES (@key, @contact_id) RETURNING id'}\n", "log_call.existing_sql", "missing log_call.existing_sql"},
		{"unknown parameter", table + "log_call: {sql: 'INSERT INTO a VALUES (@key, @contact) RETURNING id', " + ok + "}\n", "log_call.sql", "unknown parameter @contact: log_call.sql may use @key, @contact_id"},
		{"sql without key", table + "log_call: {sql: 'INSERT INTO a VALUES (@call_id, @contact_id) RETURNING id', " + ok + "}\n", "log_call.sql", "must use @key"},
		{"sql without record", table + "log_call: {sql: 'INSERT INTO a VALUES (@key, @body) RETURNING id', " + ok + "}\n", "log_call.sql", "neither @contact_id nor @company_id"},
		{"existing_sql without key", table + "log_call: {sql: 'INSERT INTO a VALUES (@key, @contact_id) RETURNING id', existing_sql: 'SELECT id FROM a WHERE c = @contact_id'}\n", "log_call.existing_sql", "must find the log by @key"},
		{"id_column with sql", table + "log_call: {sql: 'INSERT INTO a VALUES (@key, @contact_id) RETURNING id', " + ok + ", id_column: id}\n", "log_call.id_column", "for table: mode"},
		{"create_contact without phone_key", "dsn_env: SWITCHBOARD_PG_TEST_DSN\ntable: t\ncolumns: {id: id, phones: [p]}\ncreate_contact:\n", "create_contact", "needs columns.phone_key"},
		{"create_contact with queries, no sql", queries + "create_contact: {}\n", "create_contact.sql", "missing create_contact.sql"},
		{"create_contact without lookup query", "dsn_env: SWITCHBOARD_PG_TEST_DSN\ncolumns: {id: id}\nqueries: {list_contacts: 'SELECT * FROM t WHERE id > @after ORDER BY id LIMIT @limit'}\ncreate_contact: {sql: 'INSERT INTO t (p) VALUES (@phone) RETURNING id'}\n",
			"create_contact", "needs queries.lookup"},
		{"create_contact unknown parameter", queries + "create_contact: {sql: 'INSERT INTO t (p, n) VALUES (@phone, @name) RETURNING id'}\n", "create_contact.sql", "unknown parameter @name: create_contact.sql may use @phone"},
		{"create_contact without phone", queries + "create_contact: {sql: 'INSERT INTO t (n) VALUES (@first_name) RETURNING id'}\n", "create_contact.sql", "must use @phone"},
		{"create_contact unknown key", table + "create_contact: {sqll: x}\n", "create_contact.sqll", `did you mean "sql"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, problems := parseConfig(&connectors.ConfigureRequest{Config: []byte(tc.block), DefaultRegion: "GB"})
			for _, p := range problems {
				if p.Path == tc.path && strings.Contains(p.Message, tc.want) {
					return
				}
			}
			t.Errorf("problems %+v\nwant one at %q containing %q", problems, tc.path, tc.want)
		})
	}
}

// TestWriteCapabilitiesFollowTheBlock: log_call and create_contact are
// declared only by a block that configures them (validated here, real in
// the tests above and below), never before Configure.
func TestWriteCapabilitiesFollowTheBlock(t *testing.T) {
	const head = "dsn: postgres://u@127.0.0.1:1/db\n"
	const table = "table: t\ncolumns: {id: id, phone_key: k}\n"
	const logTable = "log_call: {table: l, columns: {key: k, contact_id: c}}\n"
	const logSQL = "log_call: {sql: 'INSERT INTO a VALUES (@key, @contact_id) RETURNING id', existing_sql: 'SELECT id FROM a WHERE k = @key'}\n"
	reads := []connectors.Capability{connectors.CapLookup, connectors.CapLookupByKey, connectors.CapListContacts}
	with := func(caps ...connectors.Capability) []connectors.Capability {
		return append(append([]connectors.Capability(nil), reads...), caps...)
	}
	for _, tc := range []struct {
		name, block string
		want        []connectors.Capability
	}{
		{"no writes", table, reads},
		{"log_call table", table + logTable, with(connectors.CapLogCall)},
		{"log_call sql", table + logSQL, with(connectors.CapLogCall)},
		{"create_contact", table + "create_contact:\n", with(connectors.CapCreateContact)},
		{"both", table + logTable + "create_contact: {}\n", with(connectors.CapLogCall, connectors.CapCreateContact)},
		{"queries", "columns: {id: id}\nqueries: {lookup: 'SELECT * FROM t WHERE k = @e164'}\ncreate_contact: {sql: 'INSERT INTO t (k) VALUES (@phone) RETURNING id'}\n",
			[]connectors.Capability{connectors.CapLookup, connectors.CapCreateContact}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newConnector(nil)
			d, _ := c.Describe(context.Background(), &connectors.DescribeRequest{})
			if d.Has(connectors.CapLogCall) || d.Has(connectors.CapCreateContact) {
				t.Errorf("capabilities before Configure %v", d.Capabilities)
			}
			resp, err := c.Configure(context.Background(), &connectors.ConfigureRequest{
				Config: []byte(head + tc.block), DefaultRegion: "GB", ValidateOnly: true,
			})
			if err != nil || len(resp.Problems) > 0 {
				t.Fatalf("Configure(ValidateOnly): %v %+v", err, resp)
			}
			d, _ = c.Describe(context.Background(), &connectors.DescribeRequest{})
			if capsText(d.Capabilities) != capsText(tc.want) {
				t.Errorf("capabilities %v, want %v", d.Capabilities, tc.want)
			}
		})
	}
}

// TestWritesUnconfigured: a connector without the blocks refuses the
// writes as unsupported.
func TestWritesUnconfigured(t *testing.T) {
	t.Parallel()
	c := configured(t, tableBlock(loadTable(t, connectortest.Dataset())))
	d, _ := c.Describe(testCtx(t), &connectors.DescribeRequest{})
	if d.Has(connectors.CapLogCall) || d.Has(connectors.CapCreateContact) {
		t.Errorf("capabilities %v", d.Capabilities)
	}
	if _, err := c.LogCall(testCtx(t), answeredCall("k")); connectors.ClassOf(err) != connectors.ClassUnsupported ||
		!strings.Contains(err.Error(), "configure log_call") {
		t.Errorf("LogCall: %v", err)
	}
	if _, err := c.CreateContact(testCtx(t), &connectors.CreateContactRequest{Phone: connectortest.UnknownPhone}); connectors.ClassOf(err) != connectors.ClassUnsupported {
		t.Errorf("CreateContact: %v", err)
	}
}

// TestWritesUnavailable: a server that cannot be reached, or one that
// does not answer before the caller's deadline, makes the writes fail
// unavailable (retryable).
func TestWritesUnavailable(t *testing.T) {
	t.Parallel()
	dsn := loadCallLogs(t)
	exec(t, dsn, `ALTER TABLE contacts ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (START WITH 5001)`)
	block := tableBlock(dsn) + logCallBlock + "create_contact:\n"
	c := configured(t, block)

	release := stall(t, []byte(block))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err := c.LogCall(ctx, answeredCall("k"))
	cancel()
	if connectors.ClassOf(err) != connectors.ClassUnavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("LogCall past its deadline: %v", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err = c.CreateContact(ctx, &connectors.CreateContactRequest{Phone: connectortest.UnknownPhone})
	cancel()
	if connectors.ClassOf(err) != connectors.ClassUnavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("CreateContact past its deadline: %v", err)
	}
	release()

	// The same plan over a pool whose server is gone.
	st := c.st.Load()
	cfg, err := pgxpool.ParseConfig(fmt.Sprintf("postgres://u@127.0.0.1:%d/x?sslmode=disable&connect_timeout=5", closedPort(t)))
	if err != nil {
		t.Fatal(err)
	}
	set := *st.set
	set.poolCfg = cfg
	pool, err := pgxpool.NewWithConfig(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.st.Store(&state{set: &set, caps: st.caps, pool: pool, plan: st.plan})
	st.pool.Close()
	if _, err := c.LogCall(testCtx(t), answeredCall("k")); connectors.ClassOf(err) != connectors.ClassUnavailable ||
		!strings.Contains(err.Error(), "cannot reach PostgreSQL") {
		t.Errorf("LogCall with the server gone: %v", err)
	}
	if _, err := c.CreateContact(testCtx(t), &connectors.CreateContactRequest{Phone: connectortest.UnknownPhone}); connectors.ClassOf(err) != connectors.ClassUnavailable {
		t.Errorf("CreateContact with the server gone: %v", err)
	}
}

// loadCreatable is the table-mode fixture with ids the table makes.
func loadCreatable(t testing.TB) string {
	t.Helper()
	dsn := loadTable(t, connectortest.Dataset())
	exec(t, dsn, `ALTER TABLE contacts ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (START WITH 5001)`)
	return dsn
}

type createResult struct {
	resp *connectors.CreateContactResponse
	err  error
}

// checkOneContact checks that concurrent creations of one number all
// answered one contact, exactly one of them creating it.
func checkOneContact(t *testing.T, results []createResult) {
	t.Helper()
	created := 0
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("creation %d: %v", i, r.err)
		}
		if r.resp.Contact.ID != results[0].resp.Contact.ID {
			t.Errorf("creation %d: contact %s, creation 0: %s", i, r.resp.Contact.ID, results[0].resp.Contact.ID)
		}
		if !r.resp.Existing {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%d of %d concurrent creations of one number say they created it; want 1", created, len(results))
	}
}

// TestCreateContact creates contacts in the table the connector reads:
// the new contact is what lookups and lists then return, a second
// creation of the number (or of a number a contact has) answers that
// contact with Existing, and concurrent creations make one contact.
func TestCreateContact(t *testing.T) {
	t.Parallel()
	dsn := loadCreatable(t)
	c := configured(t, tableBlock(dsn)+"max_conns: 16\ncreate_contact:   # into the contacts table\n")
	ctx := testCtx(t)
	d, _ := c.Describe(ctx, &connectors.DescribeRequest{})
	if !d.Has(connectors.CapCreateContact) || d.Has(connectors.CapLogCall) {
		t.Errorf("capabilities %v", d.Capabilities)
	}
	before := time.Now().Add(-time.Minute)

	req := &connectors.CreateContactRequest{Phone: connectortest.UnknownPhone, FirstName: "Hedy", LastName: "Lamarr",
		CompanyID: "2001", OwnerID: "u-99", Key: "call-7/new-contact"}
	resp, err := c.CreateContact(ctx, req)
	if err != nil || resp.Existing {
		t.Fatalf("CreateContact: %+v %v", resp, err)
	}
	ct := resp.Contact
	if ct.ID != "5001" || ct.FirstName != "Hedy" || ct.LastName != "Lamarr" || ct.CompanyID != "2001" ||
		ct.CompanyName != "Analytical Engines Ltd" || ct.OwnerID != "u-99" || ct.UpdatedAt.Before(before) {
		t.Errorf("created %+v", ct)
	}
	if len(ct.Phones) != 1 || ct.Phones[0].E164 != connectortest.UnknownPhone {
		t.Errorf("created phones %+v", ct.Phones)
	}
	look, err := c.LookupByPhone(ctx, &connectors.LookupRequest{E164: connectortest.UnknownPhone, National: "7700900999"})
	if err != nil || len(look.Matches) != 1 || !reflect.DeepEqual(*look.Matches[0].Contact, ct) {
		t.Fatalf("lookup of the new number: %+v %v\nwant %+v", look, err, ct)
	}
	list, err := c.ListContacts(ctx, &connectors.ListRequest{ChangedSince: before})
	if err != nil || len(list.Contacts) != 1 || list.Contacts[0].ID != ct.ID {
		t.Errorf("contacts changed since the test began: %+v %v", list, err)
	}

	again, err := c.CreateContact(ctx, &connectors.CreateContactRequest{Phone: connectortest.UnknownPhone, FirstName: "Someone", LastName: "Else"})
	if err != nil || !again.Existing || !reflect.DeepEqual(again.Contact, ct) {
		t.Errorf("CreateContact of the number again: %+v %v", again, err)
	}
	ada, err := c.CreateContact(ctx, &connectors.CreateContactRequest{Phone: connectortest.AdaPhone, FirstName: "New"})
	if err != nil || !ada.Existing || ada.Contact.ID != "1001" || ada.Contact.FirstName != "Ada" {
		t.Errorf("CreateContact of Ada's number: %+v %v", ada, err)
	}

	const number = "+447700900111"
	checkOneContact(t, concurrently(16, func(i int) createResult {
		resp, err := c.CreateContact(testCtx(t), &connectors.CreateContactRequest{Phone: number, FirstName: fmt.Sprint("Caller ", i)})
		return createResult{resp, err}
	}))
	if n := count(t, dsn, "SELECT count(*) FROM contacts WHERE phone_e164 @> ARRAY[$1]", number); n != 1 {
		t.Errorf("%d contacts with %s after 16 concurrent creations", n, number)
	}
	if n := count(t, dsn, "SELECT count(*) FROM contacts"); n != 15+2 {
		t.Errorf("%d contacts; want 17", n)
	}

	_, err = c.CreateContact(ctx, &connectors.CreateContactRequest{Phone: "020 4520 5757"})
	if connectors.ClassOf(err) != connectors.ClassInvalidRequest || !strings.Contains(err.Error(), "E.164") {
		t.Errorf("CreateContact of a national number: %v", err)
	}
}

// peopleSQL creates a contact in the queries fixture's crm.people.
const peopleSQL = `INSERT INTO crm.people (person_no, given, family, org_no, tel, tel_e164, manager, changed)
    VALUES ('P' || nextval('crm.people_no'), @first_name, @last_name, @company_id, @phone, @phone, @owner_id, now())
    RETURNING person_no`

// TestCreateContactSQL creates contacts with the operator's SQL; SQL that
// stores the number where the lookup does not look is refused, and what
// it made is not kept.
func TestCreateContactSQL(t *testing.T) {
	t.Parallel()
	dsn := loadQueryTables(t, connectortest.Dataset())
	exec(t, dsn, `CREATE SEQUENCE crm.people_no START 5001`)
	c := configured(t, queriesBlock(dsn)+fmt.Sprintf("create_contact:\n  sql: %q\n", peopleSQL))
	ctx := testCtx(t)
	check, err := c.Check(ctx, &connectors.CheckRequest{})
	if err != nil || !strings.HasSuffix(check.Detail, "; writes new contacts with create_contact.sql") {
		t.Errorf("Check: %+v %v", check, err)
	}
	resp, err := c.CreateContact(ctx, &connectors.CreateContactRequest{Phone: connectortest.UnknownPhone, FirstName: "Hedy", CompanyID: "2002"})
	if err != nil || resp.Existing || resp.Contact.ID != "P5001" || resp.Contact.FirstName != "Hedy" ||
		resp.Contact.CompanyName != "Difference Works" {
		t.Fatalf("CreateContact: %+v %v", resp, err)
	}
	look, err := c.LookupByPhone(ctx, &connectors.LookupRequest{E164: connectortest.UnknownPhone, National: "7700900999"})
	if err != nil || len(look.Matches) != 1 || !reflect.DeepEqual(*look.Matches[0].Contact, resp.Contact) {
		t.Errorf("lookup: %+v %v", look, err)
	}
	again, err := c.CreateContact(ctx, &connectors.CreateContactRequest{Phone: connectortest.UnknownPhone})
	if err != nil || !again.Existing || again.Contact.ID != "P5001" {
		t.Errorf("CreateContact again: %+v %v", again, err)
	}

	lost := strings.Replace(peopleSQL, "@phone, @phone", "@phone, NULL", 1)
	c = configured(t, queriesBlock(dsn)+fmt.Sprintf("create_contact:\n  sql: %q\n", lost))
	_, err = c.CreateContact(ctx, &connectors.CreateContactRequest{Phone: "+447700900222"})
	if connectors.ClassOf(err) != connectors.ClassBadConfig || !strings.Contains(err.Error(), "is not found by a lookup of +447700900222") {
		t.Errorf("CreateContact with SQL the lookup cannot see: %v", err)
	}
	if n := count(t, dsn, "SELECT count(*) FROM crm.people WHERE tel = '+447700900222'"); n != 0 {
		t.Errorf("the contact the lookup could not find was kept")
	}
}

// TestWritesScalarPhoneKey: a text (not text[]) phone_key and text ids,
// with both writes configured on one table set (the host's end-to-end
// test's shape): the new contact's number goes into phone and
// phone_e164 alike, and a log against a company alone names the company.
func TestWritesScalarPhoneKey(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	exec(t, dsn,
		`CREATE TABLE people (id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1000) PRIMARY KEY,
			first_name text, last_name text, phone varchar(40), phone_e164 text, company_id text)`,
		`CREATE INDEX ON people (phone_e164)`,
		`INSERT INTO people (id, first_name, last_name, phone, phone_e164, company_id) VALUES
			(1, 'Ada', 'Lovelace', '020 4520 5757', '+442045205757', 'K-1')`,
		`CREATE TABLE call_logs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, call_key text NOT NULL UNIQUE,
			contact_id text, company_id text, outcome text, talk_seconds int, body text)`)
	c := configured(t, fmt.Sprintf(`dsn: %q
table: people
columns: {id: id, first_name: first_name, last_name: last_name, phones: [phone], phone_key: phone_e164, company_id: company_id}
log_call:
  table: call_logs
  id_column: id
  columns: {key: call_key, contact_id: contact_id, company_id: company_id, outcome: outcome, talk_seconds: talk_seconds, body: body}
create_contact: {}
`, dsn))
	ctx := testCtx(t)
	resp, err := c.CreateContact(ctx, &connectors.CreateContactRequest{Phone: connectortest.UnknownPhone, FirstName: "Caller",
		LastName: "07700 900999", CompanyID: "K-7"})
	if err != nil || resp.Existing || resp.Contact.ID != "1000" || resp.Contact.CompanyID != "K-7" {
		t.Fatalf("CreateContact: %+v %v", resp, err)
	}
	if n := count(t, dsn, "SELECT count(*) FROM people WHERE phone = $1 AND phone_e164 = $1 AND last_name = '07700 900999'",
		connectortest.UnknownPhone); n != 1 {
		t.Errorf("the new contact's row is not as created")
	}
	ada, err := c.CreateContact(ctx, &connectors.CreateContactRequest{Phone: connectortest.AdaPhone, FirstName: "Caller"})
	if err != nil || !ada.Existing || ada.Contact.ID != "1" {
		t.Errorf("CreateContact of Ada's number: %+v %v", ada, err)
	}
	log, err := c.LogCall(ctx, &connectors.LogCallRequest{Key: "c1/crm-log", CompanyID: "K-7",
		Call: connectors.CallRecord{Outcome: connectors.CallMissed, Body: "missed"}})
	if err != nil || log.Existing {
		t.Fatalf("LogCall: %+v %v", log, err)
	}
	if n := count(t, dsn, "SELECT count(*) FROM call_logs WHERE id = $1 AND company_id = 'K-7' AND contact_id IS NULL AND talk_seconds = 0", log.ID); n != 1 {
		t.Errorf("the log's row is not as logged")
	}
}
