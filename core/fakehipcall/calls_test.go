package fakehipcall_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/core/fakehipcall"
	"github.com/switchboard-hq/switchboard/core/hipcall"
)

const (
	commentRt     = "POST /calls/{uuid}/comments"
	tagRt         = "POST /calls/{uuid}/tags"
	dispositionRt = "PUT /calls/{uuid}/disposition"
	taskRt        = "POST /tasks"
	callsRt       = "GET /calls"
)

func at(d time.Duration) *time.Time { t := epoch.Add(d); return &t }

// seedCalls adds five calls: c1..c5, started a minute apart from epoch-5m,
// c3 and c5 missed, c2 outbound, c4 internal, the others inbound.
func seedCalls(srv *fakehipcall.Server) {
	calls := []hipcall.CallRow{
		{UUID: "c1", Direction: "inbound", StartedAt: at(-5 * time.Minute), MissingCall: ptr(false)},
		{UUID: "c2", Direction: "outbound", StartedAt: at(-4 * time.Minute), MissingCall: ptr(false)},
		{UUID: "c3", Direction: "inbound", StartedAt: at(-3 * time.Minute), MissingCall: ptr(true)},
		{UUID: "c4", Direction: "internal", StartedAt: at(-2 * time.Minute), MissingCall: ptr(false)},
		{UUID: "c5", Direction: "inbound", StartedAt: at(-1 * time.Minute), MissingCall: ptr(true)},
	}
	for _, c := range calls {
		srv.AddCall(c)
	}
}

func uuids(a answer) []string {
	list, _ := a.body["data"].([]any)
	var out []string
	for _, r := range list {
		out = append(out, r.(map[string]any)["uuid"].(string))
	}
	return out
}

func TestCallsList(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	seedCalls(srv)
	ts := func(d time.Duration) string { return url.QueryEscape(epoch.Add(d).Format(time.RFC3339)) }
	tests := []struct {
		name   string
		query  string
		status int
		want   []string // uuids, in order
		count  int
		field  string // the 422's field
	}{
		{"default newest first", "", 200, []string{"c5", "c4", "c3", "c2", "c1"}, 5, ""},
		{"asc", "?sort=started_at.asc", 200, []string{"c1", "c2", "c3", "c4", "c5"}, 5, ""},
		{"desc", "?sort=started_at.desc&limit=2", 200, []string{"c5", "c4"}, 5, ""},
		{"paging", "?sort=started_at.asc&limit=2&offset=3", 200, []string{"c4", "c5"}, 5, ""},
		{"past the end", "?limit=2&offset=9", 200, nil, 5, ""},
		{"window inclusive", "?sort=started_at.asc&started_at[gte]=" + ts(-4*time.Minute) + "&started_at[lte]=" + ts(-2*time.Minute), 200, []string{"c2", "c3", "c4"}, 3, ""},
		{"missed", "?missing_call[eq]=true&sort=started_at.asc", 200, []string{"c3", "c5"}, 2, ""},
		{"not missed", "?missing_call[eq]=false&sort=started_at.asc", 200, []string{"c1", "c2", "c4"}, 3, ""},
		{"direction eq", "?direction[eq]=outbound", 200, []string{"c2"}, 1, ""},
		{"direction in", "?direction[in]=outbound,internal&sort=started_at.asc", 200, []string{"c2", "c4"}, 2, ""},
		{"all filters", "?direction[eq]=inbound&missing_call[eq]=true&started_at[gte]=" + ts(-2*time.Minute), 200, []string{"c5"}, 1, ""},
		{"eq on a date", "?started_at[eq]=" + ts(0), 422, nil, 0, "started_at[eq]"},
		{"unknown filter", "?user_id[eq]=4", 422, nil, 0, "user_id[eq]"},
		{"date without Z", "?started_at[gte]=2026-03-01T12:00:00", 422, nil, 0, "started_at[gte]"},
		{"date with offset", "?started_at[lte]=" + url.QueryEscape("2026-03-01T12:00:00+03:00"), 422, nil, 0, "started_at[lte]"},
		{"not a date", "?started_at[gte]=yesterday", 422, nil, 0, "started_at[gte]"},
		{"missing not bool", "?missing_call[eq]=yes", 422, nil, 0, "missing_call[eq]"},
		{"bad direction", "?direction[eq]=sideways", 422, nil, 0, "direction[eq]"},
		{"bad direction in list", "?direction[in]=inbound,sideways", 422, nil, 0, "direction[in]"},
		{"sort by id", "?sort=id.asc", 422, nil, 0, "sort"},
		{"limit 0", "?limit=0", 422, nil, 0, "limit"},
		{"limit 101", "?limit=101", 422, nil, 0, "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := send(t, srv.URL(), "GET", "/calls"+tt.query, token, "")
			if a.status != tt.status {
				t.Fatalf("status %d, want %d (%v)", a.status, tt.status, a.body)
			}
			if tt.status != 200 {
				if len(a.fieldErrors(tt.field)) == 0 {
					t.Errorf("422 body %v has no error for %s", a.body, tt.field)
				}
				return
			}
			if got := uuids(a); !slices.Equal(got, tt.want) {
				t.Errorf("uuids = %v, want %v", got, tt.want)
			}
			meta := a.body["meta"].(map[string]any)
			if int(meta["count"].(float64)) != tt.count {
				t.Errorf("meta = %v, want count %d", meta, tt.count)
			}
		})
	}
	a := send(t, srv.URL(), "GET", "/calls?limit=3&offset=1", token, "")
	if meta := a.body["meta"].(map[string]any); meta["limit"] != 3.0 || meta["offset"] != 1.0 {
		t.Errorf("meta = %v, want limit 3, offset 1", meta)
	}
}

