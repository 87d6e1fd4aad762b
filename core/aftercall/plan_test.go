package aftercall

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/core/directory"
)

const missedInbound = `{"uuid":"u-missed","direction":"inbound","caller_number":"+442045205757","callee_number":"+442045200000",
	"started_at":"2026-09-27T14:29:00Z","ended_at":"2026-09-27T14:30:00Z","missing_call":true,"hangup_by":"contact"%s}`

// missed is a missed inbound call with extra JSON fields (",\"user_id\":17").
func missed(t *testing.T, extra string) string {
	t.Helper()
	return strings.Replace(missedInbound, "%s", extra, 1)
}

const taskAction = `
actions:
  - name: missed-task
    when: missed && inbound
    task:
      name: "Call back {{ .record.name | default .caller }}"
      due_in: 30m
      default_assignee: 42
`

func onlyTask(t *testing.T, steps []Step) *Task {
	t.Helper()
	if len(steps) != 1 || steps[0].Kind != KindTask || steps[0].Task == nil {
		t.Fatalf("steps = %+v, want one task", steps)
	}
	if steps[0].Problem != "" {
		t.Fatalf("problem: %s", steps[0].Problem)
	}
	return steps[0].Task
}

func TestPlanTaskAssignee(t *testing.T) {
	tests := []struct {
		name   string
		extra  string
		res    func(t *testing.T) directory.Result
		config string
		want   int64
	}{
		{"the record's owner, mapped", `,"user_id":17`, func(t *testing.T) directory.Result { return found(t, "+442045205757", "u-7") }, taskAction, 7007},
		{"owner not mapped: the user the call rang", `,"user_id":17`, func(t *testing.T) directory.Result { return found(t, "+442045205757", "u-unknown") }, taskAction, 17},
		{"no owner: the user the call rang", `,"user_id":"17"`, func(t *testing.T) directory.Result { return found(t, "+442045205757", "") }, taskAction, 17},
		{"ambiguous caller: no record, so the user", `,"user_id":17`, func(t *testing.T) directory.Result { return ambiguousResult(t, "+442045205757", "u-7") }, taskAction, 17},
		{"unknown caller, no user: the default", `,"user_id":null`, func(t *testing.T) directory.Result { return notFound(t, "+442045205757") }, taskAction, 42},
		{"user id not a number: the default", `,"user_id":"abc"`, func(t *testing.T) directory.Result { return notFound(t, "+442045205757") }, taskAction, 42},
		{"nothing: unassigned", ``, func(t *testing.T) directory.Result { return notFound(t, "+442045205757") },
			strings.Replace(taskAction, "default_assignee: 42", "", 1), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := mustNew(t, tc.config, Options{Owners: map[string]int64{"u-7": 7007}})
			task := onlyTask(t, a.Plan(parseCall(t, missed(t, tc.extra)), tc.res(t), Links{}))
			if task.AssignToUserID != tc.want {
				t.Errorf("assign_to_user_id = %d, want %d", task.AssignToUserID, tc.want)
			}
		})
	}
}

func TestPlanTaskLinks(t *testing.T) {
	a := mustNew(t, taskAction, Options{})
	res := found(t, "+442045205757", "")
	tests := []struct {
		name                string
		extra               string
		links               Links
		contacts, companies []int64
	}{
		{"the webhook's ids win", `,"contact_id":3001,"company_id":"4001"`, Links{ContactID: 9, CompanyID: 8}, []int64{3001}, []int64{4001}},
		{"links when the webhook has none", `,"contact_id":null`, Links{ContactID: 9, CompanyID: 8}, []int64{9}, []int64{8}},
		{"each field on its own", `,"company_id":4001`, Links{ContactID: 9, CompanyID: 8}, []int64{9}, []int64{4001}},
		{"ids that are not ids fall back", `,"contact_id":"x","company_id":0`, Links{ContactID: 9}, []int64{9}, nil},
		{"none", ``, Links{}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			task := onlyTask(t, a.Plan(parseCall(t, missed(t, tc.extra)), res, tc.links))
			if !reflect.DeepEqual(task.ContactIDs, tc.contacts) || !reflect.DeepEqual(task.CompanyIDs, tc.companies) {
				t.Errorf("contact_ids %v company_ids %v, want %v %v", task.ContactIDs, task.CompanyIDs, tc.contacts, tc.companies)
			}
		})
	}
}

