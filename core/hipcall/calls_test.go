package hipcall_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
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

func tp(t time.Time) *time.Time { return &t }

// withCall is setup with the call callUUID (inbound, ended at epoch), tag
// 5617 "VIP" and the dispositions callback_requested (inbound) and sale
// (outbound).
func withCall(t *testing.T, mod func(*hipcall.Options)) *env {
	t.Helper()
	e := setup(t, fakehipcall.Options{}, mod)
	e.srv.AddCall(hipcall.CallRow{UUID: callUUID, Direction: "inbound", StartedAt: tp(epoch.Add(-5 * time.Minute)), EndedAt: tp(epoch)})
	e.srv.AddTag(5617, "VIP")
	e.srv.AddDisposition("callback_requested", "Callback requested", "inbound")
	e.srv.AddDisposition("sale", "Sale", "outbound")
	return e
}

func TestAddComment(t *testing.T) {
	e := withCall(t, nil)
	ctx := context.Background()
	id, err := e.c.AddComment(ctx, callUUID, "Called back, all fine")
	if err != nil {
		t.Fatalf("AddComment: %v", err)
	}
	got := e.srv.Comments(callUUID)
	if len(got) != 1 || got[0].Content != "Called back, all fine" || id != fmt.Sprint(got[0].ID) {
		t.Errorf("id %q, comments %+v", id, got)
	}

	tests := []struct {
		name    string
		uuid    string
		content string
		status  int
		hint    string
	}{
		{"empty content", callUUID, "", 422, "check the comment template in hipcall.after_call.actions[..].comment"},
		{"unknown call", "no-such-call", "x", 404, "Hipcall has no call no-such-call"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.srv.ResetRequests()
			_, err := e.c.AddComment(ctx, tt.uuid, tt.content)
			var ae *hipcall.APIError
			if !errors.As(err, &ae) || ae.HTTPStatus() != tt.status {
				t.Fatalf("AddComment = %v, want a %d", err, tt.status)
			}
			if !strings.Contains(err.Error(), tt.hint) {
				t.Errorf("message %q does not say %q", err, tt.hint)
			}
			if !hipcall.IsPermanent(err) {
				t.Error("IsPermanent = false")
			}
			if n := len(e.srv.Requests()); n != 1 {
				t.Errorf("requests = %d, want 1", n)
			}
		})
	}
	if n := len(e.srv.Comments(callUUID)); n != 1 {
		t.Errorf("comments = %d, want 1", n)
	}
	if _, err := e.c.AddComment(ctx, " ", "x"); !errors.Is(err, hipcall.ErrInvalidInput) {
		t.Errorf("blank uuid: %v, want ErrInvalidInput", err)
	}
}

func TestAddTag(t *testing.T) {
	e := withCall(t, nil)
	ctx := context.Background()
	for range 2 {
		if err := e.c.AddTag(ctx, callUUID, 5617); err != nil {
			t.Fatalf("AddTag: %v", err)
		}
	}
	if got := e.srv.Tags(callUUID); len(got) != 1 || got[0].ID != 5617 {
		t.Errorf("tags = %+v, want 5617 once", got)
	}
	err := e.c.AddTag(ctx, callUUID, 999)
	if !hipcall.IsNotFound(err) || !hipcall.IsPermanent(err) {
		t.Fatalf("unknown tag: %v, want a permanent 404", err)
	}
	if want := "create the tag in Hipcall's panel or fix hipcall.after_call.actions[..].tags"; !strings.Contains(err.Error(), want) {
		t.Errorf("message %q does not say %q", err, want)
	}
	if n := e.srv.Count(tagRt); n != 3 {
		t.Errorf("tag POSTs = %d, want 3 (no retry of a 404)", n)
	}
	if err := e.c.AddTag(ctx, callUUID, 0); !errors.Is(err, hipcall.ErrInvalidInput) || !hipcall.IsPermanent(err) {
		t.Errorf("tag id 0: %v, want ErrInvalidInput", err)
	}
	if n := e.srv.Count(tagRt); n != 3 {
		t.Errorf("tag id 0 was sent")
	}
}

