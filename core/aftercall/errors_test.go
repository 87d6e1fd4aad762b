package aftercall

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/switchboard-hq/switchboard/core/hipcall"
)

func TestIsPermanent(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"marked", Permanent(errors.New("bad step")), true},
		{"marked, then wrapped", fmt.Errorf("step: %w", Permanent(errors.New("x"))), true},
		{"400", statusErr{400}, true},
		{"404 unknown tag", statusErr{404}, true},
		{"422", fmt.Errorf("wrapped: %w", statusErr{422}), true},
		{"408", statusErr{408}, false},
		{"429", statusErr{429}, false},
		{"500", statusErr{500}, false},
		{"503", statusErr{503}, false},
		{"3xx", statusErr{304}, false},
		{"Hipcall client's 422", &hipcall.APIError{Status: 422, Method: "POST", Path: "/calls/u/comments"}, true},
		{"Hipcall client's 429", &hipcall.APIError{Status: 429}, false},
		{"Hipcall client's 502", fmt.Errorf("x: %w", &hipcall.APIError{Status: 502}), false},
		{"no answer", &hipcall.RequestError{Method: "POST", Path: "/tasks", Err: errors.New("timeout")}, false},
		{"network", errors.New("connection refused"), false},
		{"cancelled", context.Canceled, false},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), false},
		{"marked wins over a retryable status", Permanent(statusErr{503}), true},
	}
	for _, tc := range tests {
		if got := IsPermanent(tc.err); got != tc.want {
			t.Errorf("%s: IsPermanent(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
	inner := errors.New("x")
	if p := Permanent(inner); !errors.Is(p, inner) || p.Error() != "x" || Permanent(p) != p {
		t.Errorf("Permanent(%v) = %v: want it to wrap once and keep the message", inner, p)
	}
}
