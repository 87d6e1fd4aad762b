package sdk_test

import (
	"database/sql"
	"reflect"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/sdk"
)

// memory opens an in-memory SQLite database of one connection (each
// connection would be a database of its own).
func memory(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// query runs q and checks, once scan is done with its rows, that they
// were closed (the connection is back in the pool).
func query[T any](t *testing.T, db *sql.DB, scan func(*sql.Rows, ...string) ([]T, error), q string, phones ...string) ([]T, error) {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	got, err := scan(rows, phones...)
	if n := db.Stats().InUse; n != 0 {
		t.Errorf("%s: %d connections still in use: the rows were not closed", q, n)
	}
	return got, err
}

var march1 = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

func TestScanContacts(t *testing.T) {
	db := memory(t)
	for _, tt := range []struct {
		name   string
		query  string
		phones []string
		want   []connectors.Contact
	}{
		{"every column", `SELECT 1001 AS id, 'Ada' AS first_name, 'Lovelace' AS last_name, 'Analytical Engines' AS company,
			2001 AS company_id, 'u-17' AS owner, 'Countess' AS job_title, 'ada@example.com' AS email,
			'+44 20 4520 5757' AS phone, '07911 123456' AS mobile, '2024-03-01T09:00:00Z' AS updated_at`,
			[]string{"phone", "mobile"},
			[]connectors.Contact{{ID: "1001", FirstName: "Ada", LastName: "Lovelace", CompanyName: "Analytical Engines",
				CompanyID: "2001", OwnerID: "u-17", JobTitle: "Countess", Emails: []string{"ada@example.com"},
				Phones:    []connectors.Phone{{Raw: "+44 20 4520 5757", Label: "phone"}, {Raw: "07911 123456", Label: "mobile"}},
				UpdatedAt: march1}}},
		{"NULLs leave fields empty", `SELECT 7 AS id, NULL AS first_name, NULL AS company_id, NULL AS email,
			NULL AS phone, NULL AS updated_at`, []string{"phone"},
			[]connectors.Contact{{ID: "7"}}},
		{"empty text is like NULL", `SELECT 7 AS id, '' AS last_name, '' AS owner, '' AS email, '' AS phone, '' AS updated_at`,
			[]string{"phone"}, []connectors.Contact{{ID: "7"}}},
		{"text ids", `SELECT 'c-1' AS id, 'co-9' AS company_id`, nil,
			[]connectors.Contact{{ID: "c-1", CompanyID: "co-9"}}},
		{"a number stored as an integer", `SELECT 1 AS id, 447911123456 AS mobile`, []string{"mobile"},
			[]connectors.Contact{{ID: "1", Phones: []connectors.Phone{{Raw: "447911123456", Label: "mobile"}}}}},
		{"a blob as text", `SELECT 1 AS id, CAST('Ada' AS BLOB) AS first_name`, nil,
			[]connectors.Contact{{ID: "1", FirstName: "Ada"}}},
		{"phones in the order of the columns", `SELECT '020 7946 0999' AS work, 1 AS id, '07911 123456' AS mobile`,
			[]string{"mobile", "work"}, []connectors.Contact{{ID: "1", Phones: []connectors.Phone{
				{Raw: "020 7946 0999", Label: "work"}, {Raw: "07911 123456", Label: "mobile"}}}}},
		{"SQLite's datetime()", `SELECT 1 AS id, datetime('2024-03-01T09:00:00Z') AS updated_at`, nil,
			[]connectors.Contact{{ID: "1", UpdatedAt: march1}}},
		{"fractional seconds and an offset", `SELECT 1 AS id, '2024-03-01T10:00:00.250+01:00' AS updated_at`, nil,
			[]connectors.Contact{{ID: "1", UpdatedAt: march1.Add(250 * time.Millisecond)}}},
		{"several rows", `SELECT 1 AS id UNION ALL SELECT 2 UNION ALL SELECT 3`, nil,
			[]connectors.Contact{{ID: "1"}, {ID: "2"}, {ID: "3"}}},
		{"no rows", `SELECT 1 AS id WHERE 0`, nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := query(t, db, sdk.ScanContacts, tt.query, tt.phones...)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if !got[i].UpdatedAt.Equal(tt.want[i].UpdatedAt) {
					t.Errorf("UpdatedAt %v; want %v", got[i].UpdatedAt, tt.want[i].UpdatedAt)
				}
				got[i].UpdatedAt = tt.want[i].UpdatedAt // compared as instants
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestScanContactsErrors(t *testing.T) {
	db := memory(t)
	for _, tt := range []struct {
		name   string
		query  string
		phones []string
		want   string // in the error
	}{
		{"a real number for an id", `SELECT 1 AS id, 2.5 AS company_id`, nil,
			"contact 1: column company_id: a real number where text or an integer was expected"},
		{"an integer for a name", `SELECT 'c-1' AS id, 42 AS first_name`, nil,
			"contact c-1: column first_name: an integer where text was expected"},
		{"a real number for a phone", `SELECT 1 AS id, 2.5 AS mobile`, []string{"mobile"},
			"contact 1: column mobile: a real number where text or an integer was expected"},
		{"an integer for a time", `SELECT 1 AS id, 1709283600 AS updated_at`, nil,
			"contact 1: column updated_at: an integer where a time or text in RFC 3339 was expected"},
		{"text that is no time", `SELECT 1 AS id, 'yesterday' AS updated_at`, nil,
			`contact 1: column updated_at: cannot read "yesterday" as a time`},
		{"a NULL id", `SELECT NULL AS id, 'Ada' AS first_name`, nil,
			"contact (no id): column id: NULL where the record's id was expected"},
		{"an empty id", `SELECT '' AS id`, nil,
			"contact (no id): column id: empty text where the record's id was expected"},
		{"the bad row among good ones", `SELECT 1 AS id, 'Ada' AS first_name UNION ALL SELECT 2, 3`, nil,
			"contact 2: column first_name: an integer"},
		{"no id column", `SELECT 'Ada' AS first_name`, nil, "the query selects no id column"},
		{"an unknown column", `SELECT 1 AS id, 'Ada' AS firstname`, nil,
			"the query selects column firstname, which is no contact field (company, company_id, email, first_name, id, job_title, last_name, owner, updated_at) and not among the phone columns []"},
		{"a phone not passed", `SELECT 1 AS id, '07911 123456' AS mobile`, []string{"phone"},
			"the query selects column mobile, which is no contact field"},
		{"a column twice", `SELECT 1 AS id, 'a' AS email, 'b' AS email`, nil,
			"the query selects two columns named email"},
		{"a phone named like a field", `SELECT 1 AS id`, []string{"email"},
			"phone column email: email is the contact's own column"},
		{"a phone named twice", `SELECT 1 AS id`, []string{"mobile", "mobile"},
			"phone column mobile is named twice"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := query(t, db, sdk.ScanContacts, tt.query, tt.phones...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, %v; want an error with %q", got, err, tt.want)
			}
			if got != nil {
				t.Errorf("got %v with the error; want nothing", got)
			}
		})
	}
}

// A column declared DATETIME is a time.Time by the time it leaves the
// driver; ScanContacts takes it as it is.
func TestScanContactsDriverTime(t *testing.T) {
	db := memory(t)
	if _, err := db.Exec(`CREATE TABLE contacts (id INTEGER PRIMARY KEY, updated_at DATETIME);
		INSERT INTO contacts VALUES (1, '2024-03-01 09:00:00')`); err != nil {
		t.Fatal(err)
	}
	got, err := query(t, db, sdk.ScanContacts, "SELECT id, updated_at FROM contacts")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].UpdatedAt.Equal(march1) {
		t.Errorf("got %+v; want UpdatedAt %v", got, march1)
	}
}

func TestScanCompanies(t *testing.T) {
	db := memory(t)
	got, err := query(t, db, sdk.ScanCompanies, `SELECT 2001 AS id, 'Analytical Engines' AS name,
		'https://example.com' AS website, 17 AS owner, 'info@example.com' AS email, '020 7946 0000' AS switchboard,
		'2024-03-01T09:00:00Z' AS updated_at UNION ALL SELECT 2002, NULL, NULL, NULL, NULL, NULL, NULL`, "switchboard")
	if err != nil {
		t.Fatal(err)
	}
	want := []connectors.Company{
		{ID: "2001", Name: "Analytical Engines", Website: "https://example.com", OwnerID: "17",
			Emails: []string{"info@example.com"}, Phones: []connectors.Phone{{Raw: "020 7946 0000", Label: "switchboard"}},
			UpdatedAt: march1},
		{ID: "2002"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	_, err = query(t, db, sdk.ScanCompanies, `SELECT 1 AS id, 'Ada' AS first_name`)
	if want := "the query selects column first_name, which is no company field (email, id, name, owner, updated_at, website)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v; want an error with %q", err, want)
	}
	_, err = query(t, db, sdk.ScanCompanies, `SELECT 9 AS id, 1.5 AS name`)
	if want := "company 9: column name: a real number where text was expected"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v; want an error with %q", err, want)
	}
}