func TestPlanTaskDueDateIsDeterministic(t *testing.T) {
	zone := time.FixedZone("+03", 3*3600)
	now := time.Date(2026, 9, 27, 17, 35, 12, 500_000_000, zone)
	a := mustNew(t, taskAction, Options{Now: fixedClock(now), Location: zone})
	call := parseCall(t, missed(t, ""))
	res := found(t, "+442045205757", "")
	first := a.Plan(call, res, Links{})
	if due := onlyTask(t, first).DueDate; due != "2026-09-27T15:05:12Z" {
		t.Errorf("due_date = %q, want now + 30m in UTC with Z, whole seconds", due)
	}
	if again := a.Plan(call, res, Links{}); !reflect.DeepEqual(first, again) {
		t.Errorf("Plan is not deterministic:\n%+v\n%+v", first, again)
	}
	if name := onlyTask(t, first).Name; name != "Call back Ada Lovelace" {
		t.Errorf("name = %q", name)
	}
}

func TestPlanCommentUnknownCallers(t *testing.T) {
	const cfg = `
actions:
  - name: note
    comment:
      template: "**Switchboard** · {{ .record.name | default \"unknown caller\" }}"
  - name: note-all
    comment:
      template: "**Switchboard** · {{ .record.name | default \"unknown caller\" }}"
      unknown_callers: true
`
	a := mustNew(t, cfg, Options{})
	call := parseCall(t, missed(t, ""))
	for _, tc := range []struct {
		name string
		res  directory.Result
		want []string
	}{
		{"found", found(t, "+442045205757", ""), []string{"note", "note-all"}},
		{"not found", notFound(t, "+442045205757"), []string{"note-all"}},
		{"ambiguous", ambiguousResult(t, "+442045205757", ""), []string{"note-all"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var keys []string
			for _, s := range a.Plan(call, tc.res, Links{}) {
				keys = append(keys, s.Key())
			}
			if !reflect.DeepEqual(keys, tc.want) {
				t.Errorf("steps %v, want %v", keys, tc.want)
			}
			if !tc.res.Found {
				ev := a.Explain(call, tc.res, Links{})[0]
				if !ev.Matched || !strings.Contains(ev.Skipped, "unknown_callers") {
					t.Errorf("explain %+v, want matched and skipped, naming unknown_callers", ev)
				}
			}
		})
	}
}