// TestRetryRules: a 429 is retried for every endpoint (Hipcall refused
// the request before doing anything); a 5xx only for the idempotent ones
// (tags, disposition, lists), never for comments and tasks, whose second
// POST would be a second comment or task.
func TestRetryRules(t *testing.T) {
	ctx := context.Background()
	comment := func(e *env) error { _, err := e.c.AddComment(ctx, callUUID, "x"); return err }
	tag := func(e *env) error { return e.c.AddTag(ctx, callUUID, 5617) }
	disposition := func(e *env) error { _, err := e.c.SetDisposition(ctx, callUUID, "callback_requested"); return err }
	task := func(e *env) error { _, err := e.c.CreateTask(ctx, hipcall.TaskRequest{Name: "Call back"}); return err }
	calls := func(e *env) error { _, _, err := e.c.ListCalls(ctx, hipcall.CallsQuery{}); return err }
	applied := map[string]func(e *env) int{
		commentRt:     func(e *env) int { return len(e.srv.Comments(callUUID)) },
		tagRt:         func(e *env) int { return len(e.srv.Tags(callUUID)) },
		dispositionRt: func(e *env) int { return len(e.srv.DispositionHistory(callUUID)) },
		taskRt:        func(e *env) int { return len(e.srv.Tasks()) },
		callsRt:       func(e *env) int { return e.srv.Succeeded(callsRt) },
	}
	tests := []struct {
		route    string
		do       func(*env) error
		statuses []int
		requests int
		ok       bool
	}{
		{commentRt, comment, []int{429}, 2, true},
		{commentRt, comment, []int{503}, 1, false},
		{commentRt, comment, []int{500}, 1, false},
		{taskRt, task, []int{429, 429}, 3, true},
		{taskRt, task, []int{502}, 1, false},
		{tagRt, tag, []int{429}, 2, true},
		{tagRt, tag, []int{503, 500}, 3, true},
		{dispositionRt, disposition, []int{503}, 2, true},
		{dispositionRt, disposition, []int{429}, 2, true},
		{callsRt, calls, []int{500}, 2, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %v", tt.route, tt.statuses), func(t *testing.T) {
			e := withCall(t, nil)
			e.srv.Fail(tt.route, tt.statuses...)
			err := tt.do(e)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok %v", err, tt.ok)
			}
			if n := e.srv.Count(tt.route); n != tt.requests {
				t.Errorf("requests = %d, want %d", n, tt.requests)
			}
			want := 0
			if tt.ok {
				want = 1
			}
			if n := applied[tt.route](e); n != want {
				t.Errorf("applied %d times, want %d", n, want)
			}
			if !tt.ok {
				if !strings.Contains(err.Error(), "not sent again") || hipcall.IsPermanent(err) {
					t.Errorf("message %q: want it to say it was not sent again, and not permanent", err)
				}
			}
			if s := e.c.Stats(); s.Requests != int64(tt.requests) || s.Retries != int64(tt.requests-1) {
				t.Errorf("stats = %+v, want %d requests, %d retries", s, tt.requests, tt.requests-1)
			}
		})
	}
}

