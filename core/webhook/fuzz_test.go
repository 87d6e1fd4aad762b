package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/core/lenient"
)

// fuzzBodies are webhook bodies every fuzz target starts from: the
// payloads of the tests and the documented shapes, and edge cases.
var fuzzBodies = []string{
	`{"event":"call_init","data":{"uuid":"a2b7bf8f","direction":"inbound","caller_number":"+442045205757","callee_number":442045200000,` +
		`"caller_type":"external","callee_type":null,"user_id":17,"started_at":"2026-03-25T10:39:51Z","answered_at":null,` +
		`"call_duration":"42","first_touch_duration":3.0,"missing_call":false,` +
		`"call_flow":[{"action":"ivr","detail":{"key":1},"timestamp":"2026-03-25T10:39:51Z"},{"action":"ring","detail":"1093"}]}}`,
	`{"event":"call_init","data":{"uuid":123,"direction":"OUTBOUND","caller_number":442045200000,"callee_number":905321234567}}`,
	`{"event":"call_init","data":{"direction":"inbound","caller_number":9.05321234567e11}}`,
	`{"event":"call_hangup","data":{"uuid":null,"direction":null,"started_at":null,"call_duration":null,"call_flow":null}}`,
	`{"event":"call_init","data":{"uuid":["a"],"started_at":12.5e99,"call_duration":"soon","missing_call":"maybe","call_flow":"none"}}`,
	`{"event":"call_hangup","data":{"uuid":"v1","missing_call":true,"voicemail_id":9051,"voicemail_url":"https://rec.example/v.mp3"}}`,
	`{"event":"voicemail_left","data":{"id":7}}`,
	`{"event":"contact_create","data":{"id":"55","name":"Ada"}}`,
	`{"event":"task_create","payload":{"id":1}}`,
	`{"data":{"uuid":"x"}}`,
	`{"event_type":"call::init","uuid":"L1","direction":"inbound","caller_number":"02045205757"}`,
	`{"event_type":"call::hangup","data":{"uuid":"L2"}}`,
	`{"event":null,"event_type":"sms::received","from":"x"}`,
	`{"event":"call_init","data":"oops"}`,
	`{"event":"call_init","data":{"started_at":1774435191,"ended_at":"2026-03-25 10:39:51","call_duration":1e400}}`,
	`{"event":" CALL_Init ","Event":"call_hangup","data":{"UUID":"1","uuid":"2","uuid":"3"}}`,
	`{"event":"call_init","data":{"uuid":"1","UUID":"2"}}`,
	`{"event":"call_init","data":{"uuid":"1","call_flow":[{"action":"a","Action":"b"}]}}`,
	`{"event":"call_init","data":{"uuid":"1"},"event":"call_init"}`,
	`{"event":"call_init","data":{"\u0075uid":"1","uuid":"2"}}`,
	`{"event":"call_init","data":{"uuid":" \u0000x\u001b ","caller_number":"\ud800"}}`,
	"{\"event\":\"call_init\",\"data\":{\"uuid\":\"\xff\xfe\"}}",
	`{"event":12345678901234567890123,"data":{"call_duration":-99999999999999999999}}`,
	``, `nope`, `{"event":`, `[1,2]`, `"call_init"`, `null`, `42`, "\x00", " {} ", "{}\x00",
}