func TestCallRowShape(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	srv.AddCall(hipcall.CallRow{UUID: "row", Direction: "inbound", StartedAt: at(0), UserID: "42", ContactID: "7", CallDuration: ptr(int64(61))})
	srv.AddCall(map[string]any{
		"uuid": "map", "direction": "outbound", "started_at": "2026-03-01 11:00:00", "user_id": 42,
		"caller_type": "user", "call_flow": []any{map[string]any{"action": "dial"}}, "missing_call": "false",
	})
	srv.AddCall([]byte(`{"uuid":"json","direction":"inbound","started_at":1772362800,"ended_at":"2026-03-01T10:05:00Z"}`))
	a := send(t, srv.URL(), "GET", "/calls?sort=started_at.asc", token, "")
	rows := map[string]map[string]any{}
	for _, r := range a.body["data"].([]any) {
		m := r.(map[string]any)
		rows[m["uuid"].(string)] = m
	}
	if len(rows) != 3 {
		t.Fatalf("rows = %v", a.body)
	}
	for _, f := range []string{"uuid", "direction", "caller_number", "callee_number", "started_at", "answered_at", "bridged_at",
		"ended_at", "call_duration", "missing_call", "missing_call_reason", "hangup_by", "user_id", "contact_id",
		"company_id", "record_url", "voicemail_url", "voicemail_id"} {
		for uuid, row := range rows {
			if _, ok := row[f]; !ok {
				t.Errorf("row %s has no %s (every call field is shown, null when unknown)", uuid, f)
			}
		}
	}
	r := rows["row"]
	if r["user_id"] != 42.0 || r["contact_id"] != 7.0 || r["call_duration"] != 61.0 || r["started_at"] != "2026-03-01T12:00:00Z" || r["caller_number"] != nil {
		t.Errorf("struct row = %v", r)
	}
	m := rows["map"]
	if m["caller_type"] != "user" || m["call_flow"] == nil || m["user_id"] != 42.0 {
		t.Errorf("map row = %v, want its own fields kept", m)
	}
	if got, _ := srv.Call("map"); got.StartedAt == nil || !got.StartedAt.Equal(epoch.Add(-time.Hour)) || got.MissingCall == nil || *got.MissingCall {
		t.Errorf("map call read as %+v", got)
	}
	if got, _ := srv.Call("json"); got.EndedAt == nil || got.StartedAt == nil || got.StartedAt.Unix() != 1772362800 {
		t.Errorf("JSON call read as %+v", got)
	}

	for name, bad := range map[string]any{"no uuid": hipcall.CallRow{Direction: "inbound"}, "wrong type": 42, "not an object": []byte(`[1]`)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("AddCall(%s) did not panic", name)
				}
			}()
			srv.AddCall(bad)
		}()
	}
}

