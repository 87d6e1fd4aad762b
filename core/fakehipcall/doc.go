// Package fakehipcall is the fake Hipcall that `switchboard fake-hipcall`
// serves: an in-memory REST API v3 as strict as the real one, for operators'
// local trials, the end-to-end tests and the benchmarks. It does not depend
// on package testing.
//
// It serves Insight Cards (validated with hipcall.ValidateCardJSON, the
// rules the client uses), companies, contacts (with their phones and emails
// sub-resources), extensions, calls (GET /calls with its filters), what can
// be done to a known call (comments, tags, its disposition), the account's
// dispositions, tasks, and recording downloads; it enforces the bearer
// token and a per-token rate limit with x-ratelimit-* headers; and it
// records every request.
//
// Tests seed it directly: AddCall (a hipcall.CallRow, or a map or JSON
// object in the call webhook's field names), AddTag, AddDisposition (none
// exist until added), AddRecording (a short-lived link in record_url,
// 403 once expired), and read what the client did with Comments, Tags,
// Disposition, DispositionHistory and Tasks (one entry per write that
// took effect, for exactly-once checks), Count and Succeeded. Faults (error statuses, delays, 429s, dropped connections) are
// scripted per route with Script, Fail, FailN, Delay, Drop and
// TooManyRequests. HoldWrite holds the n-th write request just before or
// just after it is applied until the test releases it, so that a test can
// kill the client at a deterministic write boundary.
//
// Routes are named "METHOD /template", relative to /api/v3, e.g.
// "POST /calls/{uuid}/cards" or "GET /companies/{id}"; RecordingRoute
// ("GET /recordings/{token}", outside /api/v3, without token or rate
// limit) names the recording downloads; Routes lists them all.
package fakehipcall
