// Package hubspot is the connector for HubSpot's CRM (and any service that
// speaks its CRM v3 objects API): it finds contacts by phone through the
// search API and pages every contact and company through the list API.
//
// # Configuration
//
//	base_url: https://api.hubapi.com   # the default
//	token: ${HUBSPOT_TOKEN}            # required: a private app token (secret)
//	timeout: 10s                       # limit on each HTTP request
//	max_retries: 3                     # retries of a 5xx or a network failure
//	page_size: 100                     # list page size, 1-100 (HubSpot's cap)
//	change_poll_interval: 5s           # least time between two changed-since searches of a type
//	search_lag: 10s                    # how late search may show a change (also the writes' guard window)
//	rate_limit:
//	  requests_per_10s: 100            # HubSpot: 100 (Free/Starter) to 190 (Pro/Enterprise)
//	  search_per_second: 5             # HubSpot: 5 search requests a second
//	  change_search_per_second: 2      # the share of it changed-since searches may use
//	fields:                            # contact properties for routing rules and cards
//	  balance: {property: account_balance, type: number}  # string | number | bool | date
//	  account_no: {property: account_number}              # lookups by key compare the whole value
//	  orders: {property: order_numbers, multi: true}      # ... or each of "ORD-7, ORD-8; ORD-9"
//	company_fields:
//	  tier: {property: customer_tier}
//	log_call:                          # write calls (capability log_call)
//	  enabled: true                    # default false
//	  key_property: switchboard_call_key  # custom call property holding each log's key
//	create_contact:                    # create contacts (capability create_contact)
//	  enabled: true                    # default false
//
// The private app needs the crm.objects.contacts.read and
// crm.objects.companies.read scopes, and crm.objects.contacts.write to log
// calls or create contacts.
//
// # Lookups
//
// LookupByPhone sends one search request whose filter groups (ORed) ask for
// contacts whose phone or mobilephone equals the number in E.164, or whose
// hs_searchable_calculated_phone_number or
// hs_searchable_calculated_mobile_number (HubSpot's national form of them)
// equals its national significant number. The results are read with
// core/phone and kept only when one of their numbers truly matches
// (exact, else national), strongest first. Companies are not searched: a
// company's number is found in index mode.
//
// # Lookups by key
//
// LookupByKey (capability lookup_by_key) finds records whose field holds
// a value with one search per object type: contacts for a field of
// fields:, companies for one of company_fields: (both for a name in
// both), contacts for the standard id (hs_object_id), email (the email
// property) and external_id (a field of that name when mapped, else the
// id). The search ORs EQ the value (HubSpot ignores case) and
// CONTAINS_TOKEN the value (a value stored with spaces around it); for a
// field declared multi: true (several values in one text, separated by
// commas or semicolons), CONTAINS_TOKEN *value* instead. Every answer is
// checked with the SDK's rule (trimmed, ignoring case, whole values), so
// the loose search finds no false match; RecordID adds hs_object_id EQ;
// an id that is not digits finds nothing without a request. A property
// HubSpot does not have is bad_config. The value is never logged, and is
// taken out of HubSpot's error messages. Key searches share the search
// limit with lookups by phone and see changes only after the search lag,
// so the host's own key index (mode: index) suits most accounts.
//
// HubSpot allows 5 search requests a second and shows a new or changed
// record in search only after a few seconds, so a HubSpot connector is
// best run in the host's index mode (mode: index), which pages the list API
// instead; mode: live is for small accounts with few calls.
//
// # Lists
//
// Contacts and companies are listed in HubSpot's id order, page_size at a
// time, by HubSpot's after cursor (wrapped, opaque). A contact's company is
// its primary associated company (associations=companies); its company
// name is its company property.
//
// The connector declares changed_since: a list with ChangedSince is
// answered by search on lastmodifieddate (hs_lastmodifieddate for
// companies), paged by time and id, at most one search per object type per
// change_poll_interval (default 5s; sooner polls are answered from the last
// search), looking back search_lag (default 10s) for late-searchable
// changes; see changes.go.
//
// # Writes
//
// With log_call enabled, LogCall creates a call engagement
// (POST /crm/v3/objects/calls) associated with the contact (type 194) and
// the company (182): hs_timestamp the call's start (UTC, milliseconds),
// hs_call_duration the talk time in milliseconds, hs_call_direction,
// hs_call_from_number and hs_call_to_number, hs_call_status (answered:
// COMPLETED; missed and voicemail: NO_ANSWER, a voicemail's title saying
// so), hs_call_title, hs_call_body (the host's Markdown, as is),
// hs_call_recording_url and hubspot_owner_id when known, and the request's
// key in key_property. That property must exist: create it in HubSpot
// (Settings > Properties > Call properties, single-line text, internal
// name as key_property). Configure warns and Check fails while it does not;
// a write that meets HubSpot's "Property ... does not exist" is bad_config.
//
// With create_contact enabled, CreateContact looks the number up as
// LookupByPhone does and answers the contact found (Existing), or creates
// one (POST /crm/v3/objects/contacts: firstname, lastname, phone in E.164,
// hubspot_owner_id, the company as primary company) and answers it as
// lookups will; a 409 naming an existing contact answers that one.
//
// HubSpot has no idempotency key, so both writes guard themselves: a lock
// per key (or number), a memory of what this process wrote, a search
// before creating, and, while search_lag says a search miss proves nothing
// (after a start, or after an attempt whose answer was lost or was a 5xx),
// a retryable unavailable error instead of a second record. A create is
// never retried inside the connector once it may have reached HubSpot.
// See write.go for the reasoning. A logged call costs two requests (one a
// search), a retry of a call this process logged none.
//
// # Rate limits and errors
//
// Two client-side limiters (golang.org/x/time/rate) keep the connector
// under HubSpot's limits: never more than search_per_second searches in any
// second nor requests_per_10s other requests in any ten seconds. A 429 is
// handled by its policyName: for TEN_SECONDLY_ROLLING and SECONDLY the
// connector pauses (every caller, not only the one refused) and retries
// within the caller's deadline, and fails at once with a rate_limited error
// when the deadline would pass first; for DAILY it fails at once. 5xx
// answers and network failures are retried max_retries times with
// exponential backoff and jitter, then reported as unavailable; 401 and 403
// are unauthorized; a 404 means base_url is not the API's root
// (bad_config); other 4xx answers are invalid_request, with HubSpot's
// message and correlationId. The token is never logged nor put in an error.
package hubspot
