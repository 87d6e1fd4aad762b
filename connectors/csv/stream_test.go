package csv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

// configureListed runs Configure with ListedOnly, as the host does for a
// connector in mode: index.
func (h *harness) configureListed(block string) (*connectors.ConfigureResponse, error) {
	h.t.Helper()
	return h.c.Configure(context.Background(), &connectors.ConfigureRequest{
		Config: []byte(block), DefaultRegion: "GB", BaseDir: h.dir, ListedOnly: true,
	})
}

func (h *harness) mustConfigureListed(block string) {
	h.t.Helper()
	resp, err := h.configureListed(block)
	if err != nil {
		h.t.Fatalf("Configure(ListedOnly): %v", err)
	}
	if len(resp.Problems) > 0 {
		h.t.Fatalf("Configure(ListedOnly) problems: %+v", resp.Problems)
	}
}

// allCompanies pages through every company.
func (h *harness) allCompanies(pageSize int, since time.Time) []connectors.Company {
	h.t.Helper()
	var out []connectors.Company
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10000 {
			h.t.Fatal("paging does not end")
		}
		resp, err := h.c.ListCompanies(context.Background(), &connectors.ListRequest{Cursor: cursor, PageSize: pageSize, ChangedSince: since})
		if err != nil {
			h.t.Fatalf("ListCompanies: %v", err)
		}
		out = append(out, resp.Companies...)
		if resp.NextCursor == "" {
			return out
		}
		cursor = resp.NextCursor
	}
}

// byID sorts contacts by ID, without their UpdatedAt (the two modes read
// the file at different times).
func byID(cs []connectors.Contact) []connectors.Contact {
	out := slices.Clone(cs)
	for i := range out {
		out[i].UpdatedAt = time.Time{}
	}
	slices.SortFunc(out, func(a, b connectors.Contact) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func companiesNoTime(cs []connectors.Company) []connectors.Company {
	out := slices.Clone(cs)
	for i := range out {
		out[i].UpdatedAt = time.Time{}
	}
	return out
}

// warnings is what a harness logged about rows, in order.
func (h *harness) warnings() []string {
	var out []string
	for _, l := range strings.Split(h.log.String(), "\n") {
		if strings.Contains(l, "(row skipped)") || strings.Contains(l, "(number dropped, row kept)") ||
			strings.Contains(l, "not valid UTF-8") || strings.Contains(l, "more problems not logged") {
			out = append(out, l[strings.Index(l, "]")+1:])
		}
	}
	return out
}

// streamCases are files listed both ways: the listing must yield the
// records and warnings of a full load.
func streamCases() []struct{ name, block, file string } {
	row := func(cells ...string) string {
		for len(cells) < 10 {
			cells = append(cells, "")
		}
		return strings.Join(cells, ",") + "\n"
	}
	hdr := strings.TrimSuffix(stdHeader, "\n") + ",Balance\n"
	fields := "fields:\n  balance: {column: Balance, type: number}"
	var many strings.Builder
	many.WriteString(hdr)
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&many, "M%03d,F%d,L%d,Co %d,,020 7946 %04d,,m%d@example.com,o,%d\n", i%250, i, i, i%7, i, i, i)
	}
	many.WriteString("X1,short\n")
	var broken strings.Builder
	broken.WriteString(hdr)
	for i := 0; i < 130; i++ { // more than maxLoggedIssues problems
		fmt.Fprintf(&broken, "D%d,bad,row\n", i)
		fmt.Fprintf(&broken, "G%d,A,B,,,not a number,,,,1\n", i)
	}
	return []struct{ name, block, file string }{
		{"broken rows", block("c.csv", fields), hdr +
			row("B1", "Ok", "One", "Acme", "", "+44 20 7946 0001") +
			row("B2", "\"Multi\nline\nname\"", "Two", "acme ") +
			"B3,Short,Row\n" +
			row("", "No", "Id") +
			row("B1", "Dup", "Licate", "Other Co") +
			row("B4", "Bad \"quote", "x") +
			row() +
			"\n" +
			row("B5", "Bad", "Balance", "", "", "", "", "", "", "abc") +
			row("B6", "Ok", "Six", "", "", "020 7946 0002 / 020 7946 0003", "call me", "", "", "12.5") +
			row("B5", "Good", "Now", "Late Co", "", "", "", "", "", "1") +
			row("B5", "Dup", "Bad", "", "", "", "", "", "", "zz") +
			"B9,\"unterminated\n"},
		{"bad field before the good row", block("c.csv", fields), hdr +
			row("A1", "x", "", "Zeta", "", "", "", "", "", "nope") +
			row("A1", "y", "", "Alpha", "", "", "", "", "", "2") +
			row("A2", "z", "", "Zeta", "", "", "", "", "", "3")},
		{"crlf, bom and invalid utf-8", block("c.csv"), "\uFEFF" + strings.ReplaceAll(stdHeader, "\n", "\r\n") +
			"C1,Ay\xfeşe,Y,\"Co\r\nLine\",,+90 532 123 45 67,,a@b.c,o\r\n" +
			"C2,B,Z,,,,,,\r\n\r\n" +
			"C3,Q,R,\"x\"\"y\",,,,,o\r\n"},
		{"headerless", "path: c.csv\nheader: false\nreload_interval: 0\ncolumns: {id: '1', first_name: '2', phones: ['3']}\n",
			"H1,Ada,+44 20 4520 5757\nH2,Bob,+90 532 123 45 67\nH3,short\n\nH4,\"a\nb\",\n"},
		{"header only", block("c.csv"), stdHeader},
		{"no trailing newline", block("c.csv"), stdHeader + "E1,A,B,,,,,,\nE2,C,D,,,,,,"},
		{"duplicates and companies", block("c.csv", fields), many.String()},
		{"many problems", block("c.csv", fields), broken.String()},
	}
}

