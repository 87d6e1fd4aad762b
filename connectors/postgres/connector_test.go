package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/connectors/postgres/pgtest"
)

// configureProblems configures a fresh connector with block and returns
// the problems (failing on an error).
func configureProblems(t *testing.T, block string) []connectors.Problem {
	t.Helper()
	c := newConnector(nil)
	t.Cleanup(c.Close)
	resp, err := c.Configure(testCtx(t), &connectors.ConfigureRequest{Config: []byte(block), DefaultRegion: "GB"})
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return resp.Problems
}

func wantProblem(t *testing.T, problems []connectors.Problem, path string, texts ...string) {
	t.Helper()
next:
	for _, p := range problems {
		if p.Path != path {
			continue
		}
		for _, s := range texts {
			if !strings.Contains(p.Message, s) {
				continue next
			}
		}
		return
	}
	t.Errorf("problems %+v\nwant one at %q containing %q", problems, path, texts)
}

// TestConfigureChecksTheSchema: a missing table or column, or a phone_key
// of the wrong type, is a problem at its path in the block.
func TestConfigureChecksTheSchema(t *testing.T) {
	t.Parallel()
	dsn := loadTable(t, connectortest.Dataset())
	head := fmt.Sprintf("dsn: %q\n", dsn)

	wantProblem(t, configureProblems(t, head+"table: customers\ncolumns: {id: id}\n"),
		"table", `table "customers" does not exist`, "fix table:")
	wantProblem(t, configureProblems(t, head+"table: nowhere.contacts\ncolumns: {id: id}\n"),
		"table", `"nowhere.contacts" does not exist`)
	problems := configureProblems(t, head+"table: contacts\ncolumns: {id: id, phones: [phone, mobil], emails: [emial]}\nfields: {b: {column: balanse}}\n")
	wantProblem(t, problems, "columns.phones.1", `column "mobil" does not exist in table contacts`, `did you mean "mobile"`)
	wantProblem(t, problems, "columns.emails.0", `column "emial"`)
	wantProblem(t, problems, "fields.b.column", `column "balanse"`, `did you mean "balance"`)
	wantProblem(t, configureProblems(t, head+"table: contacts\ncolumns: {id: id, phone_key: updated_at}\n"),
		"columns.phone_key.0", "type timestamptz", "must be text")
	// Column names are case-sensitive identifiers, quoted as written.
	wantProblem(t, configureProblems(t, head+"table: contacts\ncolumns: {id: ID}\n"), "columns.id", `column "ID"`)
}

// TestConfigurePreparesTheQueries: SQL that does not prepare, a result
// without a mapped column, or an @after the connector cannot page by is
// a problem at the query's (or column's) path.
func TestConfigurePreparesTheQueries(t *testing.T) {
	t.Parallel()
	dsn := loadQueryTables(t, connectortest.Dataset())
	head := fmt.Sprintf("dsn: %q\ncolumns: {id: person_no, phones: [tel]}\n", dsn)

	wantProblem(t, configureProblems(t, head+"queries: {lookup: 'SELEC * FROM crm.people WHERE tel_e164 = @e164'}\n"),
		"queries.lookup", "cannot prepare the lookup query", "syntax error")
	wantProblem(t, configureProblems(t, head+"queries: {lookup: 'SELECT * FROM crm.persons WHERE tel_e164 = @e164'}\n"),
		"queries.lookup", `relation "crm.persons" does not exist`)
	wantProblem(t, configureProblems(t, head+"queries: {lookup: 'SELECT person_no FROM crm.people WHERE tel_e164 = @e164'}\n"),
		"columns.phones.0", `column "tel" does not exist in the result of the lookup query`)
	wantProblem(t, configureProblems(t, head+"queries: {list_contacts: 'SELECT * FROM crm.people WHERE (person_no > '''') = @after ORDER BY person_no LIMIT @limit'}\n"),
		"queries.list_contacts", "@after compares with a value of type bool")
	wantProblem(t, configureProblems(t, head+"queries: {list_contacts: 'SELECT * FROM crm.people WHERE person_no > @after AND given = @changed_since ORDER BY person_no LIMIT @limit'}\n"),
		"queries.list_contacts", "@changed_since compares with a value of type text")
}

