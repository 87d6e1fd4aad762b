package aftercall

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

var update = flag.Bool("update", false, "rewrite the testdata golden files from the current output")

func TestEnvConditions(t *testing.T) {
	tests := []struct {
		name string
		data string
		want map[string]any
	}{
		{"inbound answered: talk time is ended_at - bridged_at, not call_duration",
			`{"uuid":"u1","direction":"inbound","caller_number":"+442045205757","started_at":"2026-09-27T10:00:00Z",
			  "bridged_at":"2026-09-27T10:00:10Z","ended_at":"2026-09-27T10:02:40Z","call_duration":160,
			  "missing_call":false,"hangup_by":"Contact","user_id":17}`,
			map[string]any{varInbound: true, varOutbound: false, varInternal: false, varAnswered: true, varMissed: false,
				varVoicemail: false, varTalkSeconds: 150, varRingSeconds: 10, varHangupBy: "contact", varAgent: "17"}},
		{"inbound missed: missing_call and no voicemail",
			`{"uuid":"u2","direction":"inbound","caller_number":"+442045205757","started_at":"2026-09-27T10:00:00Z",
			  "ended_at":"2026-09-27T10:00:25Z","missing_call":true,"voicemail_id":null,"voicemail_url":null,"hangup_by":"contact"}`,
			map[string]any{varInbound: true, varAnswered: false, varMissed: true, varVoicemail: false,
				varTalkSeconds: 0, varRingSeconds: 25, varAgent: ""}},
		{"voicemail sets missing_call but is not missed",
			`{"uuid":"u3","direction":"inbound","caller_number":"+442045205757","missing_call":true,"voicemail_id":881,
			  "voicemail_url":"https://rec.example/v.mp3"}`,
			map[string]any{varMissed: false, varVoicemail: true, varAnswered: false}},
		{"a voicemail link alone is a voicemail",
			`{"uuid":"u4","direction":"inbound","missing_call":true,"voicemail_url":"https://rec.example/v.mp3"}`,
			map[string]any{varMissed: false, varVoicemail: true}},
		{"outbound the customer did not answer is not missed",
			`{"uuid":"u5","direction":"outbound","caller_number":"+442045200000","callee_number":"+442045205757",
			  "started_at":"2026-09-27T10:00:00Z","ended_at":"2026-09-27T10:00:30Z","missing_call":false,"hangup_by":"user","user_id":"17"}`,
			map[string]any{varOutbound: true, varInbound: false, varAnswered: false, varMissed: false,
				varTalkSeconds: 0, varRingSeconds: 30, varHangupBy: "user", varAgent: "17"}},
		{"internal", `{"uuid":"u6","direction":"internal","caller_number":"1001","callee_number":"1002","hangup_by":"system"}`,
			map[string]any{varInternal: true, varInbound: false, varOutbound: false, varHangupBy: "system", varKnown: false}},
		{"missing_call absent is not missed", `{"uuid":"u7","direction":"inbound"}`,
			map[string]any{varMissed: false, varAnswered: false, varTalkSeconds: 0, varRingSeconds: 0, varHangupBy: ""}},
		{"times out of order give 0",
			`{"uuid":"u8","direction":"inbound","started_at":"2026-09-27T10:00:30Z","bridged_at":"2026-09-27T10:00:20Z","ended_at":"2026-09-27T10:00:10Z"}`,
			map[string]any{varAnswered: true, varTalkSeconds: 0, varRingSeconds: 0}},
		{"fractions of a second are cut",
			`{"uuid":"u9","direction":"inbound","bridged_at":"2026-09-27T10:00:00.400Z","ended_at":"2026-09-27T10:00:19.900Z"}`,
			map[string]any{varTalkSeconds: 19}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := Env(parseCall(t, tc.data), directory.Result{})
			for k, want := range tc.want {
				if got := env[k]; got != want {
					t.Errorf("%s = %#v, want %#v", k, got, want)
				}
			}
		})
	}
}

