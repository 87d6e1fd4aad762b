package csv

import (
	"context"
	"crypto/sha256"
	"errors"
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

// appendView is everything a snapshot serves, with the stamps of new and
// changed records (the load's time) replaced by a marker.
type appendView struct {
	Contacts   []contactEntry
	Companies  []connectors.Company
	CompanySum []uint64
	CompanySrc []string
	ByE164     map[string][]int32
	ByNational map[string][]int32
	Skipped    int
	Dropped    int
	Tail       tailState
	Pages      []string
	CoPages    []string
	Lookups    []string
}

var newStamp = time.Unix(1, 0)

func viewOf(t *testing.T, snap *snapshot) appendView {
	t.Helper()
	v := appendView{
		Companies: append([]connectors.Company(nil), snap.companies...), CompanySum: append([]uint64(nil), snap.companySum...),
		CompanySrc: snap.companySrc, ByE164: snap.byE164, ByNational: snap.byNational,
		Skipped: snap.skipped, Dropped: snap.dropped, Tail: snap.tail,
	}
	for _, e := range snap.contacts {
		if e.contact.UpdatedAt.Equal(snap.loadedAt) {
			e.contact.UpdatedAt = newStamp
		}
		v.Contacts = append(v.Contacts, e)
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
	return fmt.Sprintf("%+v|%+v|%v|%v|%v|%v|%+v", snap.contacts, snap.companies, snap.companySum, snap.companySrc, snap.byE164, snap.byNational, snap.tail)
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

func TestAppendMatchesFullLoad(t *testing.T) {
	old := string(syntheticCSV(50))
	cases := []struct {
		name   string
		old    string
		added  string
		edit   func(string) string // applied to the old part of the new file
		fast   bool
		strict bool
	}{
		{name: "one row", old: old, added: syntheticRows(50, 51), fast: true},
		{name: "100 rows", old: old, added: syntheticRows(50, 150), fast: true},
		{name: "header only", old: string(syntheticCSV(0)), added: syntheticRows(0, 3), fast: true},
		{name: "broken rows", old: old, fast: true, added: syntheticRows(50, 52) +
			"C0000060,a,b,c\n" + // wrong field count
			",x,y,Company 1,CO-1,,,,,1,gold\n" + // empty id
			"C0000061,x,y,Company 1,CO-1,12,+44 7400 000061,,,1,gold\n" + // a number dropped
			"C0000062,\"x\"y,y,Company 1,CO-1,,,,,1,gold\n" + // broken quoting
			"C0000063,x,y,Company 1,CO-1,,,,,abc,gold\n" + // bad field
			"\n,,,,,,,,,,\n" + // blank
			"C0000064,\"multi\nline\",y,Company 1,CO-1,020 7000 0064,,,,1,gold\n" +
			"C0000065,x,y,Company 1,CO-1,020 7000 0064,,,,1,gold\n" + // shared number
			"C0000066,x,y,Company 1,CO-1,,,,,1,gold\n"},
		{name: "duplicate ids", old: old, fast: true, added: "C0000003,dup,old,Company 9,CO-9,,,,,1,gold\n" +
			syntheticRows(50, 51) + "C0000050,dup,new,Company 9,CO-9,,,,,1,gold\n"},
		{name: "interleaved ids rename a company", old: old, fast: true, added: "A1,x,y,Renamed,CO-0,020 7000 0001,,,,1,gold\n" +
			"B1,x,y,Company 0,CO-0,,,,,1,gold\n" + "A2,x,y,New Co,CO-NEW,,,,,1,gold\n" + "Z9,x,y,New Co 2,CO-NEW,,,,,1,gold\n"},
		{name: "old part lacks a final newline", old: strings.TrimSuffix(old, "\n"), added: "\n" + syntheticRows(50, 51)},
		{name: "changed old byte", old: old, added: syntheticRows(50, 51),
			edit: func(s string) string { return strings.Replace(s, "First7,", "Frist7,", 1) }},
		{name: "open quote at the end", old: old + "C0000070,\"open\n", added: "still\",y,Company 1,CO-1,,,,,1,gold\n"},
		{name: "broken quoting at the end", old: old + "C0000070,\"x\"y,y,Company 1,CO-1,,,,,1,gold\n", added: syntheticRows(50, 51), fast: true},
		{name: "strict", old: old, added: syntheticRows(50, 52), fast: true, strict: true},
		{name: "strict broken", old: old, added: "C0000060,a,b,c\n", fast: true, strict: true},
		{name: "bom", old: "\uFEFF" + old, added: syntheticRows(50, 51), fast: true},
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
			newOld := tc.old
			if tc.edit != nil {
				newOld = tc.edit(newOld)
			}
			data := []byte(newOld + tc.added)
			_, ferr := buildAppend(ctx, s, data, stampOf(data), prev, seed, log)
			if fast := !errors.Is(ferr, errNoAppend); fast != tc.fast {
				t.Fatalf("fast path taken: %v (%v), want %v", fast, ferr, tc.fast)
			}
			got, gerr := buildNext(ctx, s, data, stampOf(data), prev, seed, log)
			want, werr := build(ctx, s, data, stampOf(data), prev, seed, log)
			if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
				t.Fatalf("errors differ: fast %v, full %v", gerr, werr)
			}
			if fingerprint(prev) != before {
				t.Fatal("the previous snapshot was modified")
			}
			if werr != nil {
				return
			}
			gv, wv := viewOf(t, got), viewOf(t, want)
			if !reflect.DeepEqual(gv, wv) {
				t.Fatalf("fast path snapshot differs from the full load:\nfast %+v\nfull %+v", gv, wv)
			}
			if len(got.contacts) <= len(prev.contacts) && tc.name != "duplicate ids" && tc.name != "strict broken" && !strings.Contains(tc.name, "open") {
				t.Errorf("append added nothing: %d → %d", len(prev.contacts), len(got.contacts))
			}
			// Old rows keep their stamps.
			for _, e := range prev.contacts {
				if c := got.contact(e.contact.ID); c != nil && c.sum == e.sum && !c.contact.UpdatedAt.Equal(e.contact.UpdatedAt) {
					t.Errorf("%s: UpdatedAt %v, was %v", e.contact.ID, c.contact.UpdatedAt, e.contact.UpdatedAt)
				}
			}
			// A second append continues the first.
			more := append(append([]byte(nil), data...), syntheticRows(200, 202)...)
			g2, err2 := buildNext(ctx, s, more, stampOf(more), got, seed, log)
			w2, werr2 := build(ctx, s, more, stampOf(more), got, seed, log)
			if (err2 == nil) != (werr2 == nil) {
				t.Fatalf("second append: fast %v, full %v", err2, werr2)
			}
			if err2 == nil && !reflect.DeepEqual(viewOf(t, g2), viewOf(t, w2)) {
				t.Fatal("second append differs from the full load")
			}
		})
	}
}

