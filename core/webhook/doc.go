// Package webhook receives Hipcall's webhooks: POSTs of
// {"event":"<name>","data":{...}} sent when calls start, are bridged and
// end, and when tasks and contacts change.
//
// Hipcall signs nothing, delivers each event at most once, and marks the
// integration "Broken" after a few slow or non-200 answers. So the
// Processor answers 200 at once for every well-formed, authenticated event
// (known or not), and does the work afterwards: events wait in a bounded
// queue for a pool of workers, a full queue drops (counts and logs) new
// events, and a repeated (event, call) pair within a window is handled
// once. Authentication is a secret token in the URL, Basic Auth and/or a
// source allowlist (Auth).
//
// Parse reads both the current payload and the older one
// ({"event_type":"call::init",...}), and never fails on a field that is
// null, absent, or a number where a string was expected.
package webhook
