package csv

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

// check runs Check and returns its detail or its error's text.
func (h *harness) check() (detail string, err error) {
	h.t.Helper()
	resp, err := h.c.Check(context.Background(), &connectors.CheckRequest{})
	if err != nil {
		return "", err
	}
	return resp.Detail, nil
}

// touchAccept sets the accept file's mtime to at, creating it if needed.
func (h *harness) touchAccept(name string, at time.Time) {
	h.t.Helper()
	path := filepath.Join(h.dir, name+acceptSuffix)
	if _, err := os.Stat(path); err != nil {
		h.write(name+acceptSuffix, nil)
	}
	if err := os.Chtimes(path, at, at); err != nil {
		h.t.Fatal(err)
	}
}

func TestShrinkGuard(t *testing.T) {
	const served = 100
	tests := []struct {
		name  string
		extra []string // config lines
		file  string   // what the file becomes
		want  int      // contacts loaded from it
		held  string   // the error logged, "" when the reload is applied
	}{
		{
			name: "cut to its header",
			file: stdHeader,
			held: "c.csv: reload would drop 100 of 100 records (100%), more than max_shrink 50%: keeping the previous data; " +
				"if the change is intended, run `touch ",
		},
		{
			name: "cut mid-row to a tenth",
			file: numberedRows(seq(0, 10)...) + "P0010,Fir",
			want: 10,
			held: "c.csv: reload would drop 90 of 100 records (90%), more than max_shrink 50%",
		},
		{
			name: "a tenth, with a stricter max_shrink",
			// 70 rows lost of 100 is more than 20%.
			extra: []string{"max_shrink: 0.2"},
			file:  numberedRows(seq(0, 30)...),
			want:  30,
			held:  "c.csv: reload would drop 70 of 100 records (70%), more than max_shrink 20%",
		},
		{name: "a legitimate drop below the share", file: numberedRows(seq(0, 60)...), want: 60},
		{name: "exactly the share", file: numberedRows(seq(0, 50)...), want: 50},
		{name: "a tenth under a looser max_shrink", extra: []string{"max_shrink: 0.95"}, file: numberedRows(seq(0, 10)...), want: 10},
		{name: "the guard off", extra: []string{"max_shrink: 1"}, file: stdHeader, want: 0},
		{name: "growth", file: numberedRows(seq(0, 300)...), want: 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.write("c.csv", []byte(numberedRows(seq(0, served)...)))
			h.mustConfigure(reloadBlock("c.csv", tt.extra...))
			h.rewrite("c.csv", []byte(tt.file))

			if tt.held == "" {
				waitFor(t, "the reload to be applied", func() bool { return len(h.allContacts(0, zeroTime)) == tt.want })
				if _, err := h.check(); err != nil {
					t.Errorf("Check after an applied reload: %v", err)
				}
				if lines := h.log.lines("would drop"); len(lines) != 0 {
					t.Errorf("an applied reload logged a hold: %q", lines)
				}
				return
			}

			waitFor(t, "the hold to be logged", func() bool { return len(h.log.lines("would drop")) > 0 })
			lines := h.log.lines("would drop")
			if len(lines) != 1 || !strings.Contains(lines[0], "[ERROR]") || !strings.Contains(lines[0], tt.held) {
				t.Fatalf("hold logged as %q; want one ERROR with %q", lines, tt.held)
			}
			if !strings.Contains(lines[0], filepath.Join(h.dir, "c.csv.accept-shrink")) {
				t.Errorf("the hold does not name the accept file: %s", lines[0])
			}
			// The previous data keeps answering, by lookup and list.
			if got := h.lookup("+442045200077", ""); len(got) != 1 || got[0].Contact.ID != "P0077" {
				t.Errorf("lookup while held = %v, want P0077", matchIDs(got))
			}
			if got := len(h.allContacts(0, zeroTime)); got != served {
				t.Errorf("%d contacts listed while held, want the previous %d", got, served)
			}
			if _, err := h.check(); err == nil || !strings.Contains(err.Error(), "degraded") || !strings.Contains(err.Error(), "would drop") {
				t.Errorf("Check while held = %v; want a degraded error saying why", err)
			}

			// The operator accepts by touching the accept file.
			h.touchAccept("c.csv", time.Now().Add(time.Minute))
			waitFor(t, "the touch to accept the held data", func() bool { return len(h.allContacts(0, zeroTime)) == tt.want })
			if got := h.lookup("+442045200077", ""); len(got) != 0 {
				t.Errorf("P0077 still found after accepting: %v", matchIDs(got))
			}
			if _, err := h.check(); err != nil {
				t.Errorf("Check after accepting: %v", err)
			}
			// The accept is logged just after the new data is swapped in.
			waitFor(t, "the accept's log line", func() bool { return len(h.log.lines("accepting the held reload")) >= 1 })
			if len(h.log.lines("accepting the held reload")) != 1 {
				t.Errorf("the accept is not logged once; log:\n%s", h.log)
			}
		})
	}
}