// TestNonIdempotentTimeoutNotRetried: a comment or a task whose answer is
// lost (Hipcall applied it, the client timed out) is not sent again.
func TestNonIdempotentTimeoutNotRetried(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		route  string
		do     func(*env) error
		advice string
		count  func(*env) int
	}{
		{commentRt, func(e *env) error { _, err := e.c.AddComment(ctx, callUUID, "x"); return err },
			"check the call's comments in Hipcall", func(e *env) int { return len(e.srv.Comments(callUUID)) }},
		{taskRt, func(e *env) error { _, err := e.c.CreateTask(ctx, hipcall.TaskRequest{Name: "x"}); return err },
			"check Hipcall's tasks", func(e *env) int { return len(e.srv.Tasks()) }},
	}
	for _, tt := range tests {
		t.Run(tt.route, func(t *testing.T) {
			e := withCall(t, func(o *hipcall.Options) { o.Timeout = 200 * time.Millisecond })
			held := e.srv.HoldWrite(tt.route, 1, fakehipcall.AfterApplying)
			defer held.Release()
			err := tt.do(e)
			var re *hipcall.RequestError
			if !errors.As(err, &re) || !re.MaybeApplied || re.Attempts != 1 || re.HTTPStatus() != 0 {
				t.Fatalf("err = %v, want a RequestError with MaybeApplied after 1 attempt", err)
			}
			if !strings.Contains(err.Error(), tt.advice) {
				t.Errorf("message %q does not say %q", err, tt.advice)
			}
			held.Release()
			if n := e.srv.Count(tt.route); n != 1 {
				t.Errorf("requests = %d, want 1", n)
			}
			if n := tt.count(e); n != 1 {
				t.Errorf("applied %d times, want 1", n)
			}
		})
	}
}

func TestSetDisposition(t *testing.T) {
	e := withCall(t, nil)
	e.srv.AddCall(hipcall.CallRow{UUID: "out-1", Direction: "outbound", EndedAt: tp(epoch)})
	ctx := context.Background()
	d, err := e.c.SetDisposition(ctx, callUUID, "callback_requested")
	if err != nil {
		t.Fatalf("SetDisposition: %v", err)
	}
	if d.Code != "callback_requested" || d.Name != "Callback requested" || d.DispositionID != 1 || !d.Editable ||
		d.EditWindowMinutes != 15 || d.EditableUntil == nil || !d.EditableUntil.Equal(epoch.Add(15*time.Minute)) {
		t.Errorf("disposition = %+v", d)
	}
	if got, _ := e.srv.Disposition(callUUID); got.Code != "callback_requested" {
		t.Errorf("fake has %+v", got)
	}
	if r := e.srv.Requests(); string(r[len(r)-1].Body) != `{"disposition_code":"callback_requested"}` {
		t.Errorf("body sent = %s", r[len(r)-1].Body)
	}

	tests := []struct {
		name  string
		uuid  string
		code  string
		check func(error) bool
		hint  string
	}{
		{"wrong direction", "out-1", "callback_requested", hipcall.IsWrongDirection, "is not made for this call's direction"},
		{"unknown code", callUUID, "nope", hipcall.IsValidation, "create it in Hipcall's panel or fix hipcall.after_call.actions[..].disposition"},
		{"unknown call", "no-such-call", "sale", hipcall.IsNotFound, "Hipcall has no call no-such-call"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.c.SetDisposition(ctx, tt.uuid, tt.code)
			if !tt.check(err) || !hipcall.IsPermanent(err) || !strings.Contains(err.Error(), tt.hint) {
				t.Errorf("err = %v, want a permanent error saying %q", err, tt.hint)
			}
		})
	}

	e.clock.Advance(15*time.Minute + time.Second)
	_, err = e.c.SetDisposition(ctx, callUUID, "callback_requested")
	if !hipcall.IsNotEditable(err) || !hipcall.IsPermanent(err) || !strings.Contains(err.Error(), "edit window") {
		t.Errorf("past the edit window: %v", err)
	}
	if n := len(e.srv.DispositionHistory(callUUID)); n != 1 {
		t.Errorf("dispositions applied = %d, want 1", n)
	}
	if _, err := e.c.SetDisposition(ctx, callUUID, " "); !errors.Is(err, hipcall.ErrInvalidInput) {
		t.Errorf("blank code: %v", err)
	}
}

