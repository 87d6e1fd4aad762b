package fakehipcall_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/core/fakehipcall"
	"github.com/switchboard-hq/switchboard/core/hipcall"
)

// sendAsync sends a request from a client of its own (no connection
// reuse, so that a dropped connection is not retried on another) and
// delivers its status (0 when it got no answer). cancel kills the client.
func sendAsync(base, method, path, body string) (got <-chan int, cancel func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan int, 1)
	go func() {
		req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		if err != nil {
			ch <- 0
			return
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		cl := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := cl.Do(req)
		if err != nil {
			ch <- 0
			return
		}
		resp.Body.Close()
		ch <- resp.StatusCode
	}()
	return ch, cancel
}

// reached waits (with a deadline, not as synchronisation) for the hold.
func reached(t *testing.T, h *fakehipcall.Held) {
	t.Helper()
	select {
	case <-h.Reached():
	case <-time.After(10 * time.Second):
		t.Fatal("the held write never arrived")
	}
}

func TestHoldWriteAfterApplying(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	h := srv.HoldWrite(fakehipcall.AnyRoute, 2, fakehipcall.AfterApplying)
	// Reads are not writes; the first write is served as usual.
	if a := send(t, srv.URL(), "GET", "/companies", token, ""); a.status != 200 {
		t.Fatalf("GET: %d", a.status)
	}
	if a := send(t, srv.URL(), "POST", "/companies", token, `{"name":"A"}`); a.status != 201 {
		t.Fatalf("first POST: %d", a.status)
	}
	got, kill := sendAsync(srv.URL(), "POST", "/companies", `{"name":"B"}`)
	reached(t, h)
	if r := h.Request(); r.Route != "POST /companies" || string(r.Body) != `{"name":"B"}` {
		t.Errorf("held request %+v", r)
	}
	if n := len(srv.Companies()); n != 2 {
		t.Errorf("held after applying, but Hipcall has %d companies, want 2", n)
	}
	kill()
	if st := <-got; st != 0 {
		t.Errorf("the killed client got an answer: %d", st)
	}
	h.Release()
	if reqs := srv.Requests(); len(reqs) != 3 || reqs[2].Status != 201 {
		t.Errorf("after Release, requests %+v, want the third answered 201", reqs)
	}
	// The hold is used up: the next write is served at once.
	if a := send(t, srv.URL(), "POST", "/companies", token, `{"name":"C"}`); a.status != 201 || len(srv.Companies()) != 3 {
		t.Errorf("POST after the hold: %d, %d companies", a.status, len(srv.Companies()))
	}
	h.Release() // again: nothing
}

func TestHoldWriteBeforeApplying(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	co := srv.AddCompany(hipcall.Company{Name: "Old"})
	h := srv.HoldWrite("PATCH /companies/{id}", 1, fakehipcall.BeforeApplying)
	// A write to another route does not count.
	if a := send(t, srv.URL(), "POST", "/companies", token, `{"name":"Other"}`); a.status != 201 {
		t.Fatalf("POST: %d", a.status)
	}
	path := "/companies/" + jsonInt(co.ID)
	got, _ := sendAsync(srv.URL(), "PATCH", path, `{"name":"New"}`)
	reached(t, h)
	if c, _ := srv.Company(co.ID); c.Name != "Old" {
		t.Errorf("held before applying, but the name is already %q", c.Name)
	}
	// Released, it is dropped and never applied, even though this client
	// is still there to read an answer.
	h.Release()
	if st := <-got; st != 0 {
		t.Errorf("a request held before applying was answered %d", st)
	}
	if c, _ := srv.Company(co.ID); c.Name != "Old" {
		t.Errorf("a request held before applying was applied: name %q", c.Name)
	}
	if reqs := srv.Requests(); len(reqs) != 2 || reqs[1].Route != "PATCH /companies/{id}" || reqs[1].Status != 0 {
		t.Errorf("requests %+v, want the PATCH recorded unanswered", reqs)
	}
}

func TestHoldWriteDisarmAndClose(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	// Released before its request came: disarmed.
	srv.HoldWrite(fakehipcall.AnyRoute, 1, fakehipcall.BeforeApplying).Release()
	// Reset disarms too; a later HoldWrite replaces an earlier one.
	srv.HoldWrite(fakehipcall.AnyRoute, 1, fakehipcall.BeforeApplying)
	srv.Reset()
	if a := send(t, srv.URL(), "POST", "/companies", token, `{"name":"A"}`); a.status != 201 {
		t.Fatalf("POST with the hold disarmed: %d", a.status)
	}
	srv.HoldWrite(fakehipcall.AnyRoute, 1, fakehipcall.BeforeApplying)
	h := srv.HoldWrite(fakehipcall.AnyRoute, 2, fakehipcall.AfterApplying)
	if a := send(t, srv.URL(), "POST", "/companies", token, `{"name":"B"}`); a.status != 201 {
		t.Fatalf("POST under a replaced hold: %d", a.status)
	}
	// Close cuts a held request short: Release does not wait for ever.
	got, _ := sendAsync(srv.URL(), "POST", "/companies", `{"name":"C"}`)
	reached(t, h)
	srv.Close()
	h.Release()
	<-got

	for _, c := range []struct {
		route string
		n     int
		at    fakehipcall.HoldPoint
		want  string
	}{
		{"GET /companies", 1, fakehipcall.AfterApplying, `no write route "GET /companies"`},
		{"POST /nowhere", 1, fakehipcall.AfterApplying, `no write route "POST /nowhere"`},
		{fakehipcall.AnyRoute, 0, fakehipcall.AfterApplying, "counts writes from 1"},
		{fakehipcall.AnyRoute, 1, 0, "unknown HoldPoint"},
	} {
		func() {
			defer func() {
				if p, _ := recover().(string); !strings.Contains(p, c.want) {
					t.Errorf("HoldWrite(%q, %d, %d) panicked %q, want %q", c.route, c.n, c.at, p, c.want)
				}
			}()
			srv.HoldWrite(c.route, c.n, c.at)
		}()
	}
}