func TestComments(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	srv.AddCall(hipcall.CallRow{UUID: "c1"})
	tests := []struct {
		name   string
		uuid   string
		body   string
		status int
		field  string
		msg    string
	}{
		{"ok", "c1", `{"content":"Called back, all fine"}`, 201, "", ""},
		{"empty", "c1", `{"content":""}`, 422, "content", "Shorter than minimum length 1."},
		{"missing", "c1", `{}`, 422, "content", "can't be blank"},
		{"null", "c1", `{"content":null}`, 422, "content", "can't be blank"},
		{"not a string", "c1", `{"content":5}`, 422, "content", "is invalid"},
		{"unknown field", "c1", `{"content":"x","pinned":true}`, 422, "pinned", "Unexpected field"},
		{"malformed", "c1", `{"content":`, 400, "", ""},
		{"unknown call", "nope", `{"content":"x"}`, 404, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := send(t, srv.URL(), "POST", "/calls/"+tt.uuid+"/comments", token, tt.body)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d (%v)", a.status, tt.status, a.body)
			}
			switch tt.status {
			case 201:
				d := a.data()
				user, _ := d["user"].(map[string]any)
				if d["id"] == nil || d["content"] != "Called back, all fine" || user["id"] != float64(fakehipcall.APIUserID) {
					t.Errorf("201 body %v", a.body)
				}
			case 422:
				if got := a.fieldErrors(tt.field); len(got) != 1 || got[0] != tt.msg {
					t.Errorf("errors.%s = %v, want [%q]", tt.field, got, tt.msg)
				}
			case 404:
				if errs := a.body["errors"].(map[string]any); errs["detail"] != "Not Found" {
					t.Errorf("404 body %v", a.body)
				}
			}
		})
	}
	// Not idempotent: the same POST again is a second comment.
	if a := send(t, srv.URL(), "POST", "/calls/c1/comments", token, `{"content":"Called back, all fine"}`); a.status != 201 {
		t.Fatalf("second POST: %d", a.status)
	}
	got := srv.Comments("c1")
	if len(got) != 2 || got[0].Content != got[1].Content || got[0].ID == got[1].ID {
		t.Errorf("comments = %+v, want two with distinct ids", got)
	}
	if n := srv.Succeeded(commentRt); n != 2 {
		t.Errorf("Succeeded = %d, want 2", n)
	}
}

func TestTags(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	srv.AddCall(hipcall.CallRow{UUID: "c1"})
	srv.AddTag(5617, "VIP")
	srv.AddTag(12, "Callback")
	tests := []struct {
		name   string
		uuid   string
		body   string
		status int
		field  string
	}{
		{"ok", "c1", `{"tag_id":5617}`, 201, ""},
		{"again", "c1", `{"tag_id":5617}`, 201, ""},
		{"another", "c1", `{"tag_id":12}`, 201, ""},
		{"unknown tag", "c1", `{"tag_id":999}`, 404, ""},
		{"unknown call", "nope", `{"tag_id":5617}`, 404, ""},
		{"missing", "c1", `{}`, 422, "tag_id"},
		{"null", "c1", `{"tag_id":null}`, 422, "tag_id"},
		{"string", "c1", `{"tag_id":"5617"}`, 422, "tag_id"},
		{"fraction", "c1", `{"tag_id":56.5}`, 422, "tag_id"},
		{"unknown field", "c1", `{"tag_id":5617,"name":"VIP"}`, 422, "name"},
		{"malformed", "c1", `[`, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := send(t, srv.URL(), "POST", "/calls/"+tt.uuid+"/tags", token, tt.body)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d (%v)", a.status, tt.status, a.body)
			}
			if tt.field != "" && len(a.fieldErrors(tt.field)) == 0 {
				t.Errorf("422 body %v has no error for %s", a.body, tt.field)
			}
			if tt.status == 404 && a.body["errors"].(map[string]any)["detail"] != "Not Found" {
				t.Errorf("404 body %v", a.body)
			}
		})
	}
	// Idempotent: 5617 twice is one tag.
	if got := srv.Tags("c1"); len(got) != 2 || got[0] != (fakehipcall.Tag{ID: 5617, Name: "VIP"}) || got[1].ID != 12 {
		t.Errorf("tags = %+v, want VIP then Callback, once each", got)
	}
}

