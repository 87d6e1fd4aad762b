package fakehipcall_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/core/fakehipcall"
)

func TestOutage(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	srv.AddCall(map[string]any{"uuid": "c1", "direction": "inbound"})
	o := srv.Outage(503, "POST /calls/{uuid}/comments")
	front := httptest.NewServer(o)
	t.Cleanup(front.Close)
	base := front.URL + fakehipcall.PathPrefix
	const route = "POST /calls/{uuid}/comments"

	// Off: served.
	if a := send(t, base, "POST", "/calls/c1/comments", token, `{"content":"one"}`); a.status != 201 {
		t.Fatalf("before the outage: %d", a.status)
	}
	o.For(time.Hour)
	if !o.On() {
		t.Fatal("For(1h): not on")
	}
	a := send(t, base, "POST", "/calls/c1/comments", token, `{"content":"two"}`)
	if a.status != 503 || a.body["errors"] == nil {
		t.Fatalf("during the outage: %d %v, want 503 with Hipcall's error body", a.status, a.body)
	}
	// Other routes, and requests that name no route, are served.
	if a := send(t, base, "GET", "/calls", token, ""); a.status != 200 {
		t.Errorf("GET /calls during a comments outage: %d", a.status)
	}
	if a := send(t, base, "GET", "/nowhere", token, ""); a.status != 404 {
		t.Errorf("unknown path during the outage: %d", a.status)
	}
	if n := len(srv.Comments("c1")); n != 1 {
		t.Errorf("%d comments, want 1: the refused one must not be applied", n)
	}
	if n := srv.Count(route); n != 2 {
		t.Errorf("Count = %d, want 2 (the refused request is recorded)", n)
	}
	if n := srv.Succeeded(route); n != 1 {
		t.Errorf("Succeeded = %d, want 1", n)
	}
	if n := o.Refused(); n != 1 {
		t.Errorf("Refused = %d, want 1", n)
	}
	o.End()
	if o.On() {
		t.Fatal("End: still on")
	}
	if a := send(t, base, "POST", "/calls/c1/comments", token, `{"content":"three"}`); a.status != 201 {
		t.Fatalf("after End: %d", a.status)
	}

	// For ends by itself.
	end := o.For(20 * time.Millisecond)
	for o.On() {
		if time.Since(end) > 5*time.Second {
			t.Fatal("For(20ms) still on 5s after its end")
		}
		time.Sleep(time.Millisecond) // paces the polling
	}
	if a := send(t, base, "POST", "/calls/c1/comments", token, `{"content":"four"}`); a.status != 201 {
		t.Fatalf("after the outage ended by itself: %d", a.status)
	}
	if n := len(srv.Comments("c1")); n != 3 {
		t.Errorf("%d comments, want 3", n)
	}
}

func TestOutageEveryRouteAndPanics(t *testing.T) {
	srv, _ := start(t, fakehipcall.Options{})
	o := srv.Outage(502)
	front := httptest.NewServer(o)
	t.Cleanup(front.Close)
	o.For(time.Hour)
	if a := send(t, front.URL+fakehipcall.PathPrefix, "GET", "/companies", token, ""); a.status != 502 {
		t.Errorf("GET /companies during an outage of every route: %d, want 502", a.status)
	}
	for _, bad := range []func(){
		func() { srv.Outage(503, "POST /nowhere") },
		func() { srv.Outage(200) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			bad()
		}()
	}
}
