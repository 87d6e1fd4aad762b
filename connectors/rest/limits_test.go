package rest

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/rest/pipedrivetest"
)

// withAuth replaces the auth: block of a block.
func withAuth(t *testing.T, block []byte, auth string) []byte {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal(block, &m); err != nil {
		t.Fatal(err)
	}
	var a any
	if err := yaml.Unmarshal([]byte(auth), &a); err != nil {
		t.Fatal(err)
	}
	m["auth"] = a
	out, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// onClock returns a fake Pipedrive seeded, on a fake clock that the
// connector's waits advance, and its config block.
func onClock(t *testing.T, opts pipedrivetest.Options) (*pdFake, *pipedrivetest.Clock, []byte) {
	t.Helper()
	clk := pipedrivetest.NewClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	opts.Now = clk.Now
	s := newPipedrive(t, opts)
	s.Seed()
	return s, clk, exampleBlock(t, "rest-pipedrive.yaml", pipedriveEnv(s.url))
}

func listAll(t *testing.T, c *Connector) int {
	t.Helper()
	n, cursor := 0, ""
	for {
		resp, err := c.ListContacts(ctx(t), &connectors.ListRequest{Cursor: cursor, PageSize: 4})
		if err != nil {
			t.Fatalf("ListContacts: %v", err)
		}
		n += len(resp.Contacts)
		if cursor = resp.NextCursor; cursor == "" {
			return n
		}
	}
}

// TestOAuth2Refresh: with access tokens living a minute on the fake's
// clock, the connector gets one with the refresh token, and when the API
// refuses it as expired gets a new one and retries; rotated refresh tokens
// are kept in memory.
func TestOAuth2Refresh(t *testing.T) {
	for _, rotate := range []bool{false, true} {
		t.Run(map[bool]string{false: "same_refresh_token", true: "rotating_refresh_tokens"}[rotate], func(t *testing.T) {
			s, clk, block := onClock(t, pipedrivetest.Options{TokenLifetime: time.Minute, RotateRefreshTokens: rotate})
			tok := s.IssueToken()
			block = withAuth(t, block, `{oauth2: {token_url: "`+s.url+`/oauth/token", client_id: `+pipedrivetest.DefaultClientID+
				`, client_secret: `+pipedrivetest.DefaultClientSecret+`, refresh_token: `+tok.RefreshToken+`}}`)
			c := configured(t, block, clk)
			for round := range 3 {
				if n := listAll(t, c); n != 10 {
					t.Fatalf("round %d: listed %d persons; want 10", round, n)
				}
				clk.Advance(2 * time.Minute) // every access token so far has expired
			}
			if got := s.Log().Count(pipedrivetest.RouteToken); got != 3 {
				t.Errorf("%d token requests; want 3 (one per expiry)", got)
			}
			var unauthorized int
			for _, r := range s.Log().Requests() {
				if r.Status == http.StatusUnauthorized {
					unauthorized++
				}
			}
			if unauthorized != 2 {
				t.Errorf("%d 401s; want 2 (the two expired tokens, each refused once)", unauthorized)
			}
		})
	}
}

// TestOAuth2ClientCredentials gets tokens with the client credentials
// grant, and reports a wrong secret as unauthorized.
func TestOAuth2ClientCredentials(t *testing.T) {
	s, clk, block := onClock(t, pipedrivetest.Options{TokenLifetime: time.Minute})
	auth := func(secret string) string {
		return `{oauth2: {token_url: "` + s.url + `/oauth/token", client_id: ` + pipedrivetest.DefaultClientID + `, client_secret: ` + secret + `}}`
	}
	c := configured(t, withAuth(t, block, auth(pipedrivetest.DefaultClientSecret)), clk)
	if n := listAll(t, c); n != 10 {
		t.Fatalf("listed %d persons; want 10", n)
	}
	c = configured(t, withAuth(t, block, auth("wrong")), clk)
	_, err := c.ListContacts(ctx(t), &connectors.ListRequest{})
	if connectors.ClassOf(err) != connectors.ClassUnauthorized {
		t.Fatalf("with a wrong client secret: %v; want class unauthorized", err)
	}
	if _, err := c.Check(ctx(t), &connectors.CheckRequest{}); connectors.ClassOf(err) != connectors.ClassUnauthorized {
		t.Fatalf("Check with a wrong client secret: %v; want class unauthorized", err)
	}
}

// Test429 waits out a 429 for Retry-After, else the reset header, else a
// backoff, on the connector's clock, and retries.
func Test429(t *testing.T) {
	cases := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"retry_after", http.Header{"Retry-After": {"3"}, "X-Ratelimit-Reset": {"9"}}, 3 * time.Second},
		{"reset_header", http.Header{"X-Ratelimit-Reset": {"2"}, "X-Ratelimit-Remaining": {"0"}}, 2 * time.Second},
		{"no_header", nil, time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, clk, block := onClock(t, pipedrivetest.Options{})
			c := configured(t, block, clk)
			s.Faults().Script(pipedrivetest.RoutePersons, pipedrivetest.Fault{Status: http.StatusTooManyRequests, Header: tc.header})
			if n := listAll(t, c); n != 10 {
				t.Fatalf("listed %d persons; want 10", n)
			}
			if slept := clk.Slept(); !slices.Equal(slept, []time.Duration{tc.want}) {
				t.Errorf("slept %v; want [%s]", slept, tc.want)
			}
		})
	}
}

