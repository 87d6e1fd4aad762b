package webhook

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	started := time.Date(2026, 3, 25, 10, 39, 51, 0, time.UTC)
	cases := []struct {
		name  string
		body  string
		check func(t *testing.T, ev *Event)
	}{
		{"call_init with every kind of value", `{"event":"call_init","data":{
			"uuid":"a2b7bf8f","direction":"inbound","caller_number":"+442045205757","callee_number":442045200000,
			"caller_type":"external","callee_type":null,"user_id":17,"started_at":"2026-03-25T10:39:51Z",
			"answered_at":null,"call_duration":"42","first_touch_duration":3.0,"missing_call":false,
			"call_flow":[{"action":"ivr","detail":{"key":1},"timestamp":"2026-03-25T10:39:51Z"},{"action":"ring","detail":"1093"}]}}`,
			func(t *testing.T, ev *Event) {
				c := ev.Call
				if ev.Name != CallInit || ev.Legacy || !ev.Known() || c == nil {
					t.Fatalf("event %+v", ev)
				}
				if c.UUID != "a2b7bf8f" || c.CallerNumber != "+442045205757" || c.CalleeNumber != "442045200000" || c.UserID != "17" {
					t.Errorf("call %+v", c)
				}
				if c.CalleeType != "" || c.AnsweredAt != nil {
					t.Errorf("nulls should stay empty: %+v", c)
				}
				if c.StartedAt == nil || !c.StartedAt.Equal(started) {
					t.Errorf("started_at %v", c.StartedAt)
				}
				if c.CallDuration == nil || *c.CallDuration != 42 || c.FirstTouchDuration == nil || *c.FirstTouchDuration != 3 {
					t.Errorf("durations %v %v", c.CallDuration, c.FirstTouchDuration)
				}
				if c.MissingCall == nil || *c.MissingCall {
					t.Errorf("missing_call %v", c.MissingCall)
				}
				if len(c.CallFlow) != 2 || c.CallFlow[0].Detail != `{"key":1}` || c.CallFlow[1].Detail != "1093" || c.CallFlow[1].Timestamp != nil {
					t.Errorf("call_flow %+v", c.CallFlow)
				}
				if c.CustomerNumber() != "+442045205757" {
					t.Errorf("customer number %q", c.CustomerNumber())
				}
			}},
		{"numbers as numbers, outbound", `{"event":"call_init","data":{"uuid":123,"direction":"OUTBOUND","caller_number":442045200000,"callee_number":905321234567}}`,
			func(t *testing.T, ev *Event) {
				if ev.UUID() != "123" || ev.Call.Direction != Outbound || ev.Call.CustomerNumber() != "905321234567" {
					t.Errorf("call %+v", ev.Call)
				}
			}},
		{"a number in exponent form", `{"event":"call_init","data":{"direction":"inbound","caller_number":9.05321234567e11}}`,
			func(t *testing.T, ev *Event) {
				if ev.Call.CallerNumber != "905321234567" {
					t.Errorf("caller %q", ev.Call.CallerNumber)
				}
			}},
		{"internal call has no customer", `{"event":"call_init","data":{"uuid":"x","direction":"internal","caller_number":"1001","callee_number":"1002"}}`,
			func(t *testing.T, ev *Event) {
				if ev.Call.CustomerNumber() != "" {
					t.Errorf("customer %q", ev.Call.CustomerNumber())
				}
			}},
		{"everything null", `{"event":"call_hangup","data":{"uuid":null,"direction":null,"started_at":null,"call_duration":null,"call_flow":null}}`,
			func(t *testing.T, ev *Event) {
				if ev.Name != CallHangup || ev.Call == nil || ev.UUID() != "" || ev.Call.CallDuration != nil || ev.Call.CallFlow != nil {
					t.Errorf("event %+v call %+v", ev, ev.Call)
				}
			}},
		{"wrong types are ignored", `{"event":"call_init","data":{"uuid":["a"],"started_at":12.5e99,"call_duration":"soon","missing_call":"maybe","call_flow":"none"}}`,
			func(t *testing.T, ev *Event) {
				c := ev.Call
				if c.UUID != "" || c.StartedAt != nil || c.CallDuration != nil || c.MissingCall != nil || c.CallFlow != nil {
					t.Errorf("call %+v", c)
				}
			}},
		{"voicemail: voicemail_id as a number, null as empty", `{"event":"call_hangup","data":{"uuid":"v1","missing_call":true,"voicemail_id":9051,"voicemail_url":"https://rec.example/v.mp3"}}`,
			func(t *testing.T, ev *Event) {
				c := ev.Call
				if c.VoicemailID != "9051" || c.VoicemailURL != "https://rec.example/v.mp3" || c.MissingCall == nil || !*c.MissingCall {
					t.Errorf("call %+v", c)
				}
				if m := c.Map(); m["voicemail_id"] != "9051" {
					t.Errorf("Map voicemail_id = %#v", m["voicemail_id"])
				}
				missed, err := Parse([]byte(`{"event":"call_hangup","data":{"uuid":"v2","missing_call":true,"voicemail_id":null}}`))
				if err != nil || missed.Call.VoicemailID != "" {
					t.Errorf("voicemail_id null: %+v %v", missed.Call, err)
				}
			}},
		{"unknown event", `{"event":"voicemail_left","data":{"id":7}}`,
			func(t *testing.T, ev *Event) {
				if ev.Name != "voicemail_left" || ev.Known() || ev.Call != nil || ev.dedupKey() != dedupKey("voicemail_left", "7") {
					t.Errorf("event %+v", ev)
				}
			}},
		{"contact event", `{"event":"contact_create","data":{"id":"55","name":"Ada"}}`,
			func(t *testing.T, ev *Event) {
				if ev.Name != ContactCreate || !ev.Known() || ev.Call != nil || string(ev.Data) != `{"id":"55","name":"Ada"}` {
					t.Errorf("event %+v", ev)
				}
			}},
		{"no event name", `{"data":{"uuid":"x"}}`,
			func(t *testing.T, ev *Event) {
				if ev.Name != "" || ev.Known() || ev.dedupKey() != "" {
					t.Errorf("event %+v", ev)
				}
			}},
		{"legacy flat call::init", `{"event_type":"call::init","uuid":"L1","direction":"inbound","caller_number":"02045205757"}`,
			func(t *testing.T, ev *Event) {
				if ev.Name != CallInit || ev.RawName != "call::init" || !ev.Legacy || ev.UUID() != "L1" || ev.Call.CustomerNumber() != "02045205757" {
					t.Errorf("event %+v call %+v", ev, ev.Call)
				}
			}},
		{"legacy with data", `{"event_type":"call::hangup","data":{"uuid":"L2"}}`,
			func(t *testing.T, ev *Event) {
				if ev.Name != CallHangup || !ev.Legacy || ev.UUID() != "L2" {
					t.Errorf("event %+v", ev)
				}
			}},
		{"legacy unknown name", `{"event_type":"sms::received","from":"x"}`,
			func(t *testing.T, ev *Event) {
				if ev.Name != "sms::received" || ev.Known() || !ev.Legacy || ev.Call != nil {
					t.Errorf("event %+v", ev)
				}
			}},
		{"data not an object", `{"event":"call_init","data":"oops"}`,
			func(t *testing.T, ev *Event) {
				if ev.Name != CallInit || ev.Call != nil || ev.Data != nil {
					t.Errorf("event %+v", ev)
				}
			}},
		{"unix timestamps", `{"event":"call_init","data":{"started_at":1774435191,"ended_at":"2026-03-25 10:39:51"}}`,
			func(t *testing.T, ev *Event) {
				if ev.Call.StartedAt == nil || ev.Call.StartedAt.Unix() != 1774435191 || ev.Call.EndedAt == nil || !ev.Call.EndedAt.Equal(started) {
					t.Errorf("times %v %v", ev.Call.StartedAt, ev.Call.EndedAt)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := Parse([]byte(tc.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tc.check(t, ev)
		})
	}
}

func TestParseRefusesNonObjects(t *testing.T) {
	for _, body := range []string{``, `nope`, `{"event":`, `[1,2]`, `"call_init"`, `null`, `42`} {
		if _, err := Parse([]byte(body)); !errors.Is(err, ErrNotJSON) {
			t.Errorf("Parse(%q) error = %v, want ErrNotJSON", body, err)
		}
	}
}

// TestParseRefusesDuplicateKeys: an object holding a key twice, compared
// case-insensitively, anywhere in the body, makes it ambiguous: Parse
// refuses it (ErrDuplicateKey, saying where) instead of reading one
// spelling, every time.
func TestParseRefusesDuplicateKeys(t *testing.T) {
	for _, tc := range []struct{ body, where string }{
		{`{"event":"call_init","Event":"call_hangup","data":{"uuid":"1"}}`, "top-level"},
		{`{"event":"call_init","event":"call_hangup","data":{"uuid":"1"}}`, "top-level"},
		{`{"event":"call_init","data":{"uuid":"1","UUID":"2"}}`, "at data"},
		{`{"event":"call_init","data":{"uuid":"1","uuid":"1"}}`, "at data"},
		{`{"event":"call_init","data":{"uuid":"1","Direction":"inbound","direction":"outbound"}}`, "at data"},
		{`{"event":"call_init","data":{"uuid":"1","call_flow":[{"action":"a"},{"action":"b","ACTION":"c"}]}}`, "at data.call_flow[1]"},
		{`{"event":"call_init","data":{"uuid":"1"},"Data":{"uuid":"2"}}`, "top-level"},
		{`{"event":"call_init","data":{"uuid":"1"},"payload":{"uuid":"2","Uuid":"3"}}`, "at payload"},
		{`{"event_type":"call::init","uuid":"L1","UUID":"L2"}`, "top-level"},
		{`{"event":"contact_create","data":{"id":"55","custom":{"Name":"a","name":"b"}}}`, "at data.custom"},
	} {
		for range 10 {
			ev, err := Parse([]byte(tc.body))
			if !errors.Is(err, ErrDuplicateKey) || errors.Is(err, ErrNotJSON) || ev != nil {
				t.Fatalf("Parse(%s) = %+v, %v; want ErrDuplicateKey", tc.body, ev, err)
			}
			if !strings.Contains(err.Error(), tc.where) {
				t.Fatalf("Parse(%s): %q does not say %q", tc.body, err, tc.where)
			}
		}
	}
	// The same name in different objects is no duplicate.
	ev, err := Parse([]byte(`{"event":"call_init","data":{"uuid":"1","call_flow":[{"action":"a"},{"action":"b"}],"x":{"uuid":"2"}}}`))
	if err != nil || ev.UUID() != "1" || len(ev.Call.CallFlow) != 2 {
		t.Fatalf("Parse: %+v, %v", ev, err)
	}
}

func TestCallMapHasEveryField(t *testing.T) {
	ev, err := Parse([]byte(`{"event":"call_init","data":{"uuid":"u","direction":"outbound","caller_number":"1","callee_number":"2","call_duration":5}}`))
	if err != nil {
		t.Fatal(err)
	}
	m := ev.Call.Map()
	if len(m) != 34 {
		t.Errorf("Map has %d keys, want 34 (every payload field plus customer_number)", len(m))
	}
	if m["customer_number"] != "2" || m["call_duration"] != int64(5) || m["started_at"] != nil {
		t.Errorf("map %v", m)
	}
}
