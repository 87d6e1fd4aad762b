package host

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/core/config"
)

// TestBuildReportsEveryProblemWithPositions builds hosts the way `switchboard
// validate` does (no connectors, so no plugin starts) and checks that the
// problems raised past config.Load (routing's, and the checks across
// sections) come back all at once, each at file:line:col.
func TestBuildReportsEveryProblemWithPositions(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string // every line, in order
	}{
		{
			name: "write timeout below the smart IVR and Ringostat deadlines",
			yaml: `phone: {default_region: GB}
connectors: [{name: crm, plugin: csv, path: no-such-plugin}]
server:
  write_timeout: 1s
hipcall:
  smart_ivr:
    deadline: 1500ms
ringostat:
  enabled: true
  deadline: 1200ms
routing:
  default: {hipcall: "100"}
`,
			want: []string{
				`c.yaml:2:14: connector "crm": plugin "csv" for connector "crm" not found`,
				"c.yaml:7:15: hipcall.smart_ivr.deadline (1.5s) must be shorter than server.write_timeout (1s), or the answer could not be written in time: raise server.write_timeout or lower the deadline",
				"c.yaml:10:13: ringostat.deadline (1.2s) must be shorter than server.write_timeout (1s), or the answer could not be written in time: raise server.write_timeout or lower the deadline",
			},
		},
		{
			name: "routing rules",
			yaml: `phone: {default_region: GB}
connectors: [{name: crm, plugin: csv, path: no-such-plugin}]
routing:
  default:
    ringostat: "not a destination!"
    asterisk: "1"
  rules:
    - name: both
      when: found
      to: {hipcall: "200"}
      to_expr: {hipcall: record.ext}
    - name: neither
      when: found
    - to: {hipcall: "300"}
    - name: typo
      when: found && balanse > 1
      to: {hipcall: "bad ext"}
    - name: both
      when: true
      to_expr: {ringostat: "[1]"}
`,
			want: []string{
				`c.yaml:2:14: connector "crm": plugin "csv" for connector "crm" not found`,
				`c.yaml:4:3: routing.default.hipcall: routing.default.hipcall is required: it takes every hipcall call no rule routes`,
				`c.yaml:5:16: routing.default.ringostat: destination "not a destination!" is not a SIP login`,
				`c.yaml:6:15: routing.default.asterisk "asterisk" is not a phone system this host serves (known: hipcall, ringostat)`,
				`c.yaml:11:26: routing.rules[0].to_expr.hipcall: rule "both" has both to.hipcall and to_expr.hipcall: keep exactly one`,
				`c.yaml:12:7: routing.rules[1]: rule "neither" has no destination: give it to (fixed destinations) or to_expr (expressions), keyed by phone system (hipcall, ringostat)`,
				`c.yaml:14:7: routing.rules[2].name: name is required`,
				`c.yaml:14:7: routing.rules[2].when: when is required`,
				`c.yaml:16:13: routing.rules[3].when: unknown name balanse`,
				`c.yaml:17:21: routing.rules[3].to.hipcall: extension "bad ext" has ' ' at position 4`,
				`c.yaml:18:13: routing.rules[4].name: name "both" is already used by rule 0: rule names must be unique`,
				`c.yaml:20:28: routing.rules[4].to_expr.ringostat: yields []interface {}: it must yield a string or a whole number`,
			},
		},
		{
			name: "external management, speed dial and a PIN in the sync",
			yaml: `phone: {default_region: GB}
connectors:
  - name: crm
    plugin: csv
    path: no-such-plugin
    keys:
      account: account_no
      pin: {field: pin_hash, hash: sha256}
routing:
  default: {hipcall: "100"}
hipcall:
  external_management:
    enabled: true
    default: "100"
    steps:
      start:
        then:
          - when: found && balanse > 1
            goto: ask
          - connect: "100"
      ask:
        gather: {ask: "https://a.example/x.wav"}
        find: acount
        then:
          - connect: rules
  speed_dial:
    enabled: true
    key: order
    allow: user_id == "3508"
sync:
  contacts:
    fields:
      custom_fields.pin: fields.pin_hash
`,
			want: []string{
				`c.yaml:3:5: connector "crm": plugin "csv" for connector "crm" not found`,
				`c.yaml:18:19: hipcall.external_management.steps.start.then[0].when: unknown name balanse (1:10)`,
				`c.yaml:23:15: hipcall.external_management.steps.ask.find: names no lookup key: "acount" is not configured (the keys are account, pin)`,
				`c.yaml:28:10: hipcall.speed_dial.key: names no lookup key: "order" is not configured`,
				`c.yaml:29:12: hipcall.speed_dial.allow: invalid operation: == (mismatched types int64 and string) (1:9)`,
				`c.yaml:33:26: sync.contacts.fields.custom_fields.pin: reads pin_hash, the field of a hashed lookup key (a PIN)`,
			},
		},
	}
	cases = append(cases, []struct {
		name, yaml string
		want       []string
	}{
		{
			name: "no connector",
			yaml: "phone: {default_region: GB}\nrouting: {default: {hipcall: \"1\"}}\n",
			want: []string{"c.yaml:1:1: connectors: at least one connector is required: add an entry under connectors: with a name and a plugin"},
		},
		{
			name: "connector names and timeouts",
			yaml: `phone: {default_region: GB}
directory: {deadline: 1s}
connectors:
  - {name: Customers, plugin: csv, path: no-such-plugin}
  - {name: crm, plugin: csv, path: no-such-plugin, timeout: 1s}
  - {name: crm, plugin: csv, path: no-such-plugin}
  - {plugin: csv, path: no-such-plugin}
routing: {default: {hipcall: "1"}}
`,
			want: []string{
				`c.yaml:4:5: connector "Customers": plugin "csv" for connector "Customers" not found`,
				`c.yaml:4:12: connectors[0].name "Customers" may only contain a-z, 0-9, _ and -`,
				`c.yaml:5:5: connector "crm": plugin "csv" for connector "crm" not found`,
				`c.yaml:5:61: connectors[1].timeout (1s) must be shorter than directory.deadline (1s), or lookups give up before the connector can answer`,
				`c.yaml:6:5: connector "crm": plugin "csv" for connector "crm" not found`,
				`c.yaml:6:12: connectors[2].name "crm" is already the name of connectors[1] (at c.yaml:5:12); connector names must be unique`,
				`c.yaml:7:5: connector "": plugin "csv"`,
				`c.yaml:7:5: connectors[3].name is required: give the connector a unique name such as "customers"`,
			},
		},
		{
			name: "webhook path and authentication, sync source",
			yaml: `phone: {default_region: GB}
connectors: [{name: customers, plugin: csv, path: no-such-plugin}]
hipcall:
  webhook:
    enabled: true
    path: /hipcall/smart-ivr
sync:
  source: customer
routing: {default: {hipcall: "1"}}
`,
			want: []string{
				`c.yaml:2:14: connector "customers": plugin "csv" for connector "customers" not found`,
				`c.yaml:4:3: hipcall.webhook is enabled without authentication: Hipcall signs nothing, so set token (a secret in the URL), basic_auth or allow_from, or set insecure_no_auth: true for a local trial`,
				`c.yaml:6:11: hipcall.webhook.path "/hipcall/smart-ivr" is also hipcall.smart_ivr.path: give each endpoint its own path`,
				`c.yaml:8:11: sync.source "customer" is not a connector name (did you mean "customers"?)`,
			},
		},
		{
			name: "webhook on a built-in path, unknown sync source",
			yaml: `phone: {default_region: GB}
connectors: [{name: customers, plugin: csv, path: no-such-plugin}]
hipcall:
  webhook: {enabled: true, path: /metrics, insecure_no_auth: true}
sync: {source: zzz}
routing: {default: {hipcall: "1"}}
`,
			want: []string{
				`c.yaml:2:14: connector "customers": plugin "csv" for connector "customers" not found`,
				`c.yaml:4:34: hipcall.webhook.path "/metrics" is a built-in endpoint: choose another path`,
				`c.yaml:5:16: sync.source "zzz" is not a connector name; use one of customers`,
			},
		},
		{
			name: "lookup endpoints on an open listener need credentials",
			yaml: `server: {listen: "0.0.0.0:5008"}
phone: {default_region: GB}
connectors: [{name: crm, plugin: csv, path: no-such-plugin}]
hipcall:
  smart_ivr: {path: /ivr}
ringostat: {enabled: true}
routing: {default: {hipcall: "1"}}
`,
			want: []string{
				`c.yaml:3:14: connector "crm": plugin "csv" for connector "crm" not found`,
				`c.yaml:5:14: hipcall.smart_ivr is served without credentials on server.listen "0.0.0.0:5008", which other machines reach, and its answers come from CRM data: set basic_auth (Hipcall's Smart IVR sends Basic Auth), listen on 127.0.0.1, or set insecure_no_auth: true if something in front of Switchboard authenticates`,
				`c.yaml:6:12: ringostat is served without credentials on server.listen "0.0.0.0:5008", which other machines reach, and its answers come from CRM data: set token (or basic_auth), listen on 127.0.0.1, or set insecure_no_auth: true if something in front of Switchboard authenticates`,
			},
		},
		{
			name: "open listener with credentials or insecure_no_auth",
			yaml: `server: {listen: ":5008", admin: {listen: ":5009", insecure_no_auth: true}}
phone: {default_region: GB}
connectors: [{name: crm, plugin: csv, path: no-such-plugin}]
hipcall:
  smart_ivr: {basic_auth: {username: hipcall, password: pw}}
ringostat: {enabled: true, insecure_no_auth: true}
routing: {default: {hipcall: "1"}}
`,
			want: []string{
				`c.yaml:3:14: connector "crm": plugin "csv" for connector "crm" not found`,
			},
		},
		{
			name: "endpoint paths",
			yaml: `phone: {default_region: GB}
connectors: [{name: crm, plugin: csv, path: no-such-plugin}]
hipcall:
  smart_ivr: {path: /route}
  webhook: {enabled: true, path: /metrics, insecure_no_auth: true}
ringostat: {enabled: true, path: /route}
routing: {default: {hipcall: "1"}}
`,
			want: []string{
				`c.yaml:2:14: connector "crm": plugin "csv" for connector "crm" not found`,
				`c.yaml:5:34: hipcall.webhook.path "/metrics" is a built-in endpoint: choose another path`,
				`c.yaml:6:34: ringostat.path "/route" is also hipcall.smart_ivr.path: give each endpoint its own path`,
			},
		},
	}...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.LoadBytes("c.yaml", []byte(tc.yaml), t.TempDir(), func(string) (string, bool) { return "", false })
			if err != nil {
				t.Fatalf("config.Load: %v", err)
			}
			h, err := Build(context.Background(), cfg, Options{ValidateOnly: true, Logger: hclog.NewNullLogger()})
			if err == nil {
				h.Close()
				t.Fatal("Build succeeded; want problems")
			}
			var ps *config.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("Build: %T %v, want *config.Problems", err, err)
			}
			got := strings.Split(ps.Error(), "\n")
			if len(got) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tc.want), ps.Error())
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("problem %d:\n got %s\nwant %s...", i, got[i], tc.want[i])
				}
			}
		})
	}
}
