// Package hipcall is a client for the parts of Hipcall's REST API v3 that
// Switchboard uses: Insight Cards pushed to a ringing agent's screen, and the
// companies, contacts, extensions and calls a CRM sync reads and writes.
//
// The client is built for a rate-limited remote: a client-side token bucket
// waits before every request, the server's x-ratelimit-* headers pause all
// requests until the window resets once the remaining count reaches zero,
// and retries (timeouts, network errors, 429, 5xx) back off exponentially
// with full jitter. Requests that are not idempotent (POST) are retried only
// when they surely did not reach Hipcall, or when the caller opted in because
// a duplicate is harmless (Insight Cards).
//
// Errors from Hipcall come back as *APIError; IsNotFound, IsUnauthorized,
// IsExternalIDTaken and IsRateLimited classify them. Failures that never got
// an HTTP answer come back as *RequestError.
//
// core/fakehipcall holds a strict in-memory fake of Hipcall (`switchboard
// fake-hipcall`) for local trials and tests.
package hipcall
