// Package journal is the host's durable journal of call events and the
// work they cause, on River (github.com/riverqueue/river): an event stored
// by Record survives a SIGKILL the moment Record returns, and the work it
// asks for runs as River jobs with retries, backoff, a visible discarded
// ("dead") state and per-(call, action) uniqueness.
//
// The embedded default is a SQLite file (modernc.org/sqlite, no cgo) next
// to the configuration, needing no setup; with driver: postgres several
// hosts share one journal and its work (River elects a leader for the
// periodic jobs).
//
// Record batches concurrent calls into one transaction (group commit), so
// a burst of webhooks costs one commit per batch rather than one per
// event. Effects (effects.go) records what a non-idempotent request did,
// so that a job run again after a crash does not repeat it.
package journal
