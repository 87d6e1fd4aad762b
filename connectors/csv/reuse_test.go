package csv

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash/maphash"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
)

// snapView is everything a snapshot serves, with the stamps of new and
// changed records (the load's time) replaced by a marker.
type snapView struct {
	Contacts   []contactEntry
	Companies  []connectors.Company
	CompanySum []uint64
	CompanySrc []string
	ByE164     map[string][]string
	ByNational map[string][]string
	Skipped    int
	Dropped    int
	Order      []int32
	Seqs       []int32
	Pages      []string
	CoPages    []string
	Lookups    []string
}

var newStamp = time.Unix(1, 0)

func viewOf(t *testing.T, snap *snapshot) snapView {
	t.Helper()
	v := snapView{
		Companies: append([]connectors.Company(nil), snap.companies...), CompanySum: append([]uint64(nil), snap.companySum...),
		CompanySrc: snap.companySrc, ByE164: snap.byE164.all(), ByNational: snap.byNational.all(),
		Skipped: snap.skipped, Dropped: snap.dropped, Order: snap.order, Seqs: snap.seqs,
	}
	for _, e := range snap.contacts {
		c := *e
		if c.contact.UpdatedAt.Equal(snap.loadedAt) {
			c.contact.UpdatedAt = newStamp
		}
		v.Contacts = append(v.Contacts, c)
	}
	for i := range v.Companies {
		if v.Companies[i].UpdatedAt.Equal(snap.loadedAt) {
			v.Companies[i].UpdatedAt = newStamp
		}
	}
	c := newConnector(hclog.NewNullLogger())
	c.snap.Store(snap)
	ctx := context.Background()
	norm := func(ts time.Time) time.Time {
		if ts.Equal(snap.loadedAt) {
			return newStamp
		}
		return ts
	}
	for cursor := ""; ; {
		resp, err := c.ListContacts(ctx, &connectors.ListRequest{Cursor: cursor, PageSize: 7})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range resp.Contacts {
			x.UpdatedAt = norm(x.UpdatedAt)
			v.Pages = append(v.Pages, fmt.Sprintf("%+v", x))
		}
		v.Pages = append(v.Pages, "--"+resp.NextCursor)
		if cursor = resp.NextCursor; cursor == "" {
			break
		}
	}
	for cursor := ""; ; {
		resp, err := c.ListCompanies(ctx, &connectors.ListRequest{Cursor: cursor, PageSize: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range resp.Companies {
			x.UpdatedAt = norm(x.UpdatedAt)
			v.CoPages = append(v.CoPages, fmt.Sprintf("%+v", x))
		}
		v.CoPages = append(v.CoPages, "--"+resp.NextCursor)
		if cursor = resp.NextCursor; cursor == "" {
			break
		}
	}
	for _, e := range snap.contacts {
		for _, n := range e.numbers {
			resp, err := c.LookupByPhone(ctx, &connectors.LookupRequest{E164: n.E164, National: n.National})
			if err != nil {
				t.Fatal(err)
			}
			v.Lookups = append(v.Lookups, n.E164+"="+strings.Join(matchIDs(resp.Matches), ","))
		}
	}
	return v
}

// fingerprint renders a snapshot, to check that it was not modified.
func fingerprint(snap *snapshot) string {
	var cs []contactEntry
	for _, e := range snap.contacts {
		cs = append(cs, *e)
	}
	return fmt.Sprintf("%+v|%+v|%v|%v|%v|%v|%v|%v", cs, snap.seqs, snap.companies, snap.companySum, snap.companySrc, snap.byE164.all(), snap.byNational.all(), snap.order)
}

const appendBlock = `path: a.csv
reload_interval: 0
columns:
  id: CustomerID
  first_name: FirstName
  last_name: LastName
  company: Company
  company_id: CompanyID
  phones: [Phone, Mobile]
  emails: [Email]
  owner: Owner
fields:
  balance: {column: Balance, type: number}
  tier: {column: Tier}
`

func syntheticRows(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "C%07d,First%d,Last%d,Company %d,CO-%d,020 7%03d %04d,+44 74%02d %06d,c%d@example.com,u-%d,%d.50,gold\n",
			i, i, i, i/10, i/10, i/10000, i%10000, i%100, i, i, i%50, i%9000)
	}
	return b.String()
}

