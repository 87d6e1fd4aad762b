package main

// End-to-end tests of the PostgreSQL connector plugin: the real host and
// plugin binaries against a real PostgreSQL (connectors/postgres/pgtest).

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-hq/switchboard/connectors/postgres/pgtest"
)

// TestE2EValidatePostgresBlock: `switchboard validate` reports every
// problem in a postgres block at its file:line:col, without connecting.
func TestE2EValidatePostgresBlock(t *testing.T) {
	t.Parallel()
	bad := writeConfig(t, t.TempDir(), "bad.yaml", `phone:
  default_region: GB
plugins:
  dir: ${SB_PLUGIN_DIR}
connectors:
  - name: crm
    plugin: postgres
    mode: live
    config:
      dsn_env: SB_TEST_PG_DSN_NEVER_SET
      table: contacts
      columns:
        idd: id
        phones: [phone, ""]
      fields:
        balance: {column: balance, type: nubmer}
routing:
  default_extension: "1000"
`)
	code, out, errOut := runCLI(t, nil, "validate", "-config", bad)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitUsage, out, errOut)
	}
	for _, want := range []string{
		"bad.yaml:10:16:", "SB_TEST_PG_DSN_NEVER_SET is not set", // dsn_env
		"bad.yaml:13:14:", `unknown key "idd"`, // columns.idd
		"bad.yaml:14:25:", "empty column name", // columns.phones.1
		"bad.yaml:16:42:", `did you mean "number"`, // fields.balance.type
		"missing columns.id",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("validate output lacks %q:\n%s", want, errOut)
		}
	}
}

// TestE2EValidatePostgresCapabilities: the host learns the capabilities
// the block gives the plugin, so a table without phone_key cannot serve
// mode: live, and the operator is told so at validate time.
func TestE2EValidatePostgresCapabilities(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, t.TempDir(), "live.yaml", `phone:
  default_region: GB
plugins:
  dir: ${SB_PLUGIN_DIR}
connectors:
  - name: crm
    plugin: postgres
    mode: live
    config:
      dsn: postgres://switchboard@127.0.0.1:1/crm
      table: contacts
      columns: {id: id, phones: [phone]}
routing:
  default_extension: "1000"
`)
	code, out, errOut := runCLI(t, nil, "validate", "-config", cfg)
	if code != exitUsage || !strings.Contains(errOut, "live.yaml:6:5:") || !strings.Contains(errOut, "mode live needs a connector with live lookups") {
		t.Errorf("validate: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}

// TestE2EPostgresLiveAndIndex serves rings from two PostgreSQL connectors
// in lookup order: a table with a phone_key in mode: live, then a table
// without one in mode: index. The DSN comes from the environment and is
// never logged.
func TestE2EPostgresLiveAndIndex(t *testing.T) {
	t.Parallel()
	live, index := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
	pgExec(t, live,
		`CREATE TABLE customers (id bigint PRIMARY KEY, name text, phone text, phone_e164 text, manager_ext text)`,
		`CREATE INDEX ON customers (phone_e164)`,
		`INSERT INTO customers VALUES
			(1, 'Ada Lovelace', '020 4520 5757', '+442045205757', '1093'),
			(2, 'Office A', '020 7946 0999', '+442079460999', '1201'),
			(3, 'Office B', '+44 (0)20 7946 0999', '+442079460999', '1202')`)
	pgExec(t, index,
		`CREATE TABLE leads (lead_id text PRIMARY KEY, full_name text, mobile text, ext text)`,
		`INSERT INTO leads VALUES ('L1', 'Grace Hopper', '07700 900461', '1300'), ('L2', 'Ada Again', '020 4520 5757', '1999')`)

	cfg := writeConfig(t, t.TempDir(), "pg.yaml", `server:
  listen: "127.0.0.1:${SB_PORT:0}"
log:
  level: ${SB_LOG_LEVEL:info}
phone:
  default_region: GB
plugins:
  dir: ${SB_PLUGIN_DIR}
connectors:
  - name: crm
    plugin: postgres
    mode: live
    timeout: 500ms
    config:
      dsn_env: SB_TEST_PG_LIVE_DSN
      table: customers
      columns: {id: id, name: name, phones: [phone], phone_key: phone_e164}
      fields:
        manager_ext: {column: manager_ext}
  - name: leads
    plugin: postgres
    mode: index
    config:
      dsn_env: SB_TEST_PG_INDEX_DSN
      table: leads
      columns: {id: lead_id, name: full_name, phones: mobile}
      fields:
        manager_ext: {column: ext}
directory:
  deadline: 1s
routing:
  default_extension: "1000"
  rules:
    - name: several-records
      when: ambiguous
      extension: "1002"
    - name: account-manager
      when: found && record.manager_ext != ""
      extension_expr: record.manager_ext
`)
	env := []string{"SB_TEST_PG_LIVE_DSN=" + live, "SB_TEST_PG_INDEX_DSN=" + index}
	if code, out, errOut := runCLI(t, env, "validate", "-config", cfg); code != 0 {
		t.Fatalf("validate: exit %d\n%s\n%s", code, out, errOut)
	}
	h := startHost(t, cfg, env...)
	for _, tc := range []struct{ caller, want string }{
		{"+442045205757", "1093"}, // live: Ada, first connector wins over the lead with the same number
		{"442079460999", "1002"},  // live: two records
		{"+447700900461", "1300"}, // index: Grace
		{"+447700900999", "1000"}, // nobody
	} {
		if _, ext := h.ivr(`{"caller":"` + tc.caller + `"}`); ext != tc.want {
			t.Errorf("caller %s: extension %s, want %s", tc.caller, ext, tc.want)
		}
	}
	for _, dsn := range []string{live, index} {
		if strings.Contains(h.logs.String(), dsn) {
			t.Errorf("the host's log shows a DSN:\n%s", h.logs.String())
		}
	}

	code, out, errOut := runCLI(t, env, "lookup", "-config", cfg, "020 4520 5757")
	if code != 0 || !strings.Contains(out, "via live/crm") || !strings.Contains(out, "Ada Lovelace") {
		t.Errorf("lookup: exit %d\n%s\n%s", code, out, errOut)
	}
}

// pgExec runs SQL statements on dsn.
func pgExec(t *testing.T, dsn string, stmts ...string) {
	t.Helper()
	ctx := context.Background()
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
