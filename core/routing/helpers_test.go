package routing

import (
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/directory"
)

// Fixed clocks in the host's zone: a Wednesday morning and a Friday evening.
var (
	wednesday10 = time.Date(2025, time.March, 12, 10, 15, 0, 0, time.Local)
	friday19    = time.Date(2025, time.March, 14, 19, 5, 0, 0, time.Local)
)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

var turkishCaller = phone.Number{Raw: "0212 555 12 34", E164: "+902125551234", CountryCode: 90, National: "2125551234", Region: "TR"}

// contact is a found result for a contact with the given fields.
func contact(fields map[string]any) directory.Result {
	m := &connectors.Match{
		Kind:  connectors.MatchExact,
		Phone: connectors.Phone{Raw: "0212 555 12 34", E164: "+902125551234"},
		Contact: &connectors.Contact{
			ID: "C042", FirstName: "Ada", LastName: "Lovelace",
			CompanyID: "K7", CompanyName: "Analytical Ltd",
			Phones: []connectors.Phone{
				{Raw: "0212 555 12 34", E164: "+902125551234"},
				{Raw: "ext 9"}, // not normalised: not in record.phones
			},
			Emails:  []string{"ada@example.com", "al@example.com"},
			OwnerID: "U7", JobTitle: "CTO",
			Fields: fields,
		},
	}
	return directory.Result{Query: turkishCaller, Found: true, Match: m,
		Matches: []connectors.Match{*m}, Source: "customers", Via: directory.ViaIndex}
}

// company is a found result for a company.
func company(fields map[string]any) directory.Result {
	m := &connectors.Match{
		Kind: connectors.MatchNational,
		Company: &connectors.Company{ID: "K7", Name: "Analytical Ltd", OwnerID: "U9",
			Emails: []string{"info@example.com"},
			Phones: []connectors.Phone{{Raw: "2125551234", E164: "+902125551234"}},
			Fields: fields},
	}
	return directory.Result{Query: turkishCaller, Found: true, Match: m,
		Matches: []connectors.Match{*m}, Source: "crm", Via: directory.ViaLive}
}

func notFound() directory.Result {
	return directory.Result{Query: turkishCaller, Via: directory.ViaNone}
}

func failedLookup(n int) directory.Result {
	res := notFound()
	for range n {
		res.Errors = append(res.Errors, directory.SourceError{Source: "crm", Err: errors.New("timeout")})
	}
	return res
}

func ambiguous(n int) directory.Result {
	res := directory.Result{Query: turkishCaller, Ambiguous: true, Source: "customers", Via: directory.ViaIndex}
	for i := range n {
		kind := connectors.MatchSuffix
		if i == 1 {
			kind = connectors.MatchNational
		}
		res.Matches = append(res.Matches, connectors.Match{Kind: kind,
			Contact: &connectors.Contact{ID: string(rune('A' + i))}})
	}
	return res
}

func invalid() directory.Result {
	return directory.Result{Query: phone.Number{Raw: "abc"}, Via: directory.ViaNone,
		InvalidNumber: errors.New("phone: \"abc\" is not a phone number")}
}

// counterValue reads the counter name labelled with target and rule from
// reg; 0 when it is absent.
func counterValue(t *testing.T, reg *prometheus.Registry, name, target, rule string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if len(labels) == 2 && labels["target"] == target && labels["rule"] == rule {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// The tests of deciding (package routing_test) use the real targets,
// smartivr.Target and ringostat.Target, which import this package, so they
// live in the external test package and reach the fixtures above, and
// toText, through these.
var (
	Contact      = contact
	Company      = company
	NotFound     = notFound
	FailedLookup = failedLookup
	Ambiguous    = ambiguous
	Invalid      = invalid
	FixedClock   = fixedClock
	CounterValue = counterValue
	ToText       = toText
	Wednesday10  = wednesday10
	Friday19     = friday19
)
