package smartivr

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/logging"
	"github.com/switchboard-hq/switchboard/core/ringlog"
	"github.com/switchboard-hq/switchboard/core/ringtime"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/server"
)

// benchBody is what switchboard-bench sends.
const benchBody = `{"caller":"+442030001234","number":"+442045200000","uuid":"bench-1234"}`

// BenchmarkRingSteps measures each step of a Smart IVR ring on its own,
// for the per-step table in docs/benchmarks.md (issue 17). The directory
// lookup is measured in core/directory (BenchmarkDirectoryLookupIndexHit);
// the whole path is BenchmarkSmartIVRHandler.
func BenchmarkRingSteps(b *testing.B) {
	b.Run("request_harness", func(b *testing.B) { // httptest's request and recorder: subtract from the next
		b.ReportAllocs()
		for b.Loop() {
			_ = httptest.NewRequest(http.MethodPost, defaultPath, strings.NewReader(benchBody))
			_ = httptest.NewRecorder()
		}
	})
	b.Run("read_body", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r := httptest.NewRequest(http.MethodPost, defaultPath, strings.NewReader(benchBody))
			_ = httptest.NewRecorder()
			if _, err := server.ReadBody(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json_decode", func(b *testing.B) {
		body := []byte(benchBody)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parseRequest(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("phone_parse", func(b *testing.B) {
		p, err := phone.NewParser("GB")
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.ParseCaller("+442030001234"); err != nil {
				b.Fatal(err)
			}
		}
	})
	found := directory.Result{Found: true, Source: "customers", Via: "index",
		Match: &connectors.Match{Kind: "exact", Contact: &connectors.Contact{ID: "C0001234", FirstName: "First1234", LastName: "Last"}}}
	call := routing.Call{Caller: "+442030001234", Number: "+442045200000", UUID: "bench-1234"}
	b.Run("rules", func(b *testing.B) {
		r, err := routing.New(routing.Options{Config: routing.Config{
			Default: map[string]string{TargetName: "1000"},
			Rules:   []routing.Rule{{Name: "known", When: "found", To: map[string]string{TargetName: "1093"}}},
		}, Targets: []routing.Target{Target()}, Registerer: prometheus.NewRegistry()})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if d := r.Decide(found, call, TargetName); d.Destination != "1093" {
				b.Fatal(d)
			}
		}
	})
	b.Run("decide_deadline", func(b *testing.B) { // ringtime.Decide around instant fakes: the goroutine and the timer
		dir, router := instantLookup{found}, constRouter{}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := ringtime.Decide(ctx, time.Second, dir, router, call, TargetName); !ok {
				b.Fatal("deadline")
			}
		}
	})
	rec := ringlog.Record{Time: time.Now(), FrontEnd: ringlog.FrontEndSmartIVR, UUID: "bench-1234", Caller: "+442030001234", E164: "+442030001234",
		Outcome: ringlog.OutcomeFound, Match: ringlog.Party{Kind: "contact", ID: "C0001234", First: "First1234", Last: "Last"}, Source: "customers",
		Via: "index", MatchKind: "exact", Rule: "known", Destination: "1093", Answer: "rule"}
	b.Run("ring_log", func(b *testing.B) {
		l := ringlog.New(0)
		b.ReportAllocs()
		for b.Loop() {
			l.Add(&rec)
		}
	})
	b.Run("ring_log_live_feed_wakeup", func(b *testing.B) {
		l := ringlog.New(0)
		_, cancel := l.Watch() // a watcher that is already woken: the send that does not block
		defer cancel()
		b.ReportAllocs()
		for b.Loop() {
			l.Add(&rec)
		}
	})
	b.Run("metrics_label_lookup", func(b *testing.B) {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "x"}, []string{"endpoint", "code"})
		b.ReportAllocs()
		for b.Loop() {
			v.WithLabelValues("smart_ivr", "200").Inc()
		}
	})
	b.Run("metrics_cached_child", func(b *testing.B) {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "x"}, []string{"endpoint", "code"}).WithLabelValues("smart_ivr", "200")
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "y"}, []string{"endpoint"}).WithLabelValues("smart_ivr")
		b.ReportAllocs()
		for b.Loop() {
			c.Inc()
			h.Observe(0.0008)
		}
	})
	fields := []any{"endpoint", "smart_ivr", "method", "POST", "path", "/hipcall/smart-ivr", "status", "200",
		"duration", 812300 * time.Nanosecond, "remote", "127.0.0.1:55218", "caller_raw", "+442030001234", "uuid", "bench-1234",
		"caller", "+442030001234", "found", true, "ambiguous", false, "source", "customers", "via", "index", "match", "exact",
		"lookup_duration", 6604 * time.Nanosecond, "extension", "1093", "rule", "known",
		"reason", `rule "known" matched (found) for contact:C0001234 via index/customers`, "outcome", "rule"}
	logTo := func(b *testing.B) hclog.Logger {
		f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { f.Close() })
		return logging.NewWithSink(logging.Config{Level: "info", Format: "text"}, f, nopSink{}).Named("http")
	}
	b.Run("log_line_hclog", func(b *testing.B) { // the line as hclog formats and writes it, one write a line
		l := logTo(b)
		b.ReportAllocs()
		for b.Loop() {
			l.Log(hclog.Info, "request", fields...)
		}
	})
	b.Run("log_line", func(b *testing.B) { // logging.Log: appended, held and written in batches
		l := logTo(b)
		b.ReportAllocs()
		for b.Loop() {
			logging.Log(l, hclog.Info, "request", fields...)
		}
		_ = logging.Flush(l)
	})
	b.Run("response_encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(extensionBody{Extension: "1093"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// instantLookup answers res at once.
type instantLookup struct{ res directory.Result }

func (l instantLookup) Lookup(context.Context, string) directory.Result { return l.res }

// constRouter decides 1093 at once.
type constRouter struct{}

func (constRouter) Decide(directory.Result, routing.Call, string) routing.Decision {
	return routing.Decision{Target: TargetName, Destination: "1093", Rule: "known"}
}

type nopSink struct{}

func (nopSink) Accept(string, hclog.Level, string, ...any) {}
