package pipedrivetest

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestAPITokenAuth(t *testing.T) {
	s, _ := start(t, Options{APIToken: "secret-token", RateLimit: 1000})
	s.Seed()
	for _, c := range []struct {
		name     string
		path     string
		header   map[string]string
		status   int
		infoHas  string
		wantRate bool
	}{
		{"header", "/api/v2/persons", map[string]string{"x-api-token": "secret-token"}, 200, "", true},
		{"query parameter", "/api/v2/persons?api_token=secret-token", nil, 200, "", true},
		{"no credentials", "/api/v2/persons", nil, 401, "no credentials", true},
		{"wrong header", "/api/v2/persons", map[string]string{"x-api-token": "nope"}, 401, "x-api-token", true},
		{"wrong query parameter", "/api/v2/persons?api_token=nope", nil, 401, "api_token", true},
		{"wrong header, right parameter", "/api/v2/persons?api_token=secret-token", map[string]string{"x-api-token": "nope"}, 401, "x-api-token", true},
		{"basic scheme", "/api/v2/persons", map[string]string{"Authorization": "Basic c2VjcmV0LXRva2Vu"}, 401, "Bearer", true},
		{"unknown bearer token", "/api/v2/persons", bearer("made-up"), 401, "unknown access token", true},
		{"bearer beats a right API token", "/api/v2/persons?api_token=secret-token", bearer("made-up"), 401, "unknown access token", true},
		{"unknown route without credentials", "/api/v2/deals", nil, 401, "no credentials", true},
		{"unknown route", "/api/v2/deals?api_token=secret-token", nil, 404, "the fake serves no GET /api/v2/deals", true},
		{"v1 call logs by GET", "/api/v1/callLogs?api_token=secret-token", nil, 404, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := do(t, s, req{path: c.path, header: c.header, noAuth: true})
			if c.status == 200 {
				if a.status != 200 || a.body["success"] != true {
					t.Fatalf("got %d %s", a.status, a.raw)
				}
			} else {
				a.wantError(t, c.status, c.infoHas)
			}
			if got := a.header.Get(HeaderLimit) != ""; got != c.wantRate {
				t.Errorf("rate-limit headers present = %v", got)
			}
		})
	}
}

func TestOAuthFlow(t *testing.T) {
	s, clock := start(t, Options{TokenLifetime: time.Minute, RateLimit: 100})
	s.Seed()
	basic := func(v url.Values) answer { return form(t, s, v, DefaultClientID, DefaultClientSecret) }

	// client_credentials, client authenticated by the form.
	a := form(t, s, url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultClientID}, "client_secret": {DefaultClientSecret}}, "", "")
	if a.status != 200 || a.body["token_type"] != "Bearer" || a.body["expires_in"] != float64(60) ||
		a.body["api_domain"] != s.URL() || a.header.Get("Cache-Control") != "no-store" || a.header.Get(HeaderLimit) != "" {
		t.Fatalf("client_credentials: %d %v %s", a.status, a.header, a.raw)
	}
	access, refresh := a.body["access_token"].(string), a.body["refresh_token"].(string)
	if access == "" || refresh == "" {
		t.Fatalf("tokens missing: %s", a.raw)
	}
	if a := do(t, s, req{path: "/api/v2/persons?limit=1", header: bearer(access), noAuth: true}); a.status != 200 {
		t.Fatalf("fresh access token: %d %s", a.status, a.raw)
	}

	// Just before expiry it works; at expiry it is a 401 saying so.
	clock.Advance(time.Minute - time.Millisecond)
	if a := do(t, s, req{path: "/api/v2/persons?limit=1", header: bearer(access), noAuth: true}); a.status != 200 {
		t.Fatalf("access token before expiry: %d %s", a.status, a.raw)
	}
	clock.Advance(time.Millisecond)
	do(t, s, req{path: "/api/v2/persons?limit=1", header: bearer(access), noAuth: true}).wantError(t, 401, "access token expired")

	// Refresh (client by Basic auth): a new access token, the same refresh token.
	a = basic(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
	if a.status != 200 || a.body["access_token"] == access || a.body["refresh_token"] != refresh {
		t.Fatalf("refresh: %d %s", a.status, a.raw)
	}
	access2 := a.body["access_token"].(string)
	if a := do(t, s, req{path: "/api/v2/persons?limit=1", header: bearer(access2), noAuth: true}); a.status != 200 {
		t.Fatalf("refreshed access token: %d %s", a.status, a.raw)
	}
	do(t, s, req{path: "/api/v2/persons", header: bearer(access), noAuth: true}).wantError(t, 401, "access token expired")

	// RevokeTokens: bearer requests and refreshes fail.
	s.RevokeTokens()
	do(t, s, req{path: "/api/v2/persons", header: bearer(access2), noAuth: true}).wantError(t, 401, "unknown access token")
	if a := basic(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}); a.status != 400 || a.body["error"] != "invalid_grant" {
		t.Fatalf("refresh after revocation: %d %s", a.status, a.raw)
	}
}

