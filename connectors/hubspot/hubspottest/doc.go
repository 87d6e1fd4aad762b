// Package hubspottest is a fake HubSpot CRM API: an in-memory server on
// 127.0.0.1 that speaks the parts of the CRM v3 objects API the hubspot
// connector uses, as strictly as HubSpot does, for tests and benchmarks. It
// does not depend on package testing.
//
// # What it serves
//
//   - GET  /crm/v3/objects/{contacts|companies|calls}: list by id, limit at most
//     100 (more is a 400), after cursor, properties, associations, archived;
//     the last page has no "paging".
//   - GET  /crm/v3/objects/{contacts|companies|calls}/{id}: one record.
//   - POST /crm/v3/objects/{contacts|companies|calls}/search: filterGroups (ORed;
//     filters inside a group ANDed; at most 5 groups, 6 filters a group, 18
//     in all), operators EQ, NEQ, LT, LTE, GT, GTE, BETWEEN, IN, NOT_IN,
//     HAS_PROPERTY, NOT_HAS_PROPERTY, CONTAINS_TOKEN (with * wildcards) and
//     NOT_CONTAINS_TOKEN, one sort, limit at most 200, after as an offset and
//     at most 10,000 results per query; "total" and "paging.next.after".
//     Values compare as text ignoring case, except ids and dates, and
//     except under the range operators, which compare numbers and instants.
//   - POST /crm/v3/objects/{contacts|companies|calls}: create, with
//     associations (calls to contacts 194 and companies 182, contacts to
//     companies 1 or 279), validated as HubSpot does; a contact whose email
//     another has is a 409; see create.go.
//   - GET  /crm/v3/properties/{objectType}/{name}: a property's definition,
//     404 when it does not exist.
//
// Calls have HubSpot's call properties (hs_timestamp, required,
// hs_call_title, hs_call_body, hs_call_direction, hs_call_duration,
// hs_call_from_number, hs_call_to_number, hs_call_status,
// hs_call_recording_url, hubspot_owner_id); a custom one must be defined
// first (DefineCallProperty, DefineProperty), as in HubSpot. LoggedCalls
// and CountCalls read them back.
//
// Every request needs "Authorization: Bearer <token>" (Options.Token). Every
// property value is a string, as HubSpot sends them; a requested property
// without a value is null. Contacts get HubSpot's computed properties:
// hs_searchable_calculated_phone_number and
// hs_searchable_calculated_mobile_number (the national significant number of
// phone and mobilephone, without trunk zero, read in Options.Region) and
// associatedcompanyid (the primary associated company). Records are seeded
// with Put, Create, Update, Archive and Associate.
//
// # Rate limits
//
// Like HubSpot, the fake limits requests per token (creates included) in a
// rolling ten-second window (Options.TenSecondLimit, default 100) and per day
// (Options.DailyLimit), and search requests per second (Options.SearchPerSecond,
// default 5) under their own policy. Responses other than search carry the
// X-HubSpot-RateLimit-* headers; a refused request is a 429 with HubSpot's
// body, naming the policy: TEN_SECONDLY_ROLLING, SECONDLY or DAILY.
//
// # Search lag
//
// HubSpot's search index trails writes by a few seconds. With
// Options.SearchLag, search sees every record as it was SearchLag ago: a new
// record is invisible and a changed one shows its old values until then.
// Lists and gets see writes at once.
//
// # Faults
//
// Script queues misbehaviours per route (RouteSearch, RouteList, RouteGet,
// RouteCreate, RouteProperty, or AnyRoute): an error status with HubSpot's
// error body, a 429 of a given policy, a delay, a dropped connection, and,
// with AfterApply, any of them after the request was served, so that a
// create is applied but its answer lost (LoseAnswer) or replaced by a 5xx
// (FailAfterApply). Requests lists what was asked.
package hubspottest
