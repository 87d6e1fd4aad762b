package aftercall

import (
	"context"
	"errors"
	"net/http"

	"github.com/switchboard-hq/switchboard/core/hipcall"
)

// StatusError is what an API implementation's errors carry so that Run's
// caller can tell a request Hipcall (or the recording's host) refused
// from one that may succeed later. The contract:
//
//   - an error that reached an HTTP answer has, somewhere in its chain (as
//     errors.As finds it), a value with HTTPStatus() returning the status
//     code;
//   - an error without one (a timeout, a refused connection, a cancelled
//     context) is taken as retryable;
//   - an implementation that knows better wraps its error with Permanent.
//
// *hipcall.APIError, the Hipcall client's answer error, is recognised as
// well by its Status field, so the client can be used as it is.
type StatusError interface {
	HTTPStatus() int
}

// permanentError marks an error retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that retrying cannot fix (a 404 for an
// unknown tag, a 422, an expired recording link, a step that is not
// valid). It returns nil for nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	var p *permanentError
	if errors.As(err, &p) {
		return err
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether retrying the step that failed with err
// cannot help: err was marked with Permanent, or it carries an HTTP status
// (see StatusError) in 400-499 other than 408 (Request Timeout) and 429
// (Too Many Requests). Everything else (5xx, 408, 429, network failures,
// timeouts, a cancelled context) is retryable. nil is not permanent.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	var p *permanentError
	if errors.As(err, &p) {
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return permanentStatus(httpStatus(err))
}

// httpStatus finds the HTTP status in err's chain, or 0.
func httpStatus(err error) int {
	var se StatusError
	if errors.As(err, &se) {
		return se.HTTPStatus()
	}
	var ae *hipcall.APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// permanentStatus reports whether an answer with status will not change on
// a retry.
func permanentStatus(status int) bool {
	return status >= 400 && status < 500 &&
		status != http.StatusRequestTimeout && status != http.StatusTooManyRequests
}