// TestRateWindow: the fake's own 2 s window of 3 requests with
// x-ratelimit-remaining at 0 holds the next request back until the reset,
// without a 429; with Retry-After on, a refused request is retried after it.
func TestRateWindow(t *testing.T) {
	for _, retryAfter := range []bool{false, true} {
		s, clk, block := onClock(t, pipedrivetest.Options{RateLimit: 3, RateWindow: 2 * time.Second, RetryAfter: retryAfter})
		c := configured(t, block, clk)
		if n := listAll(t, c); n != 10 { // 3 pages of 4
			t.Fatalf("listed %d persons; want 10", n)
		}
		if n := listAll(t, c); n != 10 {
			t.Fatalf("listed %d persons; want 10", n)
		}
		for _, r := range s.Log().Requests() {
			if r.Status == http.StatusTooManyRequests {
				t.Errorf("a 429: the connector should have waited for x-ratelimit-reset after x-ratelimit-remaining: 0")
			}
		}
		if len(clk.Slept()) == 0 {
			t.Errorf("never waited for the window's reset")
		}
	}
}

// TestDailyBudget: a 429 whose reset is hours away (the daily token budget)
// fails at once with a retryable rate_limited error, and so do the calls
// after it, without a request, until the reset.
func TestDailyBudget(t *testing.T) {
	s, clk, block := onClock(t, pipedrivetest.Options{DailyBudget: 35, RateLimit: 1000}) // a list page costs 10; the first also lists the organizations
	c := configured(t, block, clk)
	for range 2 {
		if _, err := c.ListContacts(ctx(t), &connectors.ListRequest{PageSize: 1}); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	_, err := c.ListContacts(ctx(t), &connectors.ListRequest{PageSize: 1})
	if connectors.ClassOf(err) != connectors.ClassRateLimited || !connectors.Retryable(err) {
		t.Fatalf("past the daily budget: %v; want a retryable rate_limited error", err)
	}
	if took := time.Since(start); took > time.Second || len(clk.Slept()) > 0 {
		t.Errorf("took %s and slept %v: a budget that resets in hours must fail fast", took, clk.Slept())
	}
	before := s.Log().Count(pipedrivetest.RoutePersons)
	_, err = c.LookupByPhone(ctx(t), &connectors.LookupRequest{E164: "+442045205757", National: "2045205757"})
	if connectors.ClassOf(err) != connectors.ClassRateLimited {
		t.Fatalf("lookup while the budget is spent: %v; want rate_limited", err)
	}
	if after := s.Log().Count(pipedrivetest.RoutePersons); after != before {
		t.Errorf("%d requests sent while the budget is spent; want none", after-before)
	}
	clk.Advance(24 * time.Hour)
	if _, err := c.ListContacts(ctx(t), &connectors.ListRequest{PageSize: 1}); err != nil {
		t.Fatalf("after midnight: %v", err)
	}
}
