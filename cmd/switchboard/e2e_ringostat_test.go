package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Ringostat answers for the sample data (configs/sample/customers.csv):
// Ada's manager's phone "+44 7700 900017", Ayşe's "3 80501234567" (the
// spaced format Ringostat itself uses), the shared office line's reception
// login, and the configured default for strangers.
const (
	ringoAda       = "447700900017"
	ringoAyse      = "380501234567"
	ringoReception = "reception"
	ringoSupport   = "support"
	ringoDefault   = "442079460000" // routing.default.ringostat "+44 20 7946 0000"
	ringoE2EToken  = "e2e-ringostat-token-5d0c9a"
)

// ringostatConfig is a config over the sample CSV in the given mode with the
// Ringostat endpoint enabled; section holds further ringostat: keys,
// indented by two spaces.
func ringostatConfig(mode, section string) string {
	return sampleCSVConfig(mode, `ringostat:
  enabled: true
`+section+`
routing:
  default:
    hipcall: "1000"
    ringostat: "+44 20 7946 0000"
  rules:
    - name: several-records
      when: ambiguous
      to:
        hipcall: "1002"
        ringostat: reception
    - name: account-manager
      when: found && record.manager_ext != ""
      to_expr:
        hipcall: record.manager_ext
    - name: manager-phone
      when: found && record.manager_phone != ""
      to_expr:
        ringostat: record.manager_phone
    - name: known
      when: found
      to:
        hipcall: "1001"
        ringostat: support
`)
}

// ringoReply is an answer as Ringostat receives it.
type ringoReply struct {
	code        int
	contentType string
	body        string
}

// ringostat sends one request to the host within Ringostat's 3 s timeout.
func (h *hostProc) ringostat(method, target, body string, header map[string]string) ringoReply {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, h.url(target), rd)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("User-Agent", "ringostat HTTP Client v1.1")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, target, err)
	}
	return ringoReply{code: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: readAll(resp)}
}