// wholeLoad is what loading a file whole gives: what a listed-only
// listing of it must yield.
type wholeLoad struct {
	contacts  []connectors.Contact // by ID
	companies []connectors.Company // without times
	warnings  []string
}

// loadWhole loads file under block the usual way and lists it.
func loadWhole(t *testing.T, block, file string) wholeLoad {
	full := newHarness(t)
	full.write("c.csv", []byte(file))
	full.mustConfigure(block)
	return wholeLoad{
		contacts:  byID(full.allContacts(0, zeroTime)),
		companies: companiesNoTime(full.allCompanies(0, zeroTime)),
		warnings:  full.warnings(),
	}
}

// check holds got, the contacts h listed in pages of size, to want: the
// same contacts (each stamped), companies and warnings, and a second
// listing that gives the same records and logs nothing again.
func (want wholeLoad) check(t *testing.T, h *harness, size int, got []connectors.Contact) {
	t.Helper()
	if !reflect.DeepEqual(byID(got), want.contacts) {
		t.Errorf("contacts differ:\n got %+v\nwant %+v", byID(got), want.contacts)
	}
	for _, c := range got {
		if c.UpdatedAt.IsZero() {
			t.Errorf("contact %s has no UpdatedAt", c.ID)
		}
	}
	if got := companiesNoTime(h.allCompanies(size, zeroTime)); !reflect.DeepEqual(got, want.companies) {
		t.Errorf("companies differ:\n got %+v\nwant %+v", got, want.companies)
	}
	if got := h.warnings(); !reflect.DeepEqual(got, want.warnings) {
		t.Errorf("warnings differ:\n got %q\nwant %q", got, want.warnings)
	}
	if again := h.allContacts(size, zeroTime); !reflect.DeepEqual(again, got) {
		t.Errorf("a second listing differs")
	}
	if again := h.warnings(); len(again) != len(want.warnings) {
		t.Errorf("a second listing logged again: %q", again)
	}
}

func TestStreamListingMatchesLoad(t *testing.T) {
	for _, tc := range streamCases() {
		t.Run(tc.name, func(t *testing.T) {
			want := loadWhole(t, tc.block, tc.file)
			for _, size := range []int{1, 2, 3, 7, 500} {
				t.Run(fmt.Sprint("page ", size), func(t *testing.T) {
					h := newHarness(t)
					h.write("c.csv", []byte(tc.file))
					h.mustConfigureListed(tc.block)
					want.check(t, h, size, h.allContacts(size, zeroTime))
				})
			}
		})
	}
}