func TestShrinkGuardLifts(t *testing.T) {
	full := numberedRows(seq(0, 100)...)
	setup := func(t *testing.T) *harness {
		h := newHarness(t)
		h.write("c.csv", []byte(full))
		// A leftover accept file from an earlier hold accepts nothing.
		h.touchAccept("c.csv", time.Now().Add(-time.Hour))
		h.mustConfigure(reloadBlock("c.csv"))
		h.rewrite("c.csv", []byte(stdHeader))
		waitFor(t, "the hold", func() bool { return len(h.log.lines("would drop 100 of 100")) == 1 })
		return h
	}

	t.Run("restoring the file", func(t *testing.T) {
		h := setup(t)
		h.rewrite("c.csv", []byte(full))
		waitFor(t, "the hold to be dropped", func() bool {
			_, err := h.check()
			return err == nil && len(h.log.lines("has its served content again")) == 1
		})
		if got := len(h.allContacts(0, zeroTime)); got != 100 {
			t.Errorf("%d contacts, want 100", got)
		}
	})
	t.Run("a newer file within the share", func(t *testing.T) {
		h := setup(t)
		h.rewrite("c.csv", []byte(numberedRows(seq(0, 90)...)))
		waitFor(t, "the newer file to load", func() bool { return len(h.allContacts(0, zeroTime)) == 90 })
		if _, err := h.check(); err != nil {
			t.Errorf("Check after the hold lifted: %v", err)
		}
	})
	t.Run("a leftover accept file and a second cut", func(t *testing.T) {
		h := setup(t)
		// Every poll looks at the accept file before the CSV file, so
		// by the time the second hold is logged the leftover has been
		// seen and ignored.
		h.rewrite("c.csv", []byte(numberedRows(seq(0, 5)...)))
		waitFor(t, "the second hold", func() bool { return len(h.log.lines("would drop 95 of 100")) == 1 })
		if got := len(h.allContacts(0, zeroTime)); got != 100 {
			t.Errorf("%d contacts after a leftover accept file, want the held 100", got)
		}
		// A touch accepts the content held now, not the first cut.
		h.touchAccept("c.csv", time.Now().Add(time.Minute))
		waitFor(t, "the accept", func() bool { return len(h.allContacts(0, zeroTime)) == 5 })
	})
	t.Run("configuring again", func(t *testing.T) {
		h := setup(t)
		h.mustConfigure(reloadBlock("c.csv"))
		if got := len(h.allContacts(0, zeroTime)); got != 0 {
			t.Errorf("%d contacts after Configure, want the file's 0: a first load is never held", got)
		}
		if _, err := h.check(); err != nil {
			t.Errorf("Check after Configure: %v", err)
		}
	})
}

func TestMaxShrinkProblems(t *testing.T) {
	for _, tt := range []struct{ value, want string }{
		{"0", "must be above 0 and at most 1"},
		{"-0.5", "must be above 0 and at most 1"},
		{"1.5", "must be above 0 and at most 1"},
		{"half", "expected"},
	} {
		h := newHarness(t)
		resp, err := h.configure(block("c.csv", "max_shrink: "+tt.value))
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Problems) != 1 || resp.Problems[0].Path != "max_shrink" || !strings.Contains(resp.Problems[0].Message, tt.want) {
			t.Errorf("max_shrink: %s: problems %+v; want one at max_shrink with %q", tt.value, resp.Problems, tt.want)
		}
	}
}

