package rest

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/switchboard-hq/switchboard/connectors"
)

// tokenSource holds the OAuth2 access token: it gets one with the refresh
// token (auth.oauth2.refresh_token) or the client credentials grant, keeps
// it until it expires or the API refuses it, and keeps a rotated refresh
// token in memory (a restart starts again from the configured one).
type tokenSource struct {
	hc      *http.Client
	cfg     oauth2.Config
	cc      *clientcredentials.Config // without a refresh token
	refresh string                    // the latest refresh token

	mu  sync.Mutex
	tok *oauth2.Token
}

func newTokenSource(s *settings, hc *http.Client) *tokenSource {
	a := s.auth
	ts := &tokenSource{hc: hc, refresh: a.refresh, cfg: oauth2.Config{
		ClientID: a.clientID, ClientSecret: a.secret, Scopes: a.scopes,
		Endpoint: oauth2.Endpoint{TokenURL: a.tokenURL},
	}}
	if a.refresh == "" {
		ts.cc = &clientcredentials.Config{ClientID: a.clientID, ClientSecret: a.secret, TokenURL: a.tokenURL, Scopes: a.scopes}
	}
	return ts
}

// token returns a valid access token, getting a new one when needed. One
// caller at a time fetches; the others wait for its token.
func (ts *tokenSource) token(ctx context.Context, op string) (string, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.tok.Valid() {
		return ts.tok.AccessToken, nil
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, ts.hc)
	var (
		tok *oauth2.Token
		err error
	)
	if ts.cc != nil {
		tok, err = ts.cc.Token(ctx)
	} else {
		tok, err = ts.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: ts.refresh}).Token()
	}
	if err != nil {
		return "", tokenError(op, ctx, err)
	}
	if tok.RefreshToken != "" {
		ts.refresh = tok.RefreshToken // rotated: the old one no longer works
	}
	ts.tok = tok
	return tok.AccessToken, nil
}

// invalidate forgets the access token the API refused, unless another
// caller has replaced it already.
func (ts *tokenSource) invalidate(access string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.tok != nil && ts.tok.AccessToken == access {
		ts.tok = nil
	}
}

// tokenError classifies a token endpoint failure.
func tokenError(op string, ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctxError(op, ctx)
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		code := re.ErrorCode
		if code == "" {
			code = re.Response.Status
		}
		desc := re.ErrorDescription
		if desc != "" {
			desc = " (" + desc + ")"
		}
		switch st := re.Response.StatusCode; {
		case st >= 500 || st == http.StatusTooManyRequests:
			return connectors.Errorf(connectors.ClassUnavailable, op, "the OAuth2 token endpoint answered %d %s%s; retry later", st, code, desc)
		case code == "invalid_grant":
			return connectors.Errorf(connectors.ClassUnauthorized, op,
				"the OAuth2 token endpoint refused the refresh token: invalid_grant%s; authorize the app again and set auth.oauth2.refresh_token to the new refresh token", desc)
		case code == "invalid_client" || st == http.StatusUnauthorized:
			return connectors.Errorf(connectors.ClassUnauthorized, op,
				"the OAuth2 token endpoint refused the client: %s%s; check auth.oauth2.client_id and client_secret", code, desc)
		default:
			return connectors.Errorf(connectors.ClassBadConfig, op,
				"the OAuth2 token endpoint answered %d %s%s; check auth.oauth2 (token_url, scopes)", st, code, desc)
		}
	}
	return connectors.Errorf(connectors.ClassUnavailable, op, "cannot get an OAuth2 access token: %s; check auth.oauth2.token_url and the network", redactURL(err))
}
