package csv

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/switchboard-hq/switchboard/connectors"
)

func TestMapping(t *testing.T) {
	h := newHarness(t)
	h.write("customers.csv", []byte(stdHeader+
		"C2,Ada,Lovelace,Analytical Engines,CO-1,+44 20 4520 5757,,ada@engines.example; ADA@engines.example ada2@engines.example,u-17\n"+
		"C1, Charles ,Babbage,Analytical Engines,,020 7946 0018 ext. 12,,charles@engines.example,u-17\n"+
		"C3,Grace,Hopper,,,,,,\n"))
	h.mustConfigure(block("customers.csv"))

	got := h.allContacts(0, zeroTime)
	for i := range got {
		got[i].UpdatedAt = zeroTime
	}
	want := []connectors.Contact{
		{ID: "C1", FirstName: "Charles", LastName: "Babbage", CompanyName: "Analytical Engines",
			CompanyID: "name:analytical engines", OwnerID: "u-17", Emails: []string{"charles@engines.example"},
			Phones: []connectors.Phone{{Raw: "020 7946 0018 ext. 12", Label: "Phone", E164: "+442079460018", Extension: "12"}}},
		{ID: "C2", FirstName: "Ada", LastName: "Lovelace", CompanyName: "Analytical Engines", CompanyID: "CO-1",
			OwnerID: "u-17", Emails: []string{"ada@engines.example", "ada2@engines.example"},
			Phones: []connectors.Phone{{Raw: "+44 20 4520 5757", Label: "Phone", E164: "+442045205757"}}},
		{ID: "C3", FirstName: "Grace", LastName: "Hopper"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("contacts:\n got %+v\nwant %+v", got, want)
	}

	companies, err := h.c.ListCompanies(context.Background(), &connectors.ListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, co := range companies.Companies {
		names = append(names, co.ID+"="+co.Name)
		if len(co.Phones) != 0 {
			t.Errorf("company %s has phones %v; they must not be derived from contacts", co.ID, co.Phones)
		}
	}
	if w := []string{"CO-1=Analytical Engines", "name:analytical engines=Analytical Engines"}; !reflect.DeepEqual(names, w) {
		t.Errorf("companies = %v, want %v", names, w)
	}
}

func TestFullNameColumnAndJobTitle(t *testing.T) {
	h := newHarness(t)
	h.write("people.csv", []byte("Id,Full Name,Title\n7,Ada King Lovelace,Countess\n"))
	h.mustConfigure("path: people.csv\ncolumns: {id: Id, name: full name, job_title: Title}\n")
	got := h.allContacts(0, zeroTime)
	if len(got) != 1 || got[0].FirstName != "Ada King Lovelace" || got[0].LastName != "" || got[0].JobTitle != "Countess" {
		t.Errorf("got %+v, want the full name kept whole as first name and the title mapped", got)
	}
}

func TestPhones(t *testing.T) {
	tests := []struct {
		name string
		row  string // Phone,Mobile cells
		want []connectors.Phone
	}{
		{
			name: "two phone columns",
			row:  "+44 20 4520 5757,+90 532 123 45 67",
			want: []connectors.Phone{
				{Raw: "+44 20 4520 5757", Label: "Phone", E164: "+442045205757"},
				{Raw: "+90 532 123 45 67", Label: "Mobile", E164: "+905321234567"},
			},
		},
		{
			name: "several numbers in one cell",
			row:  `"+44 20 4520 5757; 1 (202) 555-0142 | 00905321234568",`,
			want: []connectors.Phone{
				{Raw: "+44 20 4520 5757", Label: "Phone", E164: "+442045205757"},
				{Raw: "1 (202) 555-0142", Label: "Phone", E164: "+12025550142"},
				{Raw: "00905321234568", Label: "Phone", E164: "+905321234568"},
			},
		},
		{
			name: "the same number in both columns is kept once",
			row:  "020 4520 5757,+44 20 4520 5757",
			want: []connectors.Phone{{Raw: "020 4520 5757", Label: "Phone", E164: "+442045205757"}},
		},
		{
			name: "messy numbers",
			row:  `(020) 4520-5757 / 101,"+90 0532 123 45 67"`,
			want: []connectors.Phone{
				{Raw: "(020) 4520-5757 / 101", Label: "Phone", E164: "+442045205757", Extension: "101"},
				{Raw: "+90 0532 123 45 67", Label: "Mobile", E164: "+905321234567"},
			},
		},
		{
			name: "an unreadable number is dropped, the row kept",
			row:  "call me maybe,+44 20 4520 5757",
			want: []connectors.Phone{{Raw: "+44 20 4520 5757", Label: "Mobile", E164: "+442045205757"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.write("c.csv", []byte(stdHeader+"X1,A,B,,,"+tt.row+",,\n"))
			h.mustConfigure(block("c.csv"))
			got := h.allContacts(0, zeroTime)
			if len(got) != 1 {
				t.Fatalf("got %d contacts, want 1", len(got))
			}
			if !reflect.DeepEqual(got[0].Phones, tt.want) {
				t.Errorf("phones:\n got %+v\nwant %+v", got[0].Phones, tt.want)
			}
		})
	}
}

func TestUnreadableNumberIsReportedWithLine(t *testing.T) {
	h := newHarness(t)
	h.write("c.csv", []byte(stdHeader+"X1,A,B,,,+44 20 4520 5757,,,\nX2,A,B,,,call me maybe,,,\n"))
	h.mustConfigure(block("c.csv"))
	warn := h.log.lines("c.csv:3:")
	if len(warn) != 1 || !strings.Contains(warn[0], "column Phone") || !strings.Contains(warn[0], "number dropped, row kept") {
		t.Errorf("want one warning for c.csv:3 naming the column; log:\n%s", h.log)
	}
	if got := ids(h.allContacts(0, zeroTime)); !reflect.DeepEqual(got, []string{"X1", "X2"}) {
		t.Errorf("contacts = %v, want both rows kept", got)
	}
	check, err := h.c.Check(context.Background(), &connectors.CheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(check.Detail, "1 unreadable phone numbers dropped") {
		t.Errorf("Check detail %q does not count the dropped number", check.Detail)
	}
}

// encode converts UTF-8 text to enc, with an optional byte order mark.
func encode(t *testing.T, enc encoding.Encoding, text string) []byte {
	t.Helper()
	out, err := enc.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return out
}

func TestEncodingsAndDelimiters(t *testing.T) {
	const turkish = "Ayşe,Yılmaz,İstanbul Tekstil A.Ş."
	tests := []struct {
		name     string
		settings string
		data     func(t *testing.T, text string) []byte
		delim    string
		first    string // FirstName, LastName, Company of the row
	}{
		{
			name:  "utf-8",
			data:  func(t *testing.T, s string) []byte { return []byte(s) },
			first: turkish,
		},
		{
			name:  "utf-8 with BOM",
			data:  func(t *testing.T, s string) []byte { return append([]byte("\xEF\xBB\xBF"), s...) },
			first: turkish,
		},
		{
			name:     "utf-16 little endian with BOM",
			settings: "encoding: utf-16",
			data: func(t *testing.T, s string) []byte {
				return encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), s)
			},
			first: turkish,
		},
		{
			name:     "utf-16 big endian with BOM",
			settings: "encoding: UTF-16",
			data: func(t *testing.T, s string) []byte {
				return encode(t, unicode.UTF16(unicode.BigEndian, unicode.UseBOM), s)
			},
			first: turkish,
		},
		{
			name:     "iso-8859-9 (Turkish)",
			settings: "encoding: iso-8859-9",
			data:     func(t *testing.T, s string) []byte { return encode(t, charmap.ISO8859_9, s) },
			first:    turkish,
		},
		{
			name:     "windows-1252",
			settings: "encoding: windows-1252",
			data:     func(t *testing.T, s string) []byte { return encode(t, charmap.Windows1252, s) },
			first:    "Zoë,Müller,Café Crème – “Paris”",
		},
		{
			name:     "iso-8859-1",
			settings: "encoding: latin1",
			data:     func(t *testing.T, s string) []byte { return encode(t, charmap.ISO8859_1, s) },
			first:    "Zoë,Müller,Café Crème",
		},
		{
			name:     "semicolon",
			settings: `delimiter: ";"`,
			data:     func(t *testing.T, s string) []byte { return []byte(s) },
			delim:    ";",
			first:    turkish,
		},
		{
			name:     "tab written as \\t",
			settings: `delimiter: \t`,
			data:     func(t *testing.T, s string) []byte { return []byte(s) },
			delim:    "\t",
			first:    turkish,
		},
		{
			name:     "tab written as tab, in utf-16",
			settings: "delimiter: tab\nencoding: utf-16",
			data: func(t *testing.T, s string) []byte {
				return encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), s)
			},
			delim: "\t",
			first: turkish,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.delim
			if d == "" {
				d = ","
			}
			row := strings.Split(tt.first, ",")
			text := strings.ReplaceAll(stdHeader, ",", d) +
				strings.Join([]string{"T1", row[0], row[1], row[2], "", "+90 532 123 45 67", "", "a@b.example", "u-1"}, d) + "\r\n"
			h := newHarness(t)
			h.write("c.csv", tt.data(t, text))
			h.mustConfigure(block("c.csv", tt.settings))
			got := h.allContacts(0, zeroTime)
			if len(got) != 1 {
				t.Fatalf("got %d contacts, want 1; log:\n%s", len(got), h.log)
			}
			c := got[0]
			if c.ID != "T1" || c.FirstName != row[0] || c.LastName != row[1] || c.CompanyName != row[2] || c.OwnerID != "u-1" {
				t.Errorf("got %q %q %q %q %q, want T1 %q", c.ID, c.FirstName, c.LastName, c.CompanyName, c.OwnerID, row)
			}
			if len(c.Phones) != 1 || c.Phones[0].E164 != "+905321234567" {
				t.Errorf("phones = %+v", c.Phones)
			}
		})
	}
}

