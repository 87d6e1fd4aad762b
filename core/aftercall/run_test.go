package aftercall

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/core/directory"
)

func TestRunEachKind(t *testing.T) {
	a := mustNew(t, `
actions:
  - name: note
    comment: {template: "**Switchboard** · missed call from {{ .caller }}", unknown_callers: true}
  - {name: tags, tags: [5617, 12]}
  - {name: callback, disposition: callback_requested}
  - name: task
    task: {name: "Call back {{ .caller }}", due_in: 1h, priority: high}`, Options{})
	steps := a.Plan(parseCall(t, missed(t, "")), notFound(t, "+442045205757"), Links{})
	api := &fakeAPI{}
	var outs []Outcome
	for _, s := range steps {
		out, err := a.Run(t.Context(), s, api)
		if err != nil {
			t.Fatalf("Run(%s): %v", s.Key(), err)
		}
		outs = append(outs, out)
	}
	wantCalls := []string{
		`comment u-missed "**Switchboard** · missed call from +442045205757"`,
		"tag u-missed 5617", "tag u-missed 12",
		"disposition u-missed callback_requested",
		"task Call back +442045205757",
	}
	if !reflect.DeepEqual(api.Calls, wantCalls) {
		t.Errorf("requests\n%q\nwant\n%q", api.Calls, wantCalls)
	}
	wantOuts := []Outcome{
		{RemoteID: "cm-1", Detail: "comment added"},
		{Detail: "tag 5617 added"}, {Detail: "tag 12 added"},
		{Detail: "disposition set to callback_requested"},
		{RemoteID: "t-9", Detail: "task created"},
	}
	if !reflect.DeepEqual(outs, wantOuts) {
		t.Errorf("outcomes %+v, want %+v", outs, wantOuts)
	}
	want := Task{Name: "Call back +442045205757", DueDate: "2026-09-27T15:35:00Z", Priority: "high"}
	if len(api.Tasks) != 1 || !reflect.DeepEqual(api.Tasks[0], want) {
		t.Errorf("task %+v, want %+v", api.Tasks, want)
	}
}

func TestRunClassifiesAPIErrors(t *testing.T) {
	a := mustNew(t, `
actions:
  - {name: tags, tags: [5617]}`, Options{})
	step := a.Plan(parseCall(t, missed(t, "")), directory.Result{}, Links{})[0]
	for _, tc := range []struct {
		err       error
		permanent bool
	}{
		{statusErr{404}, true},
		{statusErr{422}, true},
		{statusErr{429}, false},
		{statusErr{408}, false},
		{statusErr{503}, false},
		{errors.New("connection reset"), false},
	} {
		_, err := a.Run(t.Context(), step, &fakeAPI{Err: tc.err})
		if err == nil || IsPermanent(err) != tc.permanent || !errors.Is(err, tc.err) {
			t.Errorf("API error %v: Run error %v, permanent %v, want %v and the API's error wrapped", tc.err, err, IsPermanent(err), tc.permanent)
		}
		if err != nil && !strings.Contains(err.Error(), `"tags/5617" of call u-missed`) {
			t.Errorf("error %q does not name the step and the call", err)
		}
	}
}

func TestRunRefusesBrokenSteps(t *testing.T) {
	a := mustNew(t, `
actions:
  - {name: tags, tags: [5617]}`, Options{})
	for _, s := range []Step{
		{Action: "x", Kind: KindComment, CallUUID: "u", Comment: " "},
		{Action: "x", Kind: KindTag, CallUUID: "u"},
		{Action: "x", Kind: KindDisposition, CallUUID: "u"},
		{Action: "x", Kind: KindTask, Task: &Task{}},
		{Action: "x", Kind: KindArchive, CallUUID: "u"},
		{Action: "x", Kind: "fax", CallUUID: "u"},
		{Action: "x", Kind: KindTag, TagIDs: []int64{1}},
		{Action: "x", Kind: KindTag, CallUUID: "u", TagIDs: []int64{1}, Problem: "broken"},
	} {
		api := &fakeAPI{}
		if _, err := a.Run(t.Context(), s, api); !IsPermanent(err) || len(api.Calls) != 0 {
			t.Errorf("Run(%+v) = %v, requests %v; want a permanent error and no request", s, err, api.Calls)
		}
	}
}

// archiveFixture is Actions archiving into a temporary directory, with a
// planned recording step.
func archiveFixture(t *testing.T) (*Actions, Step, string) {
	t.Helper()
	dir := t.TempDir()
	a := mustNew(t, `
actions:
  - name: archive
    archive: {dir: `+dir+`}`, Options{})
	steps := a.Plan(parseCall(t, `{"uuid":"u1","started_at":"2026-09-27T10:00:00Z","record_url":"https://s3.example/r/u1.mp3?sig=1"}`),
		directory.Result{}, Links{})
	if len(steps) != 1 || steps[0].Problem != "" {
		t.Fatalf("steps %+v", steps)
	}
	return a, steps[0], dir
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// tempFiles lists what a run left besides the archive and its sidecar.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var left []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".part") {
			left = append(left, p)
		}
		return nil
	})
	return left
}