func TestStreamLookupsMatchLoad(t *testing.T) {
	for _, tc := range streamCases() {
		t.Run(tc.name, func(t *testing.T) {
			full, h := newHarness(t), newHarness(t)
			full.write("c.csv", []byte(tc.file))
			h.write("c.csv", []byte(tc.file))
			full.mustConfigure(tc.block)
			h.mustConfigureListed(tc.block)
			listed := h.allContacts(0, zeroTime)
			stamps := map[string]time.Time{}
			for _, c := range listed {
				stamps[c.ID] = c.UpdatedAt
			}
			for _, c := range full.allContacts(0, zeroTime) {
				for _, p := range c.Phones {
					req := &connectors.LookupRequest{E164: p.E164, National: strings.TrimPrefix(p.E164, "+44")}
					want, err1 := full.c.LookupByPhone(context.Background(), req)
					got, err2 := h.c.LookupByPhone(context.Background(), req)
					if err1 != nil || err2 != nil {
						t.Fatalf("lookup: %v / %v", err1, err2)
					}
					if len(got.Matches) != len(want.Matches) {
						t.Fatalf("lookup %s: %d matches, want %d", p.E164, len(got.Matches), len(want.Matches))
					}
					for i := range got.Matches {
						g, w := *got.Matches[i].Contact, *want.Matches[i].Contact
						if !g.UpdatedAt.Equal(stamps[g.ID]) {
							t.Errorf("lookup %s: UpdatedAt %v, the listing says %v", p.E164, g.UpdatedAt, stamps[g.ID])
						}
						g.UpdatedAt, w.UpdatedAt = time.Time{}, time.Time{}
						if !reflect.DeepEqual(g, w) || got.Matches[i].Kind != want.Matches[i].Kind {
							t.Errorf("lookup %s: match %d = %+v, want %+v", p.E164, i, g, w)
						}
					}
				}
				for _, key := range []connectors.KeyLookupRequest{{Field: "id", Value: c.ID}, {Field: "email", Value: strings.Join(c.Emails, ",")}} {
					want, err1 := full.c.LookupByKey(context.Background(), &key)
					got, err2 := h.c.LookupByKey(context.Background(), &key)
					if err1 != nil || err2 != nil {
						t.Fatalf("key lookup: %v / %v", err1, err2)
					}
					if len(got.Matches) != len(want.Matches) {
						t.Errorf("key lookup %+v: %d matches, want %d", key, len(got.Matches), len(want.Matches))
					}
				}
			}
			if n := len(h.log.lines("for an off-path lookup")); n > 1 {
				t.Errorf("the file was loaded %d times for lookups, want once", n)
			}
		})
	}
}

