package csv

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

func TestDescribe(t *testing.T) {
	d, err := New(nil).Describe(context.Background(), &connectors.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "csv" || d.Version != "1.0.0" || d.ProtocolVersion != connectors.ProtocolVersion {
		t.Errorf("Describe = %+v", d)
	}
	for _, c := range []connectors.Capability{connectors.CapLookup, connectors.CapListContacts, connectors.CapListCompanies, connectors.CapChangedSince} {
		if !d.Has(c) {
			t.Errorf("missing capability %s", c)
		}
	}
}

func TestConfigProblems(t *testing.T) {
	type problem struct{ path, msg string }
	tests := []struct {
		name     string
		block    string
		file     string // customers.csv content; "" = no file
		validate bool
		region   string
		want     []problem
	}{
		{
			name:  "missing path and id",
			block: "columns: {first_name: A}",
			want:  []problem{{"path", "missing path"}, {"columns.id", "missing columns.id"}},
		},
		{
			name:  "unknown keys with suggestions",
			block: "path: c.csv\ncolums: {}\ncolumns: {id: A, phone: [B]}",
			want: []problem{
				{"colums", `did you mean "columns"?`},
				{"columns.phone", `did you mean "phones"?`},
			},
		},
		{
			name:  "bad delimiter, encoding, interval and field type",
			block: "path: c.csv\ndelimiter: ab\nencoding: utf-9\nreload_interval: -1s\ncolumns: {id: A}\nfields:\n  balance: {column: B, type: numbr}\n  tier: {type: string}",
			want: []problem{
				{"delimiter", "must be one character"},
				{"encoding", `unknown encoding "utf-9" (did you mean "utf-8"?)`},
				{"reload_interval", "must not be negative"},
				{"fields.balance.type", `unknown field type "numbr" (did you mean "number"?)`},
				{"fields.tier.column", `missing column for field "tier"`},
			},
		},
		{
			name:  "a quote cannot be the delimiter",
			block: "path: c.csv\ndelimiter: '\"'\ncolumns: {id: A}",
			want:  []problem{{"delimiter", "cannot separate fields"}},
		},
		{
			name:  "wrong value types",
			block: "path: c.csv\nstrict: maybe\nreload_interval: soon\ncolumns: {id: A, phones: {x: 1}}",
			want: []problem{
				{"strict", "expected true or false"},
				{"reload_interval", "expected a duration"},
				{"columns.phones", "expected a list"},
			},
		},
		{
			name:  "name together with first_name",
			block: "path: c.csv\ncolumns: {id: A, name: N, first_name: F}",
			want:  []problem{{"columns.name", "either name"}},
		},
		{
			name:  "column names without a header must be numbers",
			block: "path: c.csv\nheader: false\ncolumns: {id: CustomerID, phones: ['2', '0']}",
			want: []problem{
				{"columns.id", `column "CustomerID" must be a column number`},
				{"columns.phones.1", `column "0" must be a column number`},
			},
		},
		{
			name:  "missing file",
			block: "path: nope.csv\ncolumns: {id: A}",
			want:  []problem{{"path", "nope.csv does not exist: fix path:"}},
		},
		{
			name:     "missing file is fine when only validating",
			block:    "path: nope.csv\ncolumns: {id: A}",
			validate: true,
		},
		{
			name:  "columns not in the header",
			block: "path: customers.csv\ncolumns: {id: CustomerID, phones: [Phone, Mobil], emails: [E-mail]}\nfields: {tier: {column: Tierr}}",
			file:  stdHeader + "C1,A,B,,,,,,\n",
			want: []problem{
				{"columns.emails.0", `column "E-mail" is not in the header of customers.csv (did you mean "Email"?)`},
				{"columns.phones.1", `column "Mobil" is not in the header of customers.csv (did you mean "Mobile"?); the header has: CustomerID, FirstName`},
				{"fields.tier.column", `column "Tierr" is not in the header`},
			},
		},
		{
			name:     "columns are checked against the header when validating too",
			block:    "path: customers.csv\ncolumns: {id: Customer}",
			file:     stdHeader,
			validate: true,
			want:     []problem{{"columns.id", `column "Customer" is not in the header of customers.csv (did you mean "CustomerID"?)`}},
		},
		{
			name:  "header names match case-insensitively",
			block: "path: customers.csv\ncolumns: {id: customerid, phones: [PHONE]}",
			file:  stdHeader + "C1,A,B,,,,,,\n",
		},
		{
			name:  "a column named twice in the header",
			block: "path: customers.csv\ncolumns: {id: ID, phones: [Phone]}",
			file:  "ID,Phone,Phone\n",
			want:  []problem{{"columns.phones.0", "appears more than once in the header of customers.csv (columns 2, 3)"}},
		},
		{
			name:  "a column number past the end",
			block: "path: customers.csv\nheader: false\ncolumns: {id: '1', owner: '4'}",
			file:  "a,b,c\n",
			want:  []problem{{"columns.owner", "column 4 does not exist: the first row of customers.csv has 3 columns"}},
		},
		{
			name:   "no default region while numbers are mapped",
			block:  "path: customers.csv\ncolumns: {id: CustomerID, phones: [Phone]}",
			region: "-",
			want:   []problem{{"", "no default phone region"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.file != "" {
				h.write("customers.csv", []byte(tt.file))
			}
			region := "GB"
			if tt.region == "-" {
				region = ""
			}
			resp, err := h.c.Configure(context.Background(), &connectors.ConfigureRequest{
				Config: []byte(tt.block), DefaultRegion: region, BaseDir: h.dir, ValidateOnly: tt.validate,
			})
			if err != nil {
				t.Fatalf("Configure error: %v", err)
			}
			var got []string
			for _, p := range resp.Problems {
				got = append(got, p.Path+": "+p.Message)
			}
			if len(resp.Problems) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(resp.Problems), len(tt.want), strings.Join(got, "\n"))
			}
			for i, w := range tt.want {
				if resp.Problems[i].Path != w.path || !strings.Contains(resp.Problems[i].Message, w.msg) {
					t.Errorf("problem %d = %s\nwant %s: ...%s...", i, got[i], w.path, w.msg)
				}
			}
		})
	}
}

