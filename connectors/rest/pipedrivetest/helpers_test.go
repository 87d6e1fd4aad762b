package pipedrivetest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// start returns a started server on a Clock set to 2026-12-01 10:00:00.5
// UTC (half a second into a second, so that rounding shows).
func start(t *testing.T, opts Options) (*Server, *Clock) {
	t.Helper()
	clock := NewClock(time.Date(2026, 12, 1, 10, 0, 0, 500_000_000, time.UTC))
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = Unlimited
	}
	if opts.DailyBudget == 0 {
		opts.DailyBudget = Unlimited
	}
	s := NewServer(opts)
	t.Cleanup(s.Close)
	return s, clock
}

// answer is a decoded response.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// req describes a request; by default it carries the default API token in
// x-api-token.
type req struct {
	method string
	path   string // with its query string
	header map[string]string
	body   string
	noAuth bool
}

func do(t *testing.T, s *Server, r req) answer {
	t.Helper()
	if r.method == "" {
		r.method = http.MethodGet
	}
	var rd io.Reader
	if r.body != "" {
		rd = strings.NewReader(r.body)
	}
	hr, err := http.NewRequest(r.method, s.URL()+r.path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if !r.noAuth {
		hr.Header.Set("x-api-token", DefaultAPIToken)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("%s %s: body %q is not a JSON object: %v", r.method, r.path, raw, err)
	}
	return a
}

func get(t *testing.T, s *Server, path string) answer {
	t.Helper()
	return do(t, s, req{path: path})
}

// wantError checks an error answer: the status and the API's error body.
func (a answer) wantError(t *testing.T, status int, infoHas string) {
	t.Helper()
	if a.status != status || a.body["success"] != false || a.body["error"] == "" ||
		a.body["code"] != float64(status) || !strings.Contains(a.body["error_info"].(string), infoHas) {
		t.Errorf("got %d %s; want %d with the error body and error_info containing %q", a.status, a.raw, status, infoHas)
	}
}

// ids returns the ids of a list's data.
func (a answer) ids() []int {
	var out []int
	data, _ := a.body["data"].([]any)
	for _, r := range data {
		out = append(out, int(r.(map[string]any)["id"].(float64)))
	}
	return out
}

// itemIDs returns the ids of a search's items.
func (a answer) itemIDs() []int {
	var out []int
	for _, it := range a.items() {
		out = append(out, int(it["item"].(map[string]any)["id"].(float64)))
	}
	return out
}

func (a answer) items() []map[string]any {
	var out []map[string]any
	data, _ := a.body["data"].(map[string]any)
	items, _ := data["items"].([]any)
	for _, it := range items {
		out = append(out, it.(map[string]any))
	}
	return out
}

// next returns additional_data.next_cursor ("" when null) and fails when
// additional_data or next_cursor is missing.
func (a answer) next(t *testing.T) string {
	t.Helper()
	ad, ok := a.body["additional_data"].(map[string]any)
	if !ok {
		t.Fatalf("no additional_data in %s", a.raw)
	}
	c, ok := ad["next_cursor"]
	if !ok {
		t.Fatalf("no additional_data.next_cursor in %s", a.raw)
	}
	if c == nil {
		return ""
	}
	return c.(string)
}

// form posts a form to the token endpoint.
func form(t *testing.T, s *Server, values url.Values, basicUser, basicPass string) answer {
	t.Helper()
	hr, err := http.NewRequest(http.MethodPost, s.URL()+"/oauth/token", strings.NewReader(values.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicUser != "" {
		hr.SetBasicAuth(basicUser, basicPass)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("token endpoint: body %q: %v", raw, err)
	}
	return a
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