func FuzzWebhookParse(f *testing.F) {
	for _, b := range fuzzBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := Parse(body)
		trimmed := bytes.TrimSpace(body)
		isObject := json.Valid(body) && len(trimmed) > 0 && trimmed[0] == '{'
		dup := isObject && lenient.DuplicateKeys(body) != nil
		if err != nil {
			if ev != nil || errors.Is(err, ErrNotJSON) == errors.Is(err, ErrDuplicateKey) {
				t.Fatalf("%q: error %v (event %+v), want only ErrNotJSON or ErrDuplicateKey", body, err, ev)
			}
			if isObject && !dup {
				t.Fatalf("%q: a JSON object refused: %v", body, err)
			}
			if dup != errors.Is(err, ErrDuplicateKey) {
				t.Fatalf("%q: error %v, duplicate keys %v", body, err, dup)
			}
			if _, again := Parse(body); again == nil || again.Error() != err.Error() {
				t.Fatalf("%q: refused with %v, then %v", body, err, again)
			}
			return
		}
		if !isObject || dup {
			t.Fatalf("%q: not a JSON object, or ambiguous (%v), but parsed: %+v", body, dup, ev)
		}
		checkEvent(t, body, ev)
		again, err := Parse(body)
		if err != nil || !reflect.DeepEqual(ev, again) {
			t.Fatalf("%q: parsing twice differs: %+v / %+v (%v)", body, ev, again, err)
		}
		if ev.Legacy {
			return
		}
		// The event rebuilt from what was read reads the same.
		re, err := json.Marshal(map[string]any{"event": ev.RawName, "data": ev.Data})
		if err != nil {
			t.Fatalf("%q: re-encoding: %v", body, err)
		}
		ev2, err := Parse(re)
		if err != nil {
			t.Fatalf("%q: re-encoded %s refused: %v", body, re, err)
		}
		if ev2.Name != ev.Name || ev2.RawName != ev.RawName || ev2.Legacy || !reflect.DeepEqual(ev2.Call, ev.Call) {
			t.Fatalf("%q: re-encoded %s reads differently: %+v %+v / %+v %+v", body, re, ev, ev.Call, ev2, ev2.Call)
		}
	})
}

// checkEvent asserts the invariants of a parsed event.
func checkEvent(t *testing.T, body []byte, ev *Event) {
	t.Helper()
	if ev.Name != strings.ToLower(strings.TrimSpace(ev.Name)) {
		t.Fatalf("%q: name %q is not trimmed and lower-cased", body, ev.Name)
	}
	if mapped, ok := legacyNames[normaliseName(ev.RawName)]; ok {
		if ev.Name != mapped || !ev.Legacy {
			t.Fatalf("%q: legacy name %q read as %q (legacy %v)", body, ev.RawName, ev.Name, ev.Legacy)
		}
	} else if ev.Name != normaliseName(ev.RawName) {
		t.Fatalf("%q: name %q from raw %q", body, ev.Name, ev.RawName)
	}
	if ev.Data != nil && (!json.Valid(ev.Data) || !isObject(ev.Data)) {
		t.Fatalf("%q: data %q is not a JSON object", body, ev.Data)
	}
	if wantCall := strings.HasPrefix(ev.Name, "call_") && ev.Data != nil; wantCall != (ev.Call != nil) {
		t.Fatalf("%q: event %q with data %v has call %+v", body, ev.Name, ev.Data != nil, ev.Call)
	}
	if ev.dedupKey() != "" && (ev.Name == "" || !strings.HasPrefix(ev.dedupKey(), ev.Name+"\x00")) {
		t.Fatalf("%q: dedup key %q for event %q", body, ev.dedupKey(), ev.Name)
	}
	c := ev.Call
	if c == nil {
		return
	}
	for _, s := range []string{c.UUID, c.Direction, c.CallerNumber, c.CalleeNumber, c.CallerType, c.CalleeType, c.CallerID, c.CalleeID,
		c.MissingCallReason, c.HangupBy, c.ChannelType, c.ChannelID, c.NumberID, c.UserID, c.ContactID, c.CompanyID, c.Credited,
		c.RecordURL, c.VoicemailURL, c.VoicemailID, c.CallbackCDRUUID, c.CallbackUserID, c.RelatedID, c.RelatedType} {
		if s != strings.TrimSpace(s) {
			t.Fatalf("%q: call field %q is not trimmed", body, s)
		}
	}
	if c.Direction != strings.ToLower(c.Direction) {
		t.Fatalf("%q: direction %q is not lower-cased", body, c.Direction)
	}
	switch c.Direction {
	case Inbound:
		if c.CustomerNumber() != c.CallerNumber {
			t.Fatalf("%q: inbound customer %q", body, c.CustomerNumber())
		}
	case Outbound:
		if c.CustomerNumber() != c.CalleeNumber {
			t.Fatalf("%q: outbound customer %q", body, c.CustomerNumber())
		}
	default:
		if c.CustomerNumber() != "" {
			t.Fatalf("%q: direction %q has customer %q", body, c.Direction, c.CustomerNumber())
		}
	}
	times := []*time.Time{c.StartedAt, c.AnsweredAt, c.BridgedAt, c.EndedAt, c.CallbackTime}
	for _, s := range c.CallFlow {
		times = append(times, s.Timestamp)
	}
	for _, tm := range times {
		if tm != nil && tm.Location() != time.UTC {
			t.Fatalf("%q: time %v is not UTC", body, *tm)
		}
	}
	if m := c.Map(); len(m) != 34 {
		t.Fatalf("%q: Map has %d keys", body, len(m))
	}
}

