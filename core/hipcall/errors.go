package hipcall

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// APIError is an HTTP error answer from Hipcall, decoded from its error
// body: {"errors":{"detail":"..."}} (401, 404) or
// {"errors":{"<field>":["msg"]}} (422).
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Detail is errors.detail, or the body's text when it was not JSON.
	Detail string
	// Fields holds a 422's messages per field.
	Fields map[string][]string
	// Method and Path identify the request (Path without the base URL).
	Method string
	Path   string
	// RetryAfter is how long Hipcall asked to wait (429), from Retry-After
	// or x-ratelimit-reset; zero when it did not say.
	RetryAfter time.Duration
	// Attempts is how many times the request was sent.
	Attempts int

	// advice, when set, is what to do, said for the endpoint; it replaces
	// the generic hint of the status.
	advice string
}

// HTTPStatus returns the HTTP status of Hipcall's answer (or of the
// recording host's, for Fetch). A 4xx other than 408 and 429 will not
// change on a retry; IsPermanent says so.
func (e *APIError) HTTPStatus() int { return e.Status }

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hipcall: %s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	for _, f := range slices.Sorted(maps.Keys(e.Fields)) {
		fmt.Fprintf(&b, "; %s: %s", f, strings.Join(e.Fields[f], ", "))
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	if hint := e.hint(); hint != "" {
		b.WriteString(": ")
		b.WriteString(hint)
	}
	return b.String()
}

// hint says what to do about the error.
func (e *APIError) hint() string {
	if e.advice != "" {
		return e.advice
	}
	switch {
	case e.Status == http.StatusUnauthorized:
		return "check the token and that it belongs to this region's base URL (use.hipcall.com for global, use.hipcall.com.tr for Turkey)"
	case e.Status == http.StatusForbidden:
		return "the token is not allowed to do this; check its permissions in Hipcall"
	case e.Status == http.StatusNotFound:
		return "check the id, or that the record was not deleted in Hipcall"
	case e.Status == http.StatusUnprocessableEntity && e.hasField("external_id", "has already been taken"):
		return "another record already has this external_id; look it up by external id and update it instead"
	case e.Status == http.StatusUnprocessableEntity:
		return "Hipcall rejected the fields listed; fix them and send again"
	case e.Status == http.StatusTooManyRequests:
		return "rate limited (Hipcall allows about 60 requests per minute per token); lower the request rate or retry later"
	case e.Status >= 500:
		return "Hipcall is failing; retry later and check Hipcall's status page"
	case e.Status == http.StatusBadRequest:
		return "Hipcall could not read the request; this is a bug in the client"
	}
	return ""
}

func (e *APIError) hasField(field, msg string) bool {
	return slices.Contains(e.Fields[field], msg)
}

// RequestError is a request that got no HTTP answer: a timeout, a refused
// or dropped connection, or the caller's context ending.
type RequestError struct {
	// Method and Path identify the request (Path without the base URL).
	Method string
	Path   string
	// Attempts is how many times the request was sent.
	Attempts int
	// MaybeApplied reports that a non-idempotent request (POST) reached
	// Hipcall and was not retried: it may or may not have taken effect.
	MaybeApplied bool
	// Err is the last underlying error.
	Err error

	// advice, when set, replaces the generic message with one for the
	// endpoint.
	advice string
}

// HTTPStatus returns 0: no HTTP answer came. Such an error may pass on a
// retry.
func (e *RequestError) HTTPStatus() int { return 0 }

func (e *RequestError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hipcall: %s %s: %v", e.Method, e.Path, e.Err)
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	switch {
	case e.MaybeApplied && e.advice != "":
		b.WriteString(": the request reached Hipcall and was not sent again: ")
		b.WriteString(e.advice)
	case e.advice != "":
		b.WriteString(": ")
		b.WriteString(e.advice)
	case e.MaybeApplied:
		b.WriteString(": the request reached Hipcall and may have been applied; look the record up (by external id) before creating it again")
	default:
		b.WriteString(": check network access to Hipcall, or raise the timeout")
	}
	return b.String()
}

func (e *RequestError) Unwrap() error { return e.Err }

// ErrInvalidInput is wrapped by the errors of requests the client refuses
// to send because Hipcall would refuse them (an empty call uuid, a tag id
// below 1, a bad filter): fix the input, a retry cannot help.
var ErrInvalidInput = errors.New("invalid input")

// IsPermanent reports whether retrying the request that failed with err
// cannot help: Hipcall (or a recording's host) answered a 4xx other than
// 408 and 429, the client refused the input (ErrInvalidInput, a
// *CardError), or a download was over the size cap (ErrTooLarge). 5xx,
// 408, 429, timeouts and network failures are not permanent; neither is
// nil.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	var ce *CardError
	if errors.Is(err, ErrInvalidInput) || errors.Is(err, ErrTooLarge) || errors.As(err, &ce) {
		return true
	}
	s := apiStatus(err)
	return s >= 400 && s < 500 && s != http.StatusRequestTimeout && s != http.StatusTooManyRequests
}

// apiStatus returns the status of an *APIError in err's chain, or 0.
func apiStatus(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// IsNotFound reports whether err is Hipcall's 404.
func IsNotFound(err error) bool { return apiStatus(err) == http.StatusNotFound }

// IsUnauthorized reports whether err is Hipcall's 401 (bad token, or a
// token of the other region).
func IsUnauthorized(err error) bool { return apiStatus(err) == http.StatusUnauthorized }

// IsRateLimited reports whether err is Hipcall's 429 (after the client's
// own retries ran out).
func IsRateLimited(err error) bool { return apiStatus(err) == http.StatusTooManyRequests }

// IsValidation reports whether err is Hipcall's 422.
func IsValidation(err error) bool { return apiStatus(err) == http.StatusUnprocessableEntity }

// IsExternalIDTaken reports whether err is Hipcall's 422 for a duplicate
// external_id ("has already been taken"), as a create racing another
// create gets.
func IsExternalIDTaken(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity &&
		ae.hasField("external_id", "has already been taken")
}

// decodeAPIError builds an *APIError from an error answer's body.
func decodeAPIError(status int, method, path string, body []byte) *APIError {
	e := &APIError{Status: status, Method: method, Path: path}
	var env struct {
		Errors map[string]json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Errors == nil {
		e.Detail = truncate(strings.TrimSpace(string(body)), 200)
		return e
	}
	for k, raw := range env.Errors {
		var s string
		if k == "detail" && json.Unmarshal(raw, &s) == nil {
			e.Detail = s
			continue
		}
		var msgs []string
		if json.Unmarshal(raw, &msgs) != nil {
			if json.Unmarshal(raw, &s) == nil {
				msgs = []string{s}
			} else {
				msgs = []string{string(raw)}
			}
		}
		if e.Fields == nil {
			e.Fields = map[string][]string{}
		}
		e.Fields[k] = msgs
	}
	return e
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
