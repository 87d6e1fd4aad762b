package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/core/server"
)

// BenchmarkMiddleware is the shared middleware's cost per request around a
// constant answer: the client address, the rate limit (off for an exempt
// source, on for another), the one log line (Info, to io.Discard) with a
// caller annotated, and the metrics.
func BenchmarkMiddleware(b *testing.B) {
	body := []byte(`{"extension":"1093"}`)
	m := server.Mount{Name: "ivr", Path: "/ivr", Methods: []string{http.MethodPost}, LimitBody: true,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = server.ReadBody(r)
			server.Annotate(r, "caller_raw", "+442045205757", "uuid", "0f0e6a2c-5f4e-4d2b-9a55-2b6f0b8b1d1e")
			server.Respond(w, http.StatusOK, "application/json", body)
		})}
	for _, tc := range []struct {
		name, remote string
		limits       server.LimitsConfig
	}{
		{"exempt source", "127.0.0.1:40000", server.DefaultConfig().Limits},
		{"limited source", "203.0.113.9:40000", server.LimitsConfig{Rate: 1e9, Burst: 1e9, Conns: 256}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			srv, err := server.New(server.Options{Config: server.Config{Limits: tc.limits}, Mounts: []server.Mount{m},
				Logger: hclog.New(&hclog.LoggerOptions{Output: discard{}, Level: hclog.Info})})
			if err != nil {
				b.Fatal(err)
			}
			h := srv.Handler()
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/ivr", strings.NewReader(`{"caller":"+442045205757"}`))
				req.RemoteAddr = tc.remote
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