func TestDisposition(t *testing.T) {
	srv, clock := start(t, fakehipcall.Options{})
	srv.AddCall(hipcall.CallRow{UUID: "in", Direction: "inbound", StartedAt: at(-10 * time.Minute), EndedAt: at(-5 * time.Minute)})
	srv.AddCall(hipcall.CallRow{UUID: "live", Direction: "outbound", StartedAt: at(-time.Minute)})
	cb := srv.AddDisposition("callback_requested", "Callback requested", "inbound")
	sale := srv.AddDisposition("sale", "Sale")
	tests := []struct {
		name   string
		uuid   string
		body   string
		status int
		field  string
		msg    string
	}{
		{"by code", "in", `{"disposition_code":"callback_requested"}`, 200, "", ""},
		{"by id", "in", `{"disposition_id":` + jsonInt(sale.ID) + `}`, 200, "", ""},
		{"both", "in", `{"disposition_code":"sale","disposition_id":` + jsonInt(sale.ID) + `}`, 422, "disposition_id", ""},
		{"neither", "in", `{}`, 422, "disposition_code", "can't be blank"},
		{"unknown code", "in", `{"disposition_code":"nope"}`, 422, "disposition_code", "does not exist"},
		{"unknown id", "in", `{"disposition_id":999}`, 422, "disposition_id", "does not exist"},
		{"wrong direction", "live", `{"disposition_code":"callback_requested"}`, 422, "direction", "does not apply to this call"},
		{"code not a string", "in", `{"disposition_code":5}`, 422, "disposition_code", "is invalid"},
		{"unknown field", "in", `{"disposition_code":"sale","note":"x"}`, 422, "note", "Unexpected field"},
		{"unknown call", "nope", `{"disposition_code":"sale"}`, 404, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := send(t, srv.URL(), "PUT", "/calls/"+tt.uuid+"/disposition", token, tt.body)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d (%v)", a.status, tt.status, a.body)
			}
			if tt.field != "" {
				if got := a.fieldErrors(tt.field); len(got) == 0 || (tt.msg != "" && got[0] != tt.msg) {
					t.Errorf("errors.%s = %v, want [%q]", tt.field, got, tt.msg)
				}
			}
		})
	}
	a := send(t, srv.URL(), "PUT", "/calls/in/disposition", token, `{"disposition_code":"callback_requested"}`)
	want := map[string]any{"code": "callback_requested", "name": "Callback requested", "disposition_id": float64(cb.ID),
		"edit_window_minutes": 15.0, "editable_until": "2026-03-01T12:10:00Z", "editable": true}
	if a.status != 200 || jsonOf(a.data()) != jsonOf(want) {
		t.Errorf("200 body %v, want data %v", a.body, want)
	}
	if d, ok := srv.Disposition("in"); !ok || d.Code != "callback_requested" || len(srv.DispositionHistory("in")) != 3 {
		t.Errorf("disposition = %+v, history %d; want callback_requested after 3 PUTs", d, len(srv.DispositionHistory("in")))
	}

	// The edit window: until 15 minutes after the call ended, not after.
	clock.Advance(10 * time.Minute) // 12:10:00, the last editable moment
	if a := send(t, srv.URL(), "PUT", "/calls/in/disposition", token, `{"disposition_code":"sale"}`); a.status != 200 {
		t.Errorf("at the window's end: %d %v", a.status, a.body)
	}
	clock.Advance(time.Second)
	a = send(t, srv.URL(), "PUT", "/calls/in/disposition", token, `{"disposition_code":"callback_requested"}`)
	if a.status != 422 || a.body["editable"] != false || strings.Join(a.fieldErrors("disposition"), "") != "is no longer editable" {
		t.Errorf("past the window: %d %v", a.status, a.body)
	}
	if d, _ := srv.Disposition("in"); d.Code != "sale" {
		t.Errorf("a refused PUT changed the disposition to %q", d.Code)
	}
	// A call that has not ended has no window yet.
	a = send(t, srv.URL(), "PUT", "/calls/live/disposition", token, `{"disposition_code":"sale"}`)
	if a.status != 200 || a.data()["editable_until"] != nil || a.data()["editable"] != true {
		t.Errorf("ongoing call: %d %v", a.status, a.body)
	}

	short, _ := start(t, fakehipcall.Options{DispositionEditWindow: time.Minute})
	short.AddCall(hipcall.CallRow{UUID: "x", Direction: "inbound", EndedAt: at(-2 * time.Minute)})
	short.AddDisposition("sale", "Sale")
	if a := send(t, short.URL(), "PUT", "/calls/x/disposition", token, `{"disposition_code":"sale"}`); a.status != 422 {
		t.Errorf("1-minute window, ended 2 minutes ago: %d", a.status)
	}
}

