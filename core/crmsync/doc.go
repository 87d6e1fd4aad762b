// Package sync writes CRM companies and contacts into Hipcall, keyed by
// external_id (the CRM's id), with as few requests as the API allows.
//
// Hipcall allows about 60 requests a minute per token, so requests are the
// cost to save. The state store (core/store) remembers, for every record,
// Hipcall's id and the fields last written there, with their hash:
//
//   - an unchanged record (same hash) costs no request;
//   - a changed one costs one PATCH by the saved id, carrying only the
//     fields that changed (contacts' phones and emails go through their
//     sub-resources: one POST for the numbers added, one DELETE per number
//     removed);
//   - a new one costs one POST.
//
// With no state (a first run, or records the store does not know in
// numbers larger than a listing costs), the engine first learns Hipcall's
// external_id → id map by paging GET /companies and /contacts, 100 records
// a request, and adopts the records it finds there: compared field by
// field, PATCHed only where they differ.
//
// Failures are recovered without duplicates: a PATCH answered 404 (the
// record was deleted in Hipcall) looks the record up by external id and
// creates it if it is gone; a POST answered 422 "external_id has already
// been taken" (another job created it) looks it up and updates it; a POST
// whose answer was lost (a timeout after it reached Hipcall) is looked up
// before it is sent again. The state is written after every successful
// write request, so a run killed at any point resumes where it stopped.
// A lease in the store keeps two runs from working on one state at once.
//
// Every run, dry runs included, keeps a record in the store (store.Run),
// saved every Options.ProgressInterval and when it ends, which another
// process sharing the state can read: its phase and the current
// resource's progress, its counts, and the first store.MaxRunDetails
// records it changed (with the fields written) and that failed or were
// skipped (with why), with the totals.
package crmsync
