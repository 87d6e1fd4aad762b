package postgres

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/connectors/postgres/pgtest"
)

func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	removePluginBuild()
	os.Exit(code)
}

// testCtx is a context for one test's database calls.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// exec runs SQL statements on dsn.
func exec(t testing.TB, dsn string, stmts ...string) {
	t.Helper()
	ctx := testCtx(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// contactsDDL is the table the table-mode fixture loads: the dataset's
// contacts with raw numbers in phone and mobile, their E.164 forms in the
// phone_e164 array (the phone_key), and a company per contact.
const contactsDDL = `CREATE TABLE contacts (
	id bigint PRIMARY KEY,
	first_name text, last_name text,
	company_id bigint, company text,
	phone text, mobile text, email text, owner text,
	updated_at timestamptz,
	phone_e164 text[] NOT NULL DEFAULT '{}',
	balance numeric, vip boolean, tier text, joined date, extra jsonb,
	account_no text, order_numbers text)`

// keyIndexes are the indexes the lookups by key of the key dataset's
// fields use (doc.go recommends them).
var keyIndexes = []string{
	`CREATE INDEX contacts_account_no ON contacts (lower(btrim(account_no)))`,
	`CREATE INDEX contacts_order_numbers ON contacts USING gin (regexp_split_to_array(lower(btrim(order_numbers)), '\s*[,;]\s*'))`,
}

// loadTable creates the contacts table in a fresh database and fills it
// with data.
func loadTable(t testing.TB, data *connectortest.Records) string {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	exec(t, dsn, append([]string{contactsDDL,
		`CREATE INDEX contacts_phone_e164 ON contacts USING gin (phone_e164)`,
		`CREATE INDEX contacts_company_id ON contacts (company_id)`}, keyIndexes...)...)
	ctx := testCtx(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows := make([][]any, 0, len(data.Contacts))
	for _, c := range data.Contacts {
		var companyID any
		if c.CompanyID != "" {
			companyID = c.CompanyID
		}
		var keys []string
		for _, p := range c.Phones {
			if p.E164 != "" {
				keys = append(keys, p.E164)
			}
		}
		if keys == nil {
			keys = []string{}
		}
		rows = append(rows, []any{c.ID, c.FirstName, c.LastName, companyID, nullable(c.CompanyName),
			nullable(connectortest.PhoneRaw(&c, connectortest.LabelPhone)),
			nullable(connectortest.PhoneRaw(&c, connectortest.LabelMobile)),
			nullable(first(c.Emails)), nullable(c.OwnerID), c.UpdatedAt, keys,
			c.Fields[connectortest.FieldAccountNo], c.Fields[connectortest.FieldOrderNumbers]})
	}
	cols := []string{"id", "first_name", "last_name", "company_id", "company", "phone", "mobile", "email", "owner", "updated_at", "phone_e164",
		"account_no", "order_numbers"}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"contacts"}, cols, pgx.CopyFromRows(rows)); err != nil {
		t.Fatalf("loading the contacts: %v", err)
	}
	return dsn
}

// loadQueryTables creates separate people and orgs tables with text ids
// (for the queries-mode fixture) and fills them with data.
func loadQueryTables(t testing.TB, data *connectortest.Records) string {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	exec(t, dsn,
		`CREATE SCHEMA crm`,
		`CREATE TABLE crm.orgs (org_no text PRIMARY KEY, org_name text NOT NULL, changed timestamptz NOT NULL)`,
		`CREATE TABLE crm.people (person_no text PRIMARY KEY, given text, family text, org_no text REFERENCES crm.orgs,
			tel text, cell text, mail text, manager text, changed timestamptz NOT NULL,
			tel_e164 text, cell_e164 text, tel_national text, cell_national text)`,
		`CREATE INDEX ON crm.people (tel_e164)`, `CREATE INDEX ON crm.people (cell_e164)`)
	ctx := testCtx(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var orgs [][]any
	for _, co := range data.Companies {
		orgs = append(orgs, []any{co.ID, co.Name, co.UpdatedAt})
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"crm", "orgs"}, []string{"org_no", "org_name", "changed"}, pgx.CopyFromRows(orgs)); err != nil {
		t.Fatalf("loading the orgs: %v", err)
	}
	parser, err := phone.NewParser(connectortest.Region)
	if err != nil {
		t.Fatal(err)
	}
	var people [][]any
	for _, c := range data.Contacts {
		// The keys as an operator's trigger would compute them: the
		// number read in the region (a national-only number has no
		// E.164 but still a national key).
		e164 := func(label string) (any, any) {
			for _, p := range c.Phones {
				if p.Label != label {
					continue
				}
				n, err := parser.Parse(p.Raw)
				if err != nil {
					return nil, nil
				}
				return nullable(n.E164), nullable(n.National)
			}
			return nil, nil
		}
		telE, telN := e164(connectortest.LabelPhone)
		cellE, cellN := e164(connectortest.LabelMobile)
		people = append(people, []any{c.ID, c.FirstName, c.LastName, nullable(c.CompanyID),
			nullable(connectortest.PhoneRaw(&c, connectortest.LabelPhone)),
			nullable(connectortest.PhoneRaw(&c, connectortest.LabelMobile)),
			nullable(first(c.Emails)), nullable(c.OwnerID), c.UpdatedAt, telE, cellE, telN, cellN})
	}
	cols := []string{"person_no", "given", "family", "org_no", "tel", "cell", "mail", "manager", "changed",
		"tel_e164", "cell_e164", "tel_national", "cell_national"}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"crm", "people"}, cols, pgx.CopyFromRows(people)); err != nil {
		t.Fatalf("loading the people: %v", err)
	}
	return dsn
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func first(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[0]
}

