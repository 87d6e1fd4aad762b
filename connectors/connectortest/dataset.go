package connectortest

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Phone slots: the Label of every phone in the dataset is one of these,
// naming the field or column a fixture stores it in.
const (
	LabelPhone  = "phone"
	LabelMobile = "mobile"
)

// Region is the default phone region every fixture's config must use: the
// dataset's national-format numbers are British.
const Region = "GB"

// Records is a dataset a fixture loads into its backend: contacts and
// companies in ID order. See the package documentation for what a fixture
// must store.
type Records struct {
	Companies []connectors.Company
	Contacts  []connectors.Contact
}

// Contact returns the contact with the id, or nil.
func (r *Records) Contact(id string) *connectors.Contact {
	for i := range r.Contacts {
		if r.Contacts[i].ID == id {
			return &r.Contacts[i]
		}
	}
	return nil
}

// Company returns the company with the id, or nil.
func (r *Records) Company(id string) *connectors.Company {
	for i := range r.Companies {
		if r.Companies[i].ID == id {
			return &r.Companies[i]
		}
	}
	return nil
}

// PhoneRaw returns the raw number c holds in the slot (LabelPhone or
// LabelMobile), or "".
func PhoneRaw(c *connectors.Contact, label string) string {
	for _, p := range c.Phones {
		if p.Label == label {
			return p.Raw
		}
	}
	return ""
}

// CSVHeader is the header WriteCSV writes.
var CSVHeader = []string{"id", "first_name", "last_name", "company_id", "company", "phone", "mobile", "email", "owner", "updated_at"}