func TestValidateOnlyLoadsNothing(t *testing.T) {
	h := newHarness(t)
	h.write("customers.csv", []byte(stdHeader+"C1,A,B,,,,,,\n"))
	resp, err := h.c.Configure(context.Background(), &connectors.ConfigureRequest{
		Config: []byte(block("customers.csv")), DefaultRegion: "GB", BaseDir: h.dir, ValidateOnly: true,
	})
	if err != nil || len(resp.Problems) != 0 {
		t.Fatalf("Configure = %+v, %v", resp, err)
	}
	if _, err := h.c.ListContacts(context.Background(), &connectors.ListRequest{}); connectors.ClassOf(err) != connectors.ClassBadConfig {
		t.Errorf("ListContacts after ValidateOnly: err = %v, want not configured", err)
	}
}

func TestLookup(t *testing.T) {
	h := newHarness(t)
	h.write("customers.csv", []byte(stdHeader+
		"L1,Front,Desk,Shared Office,CO-5,+44 20 4520 5757,,,\n"+
		"L2,Back,Office,Shared Office,CO-5,020 4520 5757,,,\n"+
		"L3,Ada,Lovelace,,,+90 532 123 45 67,07700 900123,,\n"+
		"L4,Only,National,,,07700 900123 / 12,,,\n"))
	h.mustConfigure(block("customers.csv"))

	tests := []struct {
		name            string
		e164, national  string
		want            []string
		wantPhoneLabels []string
	}{
		{"two contacts share a number", "+442045205757", "2045205757", []string{"L1/exact", "L2/exact"}, []string{"Phone", "Phone"}},
		{"exact match on the second column", "+905321234567", "5321234567", []string{"L3/exact"}, []string{"Phone"}},
		{"national-only record matches the national number", "+447700900123", "7700900123", []string{"L3/national", "L4/national"}, []string{"Mobile", "Phone"}},
		{"only a national number in the query", "", "5321234567", []string{"L3/national"}, []string{"Phone"}},
		{"no match", "+441134960999", "1134960999", nil, nil},
		// Under phone.SameCountry: "020 4520 5757" read in GB is a UK
		// number, so the Canadian +1 204 520 5757 meets neither record.
		{"another country: no record matches, not even one stored without a country", "+12045205757", "2045205757", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := h.lookup(tt.e164, tt.national)
			if ids := matchIDs(got); !reflect.DeepEqual(ids, tt.want) && !(len(ids) == 0 && len(tt.want) == 0) {
				t.Fatalf("matches = %v, want %v", ids, tt.want)
			}
			for i, m := range got {
				if m.Phone.Label != tt.wantPhoneLabels[i] {
					t.Errorf("match %d phone = %+v, want label %s", i, m.Phone, tt.wantPhoneLabels[i])
				}
			}
		})
	}

	t.Run("limit", func(t *testing.T) {
		resp, err := h.c.LookupByPhone(context.Background(), &connectors.LookupRequest{E164: "+442045205757", National: "2045205757", Limit: 1})
		if err != nil || len(resp.Matches) != 1 {
			t.Fatalf("got %v, %v; want 1 match", resp, err)
		}
	})
	t.Run("raw only", func(t *testing.T) {
		resp, err := h.c.LookupByPhone(context.Background(), &connectors.LookupRequest{Raw: "0090 532 123 4567"})
		if err != nil || !reflect.DeepEqual(matchIDs(resp.Matches), []string{"L3/exact"}) {
			t.Fatalf("got %v, %v; want L3", resp, err)
		}
	})
	t.Run("results are copies", func(t *testing.T) {
		m := h.lookup("+905321234567", "")
		m[0].Contact.Phones[0].E164 = "tampered"
		m[0].Contact.FirstName = "tampered"
		again := h.lookup("+905321234567", "")
		if again[0].Contact.Phones[0].E164 != "+905321234567" || again[0].Contact.FirstName != "Ada" {
			t.Errorf("a caller changed the loaded data: %+v", again[0].Contact)
		}
	})
}

