package example_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/plugins/manager"
)

// outOfTree is the out-of-tree connector docs/writing-a-connector.md
// builds: a module of its own, which CI's `go test ./...` does not reach.
const outOfTree = "../../examples/sqlite-crm"

// TestOutOfTreeConnector walks the guide's path for CI: it builds
// examples/sqlite-crm with `go build` in its own directory (its go.mod
// requires this module through a replace directive, as the guide says for
// a local checkout) and runs the conformance suite against the plugin
// binary, launched and called by the host's plugin manager.
func TestOutOfTreeConnector(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin in another module")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, manager.BinaryName("sqlite-crm"))
	build := exec.Command("go", "build", "-o", bin, "./cmd/switchboard-connector-sqlite-crm")
	build.Dir = outOfTree
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build in %s: %v\n%s", outOfTree, err, out)
	}
	schema, err := os.ReadFile(filepath.Join(outOfTree, "schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	// The manager configures a plugin it starts: with ValidateOnly and a
	// block naming a file that exists, the connector stays unconfigured,
	// as the suite wants it.
	exists := filepath.Join(dir, "exists.db")
	if err := os.WriteFile(exists, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	m := manager.New(manager.Options{Config: manager.Config{Dir: dir}})
	t.Cleanup(m.Shutdown)
	connectortest.Run(t, connectortest.Suite{
		New: func() connectors.Connector {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			p, err := m.Start(ctx, manager.Spec{Plugin: "sqlite-crm", Config: []byte(fmt.Sprintf("path: %q\n", exists)),
				DefaultRegion: "GB", ValidateOnly: true})
			if err != nil {
				t.Fatalf("start the plugin: %v", err)
			}
			return stoppable{p}
		},
		Fixture: func(t testing.TB, data *connectortest.Records) []byte {
			return sqliteFixture(t, string(schema), data)
		},
		BadConfigs: []connectortest.BadConfig{
			{Name: "missing_path", Config: []byte("{}\n"), Path: "path"},
			{Name: "no_such_file", Config: []byte("path: /nonexistent/crm.db\n"), Path: "path"},
		},
	})
}

// stoppable stops the plugin's process when the suite closes the
// connector.
type stoppable struct{ *manager.Plugin }

func (s stoppable) Close() { s.Stop() }

// sqliteFixture is the fixture of examples/sqlite-crm's own conformance
// test: the records in a new database with the CRM's schema.
func sqliteFixture(t testing.TB, schema string, data *connectortest.Records) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "crm.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string, args ...any) {
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	null := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	exec(schema)
	for _, co := range data.Companies {
		exec("INSERT INTO companies VALUES (?, ?, ?)", co.ID, co.Name, co.UpdatedAt.UTC().Format(time.RFC3339))
	}
	for _, c := range data.Contacts {
		email := ""
		if len(c.Emails) > 0 {
			email = c.Emails[0]
		}
		exec("INSERT INTO contacts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", c.ID, c.FirstName, c.LastName,
			null(c.CompanyID), null(email), null(c.OwnerID), null(connectortest.PhoneRaw(&c, connectortest.LabelPhone)),
			null(connectortest.PhoneRaw(&c, connectortest.LabelMobile)), c.UpdatedAt.UTC().Format(time.RFC3339))
	}
	return []byte(fmt.Sprintf("path: %q\n", path))
}
