package fakeapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors/fakeapi"
)

type fault struct {
	status int
	delay  time.Duration
	drop   bool
}

func newFaults() *fakeapi.Faults[fault] {
	return fakeapi.NewFaults("fake test", []string{"GET /a", "GET /b"}, func(status int, delay time.Duration, drop bool) fault {
		return fault{status, delay, drop}
	})
}

func TestFaultsQueuePerRouteThenAnyRoute(t *testing.T) {
	q := newFaults()
	q.Fail("GET /a", 500, 503)
	q.Delay(fakeapi.AnyRoute, 1, time.Second)
	q.Drop("GET /b", 1)
	q.FailN("GET /b", 2, 429)
	if n := q.Pending(); n != 6 {
		t.Fatalf("Pending = %d, want 6", n)
	}
	want := []struct {
		route string
		f     fault
		ok    bool
	}{
		{"GET /a", fault{status: 500}, true},
		{"GET /a", fault{status: 503}, true},
		{"GET /a", fault{delay: time.Second}, true},
		{"GET /a", fault{}, false},
		{"", fault{}, false},
		{"GET /b", fault{drop: true}, true},
		{"GET /b", fault{status: 429}, true},
	}
	for i, w := range want {
		if f, ok := q.Next(w.route); f != w.f || ok != w.ok {
			t.Fatalf("Next #%d(%q) = %+v, %v; want %+v, %v", i, w.route, f, ok, w.f, w.ok)
		}
	}
	q.Reset()
	if n := q.Pending(); n != 0 {
		t.Fatalf("Pending after Reset = %d", n)
	}
}

func TestFaultsUnknownRoutePanics(t *testing.T) {
	defer func() {
		if p := recover(); p == nil || !strings.Contains(p.(string), `fake test: no route "GET /c"`) {
			t.Fatalf("recovered %v", p)
		}
	}()
	newFaults().Fail("GET /c", 500)
}

func TestLog(t *testing.T) {
	var l fakeapi.Log
	i := l.Record(fakeapi.Request{Route: "GET /a", Body: []byte("x")})
	l.Record(fakeapi.Request{})
	l.SetStatus(i, 200)
	reqs := l.Requests()
	reqs[0].Body[0] = 'y'
	if got := l.Requests()[0]; got.Status != 200 || string(got.Body) != "x" {
		t.Fatalf("first request = %+v", got)
	}
	if l.Count("GET /a") != 1 || l.Count(fakeapi.AnyRoute) != 2 || l.Counts()[""] != 1 {
		t.Fatalf("counts: %v", l.Counts())
	}
	l.Reset()
	l.SetStatus(i, 500) // forgotten: no effect, no panic
	if len(l.Requests()) != 0 {
		t.Fatal("Reset kept requests")
	}
}

func TestLoopbackServesAndCloseCutsWaitsShort(t *testing.T) {
	lb := fakeapi.NewLoopback("fake test", nil)
	url, err := lb.Start("", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fakeapi.WriteJSON(w, http.Header{"X-A": {"1"}}, http.StatusTeapot, "application/json", map[string]int{"a": 1})
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") || lb.URL() != url {
		t.Fatalf("URL %q, %q", url, lb.URL())
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTeapot || resp.Header.Get("X-A") != "1" || string(body) != "{\"a\":1}\n" {
		t.Fatalf("got %d %v %q", resp.StatusCode, resp.Header, body)
	}
	done := make(chan bool)
	go func() { done <- lb.Wait(time.Hour) }()
	lb.Close()
	lb.Close()
	if <-done {
		t.Fatal("Wait reported a full wait after Close")
	}
	if lb.Hold(make(chan struct{})) {
		t.Fatal("Hold reported a release after Close")
	}
}

func TestHelpers(t *testing.T) {
	for _, c := range []struct {
		auth, want string
		ok         bool
	}{
		{"Bearer t", "", true}, {"Bearer t", "t", true}, {"Bearer u", "t", false},
		{"Bearer  ", "", false}, {"Basic t", "", false}, {"", "", false},
	} {
		if _, ok := fakeapi.Bearer(c.auth, c.want); ok != c.ok {
			t.Errorf("Bearer(%q, %q) = %v", c.auth, c.want, ok)
		}
	}
	rec := httptest.NewRecorder()
	fakeapi.WriteJSON(rec, nil, http.StatusNoContent, "application/json", nil)
	if rec.Code != http.StatusNoContent || rec.Header().Get("Content-Type") != "" || rec.Body.Len() != 0 {
		t.Fatalf("nil body: %d %v %q", rec.Code, rec.Header(), rec.Body)
	}
	rec = httptest.NewRecorder()
	fakeapi.WriteJSON(rec, nil, http.StatusOK, "application/json", fakeapi.RawBody("{bad"))
	if rec.Body.String() != "{bad" {
		t.Fatalf("raw body %q", rec.Body)
	}
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", fakeapi.MaxBody+10)))
	if b, err := fakeapi.ReadBody(req); err != nil || len(b) != fakeapi.MaxBody {
		t.Fatalf("ReadBody: %d, %v", len(b), err)
	}
}