// numberedRows writes n contacts with IDs P0000... and distinct numbers.
func numberedRows(ids ...int) string {
	var b strings.Builder
	b.WriteString(stdHeader)
	for _, i := range ids {
		fmt.Fprintf(&b, "P%04d,First%d,Last,,,+44 20 4520 %04d,,,\n", i, i, i)
	}
	return b.String()
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func TestPaging(t *testing.T) {
	h := newHarness(t)
	h.write("c.csv", []byte(numberedRows(seq(0, 103)...)))
	h.mustConfigure(block("c.csv"))
	for _, size := range []int{1, 7, 50, 103, 104, 0, 100000} {
		got := ids(h.allContacts(size, zeroTime))
		if len(got) != 103 {
			t.Fatalf("page size %d: %d contacts, want 103", size, len(got))
		}
		for i, id := range got {
			if id != fmt.Sprintf("P%04d", i) {
				t.Fatalf("page size %d: contact %d is %s (duplicate or gap)", size, i, id)
			}
		}
	}

	t.Run("page sizes", func(t *testing.T) {
		big := newHarness(t)
		big.write("c.csv", []byte(numberedRows(seq(0, 5001)...)))
		big.mustConfigure(block("c.csv"))
		for _, tt := range []struct{ ask, want int }{{0, 500}, {-3, 500}, {1, 1}, {100000, 5000}} {
			resp, err := big.c.ListContacts(context.Background(), &connectors.ListRequest{PageSize: tt.ask})
			if err != nil || len(resp.Contacts) != tt.want || resp.NextCursor == "" {
				t.Errorf("PageSize %d: got %d contacts, cursor %q, err %v; want %d and a cursor",
					tt.ask, len(resp.Contacts), resp.NextCursor, err, tt.want)
			}
		}
	})
	t.Run("no cursor after an exactly full last page", func(t *testing.T) {
		resp, err := h.c.ListContacts(context.Background(), &connectors.ListRequest{PageSize: 103})
		if err != nil || len(resp.Contacts) != 103 || resp.NextCursor != "" {
			t.Fatalf("got %d contacts, cursor %q, err %v", len(resp.Contacts), resp.NextCursor, err)
		}
	})
	t.Run("invalid cursor", func(t *testing.T) {
		for _, cursor := range []string{"!!!", "===="} {
			_, err := h.c.ListContacts(context.Background(), &connectors.ListRequest{Cursor: cursor})
			if connectors.ClassOf(err) != connectors.ClassInvalidRequest {
				t.Errorf("cursor %q: err = %v, want invalid_request", cursor, err)
			}
			_, err = h.c.ListCompanies(context.Background(), &connectors.ListRequest{Cursor: cursor})
			if connectors.ClassOf(err) != connectors.ClassInvalidRequest {
				t.Errorf("companies cursor %q: err = %v, want invalid_request", cursor, err)
			}
		}
	})
}

func TestCompaniesPaging(t *testing.T) {
	h := newHarness(t)
	var b strings.Builder
	b.WriteString(stdHeader)
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&b, "X%02d,A,B,Company %d,,,,,\n", i, i%12) // 12 distinct companies
	}
	h.write("c.csv", []byte(b.String()))
	h.mustConfigure(block("c.csv"))
	var got []string
	cursor := ""
	for {
		resp, err := h.c.ListCompanies(context.Background(), &connectors.ListRequest{Cursor: cursor, PageSize: 5})
		if err != nil {
			t.Fatal(err)
		}
		for _, co := range resp.Companies {
			got = append(got, co.ID)
		}
		if cursor = resp.NextCursor; cursor == "" {
			break
		}
	}
	if len(got) != 12 {
		t.Fatalf("got %d companies, want 12: %v", len(got), got)
	}
	for i := 1; i < len(got); i++ {
		if got[i-1] >= got[i] {
			t.Errorf("companies out of order or repeated: %v", got)
		}
	}
}