func TestStreamFileChangedMidListing(t *testing.T) {
	h := newHarness(t)
	h.write("c.csv", []byte(numberedRows(seq(1, 10)...)))
	h.mustConfigureListed(block("c.csv"))
	first, err := h.c.ListContacts(context.Background(), &connectors.ListRequest{PageSize: 3})
	if err != nil || first.NextCursor == "" {
		t.Fatalf("first page: %v %+v", err, first)
	}
	cfirst, err := h.c.ListCompanies(context.Background(), &connectors.ListRequest{PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	h.rewrite("c.csv", []byte(numberedRows(seq(1, 12)...)))
	_, err = h.c.ListContacts(context.Background(), &connectors.ListRequest{PageSize: 3, Cursor: first.NextCursor})
	if err == nil || connectors.ClassOf(err) != connectors.ClassUnavailable || !strings.Contains(err.Error(), "changed while it was being listed") {
		t.Fatalf("next page after a change: err = %v, want an unavailable error saying the file changed", err)
	}
	if cfirst.NextCursor != "" {
		if _, err := h.c.ListCompanies(context.Background(), &connectors.ListRequest{PageSize: 1, Cursor: cfirst.NextCursor}); err == nil {
			t.Error("a companies page after a change succeeded")
		}
	}
	// A new listing reads the new version.
	if got := h.allContacts(4, zeroTime); len(got) != 11 {
		t.Errorf("new listing: %d contacts, want 11", len(got))
	}
	// A cursor of one kind is not one of the other, nor garbage.
	for _, cur := range []string{"bm90IGEgY3Vyc29y", first.NextCursor} {
		if _, err := h.c.ListCompanies(context.Background(), &connectors.ListRequest{Cursor: cur}); err == nil {
			t.Errorf("cursor %q accepted by ListCompanies", cur)
		}
	}
}

func TestStreamChangedSince(t *testing.T) {
	h := newHarness(t)
	rows := func(lines ...string) []byte { return []byte(stdHeader + strings.Join(lines, "\n") + "\n") }
	h.write("c.csv", rows(
		"1,Ada,A,Acme,,+44 20 7946 0001,,,",
		"2,Bob,B,Acme,,,,,",
		"3,Cy,C,Beta,,,,,",
		"4,Di,D,Gone Co,,,,,",
	))
	h.mustConfigureListed(block("c.csv"))
	before := h.allContacts(0, zeroTime)
	beforeCos := h.allCompanies(0, zeroTime)
	t0 := before[0].UpdatedAt
	for _, c := range before {
		if !c.UpdatedAt.Equal(t0) {
			t.Fatalf("first version: %s stamped %v, %s %v; want one time", c.ID, c.UpdatedAt, before[0].ID, t0)
		}
	}
	mid := time.Now()
	// 2 changes, 4 goes (and its company), 5 is new, 1 moves unchanged,
	// an unmapped edit of 3 is none.
	h.rewrite("c.csv", rows(
		"3,Cy,C,Beta,,,,,",
		"2,Bob,Changed,Acme,,,,,",
		"5,Eve,E,Newco,,,,,",
		"1,Ada,A,Acme,,+44 20 7946 0001,,,",
	))
	changed := h.allContacts(1, mid)
	if got := ids(changed); !reflect.DeepEqual(got, []string{"2", "5"}) {
		t.Errorf("changed since the rewrite = %v, want 2 5 (in file order)", got)
	}
	if cos := h.allCompanies(1, mid); len(cos) != 1 || cos[0].Name != "Newco" {
		t.Errorf("companies changed since the rewrite = %+v, want Newco", cos)
	}
	all := h.allContacts(2, zeroTime)
	if got := ids(all); !reflect.DeepEqual(got, []string{"3", "2", "5", "1"}) {
		t.Errorf("all = %v", got)
	}
	for _, c := range all {
		if c.ID == "1" || c.ID == "3" {
			if !c.UpdatedAt.Equal(t0) {
				t.Errorf("unchanged %s restamped: %v, want %v", c.ID, c.UpdatedAt, t0)
			}
		} else if c.UpdatedAt.Before(mid) {
			t.Errorf("changed %s stamped %v, before the change", c.ID, c.UpdatedAt)
		}
	}
	for _, co := range h.allCompanies(0, zeroTime) {
		if co.ID != "name:newco" && !co.UpdatedAt.Equal(beforeCos[0].UpdatedAt) {
			t.Errorf("unchanged company %s restamped", co.ID)
		}
	}
	// Nothing changed since now: no page, no read.
	if got := h.allContacts(0, time.Now().Add(time.Second)); len(got) != 0 {
		t.Errorf("changed since the future = %v", ids(got))
	}
	// Configured again: unchanged records keep their times, as a full
	// load does.
	h.mustConfigureListed(block("c.csv"))
	for _, c := range h.allContacts(0, zeroTime) {
		if want := all[slices.IndexFunc(all, func(a connectors.Contact) bool { return a.ID == c.ID })].UpdatedAt; !c.UpdatedAt.Equal(want) {
			t.Errorf("after Configure %s stamped %v, want %v", c.ID, c.UpdatedAt, want)
		}
	}
}

func TestStreamWatchStampsChanges(t *testing.T) {
	h := newHarness(t)
	h.write("c.csv", []byte(numberedRows(1, 2)))
	h.mustConfigureListed(reloadBlock("c.csv"))
	h.allContacts(0, zeroTime)
	h.rewrite("c.csv", []byte(numberedRows(1, 2, 3)))
	waitFor(t, "the watcher re-scans", func() bool { return len(h.log.lines("re-scanned c.csv")) > 0 })
	if got := h.allContacts(0, zeroTime); len(got) != 3 {
		t.Errorf("after the change: %d contacts, want 3", len(got))
	}
}

func TestStreamConfigureErrorsUnchanged(t *testing.T) {
	cases := []struct{ name, block, file string }{
		{"missing file", block("c.csv"), ""},
		{"missing column", block("c.csv"), "CustomerID,FirstName\n1,a\n"},
		{"duplicate column", block("c.csv"), "CustomerID,CustomerID,Phone\n"},
		{"empty file", block("c.csv"), "\x00"},
		{"broken header", block("c.csv"), "CustomerID,\"First\n"},
		{"headerless column out of range", "path: c.csv\nheader: false\ncolumns: {id: '5'}\n", "a,b\n"},
		{"bad block", "path: c.csv\ncolumns: {}\n", stdHeader},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			full, h := newHarness(t), newHarness(t)
			if tc.file != "" {
				data := []byte(tc.file)
				if tc.file == "\x00" {
					data = nil
				}
				full.write("c.csv", data)
				h.write("c.csv", data)
			}
			want, werr := full.configure(tc.block)
			got, gerr := h.configureListed(tc.block)
			if (werr == nil) != (gerr == nil) || (werr != nil && (werr.Error() != gerr.Error() || connectors.ClassOf(werr) != connectors.ClassOf(gerr))) {
				t.Fatalf("errors: listed %v, full %v", gerr, werr)
			}
			if got != nil {
				for i := range got.Problems {
					got.Problems[i].Message = strings.ReplaceAll(got.Problems[i].Message, h.dir, full.dir)
				}
			}
			if werr == nil && !reflect.DeepEqual(got.Problems, want.Problems) {
				t.Errorf("problems: listed %+v, full %+v", got.Problems, want.Problems)
			}
			if werr == nil && len(want.Problems) == 0 {
				t.Fatalf("case accepted by both")
			}
		})
	}
}

