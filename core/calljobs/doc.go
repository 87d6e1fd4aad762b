// Package calljobs is the durable after-call flow: the journal's jobs for
// Hipcall's call events and the post-call actions they cause.
//
//	webhook ──Record──▶ hipcall_event job ──(call_hangup)──▶ one
//	(stored before 200)   (events queue)     aftercall_action job per
//	                                          step (actions queue),
//	                                          unique per (call, step)
//
// A step that Hipcall applies idempotently (a tag, a disposition, an
// archived recording) is simply retried until it works. A step that is not
// (a comment, a task) goes through journal.Effects: marked sent before the
// request, done with Hipcall's id after; an answer that proves nothing was
// done (429, 502, 503, 504, a refused connection) clears the mark, and an
// attempt that finds the mark still set holds the step for a person
// (cancelled with "outcome unknown") rather than post it twice.
package calljobs