// reloadBlock is block() with a fast reload.
func reloadBlock(name string, extra ...string) string {
	return strings.Replace(block(name, extra...), "reload_interval: 0", "reload_interval: 10ms", 1)
}

func TestReloadOnChange(t *testing.T) {
	h := newHarness(t)
	h.write("c.csv", []byte(numberedRows(1, 2)))
	h.mustConfigure(reloadBlock("c.csv"))
	if got := h.lookup("+442045200003", ""); len(got) != 0 {
		t.Fatalf("P0003 found before it was written: %v", matchIDs(got))
	}

	h.rewrite("c.csv", []byte(numberedRows(1, 2, 3)))
	waitFor(t, "the new record to be visible", func() bool { return len(h.lookup("+442045200003", "")) == 1 })
	if got := len(h.allContacts(0, zeroTime)); got != 3 {
		t.Errorf("%d contacts after reload, want 3", got)
	}
	if len(h.log.lines("reloaded 3 contacts")) != 1 {
		t.Errorf("want one reload logged; log:\n%s", h.log)
	}

	// An in-place rewrite that keeps the size (and maybe the mtime) is seen
	// too, through the content hash.
	h.write("c.csv", []byte(strings.Replace(numberedRows(1, 2, 3), "First3", "Third3", 1)))
	waitFor(t, "the in-place edit to be visible", func() bool {
		m := h.lookup("+442045200003", "")
		return len(m) == 1 && m[0].Contact.FirstName == "Third3"
	})
}

