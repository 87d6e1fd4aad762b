package hipcall_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/core/fakehipcall"
	"github.com/switchboard-hq/switchboard/core/hipcall"
)

// authLog records the Authorization header of every request a host got.
type authLog struct {
	mu    sync.Mutex
	auths []string
}

func (l *authLog) wrap(h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.auths = append(l.auths, r.Header.Get("Authorization"))
		l.mu.Unlock()
		h(w, r)
	}
}

func (l *authLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.auths...)
}

// storageEnv is a fake Hipcall whose recordings a second host serves, as
// pre-signed links are served by a storage host.
type storageEnv struct {
	*env
	storage *httptest.Server
	seen    *authLog
}

func withStorage(t *testing.T, mod func(*hipcall.Options)) *storageEnv {
	t.Helper()
	var h http.Handler
	seen := &authLog{}
	storage := httptest.NewServer(seen.wrap(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(storage.Close)
	e := setup(t, fakehipcall.Options{RecordingsURL: storage.URL + "/recordings"}, mod)
	h = e.srv.RecordingsHandler()
	e.srv.AddCall(hipcall.CallRow{UUID: callUUID, Direction: "inbound", StartedAt: tp(epoch)})
	return &storageEnv{env: e, storage: storage, seen: seen}
}

// recordURL lists the call and returns its record_url.
func recordURL(t *testing.T, e *env) string {
	t.Helper()
	rows, _, err := e.c.ListCalls(context.Background(), hipcall.CallsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.UUID == callUUID {
			return r.RecordURL
		}
	}
	t.Fatalf("call %s not listed", callUUID)
	return ""
}

var audio = append([]byte("ID3\x03"), bytes.Repeat([]byte{0xAA}, 4096)...)

func TestFetchRecording(t *testing.T) {
	e := withStorage(t, nil)
	e.srv.AddRecording(callUUID, audio, 10*time.Minute)
	link := recordURL(t, e.env)
	if !strings.HasPrefix(link, e.storage.URL) {
		t.Fatalf("record_url %q is not on the storage host", link)
	}
	var buf bytes.Buffer
	if err := e.c.Fetch(context.Background(), link, &buf); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if !bytes.Equal(buf.Bytes(), audio) {
		t.Errorf("downloaded %d bytes, want the %d of the recording", buf.Len(), len(audio))
	}
	if got := e.seen.get(); len(got) != 1 || got[0] != "" {
		t.Errorf("Authorization at the storage host = %q, want none", got)
	}
	if s := e.c.Stats(); s.Requests != 1 {
		t.Errorf("stats = %+v, want only the listing counted against Hipcall", s)
	}
}

func TestFetchErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		mod       func(*hipcall.Options)
		prepare   func(e *storageEnv) string // returns the URL
		permanent bool
		status    int
		hint      string
		requests  int // at the storage host
	}{
		{"expired link", nil, func(e *storageEnv) string {
			link := e.srv.AddRecording(callUUID, audio, time.Minute)
			e.clock.Advance(time.Minute)
			return link
		}, true, 403, "list the call again for a fresh link", 1},
		{"too large by Content-Length", func(o *hipcall.Options) { o.MaxFetchBytes = 100 }, func(e *storageEnv) string {
			return e.srv.AddRecording(callUUID, audio, 0)
		}, true, 0, "Options.MaxFetchBytes", 1},
		{"failing host, retries out", func(o *hipcall.Options) { o.MaxRetries = 2 }, func(e *storageEnv) string {
			e.srv.FailN(fakehipcall.RecordingRoute, 3, 503)
			return e.srv.AddRecording(callUUID, audio, 0)
		}, false, 503, "retry later", 3},
		{"not a URL", nil, func(*storageEnv) string { return "/recordings/abc" }, true, 0, "not an absolute http(s) URL", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := withStorage(t, tt.mod)
			u := tt.prepare(e)
			var buf bytes.Buffer
			err := e.c.Fetch(ctx, u, &buf)
			if err == nil {
				t.Fatal("Fetch succeeded")
			}
			if hipcall.IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, !tt.permanent, tt.permanent)
			}
			var ae *hipcall.APIError
			if tt.status != 0 && (!errors.As(err, &ae) || ae.HTTPStatus() != tt.status) {
				t.Errorf("err = %v, want an HTTP %d", err, tt.status)
			}
			if !strings.Contains(err.Error(), tt.hint) {
				t.Errorf("message %q does not say %q", err, tt.hint)
			}
			if n := len(e.seen.get()); n != tt.requests {
				t.Errorf("storage requests = %d, want %d", n, tt.requests)
			}
			if buf.Len() > 100 && tt.status == 0 {
				t.Errorf("wrote %d bytes past the cap", buf.Len())
			}
		})
	}
}