// tableBlock is the table-mode block for a database loaded by loadTable.
func tableBlock(dsn string) string {
	return fmt.Sprintf(`dsn: %q
table: contacts
columns:
  id: id
  first_name: first_name
  last_name: last_name
  company_id: company_id
  company: company
  phones: [phone, mobile]
  emails: [email]
  owner: owner
  updated_at: updated_at
  phone_key: phone_e164
`, dsn)
}

// keyFieldsBlock maps the key dataset's fields (none for the other
// datasets), order_numbers as several values.
func keyFieldsBlock(data *connectortest.Records) string {
	if len(data.KeyFields()) == 0 {
		return ""
	}
	return "fields:\n  account_no: {column: account_no}\n  order_numbers: {column: order_numbers, multi: true}\n"
}

// queriesBlock is the queries-mode block for a database loaded by
// loadQueryTables.
func queriesBlock(dsn string) string {
	return fmt.Sprintf(`dsn: %q
queries:
  lookup: >-
    SELECT p.*, o.org_name FROM crm.people p LEFT JOIN crm.orgs o USING (org_no)
    WHERE p.tel_e164 = @e164 OR p.cell_e164 = @e164
       OR p.tel_national = @national OR p.cell_national = @national
    ORDER BY p.person_no LIMIT @limit
  list_contacts: >-
    SELECT p.*, o.org_name FROM crm.people p LEFT JOIN crm.orgs o USING (org_no)
    WHERE p.person_no > @after AND p.changed >= @changed_since
    ORDER BY p.person_no LIMIT @limit
  list_companies: >-
    SELECT * FROM crm.orgs WHERE org_no > @after AND changed >= @changed_since
    ORDER BY org_no LIMIT @limit
columns:
  id: person_no
  first_name: given
  last_name: family
  company_id: org_no
  company: org_name
  phones: [tel, cell]
  emails: mail
  owner: manager
  updated_at: changed
company_columns:
  id: org_no
  name: org_name
  updated_at: changed
`, dsn)
}

// dsnOf reads the dsn of a block.
func dsnOf(t testing.TB, block []byte) string {
	t.Helper()
	var v struct {
		DSN string `yaml:"dsn"`
	}
	if err := yaml.Unmarshal(block, &v); err != nil || v.DSN == "" {
		t.Fatalf("no dsn in the block (%v):\n%s", err, block)
	}
	return v.DSN
}

// stall locks every table of the block's database until release, so that
// every query the connector runs waits.
func stall(t testing.TB, block []byte) func() {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsnOf(t, block))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	rows, err := tx.Query(ctx, `SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables
		WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE "+strings.Join(tables, ", ")+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	return func() {
		_ = tx.Rollback(ctx)
		_ = conn.Close(ctx)
	}
}

// configured returns a connector configured with block, closed when the
// test ends.
func configured(t testing.TB, block string) *Connector {
	t.Helper()
	c := newConnector(nil)
	t.Cleanup(c.Close)
	resp, err := c.Configure(testCtx(t), &connectors.ConfigureRequest{Config: []byte(block), DefaultRegion: "GB"})
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if len(resp.Problems) > 0 {
		t.Fatalf("Configure: %+v", resp.Problems)
	}
	return c
}