func stampOf(data []byte) fileStamp {
	return fileStamp{size: int64(len(data)), sum: sha256.Sum256(data), readAt: time.Now()}
}

func TestAppendReloadEndToEnd(t *testing.T) {
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

func BenchmarkAppendReload1M(b *testing.B) {
	const rows = 1_000_000
	dir := b.TempDir()
	s, problems := parseConfig(&connectors.ConfigureRequest{Config: []byte(benchBlock), DefaultRegion: "GB", BaseDir: dir})
	if len(problems) > 0 {
		b.Fatalf("config: %+v", problems)
	}
	path := filepath.Join(dir, "bench.csv")
	if err := os.WriteFile(path, syntheticCSV(rows), 0o644); err != nil {
		b.Fatal(err)
	}
	seed := maphash.MakeSeed()
	log := hclog.NewNullLogger()
	prev, err := load(context.Background(), s, nil, seed, log)
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.WriteString(syntheticRows(rows, rows+1)); err != nil {
		b.Fatal(err)
	}
	f.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		data, stamp, err := readFile(path)
		if err != nil {
			b.Fatal(err)
		}
		snap, err := buildAppend(context.Background(), s, data, stamp, prev, seed, log)
		if err != nil {
			b.Fatal(err)
		}
		if len(snap.contacts) != rows+1 {
			b.Fatalf("%d contacts", len(snap.contacts))
		}
	}
}
