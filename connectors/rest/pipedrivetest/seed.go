package pipedrivetest

import "time"

// SeedTime is the add_time of every seeded record and the update_time of
// the seeded organizations; seeded person n was last updated n hours later,
// except person 7, updated in the same second as person 6.
var SeedTime = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// Seeded owners (user ids).
const (
	SeedOwnerA = 11
	SeedOwnerB = 12
)

// SeedData returns the deterministic sample the Seed method stores: three
// organizations and ten persons whose phone numbers are stored as people
// type them, so that a client must search several forms of a number and
// re-check what it finds:
//
//	org 1 Lovelace Analytics Ltd  owner 11  phone "+44 20 4520 5700"; an address
//	org 2 Boğaziçi Tekstil A.Ş.   owner 12  phones "(0212) 444 55 00", "0212 444 55 01"; an address
//	org 3 Quiet Holdings GmbH     no owner, no phone, no address
//
//	person  1 Ada Lovelace        org 1  owner 11  "020 4520 5757" (national form)
//	person  2 Charles Babbage     org 1  owner 11  "+44 20 4520 5757" (the same number, international)
//	person  3 Grace Hopper        -      owner 12  "+44 20 7946 0018 ext. 12", mobile "07700 900123"
//	person  4 Ahmet Yılmaz        org 2  owner 12  "(0212) 444 55 66", mobile "00905321234567"
//	person  5 Ayşe Kaya           org 2  no owner  mobile "0532 123 45 67" (person 4's mobile, national form)
//	person  6 Lovelace Front Desk org 1  owner 11  "+44 20 4520 5700" (org 1's number)
//	person  7 Lovelace Night Desk org 1  owner 11  "+44 20 4520 5700" (the same text as person 6)
//	person  8 Emma Mailonly       org 3  owner 12  no phone; two emails
//	person  9 Alan Turing         -      owner 11  "+1 (415) 555-0132"
//	person 10 Unknown Caller      -      owner 12  "ask reception" (no digits at all)
//
// UK numbers are in the 020 4520 and 020 7946 ranges; +1 415 555-01xx is
// a fictional range; the Turkish ones are made up.
func SeedData() ([]Organization, []Person) {
	t := SeedTime
	ph := func(v string, primary bool, label string) Phone {
		return Phone{Value: v, Primary: primary, Label: label}
	}
	em := func(v string, primary bool) Email { return Email{Value: v, Primary: primary, Label: "work"} }
	orgs := []Organization{
		{ID: 1, Name: "Lovelace Analytics Ltd", OwnerID: SeedOwnerA,
			Phones:  []Phone{ph("+44 20 4520 5700", true, "work")},
			Address: &Address{Value: "1 Difference Engine Row, London EC1A 1AA, United Kingdom", Locality: "London", Country: "United Kingdom"}},
		{ID: 2, Name: "Boğaziçi Tekstil A.Ş.", OwnerID: SeedOwnerB,
			Phones:  []Phone{ph("(0212) 444 55 00", true, "work"), ph("0212 444 55 01", false, "other")},
			Address: &Address{Value: "Büyükdere Cad. 1, Şişli, İstanbul, Türkiye", Locality: "İstanbul", Country: "Türkiye"}},
		{ID: 3, Name: "Quiet Holdings GmbH"},
	}
	for i := range orgs {
		orgs[i].AddTime, orgs[i].UpdateTime = t, t
	}
	persons := []Person{
		{ID: 1, FirstName: "Ada", LastName: "Lovelace", OrgID: 1, OwnerID: SeedOwnerA,
			Phones: []Phone{ph("020 4520 5757", true, "work")}, Emails: []Email{em("ada@lovelace.example", true)}},
		{ID: 2, FirstName: "Charles", LastName: "Babbage", OrgID: 1, OwnerID: SeedOwnerA,
			Phones: []Phone{ph("+44 20 4520 5757", true, "work")}, Emails: []Email{em("charles@lovelace.example", true)}},
		{ID: 3, FirstName: "Grace", LastName: "Hopper", OwnerID: SeedOwnerB,
			Phones: []Phone{ph("+44 20 7946 0018 ext. 12", true, "work"), ph("07700 900123", false, "mobile")},
			Emails: []Email{em("grace@hopper.example", true)}},
		{ID: 4, FirstName: "Ahmet", LastName: "Yılmaz", OrgID: 2, OwnerID: SeedOwnerB,
			Phones: []Phone{ph("(0212) 444 55 66", true, "work"), ph("00905321234567", false, "mobile")}},
		{ID: 5, FirstName: "Ayşe", LastName: "Kaya", OrgID: 2,
			Phones: []Phone{ph("0532 123 45 67", true, "mobile")}, Emails: []Email{em("ayse@tekstil.example", true)}},
		{ID: 6, Name: "Lovelace Front Desk", OrgID: 1, OwnerID: SeedOwnerA,
			Phones: []Phone{ph("+44 20 4520 5700", true, "work")}},
		{ID: 7, Name: "Lovelace Night Desk", OrgID: 1, OwnerID: SeedOwnerA,
			Phones: []Phone{ph("+44 20 4520 5700", true, "work")}},
		{ID: 8, FirstName: "Emma", LastName: "Mailonly", OrgID: 3, OwnerID: SeedOwnerB,
			Emails: []Email{em("emma@quiet.example", true), {Value: "emma.home@mail.example", Label: "home"}}},
		{ID: 9, FirstName: "Alan", LastName: "Turing", OwnerID: SeedOwnerA,
			Phones: []Phone{ph("+1 (415) 555-0132", true, "work")}},
		{ID: 10, Name: "Unknown Caller", OwnerID: SeedOwnerB,
			Phones: []Phone{ph("ask reception", true, "other")}},
	}
	for i := range persons {
		persons[i].AddTime = t
		persons[i].UpdateTime = t.Add(time.Duration(persons[i].ID) * time.Hour)
	}
	persons[6].UpdateTime = persons[5].UpdateTime
	return orgs, persons
}

// Seed stores SeedData. Call it on an empty server: it panics on a taken
// id.
func (s *Server) Seed() {
	orgs, persons := SeedData()
	for _, o := range orgs {
		s.AddOrganization(o)
	}
	for _, p := range persons {
		s.AddPerson(p)
	}
}
