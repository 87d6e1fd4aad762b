package csv

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
)

// stepper holds the first scan of a listed-only configuration back: it
// publishes one listed row per step and takes a step only when given a
// token on gate; waiting hears of a page waiting for the scan.
type stepper struct {
	gate    chan struct{}
	waiting chan struct{}
	once    sync.Once
}

// stepScan makes the harness's listed-only scans stepped (until release).
func (h *harness) stepScan() *stepper {
	sp := &stepper{gate: make(chan struct{}), waiting: make(chan struct{}, 1)}
	h.c.hooks = &scanHooks{
		every: 1,
		step:  func(int) { <-sp.gate },
		wait: func() {
			select {
			case sp.waiting <- struct{}{}:
			default:
			}
		},
	}
	h.t.Cleanup(sp.release) // before the harness's Close, which waits for the scan
	return sp
}

// release lets the scan run to its end.
func (sp *stepper) release() { sp.once.Do(func() { close(sp.gate) }) }

// pageStepped asks for a page and lets the scan take a step each time the
// page waits for it, and only then: the scan is as little ahead of the
// pages as can be. Not after release.
func (h *harness) pageStepped(sp *stepper, cursor string, size int) (*connectors.ListContactsResponse, error) {
	type result struct {
		resp *connectors.ListContactsResponse
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := h.c.ListContacts(context.Background(), &connectors.ListRequest{Cursor: cursor, PageSize: size})
		done <- result{resp, err}
	}()
	for {
		select {
		case <-sp.waiting:
			select {
			case sp.gate <- struct{}{}:
			case r := <-done:
				return r.resp, r.err
			}
		case r := <-done:
			return r.resp, r.err
		}
	}
}

// scanEnded reports whether the harness's listed-only first scan has
// ended.
func (h *harness) scanEnded() bool {
	select {
	case <-h.c.stream.Load().ready:
		return true
	default:
		return false
	}
}

// dupsAcrossPages has ids listed again on later pages (whose companies
// and fields must not count) and broken rows between them.
func dupsAcrossPages() struct{ name, block, file string } {
	hdr := strings.TrimSuffix(stdHeader, "\n") + ",Balance\n"
	return struct{ name, block, file string }{"duplicates across pages",
		block("c.csv", "fields:\n  balance: {column: Balance, type: number}"), hdr +
			"A1,One,,Co1,,,,,,1\n" +
			"A2,Two,,Co2,,,,,,2\n" +
			"A1,Dup,,DupCo1,,,,,,3\n" +
			"A3,Three,,,,,,,,4\n" +
			"A3,Short\n" +
			"A2,Dup,,DupCo2,,,,,,x\n" +
			"A4,Bad,,BadCo,,,,,,nope\n" +
			"A4,Four,,Co4,,,,,,5\n" +
			"A2,Dup,,DupCo3,,,,,,6\n" +
			"A5,Five,,,,,,,,7\n" +
			"A1,Dup,,DupCo4,,,,,,8\n" +
			"A6,Six,,Co1,,,,,,9\n" +
			"A4,Dup,,,,,,,,10\n"}
}

// TestStreamListingWhileScanning lists every file of the equivalence
// cases while the first scan is held back to the pages' pace: the pages
// are served before the scan has ended and yield the records, companies
// and warnings of a full load.
func TestStreamListingWhileScanning(t *testing.T) {
	for _, tc := range append(streamCases(), dupsAcrossPages()) {
		t.Run(tc.name, func(t *testing.T) {
			want := loadWhole(t, tc.block, tc.file)
			for _, size := range []int{1, 2, 3, 7, 500} {
				t.Run(fmt.Sprint("page ", size), func(t *testing.T) {
					h := newHarness(t)
					h.write("c.csv", []byte(tc.file))
					sp := h.stepScan()
					h.mustConfigureListed(tc.block)
					var got []connectors.Contact
					cursor := ""
					for pages := 0; ; pages++ {
						if pages > 10000 {
							t.Fatal("paging does not end")
						}
						resp, err := h.pageStepped(sp, cursor, size)
						if err != nil {
							t.Fatalf("ListContacts: %v", err)
						}
						if pages == 0 && len(want.contacts) > size && h.scanEnded() {
							t.Errorf("the first page of %d was served after the scan ended", size)
						}
						got = append(got, resp.Contacts...)
						if cursor = resp.NextCursor; cursor == "" {
							break
						}
					}
					sp.release()
					want.check(t, h, size, got)
				})
			}
		})
	}
}

// TestStreamScanFailsAfterPagesServed changes the file in place while its
// first scan is held back after a page was served: the scan fails, so the
// page waiting for it and the listing's next pages fail as after a change
// of the file, the warnings of the failed version are never logged, and a
// new listing reads the new file.
func TestStreamScanFailsAfterPagesServed(t *testing.T) {
	h := newHarness(t)
	h.write("c.csv", []byte(numberedRows(seq(1, 11)...)+"BAD,short\n"+"P0011,Eleven,,,,,,,\n"))
	sp := h.stepScan()
	h.mustConfigureListed(block("c.csv"))
	first, err := h.pageStepped(sp, "", 2)
	if err != nil || len(first.Contacts) != 2 || first.NextCursor == "" {
		t.Fatalf("first page: %v %+v", err, first)
	}
	if h.scanEnded() {
		t.Fatal("the first page was served after the scan ended")
	}
	// A page that needs the whole file waits for the end of the scan.
	select {
	case <-sp.waiting:
	default:
	}
	waiting := make(chan error, 1)
	go func() {
		_, err := h.c.ListContacts(context.Background(), &connectors.ListRequest{Cursor: first.NextCursor, PageSize: 500})
		waiting <- err
	}()
	<-sp.waiting
	h.write("c.csv", []byte(numberedRows(seq(1, 13)...))) // in place: the scan's open file changes
	isChanged := func(err error) bool {
		return err != nil && connectors.ClassOf(err) == connectors.ClassUnavailable &&
			strings.Contains(err.Error(), "changed while it was being listed")
	}
	// A new listing meanwhile waits for the next scan (the file is no
	// longer the scanned version).
	fresh := make(chan error, 1)
	go func() {
		n := 0
		for cursor := ""; ; {
			resp, err := h.c.ListContacts(context.Background(), &connectors.ListRequest{Cursor: cursor, PageSize: 3})
			if err != nil {
				fresh <- err
				return
			}
			n += len(resp.Contacts)
			if cursor = resp.NextCursor; cursor == "" {
				break
			}
		}
		if n != 12 {
			fresh <- fmt.Errorf("%d contacts, want 12", n)
			return
		}
		fresh <- nil
	}()
	sp.release()
	if err := <-waiting; !isChanged(err) {
		t.Errorf("the page waiting for the failed scan: err = %v, want an unavailable error saying the file changed", err)
	}
	if _, err := h.c.ListContacts(context.Background(), &connectors.ListRequest{Cursor: first.NextCursor, PageSize: 2}); !isChanged(err) {
		t.Errorf("the next page after the failed scan: err = %v, want an unavailable error saying the file changed", err)
	}
	if err := <-fresh; err != nil {
		t.Errorf("new listing: %v", err)
	}
	if w := h.warnings(); len(w) != 0 {
		t.Errorf("warnings of the failed version logged: %q", w)
	}
}
