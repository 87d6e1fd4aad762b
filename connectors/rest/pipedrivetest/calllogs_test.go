package pipedrivetest

import (
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

const fullCallLog = `{"subject":"Call with Ada","duration":"42","outcome":"connected",
 "from_phone_number":"+442045205757","to_phone_number":"+442079460018",
 "start_time":"2026-12-01 10:00:00","end_time":"2026-12-01 10:00:42",
 "person_id":1,"org_id":1,"user_id":11,"note":"<p>Asked for a quote</p>"}`

func postCallLog(t *testing.T, s *Server, body, contentType, query string) answer {
	t.Helper()
	if contentType == "" {
		contentType = "application/json"
	}
	return do(t, s, req{method: http.MethodPost, path: "/api/v1/callLogs" + query, body: body,
		header: map[string]string{"Content-Type": contentType}})
}

func TestCallLogs(t *testing.T) {
	s, clock := start(t, Options{})
	s.Seed()
	minimal := `{"outcome":"no_answer","to_phone_number":"+442079460018","start_time":"2026-12-01 10:00:00","end_time":"2026-12-01 10:00:00"}`
	edit := func(old, new string) string {
		if !strings.Contains(fullCallLog, old) {
			t.Fatalf("%q is not in the body", old)
		}
		return strings.Replace(fullCallLog, old, new, 1)
	}
	for _, c := range []struct {
		name        string
		body        string
		contentType string
		query       string
		status      int
		infoHas     string
	}{
		{name: "every field", body: fullCallLog, status: 200},
		{name: "the required fields only", body: minimal, status: 200},
		{name: "nulls for optional fields", body: edit(`"subject":"Call with Ada"`, `"subject":null,"deal_id":null,"lead_id":null,"activity_id":null`), status: 200, query: "?api_token=" + DefaultAPIToken},
		{name: "charset in the content type", body: minimal, contentType: "application/json; charset=utf-8", status: 200},
		{name: "every outcome: busy", body: edit(`"connected"`, `"busy"`), status: 200},
		{name: "left_voicemail", body: edit(`"connected"`, `"left_voicemail"`), status: 200},
		{name: "wrong_number", body: edit(`"connected"`, `"wrong_number"`), status: 200},
		{name: "missing outcome", body: edit(`"outcome":"connected",`, ``), status: 400, infoHas: "missing required fields: outcome"},
		{name: "all required missing", body: `{"subject":"x"}`, status: 400, infoHas: "outcome, to_phone_number, start_time, end_time"},
		{name: "blank to_phone_number", body: edit(`"to_phone_number":"+442079460018"`, `"to_phone_number":"  "`), status: 400, infoHas: "to_phone_number"},
		{name: "null outcome", body: edit(`"outcome":"connected"`, `"outcome":null`), status: 400, infoHas: "outcome"},
		{name: "outcome outside the enum", body: edit(`"connected"`, `"answered"`), status: 400, infoHas: `outcome must be one of connected, no_answer, busy, left_message, left_voicemail, wrong_number, got "answered"`},
		{name: "outcome in capitals", body: edit(`"connected"`, `"CONNECTED"`), status: 400, infoHas: "outcome must be one of"},
		{name: "unknown field", body: edit(`"note"`, `"direction":"inbound","note"`), status: 400, infoHas: `unknown field "direction"`},
		{name: "duration as a number", body: edit(`"duration":"42"`, `"duration":42`), status: 400, infoHas: `"duration" must be a string`},
		{name: "duration fractional", body: edit(`"duration":"42"`, `"duration":"4.2"`), status: 400, infoHas: "whole number of seconds"},
		{name: "duration empty", body: edit(`"duration":"42"`, `"duration":""`), status: 400, infoHas: "whole number of seconds"},
		{name: "start_time in RFC 3339", body: edit(`"start_time":"2026-12-01 10:00:00"`, `"start_time":"2026-12-01T10:00:00Z"`), status: 400, infoHas: "start_time must be YYYY-MM-DD HH:MM:SS"},
		{name: "end_time malformed", body: edit(`"end_time":"2026-12-01 10:00:42"`, `"end_time":"10:00:42"`), status: 400, infoHas: "end_time must be"},
		{name: "end before start", body: edit(`"end_time":"2026-12-01 10:00:42"`, `"end_time":"2026-12-01 09:59:59"`), status: 400, infoHas: "is before start_time"},
		{name: "missing person", body: edit(`"person_id":1`, `"person_id":99`), status: 400, infoHas: "person_id 99 names no person"},
		{name: "missing organization", body: edit(`"org_id":1`, `"org_id":99`), status: 400, infoHas: "org_id 99 names no organization"},
		{name: "user id zero", body: edit(`"user_id":11`, `"user_id":0`), status: 400, infoHas: "user_id must be a positive"},
		{name: "person id as a string", body: edit(`"person_id":1`, `"person_id":"1"`), status: 400, infoHas: `"person_id" must be a whole number`},
		{name: "an array", body: `[` + minimal + `]`, status: 400, infoHas: "must be a JSON object"},
		{name: "two objects", body: minimal + minimal, status: 400, infoHas: "something follows the object"},
		{name: "not JSON", body: `outcome=connected`, status: 400, infoHas: "invalid JSON body"},
		{name: "empty body", body: ``, status: 400, infoHas: "invalid JSON body"},
		{name: "form content type", body: minimal, contentType: "application/x-www-form-urlencoded", status: 400, infoHas: "application/json"},
		{name: "unknown query parameter", body: minimal, query: "?dry_run=1", status: 400, infoHas: `unknown query parameter "dry_run"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			clock.Advance(1)
			before := len(s.CallLogs())
			a := postCallLog(t, s, c.body, c.contentType, c.query)
			if c.status != 200 {
				a.wantError(t, c.status, c.infoHas)
				if len(s.CallLogs()) != before {
					t.Error("a refused call log was stored")
				}
				return
			}
			data, _ := a.body["data"].(map[string]any)
			id, _ := data["id"].(string)
			if a.status != 200 || a.body["success"] != true || !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(id) {
				t.Fatalf("got %d %s; want 200 with a string id", a.status, a.raw)
			}
			logs := s.CallLogs()
			if len(logs) != before+1 || logs[len(logs)-1].ID != id || !logs[len(logs)-1].AddTime.Equal(clock.Now()) {
				t.Errorf("stored %+v", logs)
			}
		})
	}

	// What is stored, for assertions: the first two logs.
	logs := s.CallLogs()
	want := CallLog{
		ID: logs[0].ID, Subject: "Call with Ada", Duration: "42", Outcome: "connected",
		FromPhoneNumber: "+442045205757", ToPhoneNumber: "+442079460018",
		StartTime: "2026-12-01 10:00:00", EndTime: "2026-12-01 10:00:42",
		PersonID: 1, OrgID: 1, UserID: 11, Note: "<p>Asked for a quote</p>", AddTime: logs[0].AddTime,
	}
	if !reflect.DeepEqual(logs[0], want) {
		t.Errorf("first call log = %+v\nwant %+v", logs[0], want)
	}
	if logs[1].Outcome != "no_answer" || logs[1].PersonID != 0 || logs[1].Subject != "" || logs[1].ID == logs[0].ID {
		t.Errorf("second call log = %+v", logs[1])
	}
	// Two identical posts are two call logs.
	a, b := postCallLog(t, s, minimal, "", ""), postCallLog(t, s, minimal, "", "")
	if a.body["data"].(map[string]any)["id"] == b.body["data"].(map[string]any)["id"] {
		t.Error("two posts got one id")
	}
}

func TestCallLogAnswerEchoesFields(t *testing.T) {
	s, _ := start(t, Options{})
	s.Seed()
	a := postCallLog(t, s, fullCallLog, "", "")
	data := a.body["data"].(map[string]any)
	for k, v := range map[string]any{
		"subject": "Call with Ada", "duration": "42", "outcome": "connected", "to_phone_number": "+442079460018",
		"start_time": "2026-12-01 10:00:00", "person_id": 1.0, "org_id": 1.0, "user_id": 11.0,
	} {
		if data[k] != v {
			t.Errorf("data.%s = %v, want %v", k, data[k], v)
		}
	}
}