func TestPercent(t *testing.T) {
	for share, want := range map[float64]string{0.5: "50", 1: "100", 0.333333: "33.3", 0.2: "20", 0.95: "95", 0.0004: "0"} {
		if got := percent(share); got != want {
			t.Errorf("percent(%v) = %q, want %q", share, got, want)
		}
	}
}

// TestAcceptedHoldIsChangedWhenServed: the records of a held reload count
// as changed when the accept serves them, not when the file was loaded: a
// consumer polling with ChangedSince meanwhile must still see them.
func TestAcceptedHoldIsChangedWhenServed(t *testing.T) {
	h := newHarness(t)
	h.write("c.csv", []byte(numberedRows(seq(0, 100)...)))
	h.mustConfigure(reloadBlock("c.csv"))
	h.rewrite("c.csv", []byte(numberedRows(seq(200, 210)...)))
	waitFor(t, "the hold to be logged", func() bool { return len(h.log.lines("would drop")) > 0 })

	polled := time.Now() // a consumer's poll while the reload is held
	if got := h.allContacts(0, polled); len(got) != 0 {
		t.Fatalf("%d contacts changed while held, want none", len(got))
	}
	h.touchAccept("c.csv", time.Now().Add(time.Minute))
	waitFor(t, "the touch to accept the held data", func() bool { return len(h.allContacts(0, zeroTime)) == 10 })
	if got := h.allContacts(0, polled); len(got) != 10 {
		t.Errorf("%d contacts changed since the poll during the hold, want the 10 accepted", len(got))
	}
}

// TestStreamShrinkHeld: a listed-only configuration holds a shrinking
// reload too. It keeps no rows to go on serving, so listing fails (the
// host keeps answering from its index) and Check reports the hold with
// the accept file to touch; a touch after the hold began serves the
// smaller file, and restoring the file lifts the hold.
func TestStreamShrinkHeld(t *testing.T) {
	ctx := context.Background()
	for _, lift := range []string{"accept", "restore"} {
		t.Run(lift, func(t *testing.T) {
			h := newHarness(t)
			full := numberedRows(seq(0, 100)...)
			h.write("c.csv", []byte(full))
			h.mustConfigureListed(block("c.csv"))
			if got := len(h.allContacts(50, time.Time{})); got != 100 {
				t.Fatalf("before: %d contacts, want 100", got)
			}
			start := time.Now()
			h.rewrite("c.csv", []byte(stdHeader))
			for range 2 { // held, and still held without a rescan
				_, err := h.c.ListContacts(ctx, &connectors.ListRequest{PageSize: 50})
				if connectors.ClassOf(err) != connectors.ClassUnavailable || !strings.Contains(err.Error(), "reload would drop 100 of 100 records") {
					t.Fatalf("listing while held: %v", err)
				}
				_, err = h.check()
				if err == nil || !strings.Contains(err.Error(), "degraded: a reload held since") || !strings.Contains(err.Error(), "c.csv"+acceptSuffix) {
					t.Fatalf("Check while held: %v", err)
				}
			}
			if !h.has(connectors.CapGuardsShrink) {
				t.Error("a listed-only configuration that guards shrinking does not declare guards_shrink")
			}
			want := 0
			switch lift {
			case "accept":
				h.touchAccept("c.csv", start.Add(time.Hour)) // after the hold began, whatever the clock's grain
			case "restore":
				h.rewrite("c.csv", []byte(full))
				want = 100
			}
			if got := len(h.allContacts(50, time.Time{})); got != want {
				t.Errorf("after the %s: %d contacts, want %d", lift, got, want)
			}
			if detail, err := h.check(); err != nil {
				t.Errorf("Check after the %s: %v", lift, err)
			} else if !strings.Contains(detail, "listed_only") {
				t.Errorf("Check after the %s: %q", lift, detail)
			}
		})
	}
}

// has reports whether the connector declares c.
func (h *harness) has(c connectors.Capability) bool {
	h.t.Helper()
	d, err := h.c.Describe(context.Background(), &connectors.DescribeRequest{})
	if err != nil {
		h.t.Fatal(err)
	}
	return d.Has(c)
}
