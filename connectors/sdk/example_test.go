package sdk_test

import (
	"context"
	"fmt"

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
