package directory

import (
	"context"
	"testing"
	"time"
)

// TestLearn: a contact the host created is answered at once, by an index
// whose connector cannot say what changed (no poll would ever bring it)
// and past a cached "not found"; no rebuild is needed.
func TestLearn(t *testing.T) {
	f := newFake(contact("a", "+442045205757"))
	d, err := New(Options{
		Parser:  gbParser(t),
		Sources: []Source{{Name: "idx", Connector: f, Refresh: time.Hour}},
		Cache:   CacheOptions{Size: 100, PositiveTTL: time.Hour, NegativeTTL: time.Hour},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d.Start(ctx)
	if err := d.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	builds := d.Stats()[0].Builds
	if got := answer(d, "+442079460099"); got != "" {
		t.Fatalf("before: %q, want not found (now cached)", got)
	}
	if err := d.Learn("idx", contact("new", "+442079460099")); err != nil {
		t.Fatal(err)
	}
	if got := answer(d, "+442079460099"); got != "contact:new" {
		t.Errorf("after Learn: %q, want contact:new", got)
	}
	if got := answer(d, "+442045205757"); got != "contact:a" {
		t.Errorf("the index lost a: %q", got)
	}
	if st := d.Stats()[0]; st.Builds != builds {
		t.Errorf("Learn rebuilt the index (%d builds, was %d)", st.Builds, builds)
	}
	if err := d.Learn("nope", contact("x", "+442079460098")); err == nil {
		t.Error("Learn into an unknown source: no error")
	}
}
