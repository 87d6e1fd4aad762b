// Package pipedrivetest is a fake Pipedrive-like CRM REST API (API v2, and
// v1 for call logs): an in-memory server on 127.0.0.1, as strict as the
// real API is documented to be, for the tests of the generic REST connector
// (configured only in YAML) and for local trials. It does not depend on
// package testing. It is built from connectors/fakeapi: a Loopback, a
// request Log and per-route scripted Faults.
//
// Everything the project knows of the real API is written here; what is
// not in that description is the fake's own choice and is marked
// (invented). A client must not rely on an invented behaviour: it is there
// so that the fake answers something definite.
//
// # Faithful to the reference
//
//   - Authentication by API token in the x-api-token header or the
//     api_token query parameter, or by an OAuth2 bearer access token that
//     expires and is renewed with a refresh token.
//   - GET /api/v2/persons?limit=&cursor=&updated_since= answers
//     {"success":true,"data":[person...],"additional_data":{"next_cursor":"eyJ..."}},
//     next_cursor null on the last page; a person is {"id","name",
//     "first_name","last_name","phones":[{"value","primary","label"}],
//     "emails":[{"value","primary","label"}],"org_id","owner_id",
//     "update_time":"2026-11-30T10:00:00Z"} (plus "add_time", invented),
//     and "custom_fields":{"<key>":"<text>"} when the person has any
//     (Person.CustomFields; text fields only).
//     GET /api/v2/organizations likewise.
//   - GET /api/v2/persons/search?term=&fields=phone&exact_match=true&limit=
//     answers {"success":true,"data":{"items":[{"result_score":0.9,
//     "item":{"id","name","phones":["+44 20 4520 5757"],
//     "organization":{"id","name"},"owner":{"id"}}}]},
//     "additional_data":{"next_cursor":null}}. The term is matched against
//     the STORED TEXT: a number stored as "020 4520 5757" is not found by
//     "+442045205757" nor by "+44 20 4520 5757"; a client must search the
//     forms a CRM may hold and re-check every result with real number
//     parsing.
//   - Errors {"success":false,"error":"..","error_info":"..","code":..}
//     with 400, 401, 404 and 429.
//   - Rate limits announced in x-ratelimit-limit, x-ratelimit-remaining and
//     x-ratelimit-reset (seconds), enforced in short windows (2 s by
//     default) plus a daily token budget; 429 past them. Retry-After only
//     when Options.RetryAfter is set: whether the real API sends one is
//     unknown.
//   - POST /api/v1/callLogs with {"subject","duration":"42","outcome",
//     "from_phone_number","to_phone_number","start_time":"2026-12-01 10:00:00",
//     "end_time","person_id","org_id","user_id","note"} answers 200
//     {"success":true,"data":{"id":"<string id>",...}}; outcome is one of
//     connected, no_answer, busy, left_message, left_voicemail,
//     wrong_number.
//
// # Invented, or beyond the reference
//
// Authentication:
//
//   - (invented) Precedence: an Authorization header decides alone, then an
//     x-api-token header, then the api_token parameter. Any other
//     Authorization scheme is a 401. An expired access token's 401 says
//     "access token expired" in error_info; an unknown one's "unknown
//     access token".
//   - (invented) POST /oauth/token on the same host: form-encoded, the
//     client authenticated by HTTP Basic or client_id and client_secret in
//     the form (not both), for both grants: grant_type=client_credentials
//     (a shortcut standing in for the authorization-code dance; it also
//     issues a refresh token) and grant_type=refresh_token with
//     refresh_token. The answer is RFC 6749's {"access_token",
//     "token_type":"Bearer","expires_in","refresh_token","scope",
//     "api_domain"} with Cache-Control: no-store; errors are RFC 6749's
//     {"error","error_description"}: invalid_request 400, invalid_client
//     401, invalid_grant 400, unsupported_grant_type 400. The refresh
//     token stays the same unless Options.RotateRefreshTokens; an access
//     token lives Options.TokenLifetime on the fake's clock (expired at
//     exactly its expiry) and stays valid after a refresh until then.
//     The token endpoint is neither rate limited nor charged.
//
// Lists (GET /api/v2/persons, GET /api/v2/organizations):
//
//   - (invented) Cursors are base64url (no padding) of JSON naming the
//     collection and the id of the last record served: keyset paging in
//     ascending id order. Records inserted between pages (new ids are
//     higher) are served on later pages; a record updated between pages is
//     served once, at its id's place, as it is when its page is served;
//     nothing is repeated or skipped. A deleted record is not served. A
//     cursor that does not decode, or belongs to another list or to a
//     search, is a 400. next_cursor is null exactly when no further record
//     matches at the time the page is served (the fake looks one record
//     ahead), so the last page is empty only when there is nothing to
//     list or the records ahead were deleted between pages.
//   - limit: 1 to Options.MaxLimit (500), default 100; over the maximum, 0,
//     negative or not a number: 400.
//   - updated_since (RFC 3339, any offset) keeps records whose update_time
//     is at or after it (inclusive, to the second: update_time has no
//     fraction); updated_until keeps those strictly before it. A record
//     updated during a pass, behind the cursor, is not seen by that pass:
//     the next pass with updated_since set to when the previous one began
//     catches it. Deletions are never reported.
//   - Filters owner_id and (persons) org_id; sort_by=id and
//     sort_direction=asc are accepted (the only order), other values 400.
//   - Organizations are {"id","name","phones":[{"value","primary","label"}],
//     "address":{"value","locality","country"} or null,"owner_id" or null,
//     "add_time","update_time"}: the phones and the address's shape are
//     invented.
//   - GET /api/v2/persons/{id} and /api/v2/organizations/{id}:
//     {"success":true,"data":{...}}, 404 when there is none, 400 for an id
//     that is not a positive number.
//
// Search (GET /api/v2/persons/search, and GET /api/v2/organizations/search,
// itself beyond the reference):
//
//   - fields: a comma-separated list of name, email, phone, custom_fields
//     (organizations: name, address, phone), spaces around names ignored;
//     default all;
//     anything else, an empty name included ("phone,"), is a 400.
//   - exact_match=true: a stored value must equal the term, ignoring case;
//     otherwise the term must be a substring of a stored value, ignoring
//     case. Nothing is normalised: no digit extraction, no country codes.
//     The term is trimmed of surrounding spaces, and must then be at least
//     2 characters (1 with exact_match) or the request is a 400; a missing
//     term is a 400. exact_match takes true or false only.
//   - (invented) result_score: 1 for a whole-value match, else the share of
//     the value the term covers (at most 0.99); items sorted by score, then
//     id. Items also carry "type" ("person"/"organization") and, for
//     persons, "emails" (strings); organization and owner are null when
//     there is none. Search cursors are base64url JSON offsets: a record
//     that starts or stops matching between pages shifts the results.
//   - persons search also filters on organization_id.
//
// Rate limits:
//
//   - (invented) The fake holds one company: every credential shares the
//     limits. Windows are fixed, not rolling: one starts with the first
//     admitted request after the previous one ended and lasts
//     Options.RateWindow; it admits Options.RateLimit requests.
//     x-ratelimit-reset is the whole number of seconds, rounded up (at
//     least 1), until the window ends, so that a client waiting that long
//     finds a new window; with no window running it is the window's
//     length. The headers come on every /api/ answer, 401s (not counted)
//     and 404s (counted) included, and not on the token endpoint.
//   - (invented) Each admitted request spends its route's cost
//     (DefaultCosts: get 1, list 10, search 20, call log 10, an unknown
//     route 1) from Options.DailyBudget, renewed at 00:00 UTC. A request
//     the budget cannot cover is a 429 "Daily token budget exhausted" with
//     x-ratelimit-remaining 0 and x-ratelimit-reset the seconds until
//     midnight UTC. A refused request is neither counted nor charged.
//
// Call logs:
//
//   - (invented) Required: outcome, to_phone_number, start_time, end_time
//     (non-blank). start_time and end_time are "YYYY-MM-DD HH:MM:SS",
//     end_time not before start_time. duration, when given, is a string of
//     digits (a JSON number is a 400). person_id and org_id must name
//     existing records (400 otherwise); user_id, deal_id and activity_id
//     must be positive; lead_id is a string. Optional fields may be null.
//     The body must be a single JSON object sent as application/json; an
//     unknown field is a 400. The id is 24 hex digits. Two identical posts
//     store two call logs. The answer's data echoes the stored fields.
//
// Strictness of requests (invented):
//
//   - A GET with a query parameter the endpoint does not take, or one given
//     twice, is a 400 naming it (api_token is taken everywhere), so that a
//     misspelt parameter in a connector's YAML (updated_sinse) fails loudly
//     instead of silently turning an incremental sync into a full one. An
//     empty value of an optional parameter is the same as leaving it out.
//   - A request with valid credentials for a path or method the fake does
//     not serve is a 404 with the error body; without credentials, a 401.
//
// # Using it
//
// Seed the store with Seed (SeedData documents the messy sample), or
// AddPerson and AddOrganization; change it with UpdatePerson,
// UpdateOrganization, DeletePerson and DeleteOrganization; read it back
// with Persons, Organizations and CallLogs. Give Options.Now a Clock and
// Advance it to expire tokens, end windows and stamp update_time. Log
// lists the requests received; Faults scripts per-route misbehaviours
// (Fail, FailN, Delay, Drop, or Script with a Fault for a custom body, a
// header or AfterApply).
package pipedrivetest