func TestFailedReloadKeepsOldData(t *testing.T) {
	h := newHarness(t)
	h.write("c.csv", []byte(numberedRows(1, 2)))
	h.mustConfigure(reloadBlock("c.csv", "strict: true"))

	h.rewrite("c.csv", []byte(numberedRows(1, 2, 3)+"broken,row\n"))
	waitFor(t, "Check to report the failed reload", func() bool {
		resp, err := h.c.Check(context.Background(), &connectors.CheckRequest{})
		return err == nil && strings.Contains(resp.Detail, "the last reload") && strings.Contains(resp.Detail, "c.csv:5:")
	})
	if got := ids(h.allContacts(0, zeroTime)); !reflect.DeepEqual(got, []string{"P0001", "P0002"}) {
		t.Errorf("contacts after a failed reload = %v, want the old P0001 P0002", got)
	}
	if n := len(h.log.lines("reloading c.csv failed")); n != 1 {
		t.Errorf("failed reload logged %d times, want once; log:\n%s", n, h.log)
	}

	// A header that loses a mapped column fails too.
	h.rewrite("c.csv", []byte("CustomerID,FirstName\nP0009,X\n"))
	waitFor(t, "Check to report the missing column", func() bool {
		resp, err := h.c.Check(context.Background(), &connectors.CheckRequest{})
		return err == nil && strings.Contains(resp.Detail, `column "LastName" is not in the header`)
	})

	// Fixing the file recovers.
	h.rewrite("c.csv", []byte(numberedRows(1, 2, 3)))
	waitFor(t, "the fixed file to load", func() bool { return len(h.allContacts(0, zeroTime)) == 3 })
	resp, err := h.c.Check(context.Background(), &connectors.CheckRequest{})
	if err != nil || strings.Contains(resp.Detail, "last reload") {
		t.Errorf("Check after recovery = %+v, %v", resp, err)
	}

	// A file that disappears and comes back unchanged recovers too.
	if err := removeFile(filepath.Join(h.dir, "c.csv")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Check to report the missing file", func() bool {
		_, err := h.c.Check(context.Background(), &connectors.CheckRequest{})
		return err != nil && h.c.reloadErr.Load() != nil
	})
	h.rewrite("c.csv", []byte(numberedRows(1, 2, 3)))
	waitFor(t, "Check to recover", func() bool {
		resp, err := h.c.Check(context.Background(), &connectors.CheckRequest{})
		return err == nil && !strings.Contains(resp.Detail, "last reload")
	})
}

