package pipedrivetest

import (
	"net/http"
	"time"

	"github.com/switchboard-hq/switchboard/connectors/fakeapi"
)

// ErrorBody is the API's error answer, on every 4xx and 5xx of /api/...:
// {"success":false,"error":"..","error_info":"..","code":401}.
type ErrorBody struct {
	Success bool   `json:"success"`
	Error   string `json:"error"`
	// ErrorInfo says what to do about it.
	ErrorInfo string `json:"error_info"`
	// Code repeats the HTTP status (the reference shows a "code" field
	// without its type or values: that it is the status, as a number, is
	// invented).
	Code int `json:"code"`
}

func errorBody(status int, msg, info string) ErrorBody {
	return ErrorBody{Success: false, Error: msg, ErrorInfo: info, Code: status}
}

func apiError(status int, msg, info string) reply {
	return reply{status, errorBody(status, msg, info)}
}

func badRequest(info string) reply {
	return apiError(http.StatusBadRequest, "Bad request", info)
}

// Fault is one scripted misbehaviour, used up by one request to its route.
// On /api/... routes the request has passed authentication and the rate
// limits (it was counted and charged) before its fault applies.
type Fault struct {
	// AfterApply serves the request first, so that a call log is stored,
	// and only then misbehaves: Drop loses the answer, Status replaces it,
	// Delay holds it. The client cannot tell whether it was applied.
	AfterApply bool
	// Delay holds the request this long (real time) first; with no Status
	// and no Drop the request is then served normally.
	Delay time.Duration
	// Status answers with this status instead of serving the request,
	// with the API's error body (Error and ErrorInfo, defaulting to the
	// status text) unless Body is set.
	Status    int
	Error     string
	ErrorInfo string
	// Body replaces the whole answer body, written as is.
	Body string
	// Header is added to the answer (a Retry-After on a scripted 429,
	// say); it overrides the rate-limit headers of the same names.
	Header http.Header
	// Drop closes the connection without an answer.
	Drop bool
}

// misbehave applies a fault: it waits out its delay, then drops the
// connection (nil, true), answers its status (the reply, true), or lets the
// request be answered normally (nil, false). A close during the delay is a
// dropped connection.
func (s *Server) misbehave(w http.ResponseWriter, f Fault, hdr http.Header) (*reply, bool) {
	if f.Delay > 0 && !s.lb.Wait(f.Delay) {
		return nil, true
	}
	if f.Drop {
		fakeapi.DropConnection(w)
		return nil, true
	}
	if f.Status == 0 {
		return nil, false
	}
	for k, v := range f.Header {
		hdr[http.CanonicalHeaderKey(k)] = v
	}
	if f.Body != "" {
		return &reply{f.Status, fakeapi.RawBody(f.Body)}, true
	}
	msg, info := f.Error, f.ErrorInfo
	if msg == "" {
		msg = http.StatusText(f.Status)
	}
	if info == "" {
		info = "a fault scripted in the fake"
	}
	return &reply{f.Status, errorBody(f.Status, msg, info)}, true
}