func TestListDispositions(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, nil)
	for i := range 105 {
		e.srv.AddDisposition(fmt.Sprintf("d%03d", i), "D", "inbound")
	}
	got, err := e.c.ListDispositions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 105 || got[104].Code != "d104" || got[0].DispositionID != 1 || !slices.Equal(got[0].Directions, []string{"inbound"}) {
		t.Errorf("dispositions = %d, first %+v", len(got), got[0])
	}
	if n := e.srv.Count("GET /dispositions"); n != 2 {
		t.Errorf("requests = %d, want 2 pages", n)
	}
}

func TestCreateTask(t *testing.T) {
	e := withCall(t, nil)
	ctx := context.Background()
	ct := e.srv.AddContact(hipcall.Contact{FirstName: "Ada"})
	co := e.srv.AddCompany(hipcall.Company{Name: "Acme"})
	istanbul := time.FixedZone("TRT", 3*3600)
	id, err := e.c.CreateTask(ctx, hipcall.TaskRequest{
		Name: "Call back", Description: "About the invoice", AssignToUserID: 7,
		DueDate:    time.Date(2026, 9, 27, 18, 0, 0, 0, istanbul),
		ContactIDs: []int64{ct.ID}, CompanyIDs: []int64{co.ID}, Priority: "high",
	})
	if err != nil {
		t.Fatalf("CreateTask: %v", err)
	}
	tasks := e.srv.Tasks()
	if len(tasks) != 1 || id != fmt.Sprint(tasks[0].ID) || *tasks[0].AssignToUserID != 7 || tasks[0].Priority != "high" ||
		!slices.Equal(tasks[0].ContactIDs, []int64{ct.ID}) || !slices.Equal(tasks[0].CompanyIDs, []int64{co.ID}) {
		t.Fatalf("id %q, tasks %+v", id, tasks)
	}
	var sent struct {
		Data map[string]any `json:"data"`
	}
	r := e.srv.Requests()
	if err := json.Unmarshal(r[len(r)-1].Body, &sent); err != nil || sent.Data["due_date"] != "2026-09-27T15:00:00Z" {
		t.Errorf("body sent = %s, want due_date in UTC with a Z", r[len(r)-1].Body)
	}
	if _, err := e.c.CreateTask(ctx, hipcall.TaskRequest{Name: "Only a name"}); err != nil {
		t.Errorf("name only: %v", err)
	}
	if r := e.srv.Requests(); string(r[len(r)-1].Body) != `{"data":{"name":"Only a name"}}` {
		t.Errorf("zero fields sent: %s", r[len(r)-1].Body)
	}

	tests := []struct {
		name   string
		task   hipcall.TaskRequest
		status int
		hint   string
	}{
		{"no name", hipcall.TaskRequest{Description: "x"}, 400, "the task has no name"},
		{"unknown contact", hipcall.TaskRequest{Name: "x", ContactIDs: []int64{999}}, 422, "a contact or company id of the task is unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.c.CreateTask(ctx, tt.task)
			var ae *hipcall.APIError
			if !errors.As(err, &ae) || ae.HTTPStatus() != tt.status || !hipcall.IsPermanent(err) {
				t.Fatalf("err = %v, want a permanent %d", err, tt.status)
			}
			if !strings.Contains(err.Error(), tt.hint) {
				t.Errorf("message %q does not say %q", err, tt.hint)
			}
		})
	}
	if n := len(e.srv.Tasks()); n != 2 {
		t.Errorf("tasks = %d, want 2", n)
	}
}