func TestPagingAcrossReload(t *testing.T) {
	h := newHarness(t)
	h.write("c.csv", []byte(numberedRows(0, 2, 4, 6, 8, 10, 12, 14)))
	h.mustConfigure(reloadBlock("c.csv"))

	first, err := h.c.ListContacts(context.Background(), &connectors.ListRequest{PageSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	// Insert rows before, inside and after the first page; remove none.
	h.rewrite("c.csv", []byte(numberedRows(0, 1, 2, 4, 5, 6, 8, 10, 12, 14, 15)))
	waitFor(t, "the reload", func() bool { return len(h.lookup("+442045200015", "")) == 1 })

	got := ids(first.Contacts)
	cursor := first.NextCursor
	for cursor != "" {
		resp, err := h.c.ListContacts(context.Background(), &connectors.ListRequest{Cursor: cursor, PageSize: 3})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ids(resp.Contacts)...)
		cursor = resp.NextCursor
	}
	want := []string{"P0000", "P0002", "P0004", "P0005", "P0006", "P0008", "P0010", "P0012", "P0014", "P0015"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("paged across a reload: %v\nwant %v", got, want)
	}
}

func TestChangedSince(t *testing.T) {
	h := newHarness(t)
	h.write("c.csv", []byte(numberedRows(1, 2, 3)))
	before := time.Now()
	h.mustConfigure(reloadBlock("c.csv"))
	loaded := h.allContacts(0, zeroTime)
	for _, c := range loaded {
		if c.UpdatedAt.Before(before) {
			t.Fatalf("UpdatedAt %v is before the load", c.UpdatedAt)
		}
	}
	mark := time.Now()
	waitFor(t, "the clock to move past the load", func() bool { return time.Now().After(loaded[0].UpdatedAt) })
	if got := h.allContacts(0, mark); len(got) != 0 {
		t.Errorf("ChangedSince after the load returned %v", ids(got))
	}
	if got := h.allContacts(0, before); len(got) != 3 {
		t.Errorf("ChangedSince before the load returned %d contacts, want 3", len(got))
	}

	// Change P0002, add P0004, keep P0001 and P0003 as they were.
	h.rewrite("c.csv", []byte(strings.Replace(numberedRows(1, 2, 3, 4), "First2", "Second2", 1)))
	waitFor(t, "the reload", func() bool { return len(h.lookup("+442045200004", "")) == 1 })

	if got := ids(h.allContacts(1, mark)); !reflect.DeepEqual(got, []string{"P0002", "P0004"}) {
		t.Errorf("changed since the first load = %v, want P0002 P0004", got)
	}
	all := h.allContacts(0, zeroTime)
	if !all[0].UpdatedAt.Equal(loaded[0].UpdatedAt) || !all[2].UpdatedAt.Equal(loaded[2].UpdatedAt) {
		t.Errorf("unchanged rows got new times: %v %v", all[0].UpdatedAt, all[2].UpdatedAt)
	}

	t.Run("companies", func(t *testing.T) {
		resp, err := h.c.ListCompanies(context.Background(), &connectors.ListRequest{ChangedSince: mark})
		if err != nil || len(resp.Companies) != 0 {
			t.Errorf("companies changed since = %+v, %v; the file has none", resp, err)
		}
	})
}

func TestReconfigureStopsThePoller(t *testing.T) {
	h := newHarness(t)
	h.write("a.csv", []byte(numberedRows(1)))
	h.write("b.csv", []byte(numberedRows(2)))
	h.mustConfigure(reloadBlock("a.csv"))
	h.mustConfigure(block("b.csv")) // no reload

	h.c.mu.Lock()
	running := h.c.poller != nil
	h.c.mu.Unlock()
	if running {
		t.Fatal("a poller runs after reconfiguring with reload_interval: 0")
	}
	h.rewrite("a.csv", []byte(numberedRows(1, 3)))
	if got := ids(h.allContacts(0, zeroTime)); !reflect.DeepEqual(got, []string{"P0002"}) {
		t.Errorf("contacts = %v, want b.csv's P0002", got)
	}

	// A bad new configuration keeps the old one serving.
	resp, err := h.configure("path: b.csv\ncolumns: {id: Nope}")
	if err != nil || len(resp.Problems) != 1 {
		t.Fatalf("Configure = %+v, %v; want one problem", resp, err)
	}
	if got := ids(h.allContacts(0, zeroTime)); !reflect.DeepEqual(got, []string{"P0002"}) {
		t.Errorf("contacts after a rejected Configure = %v, want P0002", got)
	}
}

func TestCheck(t *testing.T) {
	h := newHarness(t)
	if _, err := h.c.Check(context.Background(), &connectors.CheckRequest{}); connectors.ClassOf(err) != connectors.ClassBadConfig {
		t.Errorf("Check before Configure: %v", err)
	}
	path := h.write("customers.csv", []byte(stdHeader+
		"C1,A,B,Acme,,+44 20 4520 5757,,,\nC2,A,B,Acme,,,,,\nbroken\n"))
	h.mustConfigure(block("customers.csv"))
	resp, err := h.c.Check(context.Background(), &connectors.CheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "loaded 2 contacts, 1 companies from customers.csv (1 rows skipped)"; resp.Detail != want || resp.Records != 2 {
		t.Errorf("Check = %d %q, want 2 %q", resp.Records, resp.Detail, want)
	}

	if err := removeFile(path); err != nil {
		t.Fatal(err)
	}
	_, err = h.c.Check(context.Background(), &connectors.CheckRequest{})
	if connectors.ClassOf(err) != connectors.ClassBadConfig || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "fix path:") {
		t.Errorf("Check on a missing file: %v", err)
	}
}

func TestConcurrentReadsDuringReloads(t *testing.T) {
	h := newHarness(t)
	h.write("c.csv", []byte(numberedRows(seq(0, 200)...)))
	h.mustConfigure(reloadBlock("c.csv"))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if m, err := h.c.LookupByPhone(ctx, &connectors.LookupRequest{E164: "+442045200007"}); err != nil || len(m.Matches) != 1 {
					t.Errorf("lookup during reload: %v, %v", m, err)
					return
				}
				if _, err := h.c.ListContacts(ctx, &connectors.ListRequest{PageSize: 50}); err != nil {
					t.Errorf("list during reload: %v", err)
					return
				}
			}
		}()
	}
	for i := 201; i < 206; i++ {
		h.rewrite("c.csv", []byte(numberedRows(seq(0, i)...)))
		n := i
		waitFor(t, "reload", func() bool { return len(h.allContacts(5000, zeroTime)) == n })
	}
	cancel()
	wg.Wait()
}