func TestEnvHasRoutingVariablesForTheCustomer(t *testing.T) {
	call := parseCall(t, `{"uuid":"u1","direction":"outbound","caller_number":"+442045200000","callee_number":"+442045205757"}`)
	res := found(t, "+442045205757", "u-7")
	env := Env(call, res)
	rt := routing.Env(res, routing.Call{})
	for k := range rt {
		if _, ok := env[k]; !ok {
			t.Errorf("routing variable %s missing", k)
		}
	}
	for _, v := range envVars {
		if _, clash := rt[v.name]; clash {
			t.Errorf("%s is also a routing variable: rename it", v.name)
		}
		if _, ok := env[v.name]; !ok {
			t.Errorf("documented variable %s missing from Env", v.name)
		}
	}
	if env["caller_raw"] != "+442045205757" || env["dialled"] != "+442045200000" || env["uuid"] != "u1" {
		t.Errorf("caller_raw %v dialled %v uuid %v: want the customer (callee of an outbound call), our number, the uuid",
			env["caller_raw"], env["dialled"], env["uuid"])
	}
	if env[varKnown] != true || env[varFound] != true {
		t.Errorf("known %v found %v", env[varKnown], env[varFound])
	}
	if m, _ := env[varCall].(map[string]any); m["uuid"] != "u1" || m["customer_number"] != "+442045205757" {
		t.Errorf("call = %v", m)
	}
}

func TestActionsEnvUsesItsClockAndZone(t *testing.T) {
	zone := time.FixedZone("+03", 3*3600)
	a := mustNew(t, "actions: []", Options{Now: fixedClock(planTime), Location: zone})
	env := a.Env(parseCall(t, `{"uuid":"u1","direction":"inbound","started_at":"2026-09-27T14:00:00Z",
		"call_flow":[{"action":"init","timestamp":"2026-09-27T14:00:00Z"}]}`), directory.Result{})
	if now := env[varNow].(time.Time); !now.Equal(planTime) || now.Location() != zone || env[varHour] != 17 || env[varMinute] != 35 || env[varWeekday] != "Sun" {
		t.Errorf("now %v hour %v minute %v weekday %v, want %v in +03", now, env[varHour], env[varMinute], env[varWeekday], planTime)
	}
	call := env[varCall].(map[string]any)
	if started := call["started_at"].(time.Time); started.Location() != zone || started.Hour() != 17 {
		t.Errorf("call.started_at = %v, want 17:00 +03", started)
	}
	flow := call["call_flow"].([]map[string]any)
	if ts := flow[0]["timestamp"].(time.Time); ts.Location() != zone {
		t.Errorf("call_flow timestamp = %v, want +03", ts)
	}
	if call["ended_at"] != nil {
		t.Errorf("absent ended_at = %#v, want nil", call["ended_at"])
	}
}

// TestEnvDocCoversEnv keeps EnvDoc honest: every variable Env builds is
// described.
func TestEnvDocCoversEnv(t *testing.T) {
	doc := EnvDoc()
	for k := range Env(&webhook.Call{}, directory.Result{}) {
		if !strings.Contains(doc, "\n  "+k+" ") {
			t.Errorf("EnvDoc lacks %s", k)
		}
	}
}

// TestEnvDocGolden shows this package's part of EnvDoc for review
// (routing's part is routing's golden file).
func TestEnvDocGolden(t *testing.T) {
	got := ownEnvDoc()
	if !strings.HasPrefix(EnvDoc(), got) || !strings.HasSuffix(EnvDoc(), routing.EnvDoc()) {
		t.Fatal("EnvDoc is not this package's variables followed by routing.EnvDoc")
	}
	path := filepath.Join("testdata", "envdoc.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file: %v (run go test ./core/aftercall -run TestEnvDocGolden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("EnvDoc changed; if intended, run with -update.\ngot:\n%s\nwant:\n%s", got, want)
	}
}