func TestListCalls(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, nil)
	ctx := context.Background()
	for i, c := range []struct {
		dir    string
		missed bool
	}{{"inbound", false}, {"outbound", false}, {"inbound", true}, {"internal", false}} {
		e.srv.AddCall(map[string]any{
			"uuid": fmt.Sprintf("c%d", i), "direction": c.dir, "missing_call": c.missed,
			"started_at": epoch.Add(time.Duration(i) * time.Minute).Format(time.RFC3339), "user_id": 42,
		})
	}
	missed := true
	tests := []struct {
		name  string
		q     hipcall.CallsQuery
		want  []string
		total int
		query map[string]string // the query sent
	}{
		{"all oldest first", hipcall.CallsQuery{}, []string{"c0", "c1", "c2", "c3"}, 4, map[string]string{"sort": "started_at.asc"}},
		{"newest first, paged", hipcall.CallsQuery{Desc: true, Limit: 2, Offset: 1}, []string{"c2", "c1"}, 4,
			map[string]string{"sort": "started_at.desc", "limit": "2", "offset": "1"}},
		{"window", hipcall.CallsQuery{From: epoch.Add(time.Minute + 500*time.Millisecond), To: epoch.Add(2*time.Minute + 500*time.Millisecond)},
			[]string{"c1", "c2"}, 2, map[string]string{"started_at[gte]": "2026-03-01T12:01:00Z", "started_at[lte]": "2026-03-01T12:02:01Z"}},
		{"one direction", hipcall.CallsQuery{Direction: []string{"inbound"}}, []string{"c0", "c2"}, 2, map[string]string{"direction[eq]": "inbound"}},
		{"directions", hipcall.CallsQuery{Direction: []string{"outbound", "internal"}}, []string{"c1", "c3"}, 2, map[string]string{"direction[in]": "outbound,internal"}},
		{"missed", hipcall.CallsQuery{Missing: &missed}, []string{"c2"}, 1, map[string]string{"missing_call[eq]": "true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.srv.ResetRequests()
			rows, total, err := e.c.ListCalls(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r.UUID)
			}
			if !slices.Equal(got, tt.want) || total != tt.total {
				t.Errorf("calls %v of %d, want %v of %d", got, total, tt.want, tt.total)
			}
			q := e.srv.Requests()[0].Query
			for k, v := range tt.query {
				if q.Get(k) != v {
					t.Errorf("query %s = %q, want %q (query %v)", k, q.Get(k), v, q)
				}
			}
		})
	}
	rows, _, _ := e.c.ListCalls(ctx, hipcall.CallsQuery{Limit: 1})
	if r := rows[0]; r.UserID != "42" || r.StartedAt == nil || !r.StartedAt.Equal(epoch) || r.MissingCall == nil || *r.MissingCall || r.CallerNumber != "" || len(r.Raw) == 0 {
		t.Errorf("row = %+v", r)
	}

	e.srv.ResetRequests()
	for name, q := range map[string]hipcall.CallsQuery{
		"bad direction":      {Direction: []string{"sideways"}},
		"limit 101":          {Limit: 101},
		"negative offset":    {Offset: -1},
		"window upside down": {From: epoch, To: epoch.Add(-time.Second)},
	} {
		if _, _, err := e.c.ListCalls(ctx, q); err == nil || !hipcall.IsPermanent(err) {
			t.Errorf("%s: %v, want a permanent error", name, err)
		}
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Errorf("%d bad queries were sent", n)
	}
}

