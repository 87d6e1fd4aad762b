package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// BenchmarkSmartIVRHandler measures the Smart IVR handler alone (middleware
// included, no network) with an instant fake lookup and decision.
func BenchmarkSmartIVRHandler(b *testing.B) {
	f := newFixture(b, withAuth("hipcall", "s3cret"), func(o *Options) { o.Logger = hclog.NewNullLogger() })
	h := f.srv.Handler()
	const body = `{"caller":"+905061234567","number":"+902581234567","timestamp":1774427991,"uuid":"a2b7bf8f-0000"}`
	auth := basicHeader("hipcall", "s3cret").Get("Authorization")
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, DefaultSmartIVRPath, strings.NewReader(body))
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