func TestE2ERingostat(t *testing.T) {
	t.Parallel()
	jsonCT := map[string]string{"Content-Type": "application/json"}
	type exchange struct {
		name, method, target, body string
		header                     map[string]string
		want                       ringoReply
	}
	text := func(s string) ringoReply { return ringoReply{200, "text/plain; charset=utf-8", s} }
	rpc := func(id, dest string) ringoReply {
		return ringoReply{200, "application/json", `{"jsonrpc":"2.0","id":` + id + `,"result":{"number_01":"` + dest + `"}}`}
	}
	tests := []struct {
		name, section string
		env           []string
		exchanges     []exchange
	}{
		{
			name:    "text answers, token in the path or query",
			section: "  import: text\n  token: ${RINGO_TOKEN}\n",
			env:     []string{"RINGO_TOKEN=" + ringoE2EToken},
			exchanges: []exchange{
				{name: "GET query", method: "GET", target: "/ringostat/route/" + ringoE2EToken + "?caller=%2B442045205757&call_id=pkv", want: text(ringoAda)},
				{name: "DELETE query token", method: "DELETE", target: "/ringostat/route?token=" + ringoE2EToken + "&caller=905321234567", want: text(ringoAyse)},
				{name: "PUT header", method: "PUT", target: "/ringostat/route/" + ringoE2EToken, header: map[string]string{"X-Caller": "+44 20 7946 0999"}, want: text(ringoReception)},
				{name: "POST Ringostat's JSON", method: "POST", target: "/ringostat/route/" + ringoE2EToken, header: jsonCT,
					body: `{"call_id":"pkv","step_forward":"webhookNumber%3A120","uuid":"842d921d-0000","google_id":"UA-1","caller":"+441134960999"}`,
					want: text(ringoSupport)},
				{name: "stranger gets the default", method: "GET", target: "/ringostat/route/" + ringoE2EToken + "?caller=%2B447700900999", want: text(ringoDefault)},
				{name: "no token", method: "GET", target: "/ringostat/route?caller=%2B442045205757", want: ringoReply{401, "application/json", `{"error":"unauthorized"}`}},
				{name: "wrong token", method: "GET", target: "/ringostat/route/not-the-token-at-all?caller=%2B442045205757", want: ringoReply{401, "application/json", `{"error":"unauthorized"}`}},
			},
		},
		{
			name:    "JSON-RPC answers",
			section: "  submission: jsonrpc\n  jsonrpc_method: route\n  number_param: phone_from\n  import: jsonrpc\n  response_key: number_01\n",
			exchanges: []exchange{
				{name: "string id", method: "POST", target: "/ringostat/route", header: jsonCT,
					body: `{"jsonrpc":"2.0","method":"route","params":{"phone_from":"+442045205757"},"id":"c-1"}`, want: rpc(`"c-1"`, ringoAda)},
				{name: "number id, positional params", method: "POST", target: "/ringostat/route",
					body: `{"jsonrpc":"2.0","method":"route","params":["905321234567"],"id":42}`, want: rpc("42", ringoAyse)},
				{name: "stranger", method: "POST", target: "/ringostat/route",
					body: `{"jsonrpc":"2.0","method":"route","params":{"phone_from":"+447700900999"},"id":43}`, want: rpc("43", ringoDefault)},
				{name: "null id", method: "POST", target: "/ringostat/route",
					body: `{"jsonrpc":"2.0","method":"route","params":{"phone_from":"+447700900123"},"id":null}`, want: rpc("null", ringoAda)},
				{name: "notification", method: "POST", target: "/ringostat/route",
					body: `{"jsonrpc":"2.0","method":"route","params":{"phone_from":"+442045205757"}}`, want: ringoReply{204, "", ""}},
				{name: "wrong method", method: "POST", target: "/ringostat/route",
					body: `{"jsonrpc":"2.0","method":"lookup","params":{"phone_from":"+442045205757"},"id":7}`,
					want: ringoReply{200, "application/json", `{"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"method \"lookup\" not found: this endpoint serves \"route\""}}`}},
				{name: "missing number", method: "POST", target: "/ringostat/route",
					body: `{"jsonrpc":"2.0","method":"route","params":{"caller":"+442045205757"},"id":8}`,
					want: ringoReply{200, "application/json", `{"jsonrpc":"2.0","id":8,"error":{"code":-32602,"message":"the caller's number parameter \"phone_from\" is not in params (set ringostat.number_param to the name configured in Ringostat)"}}`}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := startHost(t, writeConfig(t, t.TempDir(), "cfg.yaml", ringostatConfig("index", tc.section)), tc.env...)
			for _, ex := range tc.exchanges {
				if got := h.ringostat(ex.method, ex.target, ex.body, ex.header); got != ex.want {
					t.Errorf("%s: %s %s → %+v, want %+v", ex.name, ex.method, ex.target, got, ex.want)
				}
			}
			// The Smart IVR endpoint answers from the same rules as before.
			if _, ext := h.ivr(`{"caller":"+442045205757"}`); ext != "1093" {
				t.Errorf("Smart IVR for Ada: %q, want 1093", ext)
			}
			if n := h.metric("switchboard_routing_decisions_total", `rule="manager-phone",target="ringostat"`); n < 1 {
				t.Errorf("ringostat decisions for manager-phone = %v, want ≥ 1", n)
			}
			if n := h.metric("switchboard_http_requests_total", `endpoint="ringostat"`); n < float64(len(tc.exchanges)) {
				t.Errorf("ringostat requests counted: %v, want %d", n, len(tc.exchanges))
			}
			h.logsHide(ringoE2EToken)
		})
	}
}

// TestE2ERingostatExampleConfig: configs/example.yaml serves Ringostat too,
// and `lookup -for ringostat` prints the answer exactly as it is sent.
func TestE2ERingostatExampleConfig(t *testing.T) {
	t.Parallel()
	h := startHost(t, exampleConfig(t))
	for caller, want := range map[string]string{
		"%2B442045205757": `{"destination":"` + ringoAda + `"}`,
		"%2B442079460999": `{"destination":"` + ringoReception + `"}`,
		"%2B447700900999": `{"destination":""}`,                  // no default: Ringostat goes on to its next step
		"%2B905321234567": `{"destination":"` + ringoAyse + `"}`, // README's GET example
	} {
		if got := h.ringostat("GET", "/ringostat/route?caller="+caller, "", nil); got.code != 200 || got.body != want {
			t.Errorf("GET ?caller=%s → %d %s, want 200 %s", caller, got.code, got.body, want)
		}
	}

	r := cli(t, nil, "lookup", "-config", exampleConfig(t), "--for", "ringostat", "020 4520 5757").mustExit(0)
	squeezed := strings.Join(strings.Fields(r.stdout), " ")
	for _, want := range []string{"Ada Lovelace", "destination: " + ringoAda, `body: {"destination":"` + ringoAda + `"}`, `rule "manager-phone" matched`} {
		if !strings.Contains(squeezed, want) {
			t.Errorf("lookup --for ringostat output lacks %q:\n%s", want, r.stdout)
		}
	}
	cli(t, nil, "lookup", "-config", exampleConfig(t), "-for", "ringostat", "-json", "+447700900999").
		exits(0).stdoutHas(`"body": "{\"destination\":\"\"}"`, `"target": "ringostat"`)
	cli(t, nil, "lookup", "-config", exampleConfig(t), "-for", "asterisk", "1").exits(exitUsage).stderrHas("hipcall or ringostat")
}

// TestE2ERingostatPluginKilled kills a live-mode CSV plugin with SIGKILL
// while Ringostat requests flow in every submission type: every answer is
// still a valid 200 (Ada's manager, or the default while the plugin is
// down), and the plugin comes back.
func TestE2ERingostatPluginKilled(t *testing.T) {
	t.Parallel()
	h := startHost(t, writeConfig(t, t.TempDir(), "cfg.yaml", ringostatConfig("live", "  import: json\n")))
	ask := []func() ringoReply{
		func() ringoReply { return h.ringostat("GET", "/ringostat/route?caller=%2B442045205757", "", nil) },
		func() ringoReply {
			return h.ringostat("POST", "/ringostat/route", `{"call_id":"k","caller":"+442045205757"}`, map[string]string{"Content-Type": "application/json"})
		},
		func() ringoReply {
			return h.ringostat("POST", "/ringostat/route", `{"jsonrpc":"2.0","method":"route","params":{"caller":"442045205757"},"id":1}`, nil)
		},
		func() ringoReply {
			return h.ringostat("PUT", "/ringostat/route", "", map[string]string{"X-Caller": "+442045205757"})
		},
	}
	ada := `{"destination":"` + ringoAda + `"}`
	valid := map[string]bool{ada: true, `{"destination":"` + ringoDefault + `"}`: true}
	sent, back := h.killPluginUnderLoad(func() (bool, string) {
		got := ask[0]()
		return got.body == ada, fmt.Sprintf("%+v", got)
	}, func(i int) (bool, string) {
		got := ask[i%len(ask)]()
		return got.code == 200 && got.contentType == "application/json" && valid[got.body], fmt.Sprintf("%d %q", got.code, got.body)
	})
	t.Logf("%d Ringostat requests, all answered; plugin back after %s; fallbacks: lookup_error %v",
		sent, back.Round(time.Millisecond), h.metric("switchboard_ringostat_fallbacks_total", `reason="lookup_error"`))
}
