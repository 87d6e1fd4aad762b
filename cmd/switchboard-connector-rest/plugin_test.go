package main

// The REST connector through its real plugin binary, launched by
// plugins/manager as the host launches it, configured with the example
// configs (configs/rest-*.yaml) pointed at the fakes and seeded with the
// conformance suite's dataset. The full suite runs in process over the
// plugin wire in connectors/rest; this checks the binary serves the same.

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/cmd/internal/pluginbench"
	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/connectors/hubspot/hubspottest"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/connectors/rest/pipedrivetest"
	"github.com/switchboard-hq/switchboard/connectors/rest/resttest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pluginbench.RemoveBuilds()
	os.Exit(code)
}

// block reads the first connector's config block of a configs/ file with
// ${VAR} resolved from env, else their defaults.
func block(t *testing.T, file string, env map[string]string) []byte {
	t.Helper()
	return resttest.ExampleBlock(t, "../../configs/"+file, env)
}

func pipedrive(t *testing.T, data *connectortest.Records) []byte {
	s := pipedrivetest.NewServer(pipedrivetest.Options{RateLimit: pipedrivetest.Unlimited, DailyBudget: pipedrivetest.Unlimited, Logger: hclog.NewNullLogger()})
	t.Cleanup(s.Close)
	for _, co := range data.Companies {
		id, _ := strconv.Atoi(co.ID)
		s.AddOrganization(pipedrivetest.Organization{ID: id, Name: co.Name, AddTime: co.UpdatedAt, UpdateTime: co.UpdatedAt})
	}
	for _, c := range data.Contacts {
		id, _ := strconv.Atoi(c.ID)
		org, _ := strconv.Atoi(c.CompanyID)
		owner, _ := strconv.Atoi(strings.TrimPrefix(c.OwnerID, "u-"))
		p := pipedrivetest.Person{ID: id, FirstName: c.FirstName, LastName: c.LastName, OrgID: org, OwnerID: owner,
			AddTime: c.UpdatedAt, UpdateTime: c.UpdatedAt}
		for _, ph := range c.Phones {
			p.Phones = append(p.Phones, pipedrivetest.Phone{Value: ph.Raw, Label: map[bool]string{true: "mobile", false: "work"}[ph.Label == connectortest.LabelMobile]})
		}
		for _, e := range c.Emails {
			p.Emails = append(p.Emails, pipedrivetest.Email{Value: e})
		}
		s.AddPerson(p)
	}
	return block(t, "rest-pipedrive.yaml", map[string]string{"PD_BASE_URL": s.URL(), "PD_TOKEN": pipedrivetest.DefaultAPIToken, "PD_OWNER_PREFIX": "u-"})
}

func hubspot(t *testing.T, data *connectortest.Records) []byte {
	const token = "pat-plugin-test"
	s := hubspottest.NewServer(hubspottest.Options{Token: token, Region: "GB", Logger: hclog.NewNullLogger(),
		TenSecondLimit: hubspottest.Unlimited, SearchPerSecond: hubspottest.Unlimited, DailyLimit: hubspottest.Unlimited})
	t.Cleanup(s.Close)
	for _, co := range data.Companies {
		if err := s.Put(hubspottest.Companies, hubspottest.Object{ID: co.ID, Properties: map[string]string{"name": co.Name}, UpdatedAt: co.UpdatedAt}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range data.Contacts {
		c := &data.Contacts[i]
		props := map[string]string{"firstname": c.FirstName, "lastname": c.LastName, "company": c.CompanyName, "hubspot_owner_id": c.OwnerID,
			"phone": connectortest.PhoneRaw(c, connectortest.LabelPhone), "mobilephone": connectortest.PhoneRaw(c, connectortest.LabelMobile)}
		if len(c.Emails) > 0 {
			props["email"] = c.Emails[0]
		}
		obj := hubspottest.Object{ID: c.ID, Properties: props, UpdatedAt: c.UpdatedAt}
		if c.CompanyID != "" {
			obj.Companies = []string{c.CompanyID}
		}
		if err := s.Put(hubspottest.Contacts, obj); err != nil {
			t.Fatal(err)
		}
	}
	return block(t, "rest-hubspot.yaml", map[string]string{"HUBSPOT_BASE_URL": s.URL(), "HUBSPOT_TOKEN": token})
}

// TestPluginBinary: every stored number of the dataset finds exactly its
// contacts (the shared one both), and the lists page to the dataset.
func TestPluginBinary(t *testing.T) {
	parser, err := phone.NewParser("GB")
	if err != nil {
		t.Fatal(err)
	}
	for name, fixture := range map[string]func(*testing.T, *connectortest.Records) []byte{"pipedrive": pipedrive, "hubspot": hubspot} {
		t.Run(name, func(t *testing.T) {
			data := connectortest.Dataset()
			c := pluginbench.StartPlugin(t, ".", "rest", fixture(t, data))
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			want := map[string][]string{}
			for _, ct := range data.Contacts {
				for _, p := range ct.Phones {
					want[p.E164] = append(want[p.E164], ct.ID)
				}
			}
			for e164, ids := range want {
				n, err := parser.ParseCaller(e164)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := c.LookupByPhone(ctx, &connectors.LookupRequest{E164: n.E164, National: n.National, Raw: e164})
				if err != nil {
					t.Fatalf("LookupByPhone(%s): %v", e164, err)
				}
				var got []string
				for _, m := range resp.Matches {
					got = append(got, m.Contact.ID)
					if m.Kind != connectors.MatchExact || m.Contact.CompanyName != data.Contact(m.Contact.ID).CompanyName {
						t.Errorf("LookupByPhone(%s): %s kind %s company %q", e164, m.Key(), m.Kind, m.Contact.CompanyName)
					}
				}
				slices.Sort(got)
				slices.Sort(ids)
				if !slices.Equal(got, ids) {
					t.Errorf("LookupByPhone(%s): %v; want %v", e164, got, ids)
				}
			}
			var listed []string
			cursor := ""
			for {
				resp, err := c.ListContacts(ctx, &connectors.ListRequest{Cursor: cursor, PageSize: 4})
				if err != nil {
					t.Fatalf("ListContacts: %v", err)
				}
				for _, ct := range resp.Contacts {
					listed = append(listed, ct.ID)
				}
				if cursor = resp.NextCursor; cursor == "" {
					break
				}
			}
			if len(listed) != len(data.Contacts) {
				t.Errorf("listed %v; want the %d contacts of the dataset", listed, len(data.Contacts))
			}
		})
	}
}
