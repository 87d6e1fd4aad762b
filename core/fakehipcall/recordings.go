package fakehipcall

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/connectors/fakeapi"
)

// RecordingRoute names the recording downloads for Script, Fail, Delay,
// Drop and Count (AnyRoute faults apply to them too). Unlike the API's
// routes it is not under /api/v3: the links stand for pre-signed URLs of a
// storage host, so they take no token and no rate limit.
const RecordingRoute = "GET /recordings/{token}"

// recordingsPath is the path recording links are served under.
const recordingsPath = "/recordings/"

// recording is a call's recording (AddRecording).
type recording struct {
	data        []byte
	contentType string
	ttl         time.Duration
}

// recordingLink is one signed link to a recording.
type recordingLink struct {
	uuid    string
	expires time.Time // zero: never
}

// Bodies of the recording host's 403s, as a storage host words them.
const (
	expiredBody = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>`
	deniedBody = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`
)

// AddRecording gives the known call a recording (its content type sniffed
// from data) and returns a link to it. Every row of the call that GET
// /calls answers carries a fresh link in record_url, valid for ttl from
// then (by Options.Now; ttl <= 0: never expires), as Hipcall's pre-signed
// links are; a link past its time answers 403, like an expired pre-signed
// URL. Links are served at <RecordingsURL>/<token>, by default the
// /recordings/ path of the host the listing came to (the returned link
// uses the server's own address, or is a bare path when the server was
// not started). It panics when the call was not added (AddCall).
func (s *Server) AddRecording(uuid string, data []byte, ttl time.Duration) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.state.calls[uuid]
	if rec == nil {
		panic(fmt.Sprintf("fake hipcall: AddRecording: no call %q: add it with AddCall first", uuid))
	}
	rec.recording = &recording{data: append([]byte(nil), data...), contentType: http.DetectContentType(data), ttl: ttl}
	return s.issueLink(uuid, s.lb.URL())
}

// issueLink signs a new link to the call's recording.
func (s *Server) issueLink(uuid, origin string) string {
	now := s.now()
	for tok, l := range s.state.links { // forget links long expired
		if !l.expires.IsZero() && now.Sub(l.expires) > time.Hour {
			delete(s.state.links, tok)
		}
	}
	l := recordingLink{uuid: uuid}
	if ttl := s.state.calls[uuid].recording.ttl; ttl > 0 {
		l.expires = now.Add(ttl)
	}
	tok := strings.ToLower(rand.Text())
	s.state.links[tok] = l
	base := strings.TrimRight(s.opts.RecordingsURL, "/")
	if base == "" {
		base = origin + strings.TrimSuffix(recordingsPath, "/")
	}
	return base + "/" + tok
}

// RecordingsHandler serves the recording links alone (GET
// /recordings/{token}; anything else is a 404), for a test that serves
// them from a host of their own: listen with it, and set
// Options.RecordingsURL to that host's URL + "/recordings".
func (s *Server) RecordingsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := recordingToken(r.URL.EscapedPath()); !ok {
			http.NotFound(w, r)
			return
		}
		s.ServeHTTP(w, r)
	})
}

// recordingToken returns the token of a recording link's path.
func recordingToken(escapedPath string) (string, bool) {
	tok, ok := strings.CutPrefix(escapedPath, recordingsPath)
	return tok, ok && tok != "" && !strings.Contains(tok, "/")
}

// serveRecording serves a recording link: scripted faults apply (route
// RecordingRoute), the token and the rate limit do not.
func (s *Server) serveRecording(w http.ResponseWriter, r *http.Request, tok string) {
	route := RecordingRoute
	if r.Method != http.MethodGet {
		route = ""
	}
	idx, _ := s.logRequest(RecordedRequest{
		Method: r.Method, Path: r.URL.EscapedPath(), Route: route, Query: r.URL.Query(), At: s.now(),
	})
	if s.opts.Latency > 0 && !s.lb.Wait(s.opts.Latency) {
		return
	}
	status, ctype, body := s.recordingAnswer(w, route, tok)
	if status == 0 { // dropped
		s.records.SetStatus(idx, 0)
		return
	}
	if ctype != "" {
		w.Header().Set("Content-Type", ctype)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
	s.records.SetStatus(idx, status)
	s.log.Debug("fake hipcall recording", "method", r.Method, "status", status)
}

// recordingAnswer decides a recording request's answer; status 0 means the
// connection was dropped.
func (s *Server) recordingAnswer(w http.ResponseWriter, route, tok string) (int, string, []byte) {
	if route == "" {
		return http.StatusMethodNotAllowed, "application/xml", []byte(deniedBody)
	}
	if f, ok := s.faults.Next(route); ok {
		if f.Delay > 0 && !s.lb.Wait(f.Delay) {
			return 0, "", nil
		}
		if f.Drop {
			fakeapi.DropConnection(w)
			return 0, "", nil
		}
		if f.Status != 0 {
			if f.RetryAfter != "" {
				w.Header().Set("Retry-After", f.RetryAfter)
			}
			if f.Body != "" {
				return f.Status, "application/json; charset=utf-8", []byte(f.Body)
			}
			return f.Status, "application/xml", []byte(fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
				`<Error><Code>%d</Code><Message>%s</Message></Error>`, f.Status, http.StatusText(f.Status)))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.state.links[tok]
	switch {
	case !ok:
		return http.StatusForbidden, "application/xml", []byte(deniedBody)
	case !l.expires.IsZero() && !s.now().Before(l.expires):
		return http.StatusForbidden, "application/xml", []byte(expiredBody)
	}
	call := s.state.calls[l.uuid]
	if call == nil || call.recording == nil {
		return http.StatusForbidden, "application/xml", []byte(deniedBody)
	}
	return http.StatusOK, call.recording.contentType, call.recording.data
}
