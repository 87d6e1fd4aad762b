package hipcall

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// sendsTokenInClear reports whether a base URL would send the API token
// unencrypted over the network: its scheme is http and its host is not a
// loopback address (127.0.0.0/8, ::1) or "localhost". Plain http to
// loopback stays allowed for local fakes and tests.
func sendsTokenInClear(u *url.URL) bool {
	return strings.EqualFold(u.Scheme, "http") && !loopbackHost(u.Hostname())
}

// loopbackHost reports whether host (without port or brackets) is
// "localhost" or a loopback address.
func loopbackHost(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// httpAdvice is what an http base URL to another host is told.
const httpAdvice = "must use https: over http the API token would cross the network in clear text " +
	"(http is allowed only to a loopback host, 127.0.0.1, ::1 or localhost, for a local fake)"

// shownURL is a base URL as an error may show it: without a password in
// its userinfo.
func shownURL(raw string, u *url.URL) string {
	if u == nil {
		return raw
	}
	return u.Redacted()
}

// tokenStaysHome returns a copy of hc whose redirects never carry the
// API token away from base's origin (scheme, host and port): net/http
// copies the Authorization header to a redirect on the same host name,
// even from https to http or to another port; this drops it there.
func tokenStaysHome(hc *http.Client, base *url.URL) *http.Client {
	out := *hc
	next := hc.CheckRedirect
	out.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		// net/http copies the header to the redirect's request before
		// this runs.
		if !sameOrigin(r.URL, base) {
			r.Header.Del("Authorization")
		}
		if next != nil {
			return next(r, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &out
}
