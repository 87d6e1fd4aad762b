package wire

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/switchboard-hq/switchboard/connectors"
	pb "github.com/switchboard-hq/switchboard/plugins/protocol/v1"
)

// ErrConnectionLost is wrapped by the ClassUnavailable error a call returns
// when the plugin process could not be reached (it died, or its connection
// broke), as opposed to the connector reporting that its CRM is down. The
// host's supervisor reacts by checking on the process.
var ErrConnectionLost = errors.New("connection to the plugin process lost")

// classCodes maps each error class to the gRPC code it travels with.
var classCodes = map[connectors.Class]codes.Code{
	connectors.ClassBadConfig:      codes.FailedPrecondition,
	connectors.ClassUnavailable:    codes.Unavailable,
	connectors.ClassRateLimited:    codes.ResourceExhausted,
	connectors.ClassUnauthorized:   codes.Unauthenticated,
	connectors.ClassUnsupported:    codes.Unimplemented,
	connectors.ClassInvalidRequest: codes.InvalidArgument,
	connectors.ClassPluginBug:      codes.Internal,
}

// codeClasses is the reverse of classCodes, used for a status that carries
// no ErrorDetail (a plugin written in another language).
var codeClasses = func() map[codes.Code]connectors.Class {
	m := make(map[codes.Code]connectors.Class, len(classCodes))
	for class, code := range classCodes {
		m[code] = class
	}
	return m
}()

// contextCode returns the gRPC code for an error caused by a context, and
// false for any other error.
func contextCode(err error) (codes.Code, bool) {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded, true
	case errors.Is(err, context.Canceled):
		return codes.Canceled, true
	}
	return codes.OK, false
}

// toStatus turns a connector's error into the gRPC status error the plugin
// answers with. op is the method that failed, used when the error does not
// name one itself.
func toStatus(op string, err error) error {
	var ce *connectors.Error
	if !errors.As(err, &ce) {
		code, ok := contextCode(err)
		if !ok {
			code = codes.Unknown
		}
		return status.New(code, utf8String(err.Error())).Err()
	}

	code, ok := contextCode(err)
	if !ok {
		if code, ok = classCodes[ce.Class]; !ok {
			code = codes.Unknown
		}
	}
	detail := &pb.ErrorDetail{Class: string(ce.Class), Op: ce.Op, Message: ce.Detail()}
	if detail.Op == "" {
		detail.Op = op
	}
	if error(ce) != err {
		// The classified error is wrapped in further context: keep it.
		detail.Message = err.Error()
	}
	detail.Class = utf8String(detail.Class)
	detail.Op = utf8String(detail.Op)
	detail.Message = utf8String(detail.Message)

	st := status.New(code, detail.Message)
	withDetail, derr := st.WithDetails(detail)
	if derr != nil {
		// Cannot happen for a valid message; the code still classifies it.
		return st.Err()
	}
	return withDetail.Err()
}

// fromStatus turns the error of a gRPC call into the contract's error on
// the host side. op is the method that was called.
func fromStatus(op string, err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return &connectors.Error{
			Class:   connectors.ClassUnavailable,
			Op:      op,
			Message: "calling the plugin failed",
			Err:     err,
		}
	}
	for _, d := range st.Details() {
		detail, ok := d.(*pb.ErrorDetail)
		if !ok {
			continue
		}
		e := &connectors.Error{
			Class:   connectors.Class(detail.GetClass()),
			Op:      detail.GetOp(),
			Message: detail.GetMessage(),
		}
		switch st.Code() {
		case codes.DeadlineExceeded:
			e.Err = context.DeadlineExceeded
		case codes.Canceled:
			e.Err = context.Canceled
		}
		return e
	}

	msg := st.Message()
	switch st.Code() {
	case codes.Unknown:
		// An unclassified error from the connector stays unclassified.
		return fmt.Errorf("%s: %s", op, msg)
	case codes.DeadlineExceeded:
		return &connectors.Error{Class: connectors.ClassUnavailable, Op: op,
			Message: "no answer before the deadline: " + msg, Err: context.DeadlineExceeded}
	case codes.Canceled:
		return &connectors.Error{Class: connectors.ClassUnavailable, Op: op,
			Message: "the call was canceled: " + msg, Err: context.Canceled}
	case codes.ResourceExhausted:
		if strings.Contains(msg, "larger than max") {
			// gRPC's own size limit, not a CRM's rate limit.
			return &connectors.Error{Class: connectors.ClassPluginBug, Op: op,
				Message: fmt.Sprintf("a message exceeded the %d MB limit of the plugin wire; the connector must return smaller pages (%s)", MaxMessageSize>>20, msg)}
		}
	case codes.Unavailable:
		return &connectors.Error{Class: connectors.ClassUnavailable, Op: op,
			Message: "the plugin process cannot be reached (" + msg + ")", Err: ErrConnectionLost}
	}
	class, ok := codeClasses[st.Code()]
	if !ok {
		class = connectors.ClassPluginBug
	}
	return &connectors.Error{Class: class, Op: op, Message: msg}
}
