// Package server is the host's HTTP face to the phone system.
//
// It serves Hipcall's Smart IVR web service (a caller number in, an
// {"extension": "..."} out, within milliseconds), plus /healthz, /readyz and
// Prometheus /metrics. Every endpoint lives in its own file and is
// registered in routes.go with its name (the metrics label), path and
// methods; the shared middleware (request logging and metrics, panic
// recovery, method check, Basic Auth, body limit) wraps each one.
//
// The Smart IVR endpoint never fails the call: malformed input, an
// oversized body, an invalid number, a failed or slow lookup and even a
// panic all answer HTTP 200 with the configured default extension, because
// the caller is waiting and Hipcall would otherwise wait up to 3 s before
// falling back on its own.
//
// The Ringostat endpoint (ringostat*.go) gives the same guarantees to
// Ringostat's routing scheme: any method and submission type in (HTTP
// parameters, JSON, JSON-RPC 2.0), a destination out in the scheme's import
// type (RenderRingostat), always a valid answer: the Ringostat default or,
// without one, an empty destination with HTTP 200, which sends the call on
// to the scheme's next step. Basic Auth and a secret token (path or query,
// constant time) guard it.
package server