func TestCallRowLenient(t *testing.T) {
	tests := []struct {
		name  string
		json  string
		check func(hipcall.CallRow) bool
	}{
		{"numbers as text", `{"uuid":"u","user_id":42,"contact_id":"7","call_duration":"61","missing_call":"true"}`, func(r hipcall.CallRow) bool {
			return r.UserID == "42" && r.ContactID == "7" && *r.CallDuration == 61 && *r.MissingCall
		}},
		{"times", `{"started_at":"2026-03-01T15:00:00+03:00","ended_at":1772366400,"answered_at":"2026-03-01 12:00:30"}`, func(r hipcall.CallRow) bool {
			return r.StartedAt.Equal(epoch) && r.EndedAt.Unix() == 1772366400 && r.AnsweredAt.Equal(epoch.Add(30*time.Second)) && r.StartedAt.Location() == time.UTC
		}},
		{"nulls and junk", `{"uuid":null,"started_at":"soon","call_duration":{},"missing_call":"maybe","user_id":[1]}`, func(r hipcall.CallRow) bool {
			return r.UUID == "" && r.StartedAt == nil && r.CallDuration == nil && r.MissingCall == nil && r.UserID == ""
		}},
		{"direction lower-cased, extra fields kept raw", `{"direction":"Inbound","call_flow":[{"action":"dial"}]}`, func(r hipcall.CallRow) bool {
			return r.Direction == "inbound" && strings.Contains(string(r.Raw), "call_flow")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r hipcall.CallRow
			if err := json.Unmarshal([]byte(tt.json), &r); err != nil {
				t.Fatal(err)
			}
			if !tt.check(r) {
				t.Errorf("read %s as %+v", tt.json, r)
			}
		})
	}
	var r hipcall.CallRow
	if err := json.Unmarshal([]byte(`[1]`), &r); err == nil {
		t.Error("a list read as a call row")
	}

	// A row written out (a job's payload, say) reads back the same.
	in := `{"uuid":"u","direction":"inbound","started_at":"2026-03-01T12:00:00.25Z","call_duration":61,"missing_call":false,"user_id":42,"record_url":"https://s3.example/r?sig=x"}`
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back hipcall.CallRow
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	back.Raw, r.Raw = nil, nil
	if !reflect.DeepEqual(back, r) {
		t.Errorf("round trip through %s:\n got %+v\nwant %+v", out, back, r)
	}
	if strings.Contains(string(out), "UUID") || !strings.Contains(string(out), `"uuid":"u"`) {
		t.Errorf("written as %s, want the webhook's field names", out)
	}
}