// KeyFields lists the key fields the contacts hold (FieldAccountNo,
// FieldOrderNumbers: KeyDataset's), in that order; none for the other
// datasets. A fixture maps these as fields.
func (r *Records) KeyFields() []string {
	var out []string
	for _, f := range []string{FieldAccountNo, FieldOrderNumbers} {
		for i := range r.Contacts {
			if _, ok := r.Contacts[i].Fields[f]; ok {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// WriteCSV writes the contacts as a CSV file with CSVHeader, one row per
// contact, updated_at in RFC 3339, and after it a column of each of
// KeyFields (a contact without the field leaves it empty). It is a
// convenience for fixtures of file-based connectors.
func (r *Records) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	keys := r.KeyFields()
	if err := cw.Write(append(slices.Clone(CSVHeader), keys...)); err != nil {
		return err
	}
	for i := range r.Contacts {
		c := &r.Contacts[i]
		email := ""
		if len(c.Emails) > 0 {
			email = c.Emails[0]
		}
		row := []string{c.ID, c.FirstName, c.LastName, c.CompanyID, c.CompanyName,
			PhoneRaw(c, LabelPhone), PhoneRaw(c, LabelMobile), email, c.OwnerID, c.UpdatedAt.UTC().Format(time.RFC3339)}
		for _, k := range keys {
			v, _ := c.Fields[k].(string)
			row = append(row, v)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Numbers the standard dataset is built around, in E.164. Suite checks use
// them; fixtures need not.
const (
	// AdaPhone is contact 1001's phone, stored "+44 20 4520 5757".
	AdaPhone = "+442045205757"
	// SharedPhone is stored for contacts 1002 ("020 7946 0999") and 1003
	// ("+44 (0)20 7946 0999"): a lookup must return both.
	SharedPhone = "+442079460999"
	// UnknownPhone is held by nobody.
	UnknownPhone = "+447700900999"
)

// base is the first record's UpdatedAt; each later record is an hour on.
var base = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

// Dataset returns the standard dataset (a fresh copy each call): 4
// companies and 15 contacts with British and Turkish numbers in messy
// formats (national, +44 (0), 00 prefix, dots, an extension), a number
// shared by two contacts, a contact with two numbers, one without numbers
// and one without a company, and non-ASCII names.
func Dataset() *Records {
	companies := []connectors.Company{
		{ID: "2001", Name: "Analytical Engines Ltd"},
		{ID: "2002", Name: "Difference Works"},
		{ID: "2003", Name: "Boğaziçi Ticaret A.Ş."},
		{ID: "2004", Name: "Société Newtonienne"},
	}
	type row struct {
		id, first, last, company, phone, phoneE164, mobile, mobileE164, owner string
	}
	rows := []row{
		{"1001", "Ada", "Lovelace", "2001", "+44 20 4520 5757", AdaPhone, "07911 123456", "+447911123456", "u-17"},
		{"1002", "Charles", "Babbage", "2001", "020 7946 0999", SharedPhone, "+447700900456", "+447700900456", "u-17"},
		{"1003", "Mary", "Somerville", "2002", "+44 (0)20 7946 0999", SharedPhone, "", "", "u-22"},
		{"1004", "Ayşe", "Yılmaz", "2003", "+90 532 123 45 67", "+905321234567", "0090 212 555 12 34", "+902125551234", "u-31"},
		{"1005", "Grace", "Hopper", "", "(020) 7946-0958 ext. 101", "+442079460958", "", "", "u-22"},
		{"1006", "Alan", "Turing", "2002", "", "", "", "", ""},
		{"1007", "Émilie", "du Châtelet", "2004", "0044 20 7946 0321", "+442079460321", "+44.7700.900.789", "+447700900789", "u-31"},
	}
	for i := 8; i <= 15; i++ {
		rows = append(rows, row{
			id: fmt.Sprintf("10%02d", i), first: "Contact", last: fmt.Sprintf("Number %d", i),
			company:   companies[i%len(companies)].ID,
			phone:     fmt.Sprintf("+44 20 7946 01%02d", i),
			phoneE164: fmt.Sprintf("+4420794601%02d", i),
			owner:     fmt.Sprintf("u-%d", 40+i),
		})
	}

	d := &Records{Companies: companies}
	for i, r := range rows {
		c := connectors.Contact{
			ID: r.id, FirstName: r.first, LastName: r.last, CompanyID: r.company,
			OwnerID:   r.owner,
			Emails:    []string{strings.ToLower(fmt.Sprintf("c%s@example.com", r.id))},
			UpdatedAt: base.Add(time.Duration(i) * time.Hour),
		}
		if co := d.Company(r.company); co != nil {
			c.CompanyName = co.Name
		}
		if r.phone != "" {
			c.Phones = append(c.Phones, connectors.Phone{Raw: r.phone, Label: LabelPhone, E164: r.phoneE164})
		}
		if r.mobile != "" {
			c.Phones = append(c.Phones, connectors.Phone{Raw: r.mobile, Label: LabelMobile, E164: r.mobileE164})
		}
		d.Contacts = append(d.Contacts, c)
	}
	for i := range d.Companies {
		d.Companies[i].UpdatedAt = base.Add(-time.Duration(len(d.Companies)-i) * time.Hour)
	}
	return d
}

// LargeDataset returns n contacts (1 ≤ n ≤ 1000, IDs "3000001"...) of
// about recordBytes bytes each (most of it in LastName), all of company
// "2001", each with one mobile number. The suite uses it to send a page
// bigger than gRPC's 4 MB default through the wire.
func LargeDataset(n, recordBytes int) *Records {
	n = max(1, min(n, 1000))
	filler := strings.Repeat("Lorem ipsum dolor sit amet ", recordBytes/27+1)[:max(1, recordBytes-100)]
	d := &Records{Companies: []connectors.Company{{ID: "2001", Name: "Analytical Engines Ltd", UpdatedAt: base}}}
	for i := 0; i < n; i++ {
		d.Contacts = append(d.Contacts, connectors.Contact{
			ID:          fmt.Sprintf("%d", 3000001+i),
			FirstName:   "Large",
			LastName:    filler,
			CompanyID:   "2001",
			CompanyName: "Analytical Engines Ltd",
			Phones: []connectors.Phone{{
				Raw: fmt.Sprintf("+44 7700 900%03d", i), Label: LabelMobile, E164: fmt.Sprintf("+447700900%03d", i),
			}},
			OwnerID:   "u-1",
			UpdatedAt: base.Add(time.Duration(i) * time.Second),
		})
	}
	return d
}
