package hubspottest

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/switchboard-hq/switchboard/connectors/fakeapi"
)

// Error categories, as in HubSpot's error bodies.
const (
	CategoryValidation            = "VALIDATION_ERROR"
	CategoryObjectNotFound        = "OBJECT_NOT_FOUND"
	CategoryConflict              = "CONFLICT"
	CategoryRateLimits            = "RATE_LIMITS"
	CategoryInvalidAuthentication = "INVALID_AUTHENTICATION"
	CategoryMissingScopes         = "MISSING_SCOPES"
	CategoryInternal              = "INTERNAL_ERROR"
)

// Rate-limit policies, as named in a 429's policyName.
const (
	PolicyTenSecondly = "TEN_SECONDLY_ROLLING"
	PolicySecondly    = "SECONDLY"
	PolicyDaily       = "DAILY"
)

// ErrorBody is HubSpot's error answer.
type ErrorBody struct {
	Status        string `json:"status"`
	Message       string `json:"message"`
	CorrelationID string `json:"correlationId"`
	Category      string `json:"category,omitempty"`
	// ErrorType and PolicyName are set on rate-limit 429s.
	ErrorType  string `json:"errorType,omitempty"`
	PolicyName string `json:"policyName,omitempty"`
}

// correlationID returns a new UUID-shaped id. Callers must not hold mu.
func (s *Server) correlationID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.correlationIDLocked()
}

// correlationIDLocked is correlationID for callers holding mu.
func (s *Server) correlationIDLocked() string {
	s.seq++
	n := s.seq
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(n*2654435761), uint16(n), n&0xfff, (n>>12)&0xfff, n)
}

// apiError is an error reply. Callers must not hold mu.
func (s *Server) apiError(status int, category, msg string) reply {
	return reply{status, ErrorBody{Status: "error", Message: msg, CorrelationID: s.correlationID(), Category: category}}
}

// apiErrorLocked is apiError for callers holding mu (the route handlers).
func (s *Server) apiErrorLocked(status int, category, msg string) reply {
	return reply{status, ErrorBody{Status: "error", Message: msg, CorrelationID: s.correlationIDLocked(), Category: category}}
}

// rateLimited is the 429 HubSpot sends when a policy's limit is reached.
func (s *Server) rateLimited(policy string) reply {
	msg := map[string]string{
		PolicyTenSecondly: "You have reached your ten_secondly_rolling limit.",
		PolicySecondly:    "You have reached your secondly limit.",
		PolicyDaily:       "You have reached your daily limit.",
	}[policy]
	if msg == "" {
		msg = "You have reached your " + policy + " limit."
	}
	return reply{http.StatusTooManyRequests, ErrorBody{
		Status: "error", Message: msg, ErrorType: "RATE_LIMIT", PolicyName: policy, CorrelationID: s.correlationID(),
	}}
}

// Fault is one scripted misbehaviour, used up by one request to its route.
// The request has passed the token check and the rate limits.
type Fault struct {
	// AfterApply serves the request first, so that a write is applied,
	// and only then misbehaves: Drop loses the answer, Status replaces it
	// (a gateway's 502 or 504 in front of a HubSpot that did the work),
	// Delay holds the answer. The client cannot tell whether it was
	// applied.
	AfterApply bool
	// Delay holds the request this long (real time) first; with no Status
	// and no Drop the request is then served normally.
	Delay time.Duration
	// Status answers with this status instead of serving the request.
	Status int
	// Category and Message fill the error body (defaults follow Status).
	Category string
	Message  string
	// Policy, with Status 429, answers HubSpot's rate-limit body for that
	// policy (PolicyTenSecondly when empty).
	Policy string
	// Body replaces the whole body, written as is.
	Body string
	// Drop closes the connection without an answer.
	Drop bool
}

// Script queues faults for a route (RouteSearch, RouteList, RouteGet or
// AnyRoute); later requests are served normally. It panics on an unknown
// route.
func (s *Server) Script(route string, faults ...Fault) { s.faults.Script(route, faults...) }

// Fail makes the next requests to route answer with the statuses, one each.
func (s *Server) Fail(route string, statuses ...int) { s.faults.Fail(route, statuses...) }

// RateLimit makes the next n requests to route answer 429 for policy.
func (s *Server) RateLimit(route, policy string, n int) {
	s.Script(route, slices.Repeat([]Fault{{Status: http.StatusTooManyRequests, Policy: policy}}, n)...)
}

// Delay holds the next n requests to route for d each, then serves them.
func (s *Server) Delay(route string, n int, d time.Duration) { s.faults.Delay(route, n, d) }

// Drop closes the connection of the next n requests to route unanswered.
func (s *Server) Drop(route string, n int) { s.faults.Drop(route, n) }

// LoseAnswer serves the next n requests to route (a create is applied)
// and then closes their connections unanswered.
func (s *Server) LoseAnswer(route string, n int) {
	s.Script(route, slices.Repeat([]Fault{{AfterApply: true, Drop: true}}, n)...)
}

// FailAfterApply serves the next requests to route (a create is applied)
// and then answers them with the statuses, one each, instead.
func (s *Server) FailAfterApply(route string, statuses ...int) {
	faults := make([]Fault, len(statuses))
	for i, st := range statuses {
		faults[i] = Fault{AfterApply: true, Status: st}
	}
	s.Script(route, faults...)
}

// PendingFaults returns how many scripted faults are still queued.
func (s *Server) PendingFaults() int { return s.faults.Pending() }

func (s *Server) faultReply(f Fault) reply {
	if f.Body != "" {
		return reply{f.Status, fakeapi.RawBody(f.Body)}
	}
	if f.Status == http.StatusTooManyRequests && f.Category == "" && f.Message == "" {
		policy := f.Policy
		if policy == "" {
			policy = PolicyTenSecondly
		}
		return s.rateLimited(policy)
	}
	category, msg := f.Category, f.Message
	if category == "" {
		switch {
		case f.Status == http.StatusUnauthorized:
			category = CategoryInvalidAuthentication
		case f.Status == http.StatusForbidden:
			category = CategoryMissingScopes
		case f.Status == http.StatusNotFound:
			category = CategoryObjectNotFound
		case f.Status == http.StatusConflict:
			category = CategoryConflict
		case f.Status == http.StatusTooManyRequests:
			category = CategoryRateLimits
		case f.Status >= 500:
			category = CategoryInternal
		default:
			category = CategoryValidation
		}
	}
	if msg == "" {
		msg = http.StatusText(f.Status)
	}
	return s.apiError(f.Status, category, msg)
}