// TestReloadMatchesFullLoad checks that a reload taking unchanged rows
// from the served snapshot builds exactly what parsing every row builds,
// and parses only the rows it must.
func TestReloadMatchesFullLoad(t *testing.T) {
	old := string(syntheticCSV(50))
	replace := func(from, to string) func(string) string {
		return func(s string) string { return strings.Replace(s, from, to, 1) }
	}
	row := func(i int) string { return syntheticRows(i, i+1) }
	cases := []struct {
		name   string
		old    string
		edit   func(string) string // the new file from the old
		parsed int                 // rows the reload parses
		strict bool
	}{
		{name: "unchanged", old: old, edit: func(s string) string { return s }},
		{name: "one row appended", old: old, edit: func(s string) string { return s + syntheticRows(50, 51) }, parsed: 1},
		{name: "100 rows appended", old: old, edit: func(s string) string { return s + syntheticRows(50, 150) }, parsed: 100},
		{name: "header only, then rows", old: string(syntheticCSV(0)), edit: func(s string) string { return s + syntheticRows(0, 3) }, parsed: 3},
		{name: "number edited in place", old: old, edit: replace("020 7000 0007", "020 7946 0007"), parsed: 1},
		{name: "name edited in place", old: old, edit: replace("First7,", "Frist7,"), parsed: 1},
		{name: "whitespace only", old: old, edit: replace("First7,", " First7 ,"), parsed: 1},
		{name: "row deleted", old: old, edit: replace(row(7), ""), parsed: 0},
		{name: "rows deleted", old: old, edit: replace(row(7)+row(8)+row(9), ""), parsed: 1},
		{name: "row inserted", old: old, edit: replace(row(7), row(7)+"C0000007b,New,Row,Company 0,CO-0,020 7946 0999,,,,1,gold\n"), parsed: 1},
		{name: "row edited and next deleted", old: old, edit: replace(row(7)+row(8), strings.Replace(row(7), "First7", "X", 1)), parsed: 1},
		{name: "rows swapped", old: old, edit: replace(row(7)+row(8), row(8)+row(7)), parsed: 1},
		{name: "reversed", old: old, edit: func(s string) string {
			lines := strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n")
			out := lines[0] + "\n"
			for i := len(lines) - 1; i > 0; i-- {
				out += strings.TrimSuffix(lines[i], "\n") + "\n"
			}
			return out
		}, parsed: 50}, // another order: every row is parsed
		{name: "header renamed", old: old, edit: replace("Tier\n", "Tier \n"), parsed: 50},
		{name: "broken rows", old: old, parsed: 6, edit: func(s string) string {
			return s + syntheticRows(50, 52) +
				"C0000060,a,b,c\n" + // wrong field count
				",x,y,Company 1,CO-1,,,,,1,gold\n" + // empty id
				"C0000061,x,y,Company 1,CO-1,12,+44 7400 000061,,,1,gold\n" + // a number dropped
				"C0000062,\"x\"y,y,Company 1,CO-1,,,,,1,gold\n" + // broken quoting
				"C0000063,x,y,Company 1,CO-1,,,,,abc,gold\n" + // bad field
				"\n,,,,,,,,,,\n" + // blank
				"C0000064,\"multi\nline\",y,Company 1,CO-1,020 7000 0064,,,,1,gold\n" +
				"C0000065,x,y,Company 1,CO-1,020 7000 0064,,,,1,gold\n" + // shared number
				"C0000066,x,y,Company 1,CO-1,,,,,1,gold\n"
		}},
		{name: "row broken in place", old: old, edit: replace("C0000007,First7", "C0000007,\"x\"y"), parsed: 0},
		{name: "duplicate ids", old: old, parsed: 1, edit: func(s string) string {
			return s + "C0000003,dup,old,Company 9,CO-9,,,,,1,gold\n" + syntheticRows(50, 51) + "C0000050,dup,new,Company 9,CO-9,,,,,1,gold\n"
		}},
		// The moved id sends the expected position past rows 3-8, which
		// are parsed again.
		{name: "duplicate before its original", old: old, parsed: 7, edit: replace(row(3), "C0000009,dup,first,Company 9,CO-9,,,,,1,gold\n"+row(3))},
		{name: "interleaved ids rename a company", old: old, parsed: 4, edit: func(s string) string {
			return s + "A1,x,y,Renamed,CO-0,020 7000 0001,,,,1,gold\n" + "B1,x,y,Company 0,CO-0,,,,,1,gold\n" +
				"A2,x,y,New Co,CO-NEW,,,,,1,gold\n" + "Z9,x,y,New Co 2,CO-NEW,,,,,1,gold\n"
		}},
		{name: "old part lacks a final newline", old: strings.TrimSuffix(old, "\n"), edit: func(s string) string { return s + "\n" + row(50) }, parsed: 1},
		{name: "open quote at the end", old: old + "C0000070,\"open\n", edit: func(s string) string { return s + "still\",y,Company 1,CO-1,,,,,1,gold\n" }, parsed: 1},
		{name: "strict", old: old, edit: func(s string) string { return s + syntheticRows(50, 52) }, parsed: 2, strict: true},
		{name: "strict broken", old: old, edit: func(s string) string { return s + "C0000060,a,b,c\n" }, strict: true},
		{name: "bom", old: "\uFEFF" + old, edit: func(s string) string { return s + row(50) }, parsed: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := appendBlock
			if tc.strict {
				cfg += "strict: true\n"
			}
			s, problems := parseConfig(&connectors.ConfigureRequest{Config: []byte(cfg), DefaultRegion: "GB", BaseDir: t.TempDir()})
			if len(problems) > 0 {
				t.Fatalf("config: %+v", problems)
			}
			seed := maphash.MakeSeed()
			log := hclog.NewNullLogger()
			ctx := context.Background()
			oldData := []byte(tc.old)
			prev, err := build(ctx, s, oldData, stampOf(oldData), nil, seed, log)
			if err != nil {
				t.Fatal(err)
			}
			before := fingerprint(prev)
			time.Sleep(2 * time.Millisecond) // new stamps differ from old ones
			data := []byte(tc.edit(tc.old))
			got, gerr := build(ctx, s, data, stampOf(data), prev, seed, log)
			want, werr := buildWith(ctx, s, data, stampOf(data), prev, seed, log, false)
			if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
				t.Fatalf("errors differ: reload %v, full %v", gerr, werr)
			}
			if fingerprint(prev) != before {
				t.Fatal("the previous snapshot was modified")
			}
			if werr != nil {
				return
			}
			gv, wv := viewOf(t, got), viewOf(t, want)
			if !reflect.DeepEqual(gv, wv) {
				t.Fatalf("reload snapshot differs from the full load:\nreload %+v\nfull   %+v", gv, wv)
			}
			if got.parsed != tc.parsed {
				t.Errorf("reload parsed %d rows, want %d", got.parsed, tc.parsed)
			}
			// Unchanged rows keep their stamps.
			for _, e := range prev.contacts {
				if c := got.contact(e.contact.ID); c != nil && c.sum == e.sum && !c.contact.UpdatedAt.Equal(e.contact.UpdatedAt) {
					t.Errorf("%s: UpdatedAt %v, was %v", e.contact.ID, c.contact.UpdatedAt, e.contact.UpdatedAt)
				}
			}
			// A second reload continues the first: an append and an edit.
			more := []byte(strings.Replace(string(data), "First20,", "Changed20,", 1) + syntheticRows(200, 202))
			g2, err2 := build(ctx, s, more, stampOf(more), got, seed, log)
			w2, werr2 := buildWith(ctx, s, more, stampOf(more), got, seed, log, false)
			if (err2 == nil) != (werr2 == nil) {
				t.Fatalf("second reload: %v, full %v", err2, werr2)
			}
			if err2 == nil && !reflect.DeepEqual(viewOf(t, g2), viewOf(t, w2)) {
				t.Fatal("second reload differs from the full load")
			}
		})
	}
}

