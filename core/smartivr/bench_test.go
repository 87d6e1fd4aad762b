package smartivr

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/core/server"
	"github.com/switchboard-hq/switchboard/core/server/servertest"
)

// BenchmarkSmartIVRHandler measures the Smart IVR handler alone (middleware
// included, no network) with an instant fake lookup and decision.
func BenchmarkSmartIVRHandler(b *testing.B) {
	f := newFixture(b, withAuth("hipcall", "s3cret"), withServer(func(o *server.Options) { o.Logger = hclog.NewNullLogger() }))
	h := f.Srv.Handler()
	const body = `{"caller":"+905061234567","number":"+902581234567","timestamp":1774427991,"uuid":"a2b7bf8f-0000"}`
	auth := servertest.BasicHeader("hipcall", "s3cret").Get("Authorization")
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, defaultPath, strings.NewReader(body))
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
