// Package aftercall decides and performs what happens in Hipcall when a
// call ends: the actions of the hipcall.after_call section, run on a
// call_hangup webhook.
//
// An action has a name, an optional condition (an expr expression over
// the call and its customer's CRM record: missed, answered, talk_seconds,
// hangup_by, found, record.*, call.*; EnvDoc lists them all) and exactly
// one thing to do: add a Markdown comment to the call, tag it, set its
// disposition, create a task, or archive its recording and voicemail.
// Conditions and templates (Go text/template with the Insight Card
// helpers) are compiled when the configuration loads (Config.Check, New).
//
// The package knows nothing of queues, retries, persistence or HTTP. The
// caller looks the customer up, then:
//
//   - Actions.Plan turns a call into Steps, fully rendered and
//     deterministic for a given clock, each addressed by (call uuid,
//     Step.Key()), which is unique, so a durable job journal can store them
//     and dedupe on it;
//   - Actions.Run performs one step through an API the caller implements
//     (the Hipcall client, a downloader), and its error says through
//     IsPermanent whether retrying can help (4xx other than 408/429, a step
//     that cannot be done) or not.
//
// Hipcall's facts this follows: a missed call is missing_call == true with
// no voicemail (voicemail_id null), and an outbound call the customer did
// not answer is not missed; talk time is ended_at − bridged_at; a comment
// is Markdown that Hipcall shows as written by the API token's owner; tags
// and dispositions may be sent again, comments and tasks may not (see
// Kind.Idempotent); record and voicemail links are pre-signed and
// short-lived, so archive steps should run promptly.
package aftercall
