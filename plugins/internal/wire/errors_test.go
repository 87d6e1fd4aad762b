package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/switchboard-hq/switchboard/connectors"
)

func TestToStatusCodes(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want codes.Code
	}{
		{"bad config", connectors.Errorf(connectors.ClassBadConfig, "Configure", "x"), codes.FailedPrecondition},
		{"unavailable", connectors.Errorf(connectors.ClassUnavailable, "Check", "x"), codes.Unavailable},
		{"rate limited", connectors.Errorf(connectors.ClassRateLimited, "LookupByPhone", "x"), codes.ResourceExhausted},
		{"unauthorized", connectors.Errorf(connectors.ClassUnauthorized, "Check", "x"), codes.Unauthenticated},
		{"unsupported", connectors.Unsupported("ListCompanies"), codes.Unimplemented},
		{"invalid request", connectors.Errorf(connectors.ClassInvalidRequest, "ListContacts", "x"), codes.InvalidArgument},
		{"plugin bug", connectors.Errorf(connectors.ClassPluginBug, "Describe", "x"), codes.Internal},
		{"unknown class", &connectors.Error{Class: "brand_new", Message: "x"}, codes.Unknown},
		{"deadline", context.DeadlineExceeded, codes.DeadlineExceeded},
		{"canceled", fmt.Errorf("reading: %w", context.Canceled), codes.Canceled},
		{"classified deadline", connectors.Errorf(connectors.ClassUnavailable, "LookupByPhone", "CRM slow: %w", context.DeadlineExceeded), codes.DeadlineExceeded},
		{"unclassified", io.ErrUnexpectedEOF, codes.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := status.Code(toStatus("Op", tt.err)); got != tt.want {
				t.Errorf("code = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestErrorRoundTrip checks that the host rebuilds the plugin's error.
func TestErrorRoundTrip(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		want      *connectors.Error // nil: unclassified
		wantText  string            // for unclassified errors
		wantCause error
	}{
		{name: "classified", err: connectors.Errorf(connectors.ClassRateLimited, "LookupByPhone", "slow down, retry in %ds", 3),
			want: &connectors.Error{Class: connectors.ClassRateLimited, Op: "LookupByPhone", Message: "slow down, retry in 3s"}},
		{name: "cause folded into message", err: &connectors.Error{Class: connectors.ClassUnavailable, Op: "Check", Message: "CRM down", Err: io.EOF},
			want: &connectors.Error{Class: connectors.ClassUnavailable, Op: "Check", Message: "CRM down: EOF"}},
		{name: "op filled in", err: &connectors.Error{Class: connectors.ClassBadConfig, Message: "no file"},
			want: &connectors.Error{Class: connectors.ClassBadConfig, Op: "Configure", Message: "no file"}},
		{name: "unicode", err: connectors.Errorf(connectors.ClassUnauthorized, "Check", "şifre yanlış ✗"),
			want: &connectors.Error{Class: connectors.ClassUnauthorized, Op: "Check", Message: "şifre yanlış ✗"}},
		{name: "deadline cause kept", err: connectors.Errorf(connectors.ClassUnavailable, "LookupByPhone", "CRM slow: %w", context.DeadlineExceeded),
			want:      &connectors.Error{Class: connectors.ClassUnavailable, Op: "LookupByPhone", Message: "CRM slow: context deadline exceeded", Err: context.DeadlineExceeded},
			wantCause: context.DeadlineExceeded},
		{name: "wrapped classified error keeps its context", err: fmt.Errorf("page 3: %w", connectors.Errorf(connectors.ClassInvalidRequest, "ListContacts", "bad cursor")),
			want: &connectors.Error{Class: connectors.ClassInvalidRequest, Op: "ListContacts", Message: "page 3: ListContacts (invalid_request): bad cursor"}},
		{name: "unclassified stays unclassified", err: errors.New("kaput"), wantText: "Configure: kaput"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fromStatus("Configure", toStatus("Configure", tt.err))
			if tt.want == nil {
				if c := connectors.ClassOf(got); c != "" {
					t.Errorf("class = %q, want unclassified", c)
				}
				if got.Error() != tt.wantText {
					t.Errorf("error = %q, want %q", got, tt.wantText)
				}
				return
			}
			var ce *connectors.Error
			if !errors.As(got, &ce) {
				t.Fatalf("got %T %v, want *connectors.Error", got, got)
			}
			if ce.Class != tt.want.Class || ce.Op != tt.want.Op || ce.Message != tt.want.Message || ce.Err != tt.want.Err {
				t.Errorf("got %#v, want %#v", ce, tt.want)
			}
			// A plugin's own *Error that names its method reads the same on the host.
			if orig, ok := tt.err.(*connectors.Error); ok && orig.Op != "" && got.Error() != orig.Error() {
				t.Errorf("Error() = %q, want the plugin's %q", got.Error(), orig.Error())
			}
			if tt.wantCause != nil && !errors.Is(got, tt.wantCause) {
				t.Errorf("errors.Is(%v, %v) = false", got, tt.wantCause)
			}
		})
	}
}

// TestFromStatusWithoutDetail covers statuses from plugins that send no
// ErrorDetail (other languages) and from the transport.
func TestFromStatusWithoutDetail(t *testing.T) {
	tests := []struct {
		code      codes.Code
		class     connectors.Class
		wantCause error
	}{
		{codes.FailedPrecondition, connectors.ClassBadConfig, nil},
		{codes.Unavailable, connectors.ClassUnavailable, ErrConnectionLost},
		{codes.ResourceExhausted, connectors.ClassRateLimited, nil},
		{codes.Unauthenticated, connectors.ClassUnauthorized, nil},
		{codes.Unimplemented, connectors.ClassUnsupported, nil},
		{codes.InvalidArgument, connectors.ClassInvalidRequest, nil},
		{codes.Internal, connectors.ClassPluginBug, nil},
		{codes.DataLoss, connectors.ClassPluginBug, nil},
		{codes.DeadlineExceeded, connectors.ClassUnavailable, context.DeadlineExceeded},
		{codes.Canceled, connectors.ClassUnavailable, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.code.String(), func(t *testing.T) {
			err := fromStatus("Check", status.Error(tt.code, "went wrong"))
			var ce *connectors.Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %T %v, want *connectors.Error", err, err)
			}
			if ce.Class != tt.class || ce.Op != "Check" {
				t.Errorf("got class %q op %q, want %q Check", ce.Class, ce.Op, tt.class)
			}
			if tt.wantCause != nil && !errors.Is(err, tt.wantCause) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wantCause)
			}
		})
	}

	t.Run("gRPC size limit", func(t *testing.T) {
		err := fromStatus("ListContacts", status.Error(codes.ResourceExhausted, "grpc: received message larger than max (70000000 vs. 67108864)"))
		if connectors.ClassOf(err) != connectors.ClassPluginBug || !strings.Contains(err.Error(), "smaller pages") {
			t.Errorf("got %v, want ClassPluginBug asking for smaller pages", err)
		}
	})

	t.Run("not a status", func(t *testing.T) {
		err := fromStatus("Check", io.ErrClosedPipe)
		if connectors.ClassOf(err) != connectors.ClassUnavailable || !errors.Is(err, io.ErrClosedPipe) {
			t.Errorf("got %v, want ClassUnavailable wrapping the cause", err)
		}
	})
}