func TestMisdeclaredEncodingWarns(t *testing.T) {
	h := newHarness(t)
	h.write("c.csv", encode(t, charmap.Windows1252, stdHeader+"X1,Zoë,Müller,,,,,,\n"))
	h.mustConfigure(block("c.csv"))
	if len(h.log.lines("not valid UTF-8")) == 0 {
		t.Errorf("want a warning about the encoding; log:\n%s", h.log)
	}
	got := h.allContacts(0, zeroTime)
	if len(got) != 1 || got[0].FirstName != "Zo\uFFFD" {
		t.Errorf("got %+v, want the bad byte replaced by U+FFFD", got)
	}
}

func TestBrokenRows(t *testing.T) {
	// row joins cells into a line of the 10-column file below.
	row := func(cells ...string) string {
		for len(cells) < 10 {
			cells = append(cells, "")
		}
		return strings.Join(cells, ",") + "\n"
	}
	data := strings.TrimSuffix(stdHeader, "\n") + ",Balance\n" + // line 1
		row("B1", "Ok", "One") + // 2
		row("B2", "\"Multi\nline\nname\"", "Two") + // 3-5: one record over three lines
		"B3,Short,Row\n" + // 6: wrong field count
		row("", "No", "Id") + // 7: empty id
		row("B1", "Dup", "Licate") + // 8: duplicate id
		row("B4", "Bad \"quote", "x") + // 9: bare quote
		row() + // 10: blank row, ignored
		"\n" + // 11: empty line
		row("B5", "Bad", "Balance", "", "", "", "", "", "", "abc") + // 12: bad typed field
		row("B6", "Ok", "Six", "", "", "", "", "", "", "12.5") // 13

	fields := "fields:\n  balance: {column: Balance, type: number}"
	wantWarnings := []struct {
		line int
		what string
	}{
		{6, "3 fields, but the header has 10"},
		{7, "empty id (column CustomerID)"},
		{8, `duplicate id "B1" (first on line 2)`},
		{9, "broken quoting"},
		{12, `field balance: "abc" is not a number (column Balance)`},
	}

	t.Run("lenient", func(t *testing.T) {
		h := newHarness(t)
		h.write("customers.csv", []byte(data))
		h.mustConfigure(block("customers.csv", fields))
		if got := ids(h.allContacts(0, zeroTime)); !reflect.DeepEqual(got, []string{"B1", "B2", "B6"}) {
			t.Errorf("contacts = %v, want B1 B2 B6", got)
		}
		warnings := h.log.lines("(row skipped)")
		if len(warnings) != len(wantWarnings) {
			t.Fatalf("got %d skipped-row warnings, want %d; log:\n%s", len(warnings), len(wantWarnings), h.log)
		}
		for i, w := range wantWarnings {
			prefix := "customers.csv:" + strconv.Itoa(w.line) + ": "
			if !strings.Contains(warnings[i], prefix) || !strings.Contains(warnings[i], w.what) {
				t.Errorf("warning %d = %q, want %q and %q", i, warnings[i], prefix, w.what)
			}
		}
		check, err := h.c.Check(context.Background(), &connectors.CheckRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if want := "loaded 3 contacts, 0 companies from customers.csv (5 rows skipped)"; check.Detail != want || check.Records != 3 {
			t.Errorf("Check = %d %q, want 3 %q", check.Records, check.Detail, want)
		}
		b2 := h.allContacts(0, zeroTime)[1]
		if b2.FirstName != "Multi\nline\nname" {
			t.Errorf("multi-line field = %q", b2.FirstName)
		}
	})

	t.Run("strict", func(t *testing.T) {
		h := newHarness(t)
		h.write("customers.csv", []byte(data))
		_, err := h.configure(block("customers.csv", fields, "strict: true"))
		if err == nil {
			t.Fatal("strict Configure succeeded on a file with broken rows")
		}
		if connectors.ClassOf(err) != connectors.ClassBadConfig {
			t.Errorf("class = %q, want bad_config", connectors.ClassOf(err))
		}
		for _, w := range wantWarnings {
			if !strings.Contains(err.Error(), "customers.csv:"+strconv.Itoa(w.line)+": "+w.what) {
				t.Errorf("error does not list line %d %q:\n%v", w.line, w.what, err)
			}
		}
		if _, err := h.c.ListContacts(context.Background(), &connectors.ListRequest{}); err == nil {
			t.Error("a failed first Configure left data to list")
		}
	})

	t.Run("strict fails on an unreadable number", func(t *testing.T) {
		h := newHarness(t)
		h.write("c.csv", []byte(stdHeader+"X1,A,B,,,call me maybe,,,\n"))
		_, err := h.configure(block("c.csv", "strict: true"))
		if err == nil || !strings.Contains(err.Error(), "c.csv:2: column Phone") {
			t.Errorf("err = %v, want the unreadable number at c.csv:2", err)
		}
	})
}

func TestStrictErrorIsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString(stdHeader)
	for i := 0; i < 60; i++ {
		b.WriteString("short,row\n")
	}
	h := newHarness(t)
	h.write("c.csv", []byte(b.String()))
	_, err := h.configure(block("c.csv", "strict: true"))
	if err == nil {
		t.Fatal("want an error")
	}
	msg := err.Error()
	if n := strings.Count(msg, "c.csv:"); n != 50 {
		t.Errorf("error lists %d rows, want 50", n)
	}
	if !strings.Contains(msg, "and 10 more") || !strings.Contains(msg, "c.csv:51: ") || strings.Contains(msg, "c.csv:52: ") {
		t.Errorf("error does not cap the list at 50 + \"and 10 more\":\n%s", msg)
	}
}

