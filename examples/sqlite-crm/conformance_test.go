package sqlitecrm_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"

	sqlitecrm "example.com/sqlite-crm"
)

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Suite{
		New:     func() connectors.Connector { return sqlitecrm.New(nil) },
		Fixture: fixture,
		BadConfigs: []connectortest.BadConfig{
			{Name: "missing_path", Config: []byte("{}\n"), Path: "path"},
			{Name: "no_such_file", Config: []byte("path: /nonexistent/crm.db\n"), Path: "path"},
		},
	})
}

// fixture writes the records into a new database and returns its block.
func fixture(t testing.TB, data *connectortest.Records) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "crm.db")
	db := create(t, path)
	defer db.Close()
	for _, co := range data.Companies {
		exec(t, db, "INSERT INTO companies VALUES (?, ?, ?)", co.ID, co.Name, co.UpdatedAt.UTC().Format(time.RFC3339))
	}
	for _, c := range data.Contacts {
		var email any
		if len(c.Emails) > 0 {
			email = c.Emails[0]
		}
		exec(t, db, "INSERT INTO contacts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", c.ID, c.FirstName, c.LastName,
			null(c.CompanyID), email, null(c.OwnerID), null(connectortest.PhoneRaw(&c, connectortest.LabelPhone)),
			null(connectortest.PhoneRaw(&c, connectortest.LabelMobile)), c.UpdatedAt.UTC().Format(time.RFC3339))
	}
	return []byte(fmt.Sprintf("path: %q\n", path))
}

// create makes a database at path with the CRM's schema.
func create(t testing.TB, path string) *sql.DB {
	t.Helper()
	schema, err := os.ReadFile("schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	exec(t, db, string(schema))
	return db
}

func exec(t testing.TB, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatal(err)
	}
}

// null stores "" as NULL, as a CRM leaves an empty field.
func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// The seed's messy numbers: international, national, with dashes and an
// extension, and one shared by two contacts.
func TestSeedLookups(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crm.db")
	db := create(t, path)
	seed, err := os.ReadFile("seed.sql")
	if err != nil {
		t.Fatal(err)
	}
	exec(t, db, string(seed))
	db.Close()
	c := sqlitecrm.New(nil)
	ctx := context.Background()
	if resp, err := c.Configure(ctx, &connectors.ConfigureRequest{Config: []byte(fmt.Sprintf("path: %q\n", path)), DefaultRegion: "GB"}); err != nil || len(resp.Problems) > 0 {
		t.Fatalf("Configure: %v %v", resp, err)
	}
	for _, tt := range []struct {
		e164, national string
		want           []string // contact IDs, in order
	}{
		{"+442045205757", "2045205757", []string{"1001"}},         // not 1005, whose number ends the same
		{"+447911123456", "7911123456", []string{"1001"}},         // the mobile
		{"+442079460999", "2079460999", []string{"1002", "1003"}}, // shared
		{"+442079460123", "2079460123", []string{"1004"}},         // dashes, 0044 and an extension
		{"+442079465757", "2079465757", []string{"1005"}},
		{"+447700900999", "7700900999", nil},
	} {
		resp, err := c.LookupByPhone(ctx, &connectors.LookupRequest{E164: tt.e164, National: tt.national})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range resp.Matches {
			got = append(got, m.Contact.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: got %v; want %v", tt.e164, got, tt.want)
		}
	}
}
