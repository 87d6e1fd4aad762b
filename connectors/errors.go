package connectors

import (
	"errors"
	"fmt"
	"strings"
)

// Class says whose fault an error is, which decides what the host does
// with it (retry, trip a breaker, tell the operator to fix the config).
type Class string

// Error classes.
const (
	// ClassBadConfig: the connector's configuration is wrong; retrying will
	// not help, the operator must change the YAML.
	ClassBadConfig Class = "bad_config"
	// ClassUnavailable: the CRM could not be reached or failed (timeout,
	// 5xx, connection refused). Retryable.
	ClassUnavailable Class = "unavailable"
	// ClassRateLimited: the CRM asked us to slow down. Retryable later.
	ClassRateLimited Class = "rate_limited"
	// ClassUnauthorized: the CRM refused the credentials.
	ClassUnauthorized Class = "unauthorized"
	// ClassUnsupported: the connector does not implement the operation.
	ClassUnsupported Class = "unsupported"
	// ClassInvalidRequest: the request itself is wrong (a bad cursor).
	ClassInvalidRequest Class = "invalid_request"
	// ClassPluginBug: the connector failed in a way that is its own bug
	// (a panic). Report it to the connector's author.
	ClassPluginBug Class = "plugin_bug"
)

// ErrNotRunning is wrapped by the errors of calls that never reached the
// connector because its process is not running (a plugin being restarted or
// stopped, or one that died during the call). Such a call failed fast and
// says nothing about the CRM's health: circuit breakers ignore it.
var ErrNotRunning = errors.New("the connector's process is not running")

// Error is a classified connector error.
type Error struct {
	Class Class
	// Op is the contract method that failed ("LookupByPhone").
	Op string
	// Message says what went wrong and, where possible, what to do.
	Message string
	// Err is the underlying cause, if any.
	Err error
}

func (e *Error) Error() string {
	msg := e.Detail()
	if e.Op != "" {
		return fmt.Sprintf("%s (%s): %s", e.Op, e.Class, msg)
	}
	return fmt.Sprintf("%s: %s", e.Class, msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Detail is the error without its class and operation: the message, and
// the cause when the message does not already say it. It is what crosses
// the plugin wire, so that the host's rebuilt error reads the same.
func (e *Error) Detail() string {
	msg := e.Message
	if e.Err != nil {
		switch cause := e.Err.Error(); {
		case msg == "":
			msg = cause
		case !strings.Contains(msg, cause):
			msg += ": " + cause
		}
	}
	return msg
}

// Errorf builds a classified error with a formatted message. A %w verb in
// the format wraps its argument as usual.
func Errorf(class Class, op, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Class: class, Op: op, Message: err.Error(), Err: errors.Unwrap(err)}
}

// ClassOf returns the class of err, or "" when it is not classified.
func ClassOf(err error) Class {
	var ce *Error
	if errors.As(err, &ce) {
		return ce.Class
	}
	return ""
}

// Retryable reports whether an operation that failed with err may succeed
// if tried again later.
func Retryable(err error) bool {
	switch ClassOf(err) {
	case ClassUnavailable, ClassRateLimited:
		return true
	}
	return false
}

// Unsupported is the error for an operation a connector does not have.
func Unsupported(op string) *Error {
	return &Error{Class: ClassUnsupported, Op: op, Message: "this connector does not support " + op}
}
