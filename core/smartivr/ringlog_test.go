package smartivr

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/ringlog"
	"github.com/switchboard-hq/switchboard/core/ringtime"
	"github.com/switchboard-hq/switchboard/core/ringtime/ringtimetest"
	"github.com/switchboard-hq/switchboard/core/server"
	"github.com/switchboard-hq/switchboard/core/server/servertest"
)

// recordingFixture is the Smart IVR mounted through ringtime.Recording.
func recordingFixture(t testing.TB, log *ringlog.Log, deadline time.Duration) (*servertest.Fixture, *ringtimetest.Directory) {
	t.Helper()
	dir := &ringtimetest.Directory{}
	m, err := New(Options{Config: Config{Deadline: deadline}, DefaultExtension: testDefaultExt, Directory: dir, Router: &fakeRouter{}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return servertest.New(t, server.Options{Logger: hclog.NewNullLogger(), Mounts: []server.Mount{ringtime.Recording(m, log)}}), dir
}

// TestRingLogRecordsEveryRing: a found caller, an unknown one, an invalid
// number, a malformed request and a deadline each leave one record saying
// what happened.
func TestRingLogRecordsEveryRing(t *testing.T) {
	log := ringlog.New(10)
	f, dir := recordingFixture(t, log, 200*time.Millisecond)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	dir.LookupFn = func(ctx context.Context, raw string) directory.Result {
		if raw == "+905550000000" {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return ringtimetest.KnownLookup(raw)
	}
	wake, cancel := log.Watch()
	defer cancel()

	for _, body := range []string{
		`{"caller":"` + knownCaller + `","uuid":"u-known"}`,
		`{"caller":"+902120000000","uuid":"u-unknown"}`,
		`{"caller":"<script>alert(1)</script>","uuid":"u-invalid"}`,
		`{"caller":`,
		`{"caller":"+905550000000","uuid":"u-slow"}`,
	} {
		if rec := f.Do(http.MethodPost, defaultPath, body, nil); rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d", body, rec.Code)
		}
	}
	got := log.Recent(ringlog.Filter{}, 0)
	if len(got) != 5 {
		t.Fatalf("%d records, want 5", len(got))
	}
	known, unknown, invalid, malformed, slow := got[4], got[3], got[2], got[1], got[0]
	if known.FrontEnd != ringlog.FrontEndSmartIVR || known.UUID != "u-known" || known.Caller != knownCaller || known.E164 != knownCaller ||
		known.Outcome != ringlog.OutcomeFound || known.Match.Key() != "contact:C042" || known.Match.Name() != "Ada" ||
		known.Source != "customers" || known.MatchKind != "exact" || known.Rule != "known" || known.Destination != knownExt ||
		known.Answer != ringtime.OutcomeRule || known.IsFallback() || known.Latency <= 0 {
		t.Errorf("known ring = %+v", known)
	}
	if unknown.Outcome != ringlog.OutcomeUnknown || unknown.Destination != testDefaultExt || unknown.Answer != ringtime.OutcomeDefault || unknown.IsFallback() {
		t.Errorf("unknown ring = %+v", unknown)
	}
	if invalid.Outcome != ringlog.OutcomeInvalid || invalid.NotE164 == "" || invalid.Fallback != ringtime.FallbackInvalidNumber ||
		invalid.Caller != "<script>alert(1)</script>" || invalid.Destination != testDefaultExt {
		t.Errorf("invalid ring = %+v", invalid)
	}
	if malformed.Outcome != ringlog.OutcomeNone || malformed.Fallback != ringtime.FallbackMalformed || malformed.Destination != testDefaultExt {
		t.Errorf("malformed ring = %+v", malformed)
	}
	if slow.Outcome != ringlog.OutcomeNone || slow.Fallback != ringtime.FallbackDeadline || slow.UUID != "u-slow" || slow.Caller != "+905550000000" {
		t.Errorf("slow ring = %+v", slow)
	}
	select {
	case <-wake:
	default:
		t.Fatal("the watcher was not woken")
	}
	if b := log.After(0, ringlog.Filter{}, 0); len(b.Records) != 5 || b.Records[0].ID != 1 || b.Next != 5 {
		t.Errorf("After(0) = %d records, next %d; want 5 from id 1", len(b.Records), b.Next)
	}
}

// TestRingLogRateLimited: a ring over the rate limit is recorded too.
func TestRingLogRateLimited(t *testing.T) {
	log := ringlog.New(10)
	dir := &ringtimetest.Directory{}
	m, err := New(Options{DefaultExtension: testDefaultExt, Directory: dir, Router: &fakeRouter{}})
	if err != nil {
		t.Fatal(err)
	}
	m = ringtime.Recording(m, log)
	m.OnLimited(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, defaultPath, strings.NewReader(`{}`)))
	got := log.Recent(ringlog.Filter{}, 0)
	if len(got) != 1 || got[0].Fallback != ringtime.FallbackRateLimited || got[0].Destination != testDefaultExt {
		t.Fatalf("records = %+v", got)
	}
}

// BenchmarkSmartIVRHandlerRingLog is BenchmarkSmartIVRHandler with the
// ring log recording, without and with a watcher reading the records.
func BenchmarkSmartIVRHandlerRingLog(b *testing.B) {
	run := func(b *testing.B, subscribe bool) {
		log := ringlog.New(0)
		if subscribe {
			wake, cancel := log.Watch()
			defer cancel()
			go func() {
				var cursor uint64
				for {
					select {
					case <-wake:
						cursor = log.After(cursor, ringlog.Filter{}, 20).Next
					case <-b.Context().Done():
						return
					}
				}
			}()
		}
		f, _ := recordingFixture(b, log, 0)
		h := f.Srv.Handler()
		const body = `{"caller":"+905061234567","number":"+902581234567","timestamp":1774427991,"uuid":"a2b7bf8f-0000"}`
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodPost, defaultPath, strings.NewReader(body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
		}
	}
	b.Run("no_ring_log", func(b *testing.B) {
		f, _ := recordingFixture(b, nil, 0)
		h := f.Srv.Handler()
		const body = `{"caller":"+905061234567","number":"+902581234567","timestamp":1774427991,"uuid":"a2b7bf8f-0000"}`
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodPost, defaultPath, strings.NewReader(body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
		}
	})
	b.Run("ring_log", func(b *testing.B) { run(b, false) })
	b.Run("ring_log_subscriber", func(b *testing.B) { run(b, true) })
}