// TestIndexOverlayCompacts checks that edits in place patch the number
// index until the overlay outgrows its share, and then build a new base.
func TestIndexOverlayCompacts(t *testing.T) {
	s, problems := parseConfig(&connectors.ConfigureRequest{Config: []byte(appendBlock), DefaultRegion: "GB", BaseDir: t.TempDir()})
	if len(problems) > 0 {
		t.Fatalf("config: %+v", problems)
	}
	seed := maphash.MakeSeed()
	ctx := context.Background()
	data := syntheticCSV(2000)
	snap, err := build(ctx, s, data, stampOf(data), nil, seed, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	base := snap.byE164.base
	patched, rebuilt := 0, 0
	for i := range 1500 {
		data = []byte(strings.Replace(string(data), fmt.Sprintf(",020 7000 %04d,", i), fmt.Sprintf(",020 7946 %04d,", i), 1))
		next, err := build(ctx, s, data, stampOf(data), snap, seed, hclog.NewNullLogger())
		if err != nil {
			t.Fatal(err)
		}
		if next.parsed != 1 {
			t.Fatalf("edit %d parsed %d rows", i, next.parsed)
		}
		if fmt.Sprintf("%p", next.byE164.base) == fmt.Sprintf("%p", base) {
			patched++
		} else {
			rebuilt++
			base = next.byE164.base
			if len(next.byE164.over) != 0 {
				t.Fatalf("a rebuilt index has an overlay of %d keys", len(next.byE164.over))
			}
		}
		if got := next.byE164.get(fmt.Sprintf("+44207946%04d", i)); len(got) != 1 {
			t.Fatalf("edit %d: new number held by %v", i, got)
		}
		if got := next.byE164.get(fmt.Sprintf("+44207000%04d", i)); len(got) != 0 {
			t.Fatalf("edit %d: old number still held by %v", i, got)
		}
		snap = next
	}
	if patched == 0 || rebuilt == 0 {
		t.Fatalf("%d patched, %d rebuilt: want both", patched, rebuilt)
	}
}

func stampOf(data []byte) fileStamp {
	return fileStamp{size: int64(len(data)), sum: sha256.Sum256(data), readAt: time.Now()}
}

func TestReloadAppendEndToEnd(t *testing.T) {
	h := newHarness(t)
	h.write("a.csv", syntheticCSV(20))
	h.mustConfigure(strings.Replace(appendBlock, "reload_interval: 0", "reload_interval: 10ms", 1))
	start := time.Now()
	f, err := os.OpenFile(filepath.Join(h.dir, "a.csv"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("N1,New,Person,Fresh Co,CO-F,020 7946 0123,,n@example.com,u-1,1,gold\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the appended row", func() bool { return len(h.lookup("+442079460123", "")) == 1 })
	changed := h.allContacts(100, start)
	if got := ids(changed); len(got) != 1 || got[0] != "N1" {
		t.Fatalf("changed since the append: %v, want [N1]", got)
	}
	if all := h.allContacts(7, zeroTime); len(all) != 21 {
		t.Fatalf("%d contacts, want 21", len(all))
	}
}

// BenchmarkReload1M is one reload of a 1,000,000-row file after an
// edit: the number of one row in the middle changed in place, one row
// appended, or one deleted (every later contact moves: the indexes are
// built again). Unchanged rows are taken from the served snapshot.
func BenchmarkReload1M(b *testing.B) {
	const rows = 1_000_000
	dir := b.TempDir()
	s, problems := parseConfig(&connectors.ConfigureRequest{Config: []byte(benchBlock), DefaultRegion: "GB", BaseDir: dir})
	if len(problems) > 0 {
		b.Fatalf("config: %+v", problems)
	}
	path := filepath.Join(dir, "bench.csv")
	original := syntheticCSV(rows)
	seed := maphash.MakeSeed()
	log := hclog.NewNullLogger()
	prev, err := build(context.Background(), s, original, stampOf(original), nil, seed, log)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name          string
		data          []byte
		want, toParse int
	}{
		{"edit", []byte(strings.Replace(string(original), "+44 7400 500000,", "+44 7999 500000,", 1)), rows, 1},
		{"append", append(append([]byte(nil), original...), syntheticRows(rows, rows+1)...), rows + 1, 1},
		{"delete", []byte(strings.Replace(string(original), syntheticRows(500000, 500001), "", 1)), rows - 1, 0},
	} {
		if err := os.WriteFile(path, tc.data, 0o644); err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				data, stamp, err := readFile(path)
				if err != nil {
					b.Fatal(err)
				}
				snap, err := build(context.Background(), s, data, stamp, prev, seed, log)
				if err != nil {
					b.Fatal(err)
				}
				if len(snap.contacts) != tc.want || snap.parsed != tc.toParse {
					b.Fatalf("%d contacts, %d parsed", len(snap.contacts), snap.parsed)
				}
			}
		})
	}
}