func TestStreamDescribeAndFallbacks(t *testing.T) {
	has := func(h *harness) bool {
		d, err := h.c.Describe(context.Background(), &connectors.DescribeRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return d.Has(connectors.CapGuardsShrink)
	}
	h := newHarness(t)
	h.write("c.csv", []byte(numberedRows(1)))
	h.mustConfigureListed(block("c.csv"))
	if !has(h) {
		t.Error("listed-only does not declare guards_shrink")
	}
	h.mustConfigure(block("c.csv"))
	if !has(h) {
		t.Error("a full load does not declare guards_shrink")
	}
	// Strict and other encodings are loaded whole.
	for _, extra := range []string{"strict: true", "encoding: windows-1252"} {
		h.mustConfigureListed(block("c.csv", extra))
		if !has(h) || h.c.stream.Load() != nil {
			t.Errorf("%s: not loaded whole", extra)
		}
	}
	resp, err := h.c.Check(context.Background(), &connectors.CheckRequest{})
	if err != nil || resp.Records != 1 {
		t.Errorf("Check = %+v, %v", resp, err)
	}
	h.mustConfigureListed(block("c.csv"))
	resp, err = h.c.Check(context.Background(), &connectors.CheckRequest{})
	if err != nil || resp.Records != 1 {
		t.Errorf("listed Check = %+v, %v", resp, err)
	}
	if err := os.Remove(filepath.Join(h.dir, "c.csv")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.Check(context.Background(), &connectors.CheckRequest{}); connectors.ClassOf(err) != connectors.ClassBadConfig {
		t.Errorf("Check of a removed file: %v", err)
	}
	if _, err := h.c.ListContacts(context.Background(), &connectors.ListRequest{}); err == nil {
		t.Error("listing a removed file succeeded")
	}
}

// TestStreamPageSlicesAreCapped: a page's contacts share one backing
// array of Phones and one of Emails; appending to one contact's must not
// write into the next one's.
func TestStreamPageSlicesAreCapped(t *testing.T) {
	h := newHarness(t)
	h.write("c.csv", []byte(stdHeader+
		"1,A,A,,,+44 20 7946 0001,+44 20 7946 0002,a@x.com b@x.com,\n"+
		"2,B,B,,,+44 20 7946 0003,,c@x.com,\n"+
		"3,C,C,,,,,,\n"+
		"4,D,D,,,020 7946 0004; 020 7946 0005; 020 7946 0006,,d@x.com;e@x.com;f@x.com,\n"))
	h.mustConfigureListed(block("c.csv"))
	page, err := h.c.ListContacts(context.Background(), &connectors.ListRequest{PageSize: 10})
	if err != nil || len(page.Contacts) != 4 {
		t.Fatalf("page: %v, %d contacts", err, len(page.Contacts))
	}
	want := make([]connectors.Contact, len(page.Contacts))
	for i, c := range page.Contacts {
		c.Phones, c.Emails = slices.Clone(c.Phones), slices.Clone(c.Emails)
		want[i] = c
	}
	if got := len(want[3].Phones); got != 3 {
		t.Fatalf("contact 4 has %d phones, want 3", got)
	}
	if want[2].Phones != nil || want[2].Emails != nil {
		t.Errorf("contact 3 has phones %v, emails %v; want nil", want[2].Phones, want[2].Emails)
	}
	for i := range page.Contacts {
		c := &page.Contacts[i]
		c.Phones = append(c.Phones, connectors.Phone{Raw: "x"})
		c.Emails = append(c.Emails, "x")
		for j := i + 1; j < len(page.Contacts); j++ {
			if !reflect.DeepEqual(page.Contacts[j], want[j]) {
				t.Fatalf("appending to contact %d changed contact %d: %+v, want %+v", i+1, j+1, page.Contacts[j], want[j])
			}
		}
	}
}
