// Package server is the host's HTTP face to the phone systems.
//
// It serves /healthz, /readyz and Prometheus /metrics itself, and mounts
// every other endpoint from Options.Mounts: each phone-system front end
// (core/smartivr for Hipcall's Smart IVR, core/ringostat for Ringostat's
// routing scheme) and the webhook receiver (WebhookOptions) builds its own
// Mount — name (the metrics label), path, methods, credentials, body limit,
// panic answer, log level, handler — and the server names no phone system.
//
// The shared middleware wraps each mount: one log line and the metrics per
// request, panic recovery, the method check, Basic Auth or a custom check
// (compared in constant time, never logged), the body limit. New checks
// every mount's path against the built-in ones and each other. A handler
// tells its part of the request's story with Annotate and RaiseLevel; the
// server tells it once, in the request's one log line.
package server
