package hipcall

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func jsonMarshal(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func TestBackoffDelayFullJitter(t *testing.T) {
	lo, hi := 100*time.Millisecond, 1*time.Second
	tests := []struct {
		n    int
		r    float64
		want time.Duration
	}{
		{1, 0, 0},
		{1, 0.5, 50 * time.Millisecond},
		{2, 0.5, 100 * time.Millisecond},
		{3, 0.999, 399600 * time.Microsecond},
		{5, 0.5, 500 * time.Millisecond}, // 1.6s capped at 1s
		{80, 0.5, 500 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := backoffDelay(lo, hi, tt.n, tt.r); got != tt.want {
			t.Errorf("backoffDelay(n=%d, r=%v) = %v, want %v", tt.n, tt.r, got, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"7", 7 * time.Second, true},
		{" 0 ", 0, true},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, true},
		{now.Add(-30 * time.Second).Format(http.TimeFormat), 0, true},
		{"", 0, false},
		{"-3", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestDecodeAPIError(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		wantDetail string
		wantFields map[string][]string
		wantInMsg  string
	}{
		{"404", 404, `{"errors":{"detail":"Not Found"}}`, "Not Found", nil, "check the id"},
		{"401", 401, `{"errors":{"detail":"Invalid token"}}`, "Invalid token", nil, "check the token and that it belongs to this region's base URL"},
		{"422 fields", 422, `{"errors":{"name":["can't be blank"],"external_id":["has already been taken"]}}`, "",
			map[string][]string{"name": {"can't be blank"}, "external_id": {"has already been taken"}}, "external_id: has already been taken"},
		{"422 string field", 422, `{"errors":{"phones":"Unexpected field"}}`, "", map[string][]string{"phones": {"Unexpected field"}}, "phones: Unexpected field"},
		{"html 502", 502, "<html>Bad Gateway</html>", "<html>Bad Gateway</html>", nil, "Hipcall is failing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeAPIError(tt.status, "GET", "/x", []byte(tt.body))
			if e.Detail != tt.wantDetail {
				t.Errorf("Detail = %q, want %q", e.Detail, tt.wantDetail)
			}
			if len(e.Fields) != len(tt.wantFields) {
				t.Errorf("Fields = %v, want %v", e.Fields, tt.wantFields)
			}
			for k, v := range tt.wantFields {
				if strings.Join(e.Fields[k], "|") != strings.Join(v, "|") {
					t.Errorf("Fields[%s] = %v, want %v", k, e.Fields[k], v)
				}
			}
			if !strings.Contains(e.Error(), tt.wantInMsg) {
				t.Errorf("Error() = %q, want it to contain %q", e.Error(), tt.wantInMsg)
			}
		})
	}
}

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr string
		wantURL string
	}{
		{"global default", Options{Token: "t"}, "", BaseURLGlobal},
		{"turkey", Options{Token: "t", Region: "tr"}, "", BaseURLTurkey},
		{"base url wins", Options{Token: "t", Region: "tr", BaseURL: "http://127.0.0.1:1/api/v3/"}, "", "http://127.0.0.1:1/api/v3"},
		{"no token", Options{}, "token is empty", ""},
		{"bad region", Options{Token: "t", Region: "eu"}, `unknown region "eu"`, ""},
		{"relative url", Options{Token: "t", BaseURL: "/api/v3"}, "not an absolute http(s) URL", ""},
		{"http to Hipcall", Options{Token: "t", BaseURL: "http://use.hipcall.com/api/v3"}, "must use https", ""},
		{"http to a private address", Options{Token: "t", BaseURL: "http://192.168.1.10/api/v3"}, "must use https", ""},
		{"http password not shown", Options{Token: "t", BaseURL: "http://u:pw-s3cret@hipcall.example/api/v3"}, `"http://u:xxxxx@hipcall.example/api/v3" must use https`, ""},
		{"http to localhost", Options{Token: "t", BaseURL: "http://localhost:8080/api/v3"}, "", "http://localhost:8080/api/v3"},
		{"http to ::1", Options{Token: "t", BaseURL: "http://[::1]:8080/api/v3"}, "", "http://[::1]:8080/api/v3"},
		{"https anywhere", Options{Token: "t", BaseURL: "https://hipcall.example/api/v3"}, "", "https://hipcall.example/api/v3"},
		{"bad waits", Options{Token: "t", RetryWaitMin: time.Second, RetryWaitMax: time.Millisecond}, "RetryWaitMax", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New: %v, want error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if c.BaseURL() != tt.wantURL {
				t.Errorf("BaseURL = %q, want %q", c.BaseURL(), tt.wantURL)
			}
		})
	}
}

func TestTokenDigest(t *testing.T) {
	a, _ := New(Options{Token: "secret-a"})
	b, _ := New(Options{Token: "secret-b"})
	a2, _ := New(Options{Token: "secret-a"})
	if a.TokenDigest() == b.TokenDigest() || a.TokenDigest() != a2.TokenDigest() {
		t.Errorf("digests: a %s, b %s, a again %s", a.TokenDigest(), b.TokenDigest(), a2.TokenDigest())
	}
	if strings.Contains(a.TokenDigest(), "secret") || len(a.TokenDigest()) != 32 {
		t.Errorf("digest %q", a.TokenDigest())
	}
}
