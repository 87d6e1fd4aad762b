package smartivr

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/lenient"
	"github.com/switchboard-hq/switchboard/core/ringtime/ringtimetest"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/server"
	"github.com/switchboard-hq/switchboard/core/server/servertest"
)

// fuzzBodies are Smart IVR bodies every fuzz target starts from: Hipcall's
// documented request, the tests' bodies, and edge cases.
var fuzzBodies = []string{
	`{"caller":"+905061234567","number":"+902581234567","timestamp":1774427991,"uuid":"a2b7"}`,
	`{"caller":"+905061234567","uuid":"u-1"}`,
	`{"caller":905061234567}`,
	` { "caller" : "1" , "timestamp" : " 42 " } `,
	`{"caller":"1","timestamp":1.7744279915e9}`,
	`{"caller":"1","timestamp":"1e400"}`,
	`{"caller":"1","timestamp":99999999999999999999999}`,
	`{"caller":"1","timestamp":-9.3e18}`,
	`{"caller":"1","timestamp":true,"uuid":[1],"number":{}}`,
	`{"caller":"1","timestamp":null,"uuid":null}`,
	`{"caller":"1","b":1,"a":2}`,
	`{"caller":""}`, `{}`, `{"caller":null}`, `null`, `[1]`, `12`, `{"caller":false}`, `{"caller":"1"`, ``,
	`{"Caller":"1","caller":"2"}`,
	`{"caller":"+905061234567","Caller":null}`,
	`{"CALLER":"+905061234567","cAlLeR":"3"}`,
	`{"caller":"+905061234567","caller":"2"}`,
	`{"caller":"+905061234567","extra":{"a":[{"k":1,"K":2}]}}`,
	`{"\u0063aller":"+905061234567","caller":"+905061234567"}`,
	`{"caller":"\u0000+905061234567\u001b"}`,
	"{\"caller\":\"\xff\xfe\"}",
	"\x00", "{\"caller\":\"1\"}\x00",
	`{"caller":"` + strings.Repeat("9", 2000) + `"}`,
}

// fuzzRouter sends found callers to knownExt, anyone else to the default,
// without remembering anything (a fuzz run serves millions of requests).
type fuzzRouter struct{}

func (fuzzRouter) Decide(res directory.Result, _ routing.Call, target string) routing.Decision {
	if res.Found {
		return routing.Decision{Target: target, Destination: knownExt, Rule: "known"}
	}
	return routing.Decision{Target: target, Destination: testDefaultExt, Default: true}
}

func fuzzServer(f *testing.F) *servertest.Fixture {
	m, err := New(Options{DefaultExtension: testDefaultExt, Router: fuzzRouter{},
		Directory: &ringtimetest.Directory{LookupFn: func(_ context.Context, raw string) directory.Result {
			return ringtimetest.KnownLookup(raw)
		}}})
	if err != nil {
		f.Fatal(err)
	}
	// A per-source rate limit a fuzz run, which sends millions of requests
	// from one address, never reaches: over it the default would be
	// answered, breaking the "knownExt for the known caller" check.
	cfg := server.DefaultConfig()
	cfg.Limits.Rate, cfg.Limits.Burst = 1e9, 1e9
	return servertest.New(f, server.Options{Config: cfg, Mounts: []server.Mount{m}, Logger: hclog.NewNullLogger()})
}

// FuzzSmartIVRRequest: whatever the body, the Smart IVR answers 200 with
// exactly {"extension": <a valid extension>}: knownExt when the body names
// the known caller, else the default; and it answers the same every time.
func FuzzSmartIVRRequest(f *testing.F) {
	srv := fuzzServer(f)
	for _, b := range fuzzBodies {
		f.Add([]byte(b), "application/json")
	}
	f.Add([]byte(fuzzBodies[0]), "text/plain")
	f.Add([]byte("caller=%2B905061234567"), "application/x-www-form-urlencoded")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		var first string
		for i := range 2 {
			req := httptest.NewRequest(http.MethodPost, defaultPath, strings.NewReader(string(body)))
			req.Header.Set("Content-Type", contentType)
			rec := srv.Serve(req)
			ext := checkExtensionAnswer(t, body, rec)
			if i == 0 {
				first = ext
			} else if ext != first {
				t.Fatalf("%q: answered %q, then %q", body, first, ext)
			}
		}
		want := testDefaultExt
		if req, err := parseRequest(body); err == nil && len(body) <= 1024 && ringtimetest.KnownLookup(req.call.Caller).Found {
			want = knownExt
		}
		if first != want {
			t.Fatalf("%q: answered %q, want %q", body, first, want)
		}
	})
}

