package server_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/core/server"
)

// pathEcho answers with the path and query it was given.
type pathEcho struct {
	mu   sync.Mutex
	seen []string
}

func (p *pathEcho) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	p.seen = append(p.seen, r.URL.Path+"?"+r.URL.RawQuery)
	p.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func TestWebhookRoute(t *testing.T) {
	var logs bytes.Buffer
	echo := &pathEcho{}
	s, err := server.New(server.Options{
		Mounts: []server.Mount{server.WebhookOptions{Path: "/hipcall/webhook", Handler: echo}.Mount()},
		Config: server.Config{MaxBodyBytes: 64},
		Logger: hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Debug}),
	})
	if err != nil {
		t.Fatal(err)
	}
	const secret = "s3cret-token-in-the-path"
	cases := []struct {
		method, target, body string
		want                 int
		handlerSaw           string
	}{
		{"POST", "/hipcall/webhook", "{}", 200, "/hipcall/webhook?"},
		{"POST", "/hipcall/webhook/" + secret, "{}", 200, "/hipcall/webhook/" + secret + "?"},
		{"POST", "/hipcall/webhook?token=q", "{}", 200, "/hipcall/webhook?token=q"},
		{"GET", "/hipcall/webhook/" + secret, "", 405, ""},
		{"POST", "/hipcall/webhookx", "{}", 404, ""},
		{"POST", "/hipcall/webhook/" + secret, strings.Repeat("x", 100), 200, "/hipcall/webhook/" + secret + "?"},
	}
	for _, tc := range cases {
		echo.seen = nil
		req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s %s → %d, want %d", tc.method, tc.target, rec.Code, tc.want)
		}
		if tc.handlerSaw != "" && (len(echo.seen) != 1 || echo.seen[0] != tc.handlerSaw) {
			t.Errorf("%s %s: the handler saw %v, want %s", tc.method, tc.target, echo.seen, tc.handlerSaw)
		}
		if len(tc.body) > 64 && len(rec.Body.String()) > 64 {
			t.Errorf("the body was not capped at max_body_bytes: read %d bytes", rec.Body.Len())
		}
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("the token in the path reached the log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "endpoint=webhook") || !strings.Contains(logs.String(), "path=/hipcall/webhook ") {
		t.Errorf("webhook requests not logged under their path:\n%s", logs.String())
	}
}

func TestWebhookOptionsChecked(t *testing.T) {
	for _, tc := range []struct {
		opts server.WebhookOptions
		want string
	}{
		{server.WebhookOptions{Path: "hook", Handler: http.NotFoundHandler()}, "must start"},
		{server.WebhookOptions{Path: "/hook/", Handler: http.NotFoundHandler()}, "must start"},
		{server.WebhookOptions{Path: "/metrics", Handler: http.NotFoundHandler()}, "taken"},
		{server.WebhookOptions{Path: "/hook"}, "needs a handler"},
	} {
		if _, err := server.New(server.Options{Mounts: []server.Mount{tc.opts.Mount()}}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want %q", tc.opts, err, tc.want)
		}
	}
}
