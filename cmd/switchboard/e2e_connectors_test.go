package main

// End-to-end tests of several connectors at once, in lookup order: the real
// host with the real PostgreSQL and HubSpot plugins, a real PostgreSQL
// (pgtest) and the fake HubSpot (hubspottest) on 127.0.0.1.

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors/hubspot/hubspottest"
	"github.com/switchboard-hq/switchboard/connectors/postgres/pgtest"
)

// hubspotToken is the fake HubSpot's private app token; it must never
// appear in the host's log.
const hubspotToken = "pat-eu1-5e1f0c2a-7b3d-4c9e-a1f2-0123456789ab"

// TestE2EPostgresThenHubSpot serves rings from PostgreSQL (mode: live,
// first) and HubSpot (mode: index, second): the first connector with a
// match answers, HubSpot contacts and companies are found from the host's
// index (no search request, so HubSpot's search lag and 5/s limit do not
// matter), and a contact added to HubSpot is found after the next refresh.
func TestE2EPostgresThenHubSpot(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	pgCustomers(t, dsn, `(1, 'Ada Lovelace', '020 4520 5757', '+442045205757', '1093')`)

	hs := hubspottest.NewServer(hubspottest.Options{Token: hubspotToken, Region: "GB", SearchLag: time.Hour})
	t.Cleanup(hs.Close)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(hs.Put(hubspottest.Companies, hubspottest.Object{ID: "900",
		Properties: map[string]string{"name": "Acme Ltd", "phone": "+44 161 496 0000", "account_ext": "2003"}}))
	must(hs.Put(hubspottest.Contacts,
		hubspottest.Object{ID: "101", Properties: map[string]string{"firstname": "Ada", "lastname": "(HubSpot copy)",
			"phone": "+44 20 4520 5757", "manager_ext": "2001"}, Companies: []string{"900"}},
		hubspottest.Object{ID: "102", Properties: map[string]string{"firstname": "Grace", "lastname": "Hopper",
			"mobilephone": "07911 123456", "manager_ext": "2002"}},
		hubspottest.Object{ID: "103", Properties: map[string]string{"firstname": "Front", "lastname": "Desk A", "phone": "020 7946 0111"}},
		hubspottest.Object{ID: "104", Properties: map[string]string{"firstname": "Front", "lastname": "Desk B", "phone": "+44 (0)20 7946 0111"}},
	))

	cfg := writeConfig(t, t.TempDir(), "two.yaml", `server:
  listen: "127.0.0.1:${SB_PORT}"
log:
  level: ${SB_LOG_LEVEL}
phone:
  default_region: GB
plugins:
  dir: ${SB_PLUGIN_DIR}
connectors:
`+pgCustomersConnector("SB_TEST_PG_DSN")+`  - name: hubspot
    plugin: hubspot
    mode: index
    refresh: 300ms
    config:
      base_url: ${SB_TEST_HUBSPOT_URL}
      token: ${SB_TEST_HUBSPOT_TOKEN}
      fields:
        manager_ext: {property: manager_ext}
      company_fields:
        manager_ext: {property: account_ext}
directory:
  deadline: 1s
  cache:
    size: 0
`+managerRouting)
	env := []string{"SB_TEST_PG_DSN=" + dsn, "SB_TEST_HUBSPOT_URL=" + hs.URL(), "SB_TEST_HUBSPOT_TOKEN=" + hubspotToken}
	h := startHost(t, cfg, env...)

	for _, tc := range []struct{ name, caller, want string }{
		{"in both: the first connector (PostgreSQL) answers", "+442045205757", "1093"},
		{"HubSpot contact, mobile stored nationally", "447911123456", "2002"},
		{"HubSpot company", "+441614960000", "2003"},
		{"two HubSpot contacts share a number", "+442079460111", "1002"},
		{"nobody", "+447700900999", "1000"},
	} {
		if _, ext := h.ivr(`{"caller":"` + tc.caller + `"}`); ext != tc.want {
			t.Errorf("%s: caller %s → extension %s, want %s", tc.name, tc.caller, ext, tc.want)
		}
	}

	// A contact added in HubSpot is served after the next index refresh,
	// although search would not show it for an hour.
	hs.Create(hubspottest.Contacts, map[string]string{"firstname": "New", "phone": "020 7946 0555", "manager_ext": "2005"})
	eventually(t, 15*time.Second, func() (bool, string) {
		_, ext := h.ivr(`{"caller":"+442079460555"}`)
		return ext == "2005", "the new HubSpot contact answers " + ext
	})

	if n := hs.Count(hubspottest.RouteSearch); n != 0 {
		t.Errorf("HubSpot got %d search requests; index mode must only list", n)
	}
	for _, r := range hs.Requests() {
		if r.Status == 429 {
			t.Errorf("HubSpot refused a request with 429 (%s %s): the connector's limiter let too many through", r.Method, r.Path)
		}
	}
	h.logsHide(hubspotToken, dsn)

	cli(t, append(env, "SB_PORT=0", "SB_LOG_LEVEL=info"), "lookup", "-config", cfg, "07911 123456").
		exits(0).stdoutHas("via index/hubspot", "Grace Hopper", "2002")
}