func TestFetchRetriesBeforeWriting(t *testing.T) {
	e := withStorage(t, func(o *hipcall.Options) { o.FetchTimeout = 300 * time.Millisecond })
	link := e.srv.AddRecording(callUUID, audio, 0)
	e.srv.Fail(fakehipcall.RecordingRoute, 500, 429)
	e.srv.Drop(fakehipcall.RecordingRoute, 1)
	e.srv.Delay(fakehipcall.RecordingRoute, 1, 2*time.Second) // past FetchTimeout
	var buf bytes.Buffer
	if err := e.c.Fetch(context.Background(), link, &buf); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if !bytes.Equal(buf.Bytes(), audio) {
		t.Errorf("downloaded %d bytes", buf.Len())
	}
	if n := e.srv.Count(fakehipcall.RecordingRoute); n != 5 {
		t.Errorf("attempts = %d, want 5", n)
	}
}

// TestFetchBrokenOffNotRetried: once bytes went to the writer, a broken
// download is not resent (the writer cannot be rewound) and says so.
func TestFetchBrokenOffNotRetried(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, nil)
	attempts := 0
	var mu sync.Mutex
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		attempts++
		mu.Unlock()
		w.Header().Set("Content-Length", "1000")
		w.Write(make([]byte, 300))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}))
	defer host.Close()
	var buf bytes.Buffer
	err := e.c.Fetch(context.Background(), host.URL+"/rec.mp3?X-Amz-Signature=s3cr3t", &buf)
	var re *hipcall.RequestError
	if !errors.As(err, &re) || hipcall.IsPermanent(err) {
		t.Fatalf("Fetch = %v, want a RequestError", err)
	}
	if !strings.Contains(err.Error(), "broke off after 300 bytes: discard them") {
		t.Errorf("message %q does not say what to do", err)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("message %q shows the link's signature", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if attempts != 1 {
		t.Errorf("attempts = %d, want 1", attempts)
	}
}

func TestFetchTooLargeWithoutContentLength(t *testing.T) {
	e := setup(t, fakehipcall.Options{}, func(o *hipcall.Options) { o.MaxFetchBytes = 1000 })
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for range 5 { // chunked: no Content-Length
			w.Write(make([]byte, 500))
			w.(http.Flusher).Flush()
		}
	}))
	defer host.Close()
	var buf bytes.Buffer
	err := e.c.Fetch(context.Background(), host.URL+"/big", &buf)
	if !errors.Is(err, hipcall.ErrTooLarge) || buf.Len() != 1000 {
		t.Errorf("Fetch = %v after %d bytes, want ErrTooLarge after the cap's 1000", err, buf.Len())
	}
	buf.Reset()
	if err := e.c.Fetch(context.Background(), host.URL+"/big", &limitedWriter{max: 10}); err == nil || hipcall.IsPermanent(err) || !strings.Contains(err.Error(), "write the download") {
		t.Errorf("a failing writer: %v", err)
	}
}

type limitedWriter struct{ n, max int }

func (w *limitedWriter) Write(p []byte) (int, error) {
	if w.n+len(p) > w.max {
		return 0, errors.New("disk full")
	}
	w.n += len(p)
	return len(p), nil
}