func TestRunArchiveIsIdempotent(t *testing.T) {
	a, step, dir := archiveFixture(t)
	body := bytes.Repeat([]byte("ID3 audio "), 1000)
	api := &fakeAPI{Bodies: map[string][]byte{step.Archive.URL: body}}
	target := filepath.Join(dir, "2026-09-27", "u1-recording.mp3")
	if step.Archive.Path != target {
		t.Fatalf("path %s, want %s", step.Archive.Path, target)
	}

	out, err := a.Run(t.Context(), step, api)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(target); !bytes.Equal(got, body) {
		t.Fatalf("archived %d bytes, want %d", len(got), len(body))
	}
	sidecar, _ := os.ReadFile(target + ".sha256")
	if want := sha(body) + "  u1-recording.mp3\n"; string(sidecar) != want || out.SHA256 != sha(body) {
		t.Errorf("sidecar %q outcome %+v, want %q", sidecar, out, want)
	}
	if !strings.Contains(out.Detail, "archived 10000 bytes") {
		t.Errorf("detail %q", out.Detail)
	}

	// Again: nothing is fetched.
	out, err = a.Run(t.Context(), step, api)
	if err != nil || api.Fetches != 1 || out.SHA256 != sha(body) || !strings.Contains(out.Detail, "already archived") {
		t.Errorf("second run: %+v %v, fetches %d; want no fetch", out, err, api.Fetches)
	}

	// A damaged file is fetched again.
	if err := os.WriteFile(target, []byte("truncated"), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Run(t.Context(), step, api); err != nil || api.Fetches != 2 {
		t.Fatalf("damaged file: %v, fetches %d", err, api.Fetches)
	}
	if got, _ := os.ReadFile(target); !bytes.Equal(got, body) {
		t.Errorf("damaged file not replaced")
	}

	// A file without its sidecar is not trusted.
	if err := os.Remove(target + ".sha256"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Run(t.Context(), step, api); err != nil || api.Fetches != 3 {
		t.Errorf("no sidecar: %v, fetches %d", err, api.Fetches)
	}
	if left := tempFiles(t, dir); left != nil {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestRunArchiveFailures(t *testing.T) {
	t.Run("a failed download leaves nothing and is retried", func(t *testing.T) {
		a, step, dir := archiveFixture(t)
		api := &fakeAPI{Bodies: map[string][]byte{step.Archive.URL: []byte("0123456789")},
			FetchErr: map[string]error{step.Archive.URL: errors.New("connection reset")}}
		_, err := a.Run(t.Context(), step, api)
		if err == nil || IsPermanent(err) {
			t.Errorf("error %v, want a retryable one", err)
		}
		if _, serr := os.Stat(step.Archive.Path); !os.IsNotExist(serr) {
			t.Errorf("a partial file is in place: %v", serr)
		}
		if left := tempFiles(t, dir); left != nil {
			t.Errorf("temporary files left: %v", left)
		}
	})
	t.Run("an expired link is permanent", func(t *testing.T) {
		a, step, _ := archiveFixture(t)
		_, err := a.Run(t.Context(), step, &fakeAPI{FetchErr: map[string]error{step.Archive.URL: statusErr{403}}})
		if !IsPermanent(err) || !strings.Contains(err.Error(), "cannot be fetched again") || strings.Contains(err.Error(), "sig=1") {
			t.Errorf("error %v, want permanent, saying the link expired, without the signed link", err)
		}
	})
	t.Run("an empty answer is retried", func(t *testing.T) {
		a, step, _ := archiveFixture(t)
		_, err := a.Run(t.Context(), step, &fakeAPI{Bodies: map[string][]byte{step.Archive.URL: {}}})
		if err == nil || IsPermanent(err) {
			t.Errorf("error %v, want a retryable one", err)
		}
		if _, serr := os.Stat(step.Archive.Path); !os.IsNotExist(serr) {
			t.Errorf("an empty file is in place")
		}
	})
	t.Run("leftovers of a crashed run are removed", func(t *testing.T) {
		a, step, dir := archiveFixture(t)
		day := filepath.Dir(step.Archive.Path)
		if err := os.MkdirAll(day, 0o750); err != nil {
			t.Fatal(err)
		}
		stale := filepath.Join(day, ".u1-recording.mp3.123.part")
		if err := os.WriteFile(stale, []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Run(t.Context(), step, &fakeAPI{Bodies: map[string][]byte{step.Archive.URL: []byte("audio")}}); err != nil {
			t.Fatal(err)
		}
		if left := tempFiles(t, dir); left != nil {
			t.Errorf("temporary files left: %v", left)
		}
	})
}

func TestRunArchiveStaysInItsDirectory(t *testing.T) {
	a, step, dir := archiveFixture(t)
	outside := filepath.Join(filepath.Dir(dir), "elsewhere.mp3")
	for _, p := range []string{
		outside,
		filepath.Join(dir, "..", "elsewhere.mp3"),
		filepath.Join(dir, "2026-09-27", "..", "..", "elsewhere.mp3"),
		dir,
	} {
		s := step
		ar := *step.Archive
		ar.Path = p
		s.Archive = &ar
		api := &fakeAPI{Bodies: map[string][]byte{ar.URL: []byte("audio")}}
		if _, err := a.Run(t.Context(), s, api); !IsPermanent(err) || api.Fetches != 0 {
			t.Errorf("path %s: %v, fetches %d; want a permanent error and no fetch", p, err, api.Fetches)
		}
	}
	if _, err := os.Stat(outside); !os.IsNotExist(err) {
		t.Errorf("%s was written", outside)
	}

	// A uuid that tries to climb out is planned, and archived, inside.
	steps := a.Plan(parseCall(t, `{"uuid":"../../../x","started_at":"2026-09-27T10:00:00Z","record_url":"https://s3.example/x.mp3"}`),
		directory.Result{}, Links{})
	api := &fakeAPI{Bodies: map[string][]byte{"https://s3.example/x.mp3": []byte("audio")}}
	if _, err := a.Run(t.Context(), steps[0], api); err != nil {
		t.Fatal(err)
	}
	if rel, _ := filepath.Rel(dir, steps[0].Archive.Path); strings.HasPrefix(rel, "..") || filepath.Dir(rel) != "2026-09-27" {
		t.Errorf("archived at %s, outside %s/2026-09-27", steps[0].Archive.Path, dir)
	}
}