func TestEachCall(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, nil)
	ctx := context.Background()
	// 130 calls in one second (more than a page), then one a second.
	var want []string
	for i := range 130 {
		uuid := fmt.Sprintf("s%03d", i)
		e.srv.AddCall(hipcall.CallRow{UUID: uuid, StartedAt: tp(epoch.Add(time.Duration(i) * time.Millisecond))})
		want = append(want, uuid)
	}
	for i := range 150 {
		uuid := fmt.Sprintf("t%03d", i)
		e.srv.AddCall(hipcall.CallRow{UUID: uuid, StartedAt: tp(epoch.Add(time.Duration(i+1) * time.Second))})
		want = append(want, uuid)
	}
	e.srv.AddCall(hipcall.CallRow{UUID: "before", StartedAt: tp(epoch.Add(-time.Millisecond))})
	e.srv.AddCall(hipcall.CallRow{UUID: "after", StartedAt: tp(epoch.Add(150*time.Second + 600*time.Millisecond))})
	e.srv.AddCall(hipcall.CallRow{UUID: "late", StartedAt: tp(epoch.Add(10 * time.Minute))})

	to := epoch.Add(150*time.Second + 500*time.Millisecond) // "after" is in the last second but past To
	var got []string
	added := 0
	err := e.c.EachCall(ctx, epoch, to, func(r hipcall.CallRow) error {
		got = append(got, r.UUID)
		// New calls arrive while paging, as they start: one at the end of
		// the window, one after it. (Not during the last page: a call
		// that arrives after EachCall's last request is not seen.)
		if len(got)%40 == 0 && len(got) <= 160 {
			added++
			e.srv.AddCall(hipcall.CallRow{UUID: fmt.Sprintf("new%d", added), StartedAt: tp(epoch.Add(150*time.Second + time.Duration(added)*time.Millisecond))})
			e.srv.AddCall(hipcall.CallRow{UUID: fmt.Sprintf("out%d", added), StartedAt: tp(epoch.Add(time.Hour))})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, u := range got {
		seen[u]++
	}
	for u, n := range seen {
		if n != 1 {
			t.Errorf("%s seen %d times", u, n)
		}
	}
	for _, u := range want {
		if seen[u] != 1 {
			t.Errorf("%s not seen", u)
		}
	}
	for i := 1; i <= added; i++ {
		if seen[fmt.Sprintf("new%d", i)] != 1 {
			t.Errorf("new%d, added in the window while paging, not seen", i)
		}
	}
	for _, u := range []string{"before", "after", "late", "out1"} {
		if seen[u] != 0 {
			t.Errorf("%s, outside the window, seen", u)
		}
	}
	if len(got) != len(want)+added {
		t.Errorf("saw %d calls, want %d", len(got), len(want)+added)
	}
	for _, r := range e.srv.Requests() {
		if r.Query.Get("limit") != "100" || r.Query.Get("sort") != "started_at.asc" {
			t.Errorf("page query %v, want limit 100 by started_at.asc", r.Query)
		}
	}
	if n := e.srv.Count(callsRt); n > 8 {
		t.Errorf("%d pages for %d calls", n, len(got))
	}

	stop := errors.New("stop")
	n := 0
	if err := e.c.EachCall(ctx, time.Time{}, time.Time{}, func(hipcall.CallRow) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("fn's error: %v after %d calls", err, n)
	}
	e.srv.Fail(callsRt, 404)
	if err := e.c.EachCall(ctx, time.Time{}, time.Time{}, func(hipcall.CallRow) error { return nil }); !hipcall.IsNotFound(err) {
		t.Errorf("a failing page: %v", err)
	}
}

func TestIsPermanent(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{&hipcall.APIError{Status: 400}, true},
		{&hipcall.APIError{Status: 401}, true},
		{&hipcall.APIError{Status: 403}, true},
		{&hipcall.APIError{Status: 404}, true},
		{fmt.Errorf("wrapped: %w", &hipcall.APIError{Status: 422}), true},
		{&hipcall.APIError{Status: 408}, false},
		{&hipcall.APIError{Status: 429}, false},
		{&hipcall.APIError{Status: 500}, false},
		{&hipcall.APIError{Status: 503}, false},
		{&hipcall.RequestError{Err: context.DeadlineExceeded}, false},
		{&hipcall.RequestError{Err: errors.New("refused"), MaybeApplied: true}, false},
		{fmt.Errorf("x: %w", hipcall.ErrInvalidInput), true},
		{fmt.Errorf("x: %w", hipcall.ErrTooLarge), true},
		{&hipcall.CardError{Problems: []string{"x"}}, true},
		{context.Canceled, false},
	}
	for _, tt := range tests {
		if got := hipcall.IsPermanent(tt.err); got != tt.want {
			t.Errorf("IsPermanent(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	var se interface{ HTTPStatus() int }
	if !errors.As(fmt.Errorf("w: %w", &hipcall.APIError{Status: 404}), &se) || se.HTTPStatus() != http.StatusNotFound {
		t.Error("an APIError does not expose HTTPStatus through errors.As")
	}
}

// TestMeterCountsCallActions: the new endpoints are metered like the
// others: a comment's 429 and its resend are 2 requests, 1 retry.
func TestMeterCountsCallActions(t *testing.T) {
	e := withCall(t, nil)
	e.srv.TooManyRequests(commentRt, "1")
	var m hipcall.Meter
	ctx := hipcall.WithMeter(context.Background(), &m)
	if _, err := e.c.AddComment(ctx, callUUID, "x"); err != nil {
		t.Fatal(err)
	}
	if err := e.c.AddTag(ctx, callUUID, 5617); err != nil {
		t.Fatal(err)
	}
	if s := m.Stats(); s.Requests != 3 || s.Retries != 1 || s.RateLimited != 1 || s.Waited != time.Second {
		t.Errorf("meter = %+v, want 3 requests, 1 retry, 1 rate-limited, 1s waited", s)
	}
}
