package sdk_test

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/connectors/sdk"
)

// A List call on a keyset: Page decodes the cursor with the type of the
// key, asks for one row more than the page (keys above after, in order)
// and makes the next cursor from the page's last key.
func ExamplePage() {
	ids := []int64{3, 7, 9, 12, 20} // the table, in key order
	fetch := func(after int64, limit int) ([]int64, error) {
		var rows []int64 // SELECT id ... WHERE id > @after ORDER BY id LIMIT @limit
		for _, id := range ids {
			if id > after && len(rows) < limit {
				rows = append(rows, id)
			}
		}
		return rows, nil
	}
	key := func(id int64) int64 { return id }
	for cursor, n := "", 1; ; n++ {
		rows, next, _ := sdk.Page("ListContacts", &connectors.ListRequest{Cursor: cursor, PageSize: 2}, key, fetch)
		fmt.Println("page", n, rows)
		if next == "" {
			break
		}
		cursor = next
	}
	// Output:
	// page 1 [3 7]
	// page 2 [9 12]
	// page 3 [20]
}

// A cursor keeps its key's type: a connector paging by integer ids reads
// an integer back, and a cursor holding text (or none of its own) is an
// invalid_request error, never a comparison of an INTEGER with a TEXT.
func ExampleDecodeCursor() {
	next := sdk.EncodeCursor(int64(42), "")
	pos, err := sdk.DecodeCursor[int64]("ListContacts", next)
	fmt.Println(pos.After+1, err)
	_, err = sdk.DecodeCursor[int64]("ListContacts", sdk.EncodeCursor("42", ""))
	fmt.Println(connectors.ClassOf(err))
	// Output:
	// 43 <nil>
	// invalid_request
}

// A loose query (here: every contact whose number ends in the caller's
// last four digits) finds candidates; Rank keeps those that really have
// the number, strongest first, with the number that matched.
func ExampleRank() {
	parser, _ := phone.NewParser("GB")
	req := &connectors.LookupRequest{E164: "+442045205757", National: "2045205757", Raw: "02045205757"}
	candidates := []connectors.Contact{
		{ID: "1", LastName: "Lovelace", Phones: []connectors.Phone{{Raw: "+44 (0)20 4520 5757 ext. 12"}}},
		{ID: "2", LastName: "Babbage", Phones: []connectors.Phone{{Raw: "020 7946 5757"}}},
		{ID: "3", LastName: "Somerville", Phones: []connectors.Phone{{Raw: "07911 123456"}, {Raw: "020 4520 5757"}}},
	}
	for _, m := range sdk.Rank(parser, req, candidates, nil) {
		fmt.Println(m.Contact.LastName, m.Kind, m.Phone.Raw, m.Phone.E164, m.Phone.Extension)
	}
	// Output:
	// Lovelace exact +44 (0)20 4520 5757 ext. 12 +442045205757 12
	// Somerville exact 020 4520 5757 +442045205757
}

// A connector built on Base writes its config struct and a check; Base
// decodes the block, reports every problem with its path (ValidateOnly
// too), and keeps the accepted configuration for the other methods.
func ExampleBase() {
	type config struct {
		Path  string `yaml:"path"`
		Table string `yaml:"table"`
	}
	base := &sdk.Base[config]{
		Name: "mycrm", Version: "0.1.0",
		Capabilities: []connectors.Capability{connectors.CapLookup},
		Defaults:     func(cfg *config) { cfg.Table = "contacts" },
		Check: func(s *sdk.Setup, cfg *config) {
			if s.Require("path", cfg.Path, "the database file") {
				s.ExistingFile("path", &cfg.Path)
			}
		},
	}
	ctx := context.Background()
	for _, block := range []string{"tabel: people\n", "path: /nonexistent/crm.db\n", "path: /\n"} {
		resp, _ := base.Configure(ctx, &connectors.ConfigureRequest{Config: []byte(block), DefaultRegion: "GB", ValidateOnly: true})
		fmt.Println(resp.Problems.Error())
	}
	_, err := base.Current("LookupByPhone")
	fmt.Println(err)
	// Output:
	// tabel: unknown key "tabel" (did you mean "table"?)
	// path: missing path: the database file
	// path: /nonexistent/crm.db does not exist: fix path or create the file
	// path: / is a directory: path names a file
	// LookupByPhone (bad_config): the mycrm connector is not configured: call Configure with its config block first
}