func TestDispositionsList(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	if a := send(t, srv.URL(), "GET", "/dispositions", token, ""); a.status != 200 || len(a.body["data"].([]any)) != 0 {
		t.Errorf("no dispositions until added: %v", a.body)
	}
	srv.AddDisposition("callback_requested", "Callback requested", "inbound", "outbound")
	srv.AddDisposition("sale", "Sale")
	srv.AddDisposition("sale", "Sale!", "outbound") // changes it
	a := send(t, srv.URL(), "GET", "/dispositions", token, "")
	want := `[{"code":"callback_requested","directions":["inbound","outbound"],"disposition_id":1,"name":"Callback requested"},` +
		`{"code":"sale","directions":["outbound"],"disposition_id":2,"name":"Sale!"}]`
	if a.status != 200 || jsonOf(a.body["data"]) != want {
		t.Errorf("GET /dispositions = %v, want %s", a.body["data"], want)
	}
	if a := send(t, srv.URL(), "GET", "/dispositions?limit=1&offset=1", token, ""); len(a.body["data"].([]any)) != 1 || a.body["meta"].(map[string]any)["count"] != 2.0 {
		t.Errorf("paged: %v", a.body)
	}
	if a := send(t, srv.URL(), "GET", "/dispositions?direction[eq]=inbound", token, ""); a.status != 422 {
		t.Errorf("unknown filter: %d", a.status)
	}
}

func TestTasks(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	ct := srv.AddContact(hipcall.Contact{FirstName: "Ada", LastName: "Lovelace"})
	co := srv.AddCompany(hipcall.Company{Name: "Acme"})
	full := `{"data":{"name":"Call back","description":"About the invoice","assign_to_user_id":7,"due_date":"2026-09-27T18:00:00+03:00",` +
		`"contact_ids":[` + jsonInt(ct.ID) + `],"company_ids":[` + jsonInt(co.ID) + `],"priority":"high"}}`
	tests := []struct {
		name   string
		body   string
		status int
		field  string
		msg    string
	}{
		{"full", full, 201, "", ""},
		{"name only", `{"data":{"name":"Call back"}}`, 201, "", ""},
		{"missing name", `{"data":{"description":"x"}}`, 400, "data", "#/data/name: Missing field: name"},
		{"null name", `{"data":{"name":null}}`, 400, "data", "#/data/name: Missing field: name"},
		{"name not a string", `{"data":{"name":5}}`, 400, "data", "#/data/name: Invalid string. Got: integer"},
		{"ids not integers", `{"data":{"name":"x","contact_ids":["1"]}}`, 400, "data", "#/data/contact_ids/0: Invalid integer. Got: string"},
		{"missing data", `{"name":"x"}`, 400, "data", "#/data: Missing field: data"},
		{"blank name", `{"data":{"name":"  "}}`, 422, "name", "can't be blank"},
		{"due date without zone", `{"data":{"name":"x","due_date":"2026-09-27T15:00:00"}}`, 422, "due_date", "Invalid format"},
		{"due date only a day", `{"data":{"name":"x","due_date":"2026-09-27"}}`, 422, "due_date", "Invalid format"},
		{"unknown contact", `{"data":{"name":"x","contact_ids":[999]}}`, 422, "contact_ids", "does not exist"},
		{"unknown company", `{"data":{"name":"x","company_ids":[999]}}`, 422, "company_ids", "does not exist"},
		{"unknown field", `{"data":{"name":"x","colour":"red"}}`, 422, "colour", "Unexpected field"},
		{"unknown top field", `{"data":{"name":"x"},"meta":{}}`, 422, "meta", "Unexpected field"},
		{"malformed", `{"data":`, 400, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := send(t, srv.URL(), "POST", "/tasks", token, tt.body)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d (%v)", a.status, tt.status, a.body)
			}
			if tt.field != "" {
				if got := a.fieldErrors(tt.field); len(got) != 1 || got[0] != tt.msg {
					t.Errorf("errors.%s = %v, want [%q]", tt.field, got, tt.msg)
				}
			}
		})
	}
	a := send(t, srv.URL(), "POST", "/tasks", token, full)
	want := map[string]any{"id": 3.0, "name": "Call back", "description": "About the invoice", "done": false, "done_at": nil,
		"due_date": "2026-09-27T15:00:00Z", "priority": "high", "assign_to_user_id": 7.0,
		"contacts": []any{map[string]any{"id": float64(ct.ID), "name": "Ada Lovelace"}}, "companies": []any{map[string]any{"id": float64(co.ID), "name": "Acme"}}}
	if a.status != 201 || jsonOf(a.data()) != jsonOf(want) {
		t.Errorf("201 body %v, want data %v", a.body, want)
	}
	// Not idempotent: the full task twice is two tasks.
	tasks := srv.Tasks()
	if len(tasks) != 3 || tasks[0].Name != tasks[2].Name || tasks[0].ID == tasks[2].ID || !tasks[2].DueDate.Equal(time.Date(2026, 9, 27, 15, 0, 0, 0, time.UTC)) {
		t.Errorf("tasks = %+v, want 3 (the full one twice)", tasks)
	}
}

