// Package hipcall is a client for the parts of Hipcall's REST API v3 that
// Switchboard uses: Insight Cards pushed to a ringing agent's screen, the
// companies, contacts and extensions a CRM sync reads and writes, and what
// is done after a call: listing calls (ListCalls, EachCall), commenting,
// tagging, setting a disposition, creating a task, and downloading a
// recording from its pre-signed link (Fetch, which never sends the token
// to another host than the API's).
//
// The client is built for a rate-limited remote: a client-side token bucket
// waits before every request, the server's x-ratelimit-* headers pause all
// requests until the window resets once the remaining count reaches zero,
// requests that wait are served by the Priority their context carries
// (WithPriority: cards, then post-call actions, then the sync, then the
// reconciler's backfill; first come first served within one), and
// retries (timeouts, network errors, 429, 5xx) back off exponentially
// with full jitter. Requests that are not idempotent (POST: creates,
// comments, tasks) are retried only when they surely did not reach Hipcall
// (a 429, a connection that never opened), or when a duplicate is harmless
// (Insight Cards, tags); a 5xx or a timeout after they were sent is
// returned as is (a timeout as a *RequestError with MaybeApplied), saying
// to check Hipcall before sending again.
//
// Errors from Hipcall come back as *APIError; IsNotFound, IsUnauthorized,
// IsExternalIDTaken, IsRateLimited, IsNotEditable and IsWrongDirection
// classify them. Failures that never got an HTTP answer come back as
// *RequestError. Both have HTTPStatus() (0 for a *RequestError), and
// IsPermanent tells an error a retry cannot fix (a 4xx but 408 and 429,
// input the client refused: ErrInvalidInput, a download over the size cap:
// ErrTooLarge) from one it may.
//
// core/fakehipcall holds a strict in-memory fake of Hipcall (`switchboard
// fake-hipcall`) for local trials and tests.
package hipcall
