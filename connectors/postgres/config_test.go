package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
)

func TestParseConfigProblems(t *testing.T) {
	t.Setenv("SWITCHBOARD_PG_TEST_DSN", "postgres://u:pw@127.0.0.1:1/db")
	t.Setenv("SWITCHBOARD_PG_TEST_EMPTY", "")
	for _, tc := range []struct {
		name  string
		block string
		path  string // a problem must have this path...
		want  string // ...and this text
	}{
		{"no dsn", "table: t\ncolumns: {id: id}\n", "", "missing dsn"},
		{"both dsn", "dsn: postgres://a@b/c\ndsn_env: X\ntable: t\ncolumns: {id: id}\n", "dsn_env", "not both"},
		{"env unset", "dsn_env: SWITCHBOARD_PG_TEST_UNSET\ntable: t\ncolumns: {id: id}\n", "dsn_env", "SWITCHBOARD_PG_TEST_UNSET is not set"},
		{"env empty", "dsn_env: SWITCHBOARD_PG_TEST_EMPTY\ntable: t\ncolumns: {id: id}\n", "dsn_env", "is not set (or empty)"},
		{"env bad name", "dsn_env: 'postgres://x'\ntable: t\ncolumns: {id: id}\n", "dsn_env", "not an environment variable name"},
		{"bad dsn", "dsn: 'host=x port=abc'\ntable: t\ncolumns: {id: id}\n", "dsn", "cannot be read"},
		{"nothing to read", "dsn_env: SWITCHBOARD_PG_TEST_DSN\n", "", "nothing to read"},
		{"table and queries", "dsn_env: SWITCHBOARD_PG_TEST_DSN\ntable: t\ncolumns: {id: id}\nqueries: {lookup: 'SELECT 1 WHERE @e164 = 1'}\n", "queries", "not both"},
		{"three-part table", "dsn_env: SWITCHBOARD_PG_TEST_DSN\ntable: a.b.c\ncolumns: {id: id}\n", "table", "more than one dot"},
		{"missing id", "dsn_env: SWITCHBOARD_PG_TEST_DSN\ntable: t\ncolumns: {first_name: f}\n", "columns.id", "missing columns.id"},
		{"name and first", "dsn_env: SWITCHBOARD_PG_TEST_DSN\ntable: t\ncolumns: {id: id, name: n, first_name: f}\n", "columns.name", "not both"},
		{"empty phone", "dsn_env: SWITCHBOARD_PG_TEST_DSN\ntable: t\ncolumns: {id: id, phones: [p, ' ']}\n", "columns.phones.1", "empty column name"},
		{"unknown column key", "dsn_env: SWITCHBOARD_PG_TEST_DSN\ntable: t\ncolumns: {id: id, phonez: p}\n", "columns.phonez", `did you mean "phones"`},
		{"field type", "dsn_env: SWITCHBOARD_PG_TEST_DSN\ntable: t\ncolumns: {id: id}\nfields: {b: {column: b, type: nubmer}}\n", "fields.b.type", `did you mean "number"`},
		{"field column", "dsn_env: SWITCHBOARD_PG_TEST_DSN\ntable: t\ncolumns: {id: id}\nfields: {b: {type: number}}\n", "fields.b.column", "missing column"},
		{"max conns", "dsn_env: SWITCHBOARD_PG_TEST_DSN\ntable: t\ncolumns: {id: id}\nmax_conns: 0\n", "max_conns", "between 1 and 100"},
		{"page size", "dsn_env: SWITCHBOARD_PG_TEST_DSN\ntable: t\ncolumns: {id: id}\nmax_page_size: 100000\n", "max_page_size", "between 1 and"},
		{"timeout type", "dsn_env: SWITCHBOARD_PG_TEST_DSN\ntable: t\ncolumns: {id: id}\nstatement_timeout: 30\n", "statement_timeout", "duration"},
		{"company_columns with table", "dsn_env: SWITCHBOARD_PG_TEST_DSN\ntable: t\ncolumns: {id: id}\ncompany_columns: {id: id}\n", "company_columns", "remove company_columns"},
		{"phone_key with queries", "dsn_env: SWITCHBOARD_PG_TEST_DSN\ncolumns: {id: id, phone_key: k}\nqueries: {lookup: 'SELECT * FROM t WHERE k = @e164'}\n", "columns.phone_key", "table: mode"},
		{"unknown parameter", "dsn_env: SWITCHBOARD_PG_TEST_DSN\ncolumns: {id: id}\nqueries: {lookup: 'SELECT * FROM t WHERE k = @e164 OR n = @nationl'}\n", "queries.lookup", "unknown parameter @nationl"},
		{"parameter in a string is no parameter", "dsn_env: SWITCHBOARD_PG_TEST_DSN\ncolumns: {id: id}\nqueries: {lookup: \"SELECT * FROM t WHERE k = '@e164'\"}\n", "queries.lookup", "uses none of"},
		{"list without limit", "dsn_env: SWITCHBOARD_PG_TEST_DSN\ncolumns: {id: id}\nqueries: {list_contacts: 'SELECT * FROM t WHERE id > @after ORDER BY id'}\n", "queries.list_contacts", "must use @limit"},
		{"company query without columns", "dsn_env: SWITCHBOARD_PG_TEST_DSN\nqueries: {list_companies: 'SELECT * FROM o WHERE id > @after ORDER BY id LIMIT @limit'}\n", "company_columns.id", "missing company_columns.id"},
		{"company columns without query", "dsn_env: SWITCHBOARD_PG_TEST_DSN\ncolumns: {id: id}\nqueries: {list_contacts: 'SELECT * FROM t WHERE id > @after ORDER BY id LIMIT @limit'}\ncompany_columns: {id: id}\n", "company_columns", "not set"},
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

func TestParseConfigReportsEveryProblem(t *testing.T) {
	block := "table: t\ncolor: red\ncolumns: {phones: [a, '']}\nmax_conns: 0\n"
	_, problems := parseConfig(&connectors.ConfigureRequest{Config: []byte(block), DefaultRegion: "GB"})
	paths := map[string]bool{}
	for _, p := range problems {
		paths[p.Path] = true
	}
	for _, want := range []string{"", "color", "columns.id", "columns.phones.1", "max_conns"} {
		if !paths[want] {
			t.Errorf("no problem at %q in %+v", want, problems)
		}
	}
}

func TestParseConfigReadsDSNFromEnv(t *testing.T) {
	t.Setenv("SWITCHBOARD_PG_TEST_DSN", "postgres://crm:pw@db.internal:6543/sales?sslmode=disable")
	s, problems := parseConfig(&connectors.ConfigureRequest{
		Config: []byte("dsn_env: SWITCHBOARD_PG_TEST_DSN\ntable: crm.people\ncolumns: {id: id}\nstatement_timeout: 2s\n"), DefaultRegion: "GB",
	})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	cc := s.poolCfg.ConnConfig
	if cc.Host != "db.internal" || cc.Port != 6543 || cc.Database != "sales" || cc.User != "crm" {
		t.Errorf("parsed %s@%s:%d/%s", cc.User, cc.Host, cc.Port, cc.Database)
	}
	if got := cc.RuntimeParams["statement_timeout"]; got != "2000" {
		t.Errorf("statement_timeout runtime parameter %q, want 2000", got)
	}
	if s.where() != "db.internal:6543" || s.dsnSource != "dsn_env SWITCHBOARD_PG_TEST_DSN" {
		t.Errorf("where %q, source %q", s.where(), s.dsnSource)
	}
	if got := s.table.Sanitize(); got != `"crm"."people"` {
		t.Errorf("table %s", got)
	}
}

// TestCapabilitiesFollowTheBlock checks what Describe says after a block
// was validated: lookup only with a phone_key or a lookup query,
// lookup_by_key with a table, and so on.
func TestCapabilitiesFollowTheBlock(t *testing.T) {
	const dsn = "dsn: postgres://u@127.0.0.1:1/db\n"
	list := "list_contacts: 'SELECT * FROM t WHERE id > @after ORDER BY id LIMIT @limit'"
	for _, tc := range []struct {
		name, block string
		want        []connectors.Capability
	}{
		{"bare table", "table: t\ncolumns: {id: id}\n", []connectors.Capability{connectors.CapLookupByKey, connectors.CapListContacts}},
		{"full table", "table: t\ncolumns: {id: id, company_id: c, updated_at: u, phone_key: k}\n", allCapabilities},
		{"lookup query only", "columns: {id: id}\nqueries: {lookup: 'SELECT * FROM t WHERE k = @e164'}\n", []connectors.Capability{connectors.CapLookup}},
		{"list query without changed_since", "columns: {id: id}\nqueries: {" + list + "}\n", []connectors.Capability{connectors.CapListContacts}},
		{"list query with changed_since", "columns: {id: id}\nqueries: {list_contacts: 'SELECT * FROM t WHERE id > @after AND u >= @changed_since ORDER BY id LIMIT @limit'}\n",
			[]connectors.Capability{connectors.CapListContacts, connectors.CapChangedSince}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newConnector(nil)
			resp, err := c.Configure(context.Background(), &connectors.ConfigureRequest{
				Config: []byte(dsn + tc.block), DefaultRegion: "GB", ValidateOnly: true,
			})
			if err != nil || len(resp.Problems) > 0 {
				t.Fatalf("Configure(ValidateOnly): %v %+v", err, resp)
			}
			d, _ := c.Describe(context.Background(), &connectors.DescribeRequest{})
			if capsText(d.Capabilities) != capsText(tc.want) {
				t.Errorf("capabilities %v, want %v", d.Capabilities, tc.want)
			}
		})
	}
}

func TestValidateOnlyDoesNotConnect(t *testing.T) {
	c := newConnector(nil)
	// Port 1 on loopback refuses connections: a connection attempt would
	// fail, so acceptance proves none was made.
	resp, err := c.Configure(context.Background(), &connectors.ConfigureRequest{
		Config: []byte("dsn: postgres://u@127.0.0.1:1/db\ntable: t\ncolumns: {id: id}\n"), DefaultRegion: "GB", ValidateOnly: true,
	})
	if err != nil || len(resp.Problems) > 0 {
		t.Fatalf("Configure(ValidateOnly): %v %+v", err, resp)
	}
	if _, err := c.ListContacts(context.Background(), &connectors.ListRequest{}); connectors.ClassOf(err) != connectors.ClassBadConfig {
		t.Errorf("ListContacts after a validate-only Configure: %v; want not configured", err)
	}
}