// get fetches an absolute URL without a token and returns its status,
// header and body.
func get(t *testing.T, u string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func recordURL(t *testing.T, srv *fakehipcall.Server, uuid string) string {
	t.Helper()
	a := send(t, srv.URL(), "GET", "/calls", token, "")
	for _, r := range a.body["data"].([]any) {
		if m := r.(map[string]any); m["uuid"] == uuid {
			u, _ := m["record_url"].(string)
			return u
		}
	}
	t.Fatalf("no call %s in %v", uuid, a.body)
	return ""
}

func TestRecordings(t *testing.T) {
	srv, clock := start(t, fakehipcall.Options{RateLimit: 1})
	srv.AddCall(hipcall.CallRow{UUID: "c1", StartedAt: at(0)})
	audio := append([]byte("ID3"), make([]byte, 1000)...)
	link := srv.AddRecording("c1", audio, 5*time.Minute)
	if !strings.HasPrefix(link, strings.TrimSuffix(srv.URL(), fakehipcall.PathPrefix)+"/recordings/") {
		t.Fatalf("link %q is not on the fake's /recordings/", link)
	}
	status, hdr, body := get(t, link) // no token; not rate limited either
	if status != 200 || string(body) != string(audio) || hdr.Get("Content-Type") != "audio/mpeg" {
		t.Fatalf("download: %d %q, %d bytes", status, hdr.Get("Content-Type"), len(body))
	}
	listed := recordURL(t, srv, "c1") // the window's one API request
	if listed == link || !strings.Contains(listed, "/recordings/") {
		t.Errorf("listed record_url %q, want a fresh link", listed)
	}
	clock.Advance(5 * time.Minute)
	for _, u := range []string{link, listed} {
		status, _, body = get(t, u)
		if status != 403 || !strings.Contains(string(body), "Request has expired") {
			t.Errorf("expired link: %d %s", status, body)
		}
	}
	clock.Advance(time.Minute) // a new rate-limit window
	if status, _, _ := get(t, recordURL(t, srv, "c1")); status != 200 {
		t.Errorf("fresh link after listing again: %d", status)
	}
	if status, _, body := get(t, strings.TrimSuffix(srv.URL(), fakehipcall.PathPrefix)+"/recordings/forged"); status != 403 || !strings.Contains(string(body), "Access Denied") {
		t.Errorf("unknown token: %d %s", status, body)
	}

	srv.Fail(fakehipcall.RecordingRoute, 503)
	if status, _, _ := get(t, link); status != 503 {
		t.Errorf("scripted fault: %d, want 503", status)
	}
	if n := srv.Count(fakehipcall.RecordingRoute); n != 6 {
		t.Errorf("recording requests logged = %d, want 6", n)
	}
	if a := send(t, srv.URL(), "GET", "/calls", token, ""); a.status != 429 {
		t.Errorf("API request after the window's one: %d, want 429 (downloads do not count)", a.status)
	}

	defer func() {
		if recover() == nil {
			t.Error("AddRecording for an unknown call did not panic")
		}
	}()
	srv.AddRecording("nope", audio, time.Minute)
}

func TestRecordingsOnAnotherHost(t *testing.T) {
	var h http.Handler
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	defer storage.Close()
	srv, _ := start(t, fakehipcall.Options{RecordingsURL: storage.URL + "/recordings"})
	h = srv.RecordingsHandler()
	srv.AddCall(hipcall.CallRow{UUID: "c1"})
	link := srv.AddRecording("c1", []byte("RIFF....WAVE"), 0)
	listed := recordURL(t, srv, "c1")
	for _, u := range []string{link, listed} {
		if !strings.HasPrefix(u, storage.URL+"/recordings/") {
			t.Fatalf("link %q is not on the storage host %s", u, storage.URL)
		}
		if status, _, body := get(t, u); status != 200 || string(body) != "RIFF....WAVE" {
			t.Errorf("download from the storage host: %d %q", status, body)
		}
	}
	if status, _, _ := get(t, storage.URL+fakehipcall.PathPrefix+"/calls"); status != 404 {
		t.Errorf("the API through RecordingsHandler: %d, want 404", status)
	}
}

// TestNewRoutesAuthRateLimitFaults: the call routes, dispositions and
// tasks check the token, count against the rate limit, take scripted
// faults and are logged, like every route.
func TestNewRoutesAuthRateLimitFaults(t *testing.T) {
	tests := []struct {
		route, method, path, body string
	}{
		{commentRt, "POST", "/calls/c1/comments", `{"content":"x"}`},
		{tagRt, "POST", "/calls/c1/tags", `{"tag_id":1}`},
		{dispositionRt, "PUT", "/calls/c1/disposition", `{"disposition_code":"sale"}`},
		{"GET /dispositions", "GET", "/dispositions", ""},
		{taskRt, "POST", "/tasks", `{"data":{"name":"x"}}`},
		{callsRt, "GET", "/calls", ""},
	}
	for _, tt := range tests {
		t.Run(tt.route, func(t *testing.T) {
			srv, _ := start(t, fakehipcall.Options{RateLimit: 2}) // per token: the tokenless request has its own window
			srv.AddCall(hipcall.CallRow{UUID: "c1", Direction: "inbound"})
			srv.AddTag(1, "VIP")
			srv.AddDisposition("sale", "Sale")
			if a := send(t, srv.URL(), tt.method, tt.path, "", tt.body); a.status != 401 {
				t.Errorf("no token: %d, want 401", a.status)
			}
			srv.Fail(tt.route, 503)
			if a := send(t, srv.URL(), tt.method, tt.path, token, tt.body); a.status != 503 {
				t.Errorf("scripted 503: %d", a.status)
			}
			if a := send(t, srv.URL(), tt.method, tt.path, token, tt.body); a.status/100 != 2 {
				t.Errorf("served: %d %v", a.status, a.body)
			}
			if a := send(t, srv.URL(), tt.method, tt.path, token, tt.body); a.status != 429 || a.header.Get("x-ratelimit-remaining") != "0" {
				t.Errorf("3rd request in a window of 2: %d", a.status)
			}
			if srv.Count(tt.route) != 4 || srv.Succeeded(tt.route) != 1 {
				t.Errorf("Count = %d, Succeeded = %d; want 4, 1", srv.Count(tt.route), srv.Succeeded(tt.route))
			}
		})
	}
}

// TestHoldWriteOnCallRoutes: a held comment is applied only once released
// (AfterApplying: applied before release, answered after).
func TestHoldWriteOnCallRoutes(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	srv.AddCall(hipcall.CallRow{UUID: "c1"})
	h := srv.HoldWrite(commentRt, 1, fakehipcall.AfterApplying)
	done := make(chan int)
	go func() {
		req, _ := http.NewRequest("POST", srv.URL()+"/calls/c1/comments", strings.NewReader(`{"content":"x"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	<-h.Reached()
	if n := len(srv.Comments("c1")); n != 1 {
		t.Errorf("comments while held after applying = %d, want 1", n)
	}
	h.Release()
	if status := <-done; status != 201 {
		t.Errorf("released: %d", status)
	}
}

func TestResetForgetsCalls(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	srv.AddCall(hipcall.CallRow{UUID: "c1"})
	srv.AddTag(1, "VIP")
	srv.AddDisposition("sale", "Sale")
	send(t, srv.URL(), "POST", "/calls/c1/comments", token, `{"content":"x"}`)
	srv.Reset()
	if _, ok := srv.Call("c1"); ok || len(srv.Comments("c1")) != 0 || len(srv.AccountTags()) != 0 || len(srv.DispositionTypes()) != 0 || len(srv.Tasks()) != 0 {
		t.Error("Reset left calls, comments, tags, dispositions or tasks behind")
	}
}