// TestConnectionErrors: Configure and Check say what is wrong in terms an
// operator can act on, classified, and never show the password.
func TestConnectionErrors(t *testing.T) {
	t.Parallel()
	s := pgtest.Shared(t)
	dsn := loadTable(t, connectortest.Dataset())
	closed := closedPort(t)
	for _, tc := range []struct {
		name  string
		dsn   string
		class connectors.Class
		want  []string
	}{
		{"unreachable", fmt.Sprintf("postgres://crm:s3cret-pw@127.0.0.1:%d/crm?sslmode=disable&connect_timeout=5", closed),
			connectors.ClassUnavailable, []string{fmt.Sprintf("cannot reach PostgreSQL at 127.0.0.1:%d", closed), "refused"}},
		{"no such role", strings.Replace(s.DSN("postgres"), "postgres@", "nobody:s3cret-pw@", 1),
			connectors.ClassUnauthorized, []string{`refused user "nobody"`, `role "nobody" does not exist`}},
		{"no such database", strings.Replace(dsn, "/test_", "/missing_", 1),
			connectors.ClassBadConfig, []string{`database "missing_`, "does not exist", fmt.Sprintf("127.0.0.1:%d", s.Port())}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newConnector(nil)
			t.Cleanup(c.Close)
			_, err := c.Configure(testCtx(t), &connectors.ConfigureRequest{Config: []byte(tableBlock(tc.dsn)), DefaultRegion: "GB"})
			if connectors.ClassOf(err) != tc.class {
				t.Fatalf("Configure: %v; want class %s", err, tc.class)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Configure: %v\nwant %q in it", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cret-pw") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// TestCheck: Check counts the contacts, and names a table or column that
// went missing after Configure.
func TestCheck(t *testing.T) {
	t.Parallel()
	data := connectortest.Dataset()
	dsn := loadTable(t, data)
	c := configured(t, tableBlock(dsn))
	resp, err := c.Check(testCtx(t), &connectors.CheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Records != int64(len(data.Contacts)) || !strings.Contains(resp.Detail, "table contacts holds 15 contacts") ||
		!strings.Contains(resp.Detail, "live lookups available") {
		t.Errorf("Check: %+v", resp)
	}

	exec(t, dsn, "ALTER TABLE contacts RENAME COLUMN mobile TO cell")
	_, err = c.Check(testCtx(t), &connectors.CheckRequest{})
	if connectors.ClassOf(err) != connectors.ClassBadConfig || !strings.Contains(err.Error(), `columns.phones.1: column "mobile" does not exist`) {
		t.Errorf("Check after a column went: %v", err)
	}
	if _, err := c.ListContacts(testCtx(t), &connectors.ListRequest{}); connectors.ClassOf(err) != connectors.ClassBadConfig ||
		!strings.Contains(err.Error(), `column "mobile" does not exist`) {
		t.Errorf("ListContacts after a column went: %v", err)
	}

	exec(t, dsn, "DROP TABLE contacts")
	_, err = c.Check(testCtx(t), &connectors.CheckRequest{})
	if connectors.ClassOf(err) != connectors.ClassBadConfig || !strings.Contains(err.Error(), `table "contacts" does not exist`) {
		t.Errorf("Check after the table went: %v", err)
	}
}

// TestDeadlineCancelsTheStatement: when the caller's deadline passes, the
// call returns at once AND PostgreSQL stops running the statement.
func TestDeadlineCancelsTheStatement(t *testing.T) {
	t.Parallel()
	dsn := loadQueryTables(t, connectortest.Dataset())
	c := configured(t, fmt.Sprintf(`dsn: %q
queries:
  lookup: SELECT p.* FROM crm.people p, pg_sleep(30) WHERE p.tel_e164 = @e164 LIMIT @limit
columns: {id: person_no, phones: [tel]}
`, dsn))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.LookupByPhone(ctx, &connectors.LookupRequest{E164: connectortest.AdaPhone})
	if !errors.Is(err, context.DeadlineExceeded) || connectors.ClassOf(err) != connectors.ClassUnavailable {
		t.Fatalf("LookupByPhone past its deadline: %v; want unavailable, wrapping context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("LookupByPhone returned %v after a 200ms deadline", took)
	}
	waitNoSleep(t, dsn)
}

// TestStatementTimeout: without a deadline, statement_timeout caps a
// statement on the server.
func TestStatementTimeout(t *testing.T) {
	t.Parallel()
	dsn := loadQueryTables(t, connectortest.Dataset())
	c := configured(t, fmt.Sprintf(`dsn: %q
statement_timeout: 100ms
queries:
  lookup: SELECT p.* FROM crm.people p, pg_sleep(30) WHERE p.tel_e164 = @e164 LIMIT @limit
columns: {id: person_no, phones: [tel]}
`, dsn))
	start := time.Now()
	_, err := c.LookupByPhone(context.Background(), &connectors.LookupRequest{E164: connectortest.AdaPhone})
	if connectors.ClassOf(err) != connectors.ClassUnavailable || !strings.Contains(err.Error(), "statement_timeout is 100ms") {
		t.Fatalf("LookupByPhone: %v; want the statement timeout", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
}

// waitNoSleep waits until the database runs no pg_sleep any more.
func waitNoSleep(t *testing.T, dsn string) {
	t.Helper()
	ctx := testCtx(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	deadline := time.Now().Add(3 * time.Second)
	for {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE state = 'active' AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("PostgreSQL still runs %d sleeping statements 3s after the caller gave up", n)
		}
		time.Sleep(20 * time.Millisecond) // polling the server's state
	}
}

// TestLookupKeepsOnlyTrueMatches: a loose lookup query (the last four
// digits) returns candidates; only those that really have the number come
// back.
func TestLookupKeepsOnlyTrueMatches(t *testing.T) {
	t.Parallel()
	dsn := loadQueryTables(t, connectortest.Dataset())
	c := configured(t, fmt.Sprintf(`dsn: %q
queries:
  lookup: >-
    SELECT * FROM crm.people WHERE right(tel_e164, 4) = right(@e164, 4) OR right(cell_e164, 4) = right(@e164, 4)
    ORDER BY person_no LIMIT @limit
columns: {id: person_no, first_name: given, phones: [tel, cell]}
`, dsn))
	// +447700900999 shares its last four digits with 1002/1003's +442079460999.
	resp, err := c.LookupByPhone(testCtx(t), &connectors.LookupRequest{E164: connectortest.UnknownPhone, National: "7700900999"})
	if err != nil || len(resp.Matches) != 0 {
		t.Errorf("lookup of a number nobody has: %+v %v", resp, err)
	}
	resp, err = c.LookupByPhone(testCtx(t), &connectors.LookupRequest{E164: connectortest.SharedPhone, National: "2079460999"})
	if err != nil || len(resp.Matches) != 2 {
		t.Fatalf("lookup of the shared number: %+v %v", resp, err)
	}
	for _, m := range resp.Matches {
		if m.Kind != connectors.MatchExact || m.Phone.E164 != connectortest.SharedPhone {
			t.Errorf("match %+v", m)
		}
	}
}

// TestNoPhoneKeyNoLookup: a table without phone_key lists, and lookups say
// what to do.
func TestNoPhoneKeyNoLookup(t *testing.T) {
	t.Parallel()
	dsn := loadTable(t, connectortest.Dataset())
	c := configured(t, fmt.Sprintf("dsn: %q\ntable: contacts\ncolumns: {id: id, phones: [phone, mobile]}\n", dsn))
	d, _ := c.Describe(testCtx(t), &connectors.DescribeRequest{})
	if d.Has(connectors.CapLookup) || d.Has(connectors.CapChangedSince) || d.Has(connectors.CapListCompanies) || !d.Has(connectors.CapListContacts) {
		t.Errorf("capabilities %v; want list_contacts only", d.Capabilities)
	}
	_, err := c.LookupByPhone(testCtx(t), &connectors.LookupRequest{E164: connectortest.AdaPhone})
	if connectors.ClassOf(err) != connectors.ClassUnsupported || !strings.Contains(err.Error(), "mode: index") {
		t.Errorf("LookupByPhone: %v", err)
	}
	_, err = c.ListCompanies(testCtx(t), &connectors.ListRequest{})
	if connectors.ClassOf(err) != connectors.ClassUnsupported {
		t.Errorf("ListCompanies: %v", err)
	}
}

// TestFields: extra fields keep the column's type, or convert to the
// configured one.
func TestFields(t *testing.T) {
	t.Parallel()
	data := connectortest.Dataset()
	dsn := loadTable(t, data)
	exec(t, dsn, `UPDATE contacts SET balance = 1234.5, vip = true, tier = '1.500,5', joined = '2024-03-01',
		extra = '{"a": [1, "x"]}' WHERE id = 1001`)
	c := configured(t, tableBlock(dsn)+`fields:
  balance: {column: balance}
  vip: {column: vip}
  joined: {column: joined}
  extra: {column: extra}
  tier_text: {column: tier}
  tier_number: {column: tier, type: number}
  vip_text: {column: vip, type: string}
  bad_number: {column: first_name, type: number}
  missing: {column: mobile}
`)
	resp, err := c.LookupByPhone(testCtx(t), &connectors.LookupRequest{E164: connectortest.AdaPhone})
	if err != nil || len(resp.Matches) != 1 {
		t.Fatalf("lookup: %+v %v", resp, err)
	}
	f := resp.Matches[0].Contact.Fields
	want := map[string]any{
		"balance": 1234.5, "vip": true, "joined": "2024-03-01T00:00:00Z", "tier_text": "1.500,5",
		"tier_number": 1500.5, "vip_text": "true", "bad_number": nil,
		"missing": connectortest.PhoneRaw(data.Contact("1001"), connectortest.LabelMobile),
	}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("field %s = %#v (%T), want %#v", k, f[k], f[k], v)
		}
	}
	extra, ok := f["extra"].(map[string]any)
	if !ok || fmt.Sprint(extra["a"]) != "[1 x]" {
		t.Errorf("field extra = %#v", f["extra"])
	}
}

// TestKeysetPaging pages 6,000 rows while rows are inserted and deleted
// between pages: no row present throughout is repeated or skipped.
func TestKeysetPaging(t *testing.T) {
	t.Parallel()
	dsn := loadTable(t, &connectortest.Records{})
	exec(t, dsn, `INSERT INTO contacts (id, first_name, phone, phone_e164, updated_at)
		SELECT i * 2, 'C' || i, '+4479' || lpad(i::text, 8, '0'), ARRAY['+4479' || lpad(i::text, 8, '0')],
		       timestamptz '2024-01-01' + i * interval '1 minute'
		FROM generate_series(1, 6000) AS i`)
	c := configured(t, tableBlock(dsn))
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		resp, err := c.ListContacts(testCtx(t), &connectors.ListRequest{Cursor: cursor, PageSize: 500})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Contacts) > 500 {
			t.Fatalf("page of %d", len(resp.Contacts))
		}
		for _, ct := range resp.Contacts {
			if seen[ct.ID] {
				t.Fatalf("contact %s listed twice", ct.ID)
			}
			seen[ct.ID] = true
		}
		pages++
		if resp.NextCursor == "" {
			break
		}
		cursor = resp.NextCursor
		// Odd ids are new rows; they may or may not show, the even ones
		// must each show once.
		exec(t, dsn, fmt.Sprintf("INSERT INTO contacts (id, first_name) VALUES (%d, 'new'), (%d, 'new')", pages*500+1, 12001+pages))
	}
	for i := 1; i <= 6000; i++ {
		if !seen[fmt.Sprint(i*2)] {
			t.Fatalf("contact %d skipped", i*2)
		}
	}
	if pages < 12 {
		t.Errorf("%d pages", pages)
	}

	// A cursor that is not an id of the table is the caller's fault.
	_, err := c.ListContacts(testCtx(t), &connectors.ListRequest{Cursor: encodeCursor("not-a-number")})
	if connectors.ClassOf(err) != connectors.ClassInvalidRequest {
		t.Errorf("ListContacts with a foreign cursor: %v", err)
	}
	// Page size is capped.
	resp, err := c.ListContacts(testCtx(t), &connectors.ListRequest{PageSize: 1_000_000})
	if err != nil || len(resp.Contacts) != defaultMaxPageSize {
		t.Errorf("page of 1,000,000 asked: %d contacts, %v", len(resp.Contacts), err)
	}
}

// TestHostileIdentifiers: table and column names from the config are
// quoted, whatever they hold.
func TestHostileIdentifiers(t *testing.T) {
	t.Parallel()
	dsn := loadTable(t, &connectortest.Records{})
	exec(t, dsn,
		`CREATE TABLE "we""ird; DROP TABLE contacts; --" ("Id ""x""" text PRIMARY KEY, "Phone Number" text, "key" text)`,
		`INSERT INTO "we""ird; DROP TABLE contacts; --" VALUES ('a', '020 4520 5757', '+442045205757')`)
	c := configured(t, fmt.Sprintf(`dsn: %q
table: 'we"ird; DROP TABLE contacts; --'
columns: {id: 'Id "x"', phones: [Phone Number], phone_key: key}
`, dsn))
	resp, err := c.LookupByPhone(testCtx(t), &connectors.LookupRequest{E164: connectortest.AdaPhone})
	if err != nil || len(resp.Matches) != 1 || resp.Matches[0].Contact.ID != "a" || resp.Matches[0].Phone.Raw != "020 4520 5757" {
		t.Fatalf("lookup: %+v %v", resp, err)
	}
	exec(t, dsn, "SELECT 1 FROM contacts") // still there
}

// TestReconfigureSwapsDatabases: a second Configure serves the new block,
// and a rejected one leaves the old serving.
func TestReconfigureSwapsDatabases(t *testing.T) {
	t.Parallel()
	one := connectortest.Dataset()
	two := &connectortest.Records{Contacts: one.Contacts[:1]}
	c := configured(t, tableBlock(loadTable(t, one)))
	count := func() int {
		resp, err := c.ListContacts(testCtx(t), &connectors.ListRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return len(resp.Contacts)
	}
	if n := count(); n != 15 {
		t.Fatalf("%d contacts", n)
	}
	resp, err := c.Configure(testCtx(t), &connectors.ConfigureRequest{Config: []byte(tableBlock(loadTable(t, two))), DefaultRegion: "GB"})
	if err != nil || len(resp.Problems) > 0 {
		t.Fatal(err, resp)
	}
	if n := count(); n != 1 {
		t.Errorf("after reconfiguring: %d contacts", n)
	}
	_, err = c.Configure(testCtx(t), &connectors.ConfigureRequest{
		Config: []byte(fmt.Sprintf("dsn: 'postgres://u@127.0.0.1:%d/x?connect_timeout=5'\ntable: contacts\ncolumns: {id: id}\n", closedPort(t))), DefaultRegion: "GB",
	})
	if connectors.ClassOf(err) != connectors.ClassUnavailable {
		t.Errorf("Configure with an unreachable server: %v", err)
	}
	if n := count(); n != 1 {
		t.Errorf("after a failed Configure: %d contacts", n)
	}
}