func TestTypedFields(t *testing.T) {
	fields := `fields:
  balance: {column: Balance, type: number}
  vip: {column: VIP, type: bool}
  since: {column: Since, type: date}
  tier: {column: Tier}
  note: {column: Note, type: string}`
	tests := []struct {
		name  string
		cells string // Balance,VIP,Since,Tier,Note
		want  map[string]any
		err   string // the warning, if the row is skipped
	}{
		{"plain", "4250.50,true,2024-03-01,gold,hi", map[string]any{
			"balance": 4250.5, "vip": true, "since": "2024-03-01T00:00:00Z", "tier": "gold", "note": "hi"}, ""},
		{"decimal comma and yes/no", `"1.234,5",no,01.03.2024,silver,`, map[string]any{
			"balance": 1234.5, "vip": false, "since": "2024-03-01T00:00:00Z", "tier": "silver", "note": ""}, ""},
		{"thousands and evet", `"1,234.5",Evet,2024-03-01T09:30:00+03:00, bronze ,x`, map[string]any{
			"balance": 1234.5, "vip": true, "since": "2024-03-01T06:30:00Z", "tier": "bronze", "note": "x"}, ""},
		{"empty typed cells are nil", ",,,,", map[string]any{
			"balance": nil, "vip": nil, "since": nil, "tier": "", "note": ""}, ""},
		{"bad number", "12 EUR,true,2024-03-01,,", nil, `field balance: "12 EUR" is not a number`},
		{"bad bool", "1,maybe,2024-03-01,,", nil, `field vip: "maybe" is not true or false`},
		{"bad date", "1,true,03/01/2024,,", nil, `field since: "03/01/2024" is not a date`},
		{"NaN is not a number", "NaN,true,,,", nil, `field balance: "NaN" is not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.write("c.csv", []byte("CustomerID,Balance,VIP,Since,Tier,Note\nF1,"+tt.cells+"\n"))
			h.mustConfigure("path: c.csv\ncolumns: {id: CustomerID}\n" + fields)
			got := h.allContacts(0, zeroTime)
			if tt.err != "" {
				if len(got) != 0 {
					t.Errorf("row kept: %+v", got)
				}
				if w := h.log.lines("c.csv:2: " + tt.err); len(w) != 1 {
					t.Errorf("want warning %q; log:\n%s", tt.err, h.log)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d contacts; log:\n%s", len(got), h.log)
			}
			if !reflect.DeepEqual(got[0].Fields, tt.want) {
				t.Errorf("fields:\n got %#v\nwant %#v", got[0].Fields, tt.want)
			}
		})
	}
}

func TestHeaderlessFile(t *testing.T) {
	h := newHarness(t)
	h.write("c.csv", []byte("H1,Ada,+44 20 4520 5757\nH2,Bob,+90 532 123 45 67\nH3,short\n"))
	h.mustConfigure("path: c.csv\nheader: false\ncolumns: {id: '1', first_name: '2', phones: ['3']}\n")
	got := h.allContacts(0, zeroTime)
	if !reflect.DeepEqual(ids(got), []string{"H1", "H2"}) {
		t.Fatalf("contacts = %v, want H1 H2 (the first row is data, H3 is short)", ids(got))
	}
	if got[0].Phones[0].Label != "column 3" || got[0].FirstName != "Ada" {
		t.Errorf("first contact = %+v", got[0])
	}
	if w := h.log.lines("c.csv:3: 2 fields, but the first row has 3"); len(w) != 1 {
		t.Errorf("want a warning for line 3; log:\n%s", h.log)
	}
}