// FuzzWebhookRequest sends arbitrary requests through the processor: it
// answers 405, 401, 413, 400 or 200 as documented, never a 5xx, always
// with a small JSON body.
func FuzzWebhookRequest(f *testing.F) {
	const maxBody = 1024
	p, err := New(Options{Auth: AuthOptions{Token: testToken}, MaxBodyBytes: maxBody, QueueSize: 1, Workers: 1})
	if err != nil {
		f.Fatal(err)
	}
	for _, b := range fuzzBodies {
		f.Add(http.MethodPost, "/"+testToken, "", "application/json", []byte(b))
	}
	f.Add(http.MethodPost, "", "token="+testToken, "text/plain", []byte(fuzzBodies[0]))
	f.Add(http.MethodPost, "", "token=wrong&token="+testToken, "", []byte(fuzzBodies[0]))
	f.Add(http.MethodPost, "/"+testToken+"/x", "", "", []byte(`{}`))
	f.Add(http.MethodGet, "/"+testToken, "", "", []byte(`{}`))
	f.Add(http.MethodPost, "/"+testToken, "", "", bytes.Repeat([]byte(" "), maxBody+1))
	f.Add(http.MethodPost, "/"+testToken, "", "", []byte(`{"event":"call_init","data":{"uuid":"`+strings.Repeat("u", maxBody-40)+`"}}`))
	f.Fuzz(func(t *testing.T, method, suffix, query, contentType string, body []byte) {
		if !validMethod(method) {
			method = http.MethodPost
		}
		req := httptest.NewRequest(method, DefaultPath, bytes.NewReader(body))
		req.URL.Path += suffix
		req.URL.RawQuery = query
		req.Header.Set("Content-Type", contentType)
		status, reason := p.auth.check(req)
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, req)

		want := http.StatusOK
		switch _, perr := Parse(body); {
		case method != http.MethodPost:
			want = http.StatusMethodNotAllowed
		case status != 0:
			want = status
		case len(body) > maxBody:
			want = http.StatusRequestEntityTooLarge
		case perr != nil:
			want = http.StatusBadRequest
		}
		if rec.Code != want {
			t.Fatalf("%s %s?%s %q: status %d, want %d (auth %q)", method, req.URL.Path, query, body, rec.Code, want, reason)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}
		var answer map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || len(answer) != 1 {
			t.Fatalf("answer %q is not a one-member JSON object: %v", rec.Body.String(), err)
		}
		if want == http.StatusOK && answer["status"] != OutcomeIgnored && answer["status"] != OutcomeDuplicate {
			t.Fatalf("answer %q, want ignored or duplicate (no handler)", rec.Body.String())
		}
	})
}

// validMethod reports whether m can be a request's method.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
