package ringostat

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/core/server"
)

// BenchmarkRingostatHandler measures the Ringostat handler alone
// (middleware and token check included, no network) with an instant fake
// lookup and decision, for each submission type.
func BenchmarkRingostatHandler(b *testing.B) {
	for _, bc := range []struct {
		name, target, body string
		imp                Import
	}{
		{"query-text", ringoPath + "/" + ringoToken + "?caller=%2B905061234567&call_id=pkv", "", ImportText},
		{"json-json", ringoPath + "/" + ringoToken, `{"call_id":"pkv","step_forward":"webhookNumber%3A120","uuid":"842d921d","caller":"+905061234567"}`, ImportJSON},
		{"jsonrpc-jsonrpc", ringoPath + "/" + ringoToken, `{"jsonrpc":"2.0","method":"route","params":{"caller":"+905061234567"},"id":7}`, ImportJSONRPC},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f := newRingoFixture(b, func(o *Options) { o.Token, o.Import = ringoToken, bc.imp },
				func(o *server.Options) { o.Logger = hclog.NewNullLogger() })
			h := f.Srv.Handler()
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, bc.target, strings.NewReader(bc.body))
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
					b.Fatalf("status %d body %q", rec.Code, rec.Body.String())
				}
			}
		})
	}
}
