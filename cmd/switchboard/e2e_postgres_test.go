package main

// End-to-end tests of the PostgreSQL connector plugin: the real host and
// plugin binaries against a real PostgreSQL (connectors/postgres/pgtest).

import (
	"testing"

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
  default:
    hipcall: "1000"
`)
	cli(t, nil, "validate", "-config", bad).mustExit(exitUsage).stderrHas(
		"bad.yaml:10:16:", "SB_TEST_PG_DSN_NEVER_SET is not set", // dsn_env
		"bad.yaml:13:14:", `unknown key "idd"`, // columns.idd
		"bad.yaml:14:25:", "empty column name", // columns.phones.1
		"bad.yaml:16:42:", `did you mean "number"`, // fields.balance.type
		"missing columns.id",
	)
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
  default:
    hipcall: "1000"
`)
	cli(t, nil, "validate", "-config", cfg).exits(exitUsage).stderrHas("live.yaml:6:5:", "mode live needs a connector with live lookups")
}

// TestE2EPostgresLiveAndIndex serves rings from two PostgreSQL connectors
// in lookup order: a table with a phone_key in mode: live, then a table
// without one in mode: index. The DSN comes from the environment and is
// never logged.
func TestE2EPostgresLiveAndIndex(t *testing.T) {
	t.Parallel()
	live, index := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
	pgCustomers(t, live,
		`(1, 'Ada Lovelace', '020 4520 5757', '+442045205757', '1093')`,
		`(2, 'Office A', '020 7946 0999', '+442079460999', '1201')`,
		`(3, 'Office B', '+44 (0)20 7946 0999', '+442079460999', '1202')`)
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
`+pgCustomersConnector("SB_TEST_PG_LIVE_DSN")+`  - name: leads
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
`+managerRouting)
	env := []string{"SB_TEST_PG_LIVE_DSN=" + live, "SB_TEST_PG_INDEX_DSN=" + index}
	cli(t, env, "validate", "-config", cfg).mustExit(0)
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
	h.logsHide(live, index)

	cli(t, env, "lookup", "-config", cfg, "020 4520 5757").exits(0).stdoutHas("via live/crm", "Ada Lovelace")
}