// checkExtensionAnswer fails unless rec is a 200 JSON {"extension": ext}
// with a valid ext, and returns ext.
func checkExtensionAnswer(t *testing.T, body []byte, rec *httptest.ResponseRecorder) string {
	t.Helper()
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("%q: status %d, Content-Type %q, want 200 JSON", body, rec.Code, rec.Header().Get("Content-Type"))
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || len(got) != 1 {
		t.Fatalf("%q: answer %q is not a one-member JSON object: %v", body, rec.Body.String(), err)
	}
	var ext string
	if err := json.Unmarshal(got["extension"], &ext); err != nil || CheckExtension(ext) != nil {
		t.Fatalf("%q: answer %q has no valid extension", body, rec.Body.String())
	}
	return ext
}

// FuzzSmartIVRParse: the request reader is deterministic, refuses exactly
// what has no caller, and what it read reads the same once re-encoded.
func FuzzSmartIVRParse(f *testing.F) {
	for _, b := range fuzzBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseRequest(body)
		for range 4 { // map order is random: a case-insensitive reader must not depend on it
			again, err2 := parseRequest(body)
			if !reflect.DeepEqual(req, again) || (err == nil) != (err2 == nil) {
				t.Fatalf("%q: read %+v (%v), then %+v (%v)", body, req, err, again, err2)
			}
		}
		if dup := json.Valid(body) && lenient.DuplicateKeys(body) != nil; dup != errors.Is(err, lenient.ErrDuplicateKey) {
			t.Fatalf("%q: error %v, but duplicate keys: %v", body, err, dup)
		}
		if err != nil {
			if !json.Valid(body) && errors.Is(err, lenient.ErrNotObject) {
				t.Fatalf("%q: invalid JSON reported as %v", body, err)
			}
			return
		}
		re, err := json.Marshal(map[string]any{"caller": req.call.Caller, "number": req.call.Number,
			"uuid": req.call.UUID, "timestamp": req.call.Timestamp})
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseRequest(re)
		if err != nil || again.call != req.call || len(again.unknown) != 0 || len(again.ignored) != 0 {
			t.Fatalf("%q: read %+v; re-encoded %s reads %+v (%v)", body, req.call, re, again, err)
		}
	})
}

// TestParseSmartIVRSpellings: a key written twice, in any case, makes the
// body ambiguous: it is refused the same way every time (the reader once
// took one spelling by map order, then the later in byte order).
func TestParseSmartIVRSpellings(t *testing.T) {
	for _, body := range []string{
		`{"Caller":"1","caller":"2"}`,
		`{"caller":"2","Caller":"1"}`,
		`{"CALLER":"1","cAlLeR":"2"}`,
		`{"caller":"1","Caller":null}`,
		`{"caller":"1","caller":"2"}`,
		`{"caller":"1","uuid":"a","UUID":"b"}`,
		`{"caller":"1","extra":{"x":1,"X":2}}`,
	} {
		for range 20 {
			req, err := parseRequest([]byte(body))
			if !errors.Is(err, lenient.ErrDuplicateKey) || req.call != (routing.Call{}) {
				t.Fatalf("%s: read %+v (%v), want ErrDuplicateKey and nothing read", body, req.call, err)
			}
		}
	}
	// One spelling, whatever its case, is not ambiguous.
	for _, body := range []string{`{"CALLER":"1"}`, `{"Caller":"1","UUID":"u","Number":"2","TimeStamp":3}`} {
		if req, err := parseRequest([]byte(body)); err != nil || req.call.Caller != "1" {
			t.Fatalf("%s: read %+v (%v)", body, req.call, err)
		}
	}
}