func TestOAuthRotatingRefreshTokens(t *testing.T) {
	s, _ := start(t, Options{RotateRefreshTokens: true})
	tok := s.IssueToken()
	refresh := func(rt string) answer {
		return form(t, s, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, DefaultClientID, DefaultClientSecret)
	}
	a := refresh(tok.RefreshToken)
	if a.status != 200 || a.body["refresh_token"] == tok.RefreshToken || a.body["refresh_token"] == "" {
		t.Fatalf("first refresh: %d %s", a.status, a.raw)
	}
	if a := refresh(tok.RefreshToken); a.status != 400 || a.body["error"] != "invalid_grant" {
		t.Fatalf("reusing a rotated refresh token: %d %s", a.status, a.raw)
	}
	if a := refresh(a.body["refresh_token"].(string)); a.status != 200 {
		t.Fatalf("the new refresh token: %d %s", a.status, a.raw)
	}
	// The access token IssueToken minted still works until it expires.
	if a := do(t, s, req{path: "/api/v2/persons", header: bearer(tok.AccessToken), noAuth: true}); a.status != 200 {
		t.Fatalf("issued access token: %d %s", a.status, a.raw)
	}
}

func TestOAuthErrors(t *testing.T) {
	s, _ := start(t, Options{})
	tok := s.IssueToken()
	cc := url.Values{"grant_type": {"client_credentials"}}
	withClient := func(v url.Values) url.Values {
		v = url.Values(cloneValues(v))
		v.Set("client_id", DefaultClientID)
		v.Set("client_secret", DefaultClientSecret)
		return v
	}
	for _, c := range []struct {
		name         string
		form         url.Values
		user, pass   string
		status       int
		oauthErrCode string
	}{
		{"wrong secret by basic", cc, DefaultClientID, "wrong", 401, "invalid_client"},
		{"wrong secret by form", url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultClientID}, "client_secret": {"x"}}, "", "", 401, "invalid_client"},
		{"no client", cc, "", "", 401, "invalid_client"},
		{"client twice", withClient(cc), DefaultClientID, DefaultClientSecret, 400, "invalid_request"},
		{"no grant type", withClient(url.Values{}), "", "", 400, "invalid_request"},
		{"authorization_code", withClient(url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}), "", "", 400, "unsupported_grant_type"},
		{"refresh without token", withClient(url.Values{"grant_type": {"refresh_token"}}), "", "", 400, "invalid_request"},
		{"unknown refresh token", withClient(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"nope"}}), "", "", 400, "invalid_grant"},
		{"access token as refresh token", withClient(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.AccessToken}}), "", "", 400, "invalid_grant"},
		{"refresh token by form client", withClient(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}), "", "", 200, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := form(t, s, c.form, c.user, c.pass)
			if a.status != c.status || (c.oauthErrCode != "" && (a.body["error"] != c.oauthErrCode || a.body["error_description"] == "")) {
				t.Errorf("got %d %s; want %d %s", a.status, a.raw, c.status, c.oauthErrCode)
			}
		})
	}
	t.Run("JSON body", func(t *testing.T) {
		a := do(t, s, req{method: http.MethodPost, path: "/oauth/token", body: `{"grant_type":"client_credentials"}`,
			header: map[string]string{"Content-Type": "application/json"}, noAuth: true})
		if a.status != 400 || a.body["error"] != "invalid_request" {
			t.Errorf("got %d %s", a.status, a.raw)
		}
	})
}

func cloneValues(v url.Values) map[string][]string {
	out := map[string][]string{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