// TestFetchTokenOnlyToTheAPIOrigin: the token goes to a link on the API's
// own origin, never to another host (another port of the same address,
// another name for it), and not past a redirect that leaves the origin.
func TestFetchTokenOnlyToTheAPIOrigin(t *testing.T) {
	storageSeen, apiSeen := &authLog{}, &authLog{}
	storage := httptest.NewServer(storageSeen.wrap(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("audio")) }))
	defer storage.Close()
	var apiURL string
	api := httptest.NewServer(apiSeen.wrap(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v3/recording":
			w.Write([]byte("audio"))
		case "/api/v3/away":
			http.Redirect(w, r, storage.URL+"/file", http.StatusFound)
		case "/api/v3/hop":
			http.Redirect(w, r, apiURL+"/api/v3/recording", http.StatusFound)
		}
	}))
	defer api.Close()
	apiURL = api.URL
	c, err := hipcall.New(hipcall.Options{BaseURL: api.URL + "/api/v3", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	localhost := strings.Replace(storage.URL, "127.0.0.1", "localhost", 1)
	tests := []struct {
		name             string
		url              string
		wantAPI, wantSto []string
	}{
		{"the API's origin", api.URL + "/api/v3/recording", []string{"Bearer " + token}, nil},
		{"another port", storage.URL + "/file", nil, []string{""}},
		{"another host name", localhost + "/file", nil, []string{""}},
		{"redirect away", api.URL + "/api/v3/away", []string{"Bearer " + token}, []string{""}},
		{"redirect within", api.URL + "/api/v3/hop", []string{"Bearer " + token, "Bearer " + token}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, beforeSto := len(apiSeen.get()), len(storageSeen.get())
			var buf bytes.Buffer
			if err := c.Fetch(context.Background(), tt.url, &buf); err != nil || buf.String() != "audio" {
				t.Fatalf("Fetch = %q, %v", buf.String(), err)
			}
			if got := apiSeen.get()[before:]; strings.Join(got, "|") != strings.Join(tt.wantAPI, "|") {
				t.Errorf("API host saw Authorization %q, want %q", got, tt.wantAPI)
			}
			if got := storageSeen.get()[beforeSto:]; strings.Join(got, "|") != strings.Join(tt.wantSto, "|") {
				t.Errorf("storage host saw Authorization %q, want %q", got, tt.wantSto)
			}
		})
	}
}

// TestAPITokenOnlyToTheAPIOrigin: an API call that Hipcall (or anything
// between) redirects keeps its token within the API's origin: net/http
// alone would send it on to another port of the same host, or from https
// to http on the same name.
func TestAPITokenOnlyToTheAPIOrigin(t *testing.T) {
	otherSeen, apiSeen := &authLog{}, &authLog{}
	const page = `{"data":[],"meta":{"count":0}}`
	other := httptest.NewServer(otherSeen.wrap(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(page))
	}))
	defer other.Close()
	var apiURL string
	api := httptest.NewServer(apiSeen.wrap(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("sort") {
		case "away":
			http.Redirect(w, r, other.URL+"/api/v3/companies", http.StatusFound)
		case "hop":
			http.Redirect(w, r, apiURL+"/api/v3/companies", http.StatusFound)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(page))
		}
	}))
	defer api.Close()
	apiURL = api.URL
	c, err := hipcall.New(hipcall.Options{BaseURL: api.URL + "/api/v3", Token: token, MaxRetries: hipcall.NoRetries})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		sort               string
		wantAPI, wantOther []string
	}{
		{"away", []string{"Bearer " + token}, []string{""}},
		{"hop", []string{"Bearer " + token, "Bearer " + token}, nil},
	} {
		before, beforeOther := len(apiSeen.get()), len(otherSeen.get())
		if _, err := c.ListCompanies(context.Background(), hipcall.ListOptions{Sort: tt.sort}); err != nil {
			t.Fatalf("%s: ListCompanies: %v", tt.sort, err)
		}
		if got := apiSeen.get()[before:]; strings.Join(got, "|") != strings.Join(tt.wantAPI, "|") {
			t.Errorf("%s: the API saw Authorization %q, want %q", tt.sort, got, tt.wantAPI)
		}
		if got := otherSeen.get()[beforeOther:]; strings.Join(got, "|") != strings.Join(tt.wantOther, "|") {
			t.Errorf("%s: the other origin saw Authorization %q, want %q", tt.sort, got, tt.wantOther)
		}
	}
}