// A SQL-backed connector names its columns after the contact's fields
// (aliasing those that are not: `co.name AS company`) and says which
// columns hold numbers; ScanContacts reads the rows into contacts, NULLs
// as empty fields and integer ids as text.
func ExampleScanContacts() {
	db, _ := sql.Open("sqlite", ":memory:")
	defer db.Close()
	db.SetMaxOpenConns(1) // one in-memory database
	_, _ = db.Exec(`CREATE TABLE contacts (id INTEGER PRIMARY KEY, first_name TEXT, last_name TEXT,
			employer TEXT, email TEXT, phone TEXT, mobile TEXT, updated_at TEXT);
		INSERT INTO contacts VALUES
			(1001, 'Ada', 'Lovelace', 'Analytical Engines', 'ada@example.com', '+44 20 4520 5757', '07911 123456', '2024-03-01T09:00:00Z'),
			(1002, 'Charles', 'Babbage', NULL, NULL, '020 7946 0999', NULL, NULL)`)
	rows, err := db.QueryContext(context.Background(),
		"SELECT id, first_name, last_name, employer AS company, email, phone, mobile, updated_at FROM contacts ORDER BY id")
	if err != nil {
		fmt.Println(err) // in a connector: sdk.Unavailable(ctx, op, "query the CRM database", err)
		return
	}
	contacts, err := sdk.ScanContacts(rows, "phone", "mobile") // it closes rows
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ct := range contacts {
		fmt.Printf("%s %s (%s) %v, updated %s\n", ct.ID, ct.Name(), ct.CompanyName, ct.Emails, ct.UpdatedAt.Format(time.DateOnly))
		for _, p := range ct.Phones {
			fmt.Printf("\t%s: %s\n", p.Label, p.Raw)
		}
	}
	// Output:
	// 1001 Ada Lovelace (Analytical Engines) [ada@example.com], updated 2024-03-01
	// 	phone: +44 20 4520 5757
	// 	mobile: 07911 123456
	// 1002 Charles Babbage () [], updated 0001-01-01
	// 	phone: 020 7946 0999
}

// A lookup by key compares each stored value with the value looked for
// trimmed and ignoring case; a list, or a text of values separated by
// commas or semicolons, holds each of its values. KeyMatches answers the
// request over the candidates (here every record, as a connector serving
// from memory has them); a field that is neither standard nor one of the
// connector's is UnknownKeyField's error.
func ExampleKeyMatches() {
	contacts := []connectors.Contact{
		{ID: "1001", LastName: "Lovelace", Emails: []string{"ada@example.com"},
			Fields: map[string]any{"account_no": "AC-1001 ", "order_numbers": "ORD-7, ORD-8; ORD-9"}},
		{ID: "1002", LastName: "Babbage", Fields: map[string]any{"account_no": "ac-1002", "order_numbers": []any{"ORD-10", 11.0}}},
		{ID: "1003", LastName: "Somerville", Fields: map[string]any{"account_no": "AC-10010", "order_numbers": "XORD-7"}},
	}
	for _, req := range []connectors.KeyLookupRequest{
		{Field: "account_no", Value: "ac-1001"},
		{Field: "account_no", Value: "AC-1002"},
		{Field: "order_numbers", Value: "ord-8"},
		{Field: "order_numbers", Value: "ORD-7"},
		{Field: "order_numbers", Value: "11"},
		{Field: "email", Value: "ADA@example.com"},
		{Field: "account_no", Value: "AC-100"},
	} {
		var found []string
		for _, m := range sdk.KeyMatches(&req, contacts, nil) {
			found = append(found, m.Contact.LastName)
		}
		fmt.Printf("%s %s: %v\n", req.Field, req.Value, found)
	}
	fmt.Println(sdk.KeyEqual("A-1; a-2", " A-2"), sdk.KeyValues("A-1; a-2"))
	fmt.Println(sdk.UnknownKeyField("acount_no", []string{"account_no", "order_numbers"}))
	// Output:
	// account_no ac-1001: [Lovelace]
	// account_no AC-1002: [Babbage]
	// order_numbers ord-8: [Lovelace]
	// order_numbers ORD-7: [Lovelace]
	// order_numbers 11: [Babbage]
	// email ADA@example.com: [Lovelace]
	// account_no AC-100: []
	// true [a-1; a-2 a-1 a-2]
	// LookupByKey (bad_config): no field "acount_no" to look records up by (did you mean "account_no"?): this connector has "account_no", "order_numbers" and the standard "id", "email" and "external_id"; map the field in the connector's block, or look up one it has
}
