package fakeapi

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// MaxBody bounds the request bodies ReadBody reads.
const MaxBody = 1 << 20

// ReadBody reads r's body, at most MaxBody bytes of it.
func ReadBody(r *http.Request) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r.Body, MaxBody))
}

// Bearer checks an Authorization header value for a bearer token: it
// returns the token and whether it is acceptable, that is not blank and,
// when want is not "", equal to want.
func Bearer(authorization, want string) (token string, ok bool) {
	token, ok = strings.CutPrefix(authorization, "Bearer ")
	if !ok || strings.TrimSpace(token) == "" || (want != "" && token != want) {
		return token, false
	}
	return token, true
}

// RawBody is an answer body written as is, not encoded as JSON: a scripted
// body, or a deliberately malformed one.
type RawBody string

// WriteJSON answers with status, the headers in hdr (may be nil) and body
// encoded as JSON (a RawBody as is) under the given Content-Type. A nil
// body answers with no body and no Content-Type.
func WriteJSON(w http.ResponseWriter, hdr http.Header, status int, contentType string, body any) {
	for k, v := range hdr {
		w.Header()[k] = v
	}
	if body == nil {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	if raw, ok := body.(RawBody); ok {
		_, _ = io.WriteString(w, string(raw))
		return
	}
	_ = json.NewEncoder(w).Encode(body)
}

// DropConnection closes the request's connection without an answer. It
// panics when w cannot be hijacked (HTTP/2), since a fake that cannot drop
// connections cannot keep its script.
func DropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("fakeapi: dropping a connection needs a ResponseWriter that can be hijacked (HTTP/1.x)")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}
