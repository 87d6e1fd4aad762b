// Package rest is the generic REST connector (plugin: rest): it reads
// contacts and companies from any JSON REST API, described entirely in its
// YAML block, read-only.
//
// The block names the API's base_url, how to authenticate (auth: api_key,
// basic, bearer or oauth2), the lookup: requests that search a number (ORed,
// merged by record), and the contacts: and companies: list requests with
// their paging. Each request is a method, a path, query parameters, headers
// and a body, all text/template templates over a few variables (the
// caller's number in several forms for lookups: see vars). Answers are read
// with gjson paths: results: finds the array of records and map: the
// fields of each.
//
// A lookup never trusts the API's search: every number of every record it
// returns is parsed with the host's default region (connectors/phone) and
// compared with the caller's with phone.Match; records none of whose
// numbers match are dropped, and the match kind is the computed one.
//
// Lookups by key (lookup_by_key: a field's search requests, of lookup:'s
// shape, whose templates see {{.Value}} and {{.RecordID}}) declare
// lookup_by_key; every record they find is checked with the contract's
// rule before it is answered, and id without a request of its own is read
// with contacts.get (keys.go).
//
// Rate limits: the remaining/reset headers (x-ratelimit-remaining,
// x-ratelimit-reset by default) pause requests when nothing is left; a 429
// waits for Retry-After, else the reset header, else a backoff, within the
// call's deadline and rate_limit.max_wait. A wait beyond either fails at
// once with a rate_limited error (a daily budget spent). Network failures,
// 5xx and 408 are retried max_retries times: every request the connector
// sends reads.
//
// docs/configuration.md lists every key; configs/rest-pipedrive.yaml and
// configs/rest-hubspot.yaml are complete examples.
package rest