// TestE2EHubSpotTokenRefused: a token HubSpot refuses stops the start with
// the token's file:line:col, and the token is not printed.
func TestE2EHubSpotTokenRefused(t *testing.T) {
	t.Parallel()
	hs := hubspottest.NewServer(hubspottest.Options{Token: hubspotToken, Region: "GB"})
	t.Cleanup(hs.Close)
	const wrong = "pat-eu1-revoked-0000-1111"
	cfg := writeConfig(t, t.TempDir(), "tok.yaml", `phone:
  default_region: GB
plugins:
  dir: ${SB_PLUGIN_DIR}
connectors:
  - name: hubspot
    plugin: hubspot
    config:
      base_url: `+hs.URL()+`
      token: ${SB_TEST_HUBSPOT_TOKEN}
routing:
  default:
    hipcall: "1000"
`)
	r := cli(t, []string{"SB_TEST_HUBSPOT_TOKEN=" + wrong}, "lookup", "-config", cfg, "+442045205757")
	if r.code == 0 {
		t.Errorf("%s: exit 0; want a failure at tok.yaml:10:14 saying the token was refused\nstdout: %s", r, r.stdout)
	}
	r.stderrHas("tok.yaml:10:14:", "HubSpot refused the token")
	if strings.Contains(r.stdout+r.stderr, wrong) {
		t.Errorf("the token was printed:\n%s\n%s", r.stdout, r.stderr)
	}
}

// TestE2EValidateConnectorBlocks: `switchboard validate` asks each plugin
// to check its own block, without connecting, and reports every problem of
// both at its file:line:col.
func TestE2EValidateConnectorBlocks(t *testing.T) {
	t.Parallel()
	bad := writeConfig(t, t.TempDir(), "bad.yaml", `phone:
  default_region: GB
plugins:
  dir: ${SB_PLUGIN_DIR}
connectors:
  - name: crm
    plugin: postgres
    config:
      dsn: postgres://switchboard@127.0.0.1:1/crm
      table: customers
      columns:
        id: id
        phone: [phone]
  - name: hubspot
    plugin: hubspot
    config:
      token: x
      page_size: 500
      rate_limit:
        search_per_second: 0
      fields:
        tier: {property: tier, type: txt}
routing:
  default:
    hipcall: "1000"
`)
	cli(t, nil, "validate", "-config", bad).mustExit(exitUsage).stderrHas(
		"bad.yaml:13:16:", `unknown key "phone" (did you mean "phones"?)`, // postgres columns.phone
		"bad.yaml:18:18:", "page_size must be between 1 and 100", // hubspot page_size
		"bad.yaml:20:28:", "search_per_second must be between 1 and 10000", // hubspot rate_limit.search_per_second
		"bad.yaml:22:38:", `unknown field type "txt"`, // hubspot fields.tier.type
	)
}