func TestPlanTagsOneStepPerTag(t *testing.T) {
	const cfg = `
actions:
  - name: short
    when: answered && talk_seconds < 20 && hangup_by == "contact"
    tags: [5617, 12]
  - name: any
    tags: [5617]
`
	a := mustNew(t, cfg, Options{})
	call := parseCall(t, `{"uuid":"u1","direction":"inbound","caller_number":"+442045205757",
		"bridged_at":"2026-09-27T14:29:00Z","ended_at":"2026-09-27T14:29:15Z","hangup_by":"contact"}`)
	steps := a.Plan(call, notFound(t, "+442045205757"), Links{})
	var keys []string
	seen := map[string]bool{}
	for _, s := range steps {
		k := s.CallUUID + "\x00" + s.Key()
		if seen[k] {
			t.Errorf("(uuid, key) %q twice", k)
		}
		seen[k] = true
		keys = append(keys, s.Key())
		if len(s.TagIDs) != 1 {
			t.Errorf("step %s has tags %v, want one", s.Key(), s.TagIDs)
		}
	}
	if want := []string{"short/5617", "short/12", "any/5617"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	long := parseCall(t, `{"uuid":"u2","direction":"inbound","bridged_at":"2026-09-27T14:29:00Z","ended_at":"2026-09-27T14:29:20Z","hangup_by":"contact"}`)
	if steps := a.Plan(long, directory.Result{}, Links{}); len(steps) != 1 || steps[0].Key() != "any/5617" {
		t.Errorf("a 20 s call: %+v, want only any/5617", steps)
	}
}

func TestPlanWhenFailingDoesNotMatch(t *testing.T) {
	a := mustNew(t, `
actions:
  - {name: rich, when: "record.balance > 1000", tags: [1]}
  - {name: other, tags: [2]}`, Options{})
	call := parseCall(t, missed(t, ""))
	evs := a.Explain(call, notFound(t, "+442045205757"), Links{})
	if evs[0].Matched || evs[0].Err == nil || len(evs[0].Steps) != 0 {
		t.Errorf("failing when: %+v, want no match and the error", evs[0])
	}
	if steps := a.Plan(call, notFound(t, "+442045205757"), Links{}); len(steps) != 1 || steps[0].Action != "other" {
		t.Errorf("steps %+v, want only other's", steps)
	}
	if steps := a.Plan(call, found(t, "+442045205757", ""), Links{}); len(steps) != 2 {
		t.Errorf("with a balance of 1500: %+v, want both", steps)
	}
}

func TestPlanRenderProblemFailsTheStep(t *testing.T) {
	a := mustNew(t, `
actions:
  - name: note
    comment:
      template: "{{ if .answered }}**Switchboard** · talked {{ .talk_seconds }} s{{ end }}"
      unknown_callers: true
  - name: task
    task:
      name: "{{ index .record.emails 0 }}"`, Options{})
	steps := a.Plan(parseCall(t, missed(t, "")), notFound(t, "+442045205757"), Links{})
	if len(steps) != 2 {
		t.Fatalf("steps %+v", steps)
	}
	if p := steps[0].Problem; !strings.Contains(p, "comment.template rendered nothing") {
		t.Errorf("comment problem = %q", p)
	}
	if p := steps[1].Problem; !strings.Contains(p, "task.name failed for this call") {
		t.Errorf("task problem = %q", p)
	}
	api := &fakeAPI{}
	for _, s := range steps {
		if _, err := a.Run(t.Context(), s, api); !IsPermanent(err) {
			t.Errorf("Run(%s) = %v, want a permanent error", s.Key(), err)
		}
	}
	if len(api.Calls) != 0 {
		t.Errorf("requests sent for steps that cannot be done: %v", api.Calls)
	}
}

func TestPlanNeedsAUUID(t *testing.T) {
	a := mustNew(t, exampleConfig, Options{})
	call := parseCall(t, strings.Replace(missed(t, ""), `"uuid":"u-missed",`, "", 1))
	if steps := a.Plan(call, found(t, "+442045205757", ""), Links{}); steps != nil {
		t.Errorf("steps without a uuid: %+v", steps)
	}
	if steps := a.Plan(nil, directory.Result{}, Links{}); steps != nil {
		t.Errorf("steps for no call: %+v", steps)
	}
}

func TestPlanDispositionWindow(t *testing.T) {
	a := mustNew(t, `
actions:
  - {name: callback, when: missed, disposition: callback_requested}`, Options{})
	steps := a.Plan(parseCall(t, missed(t, "")), notFound(t, "+442045205757"), Links{})
	if len(steps) != 1 || steps[0].Disposition != "callback_requested" {
		t.Fatalf("steps %+v", steps)
	}
	if want := time.Date(2026, 9, 27, 14, 45, 0, 0, time.UTC); !steps[0].NotAfter.Equal(want) {
		t.Errorf("not_after = %v, want ended_at + 15m = %v", steps[0].NotAfter, want)
	}
	api := &fakeAPI{}
	if _, err := a.Run(t.Context(), steps[0], api); err != nil || len(api.Calls) != 1 {
		t.Errorf("within the window: %v %v", err, api.Calls)
	}
	late := mustNew(t, `
actions:
  - {name: callback, when: missed, disposition: callback_requested}`, Options{Now: fixedClock(planTime.Add(time.Hour))})
	_, err := late.Run(t.Context(), steps[0], api)
	if !IsPermanent(err) || !strings.Contains(err.Error(), "too late") || len(api.Calls) != 1 {
		t.Errorf("past the window: %v (requests %v), want a permanent error and no request", err, api.Calls)
	}
}

func TestPlanArchivePaths(t *testing.T) {
	dir := t.TempDir()
	zone := time.FixedZone("+03", 3*3600)
	a := mustNew(t, `
actions:
  - name: archive
    when: call.record_url != "" || call.voicemail_url != ""
    archive: {dir: `+dir+`}`, Options{Location: zone})
	tests := []struct {
		name, data string
		want       map[string]string // key → path relative to dir
		problem    string
	}{
		{"recording, dated in the zone", `{"uuid":"6f1c2a9e-0d7b-4c1e-9a57-2b8f3e4d5c6a","started_at":"2026-09-27T22:30:00Z",
			"record_url":"https://s3.example/rec/abc.WAV?X-Amz-Signature=zz"}`,
			map[string]string{"archive/recording": "2026-09-28/6f1c2a9e-0d7b-4c1e-9a57-2b8f3e4d5c6a-recording.wav"}, ""},
		{"recording and voicemail, no extension", `{"uuid":"u1","ended_at":"2026-09-27T10:00:00Z",
			"record_url":"https://s3.example/rec/abc","voicemail_url":"https://s3.example/vm/x.mp3"}`,
			map[string]string{"archive/recording": "2026-09-27/u1-recording.mp3", "archive/voicemail": "2026-09-27/u1-voicemail.mp3"}, ""},
		{"traversal in the uuid", `{"uuid":"../../etc/passwd","started_at":"2026-09-27T10:00:00Z","record_url":"https://s3.example/a.mp3"}`,
			map[string]string{"archive/recording": "2026-09-27/etc_passwd-3754d6cb3a38-recording.mp3"}, ""},
		{"an extension that is not one", `{"uuid":"u2","started_at":"2026-09-27T10:00:00Z","record_url":"https://s3.example/a.m%2F..%2Fx"}`,
			map[string]string{"archive/recording": "2026-09-27/u2-recording.mp3"}, ""},
		{"not http", `{"uuid":"u3","started_at":"2026-09-27T10:00:00Z","record_url":"file:///etc/passwd"}`,
			map[string]string{"archive/recording": "2026-09-27/u3-recording.mp3"}, "record_url is not an http(s) link"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			steps := a.Plan(parseCall(t, tc.data), directory.Result{}, Links{})
			got := map[string]string{}
			for _, s := range steps {
				rel, err := filepath.Rel(dir, s.Archive.Path)
				if err != nil || strings.HasPrefix(rel, "..") {
					t.Errorf("%s is outside %s", s.Archive.Path, dir)
				}
				got[s.Key()] = filepath.ToSlash(rel)
				if s.Problem != tc.problem && !strings.Contains(s.Problem, tc.problem) || (tc.problem == "") != (s.Problem == "") {
					t.Errorf("problem %q, want %q", s.Problem, tc.problem)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("paths %v, want %v", got, tc.want)
			}
		})
	}
	if steps := a.Plan(parseCall(t, `{"uuid":"u4"}`), directory.Result{}, Links{}); len(steps) != 0 {
		t.Errorf("no links: %+v", steps)
	}
}

func TestFileStem(t *testing.T) {
	tests := map[string]string{
		"6f1c2a9e-0d7b-4c1e-9a57-2b8f3e4d5c6a": "6f1c2a9e-0d7b-4c1e-9a57-2b8f3e4d5c6a",
		"a_b":                                  "a_b",
	}
	for in, want := range tests {
		if got := fileStem(in); got != want {
			t.Errorf("fileStem(%q) = %q, want %q", in, got, want)
		}
	}
	// Changed uuids keep apart, and stay names.
	seen := map[string]string{}
	for _, in := range []string{"a/b", "a_b_", "a b", "..", "", "-x", "x\x00y", strings.Repeat("é", 100), strings.Repeat("a", 200)} {
		got := fileStem(in)
		if prev, dup := seen[got]; dup {
			t.Errorf("fileStem(%q) = fileStem(%q) = %q", in, prev, got)
		}
		seen[got] = in
		if got == "" || len(got) > maxStemLength+13 || strings.ContainsAny(got, "/\\. \x00") || strings.HasPrefix(got, "-") {
			t.Errorf("fileStem(%q) = %q: not a safe name", in, got)
		}
	}
}

func TestStepJSONRoundTrip(t *testing.T) {
	a := mustNew(t, exampleConfig, Options{})
	call := parseCall(t, missed(t, `,"record_url":"https://s3.example/a.mp3"`))
	steps := a.Plan(call, found(t, "+442045205757", ""), Links{ContactID: 5})
	if len(steps) != 3 {
		t.Fatalf("steps %+v, want callback, missed-task and archive", steps)
	}
	raw, err := json.Marshal(steps)
	if err != nil {
		t.Fatal(err)
	}
	var back []Step
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, steps) {
		t.Errorf("JSON round trip changed the steps:\n%+v\n%+v", steps, back)
	}
}

func TestPlanAndRunConcurrently(t *testing.T) {
	a := mustNew(t, exampleConfig, Options{Owners: map[string]int64{"u-7": 7}})
	call := parseCall(t, missed(t, `,"user_id":17`))
	res := found(t, "+442045205757", "u-7")
	want := a.Plan(call, res, Links{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			got := a.Plan(call, res, Links{})
			if !reflect.DeepEqual(got, want) {
				t.Errorf("concurrent Plan differs")
			}
			for _, s := range got[:2] { // callback and missed-task
				if _, err := a.Run(t.Context(), s, &fakeAPI{}); err != nil {
					t.Errorf("Run(%s): %v", s.Key(), err)
				}
			}
		})
	}
	wg.Wait()
}
