// Package doctor diagnoses the CRM data a Switchboard serves (issue 15,
// `switchboard doctor`): the problems that make rings ambiguous, numbers
// unfindable, the sync skip records and routing rules fall through.
//
// Run lists every record of every source through the connectors' own
// List calls (read-only; nothing is written anywhere) and reports:
//
//   - unreadable numbers: stored numbers the host's parser cannot read
//     in the configured region (record, field, raw text, and the parser's
//     reason). Numbers a connector dropped itself while loading (the CSV
//     connector drops them, logging a warning) are recovered from the
//     warnings the caller hands in (Options.ConnectorLog): they name the
//     place in the source ("customers.csv:11") instead of a record;
//   - national-only numbers: numbers read without a country (no E.164
//     key), which only national matching can find (phone.NationalMatch);
//   - shared numbers: one number held by several records of one source,
//     which rings as ambiguous; with the common company the after-call
//     CRM log would use (every record belongs to the same company), or
//     none;
//   - external_id collisions: records the sync (core/crmsync) would send
//     under one external_id, so that all but the first are skipped; and
//     ids that differ only in letter case (warnings: the sync keeps them
//     apart, people and case-insensitive tools do not);
//   - values routing rules need: records that lack a record.owner,
//     record.company, record.company_id or record.<field> a rule's
//     expression reads (found by parsing the rules' expressions, see
//     RuleRefs);
//   - counts per source.
//
// Every list is bounded: Options.Limit entries are kept (the first ones,
// in the connectors' listing order), with the total beside them.
//
// Findings are problems or warnings (Severity). Report.Problems counts the
// problems; the CLI exits 1 when there is any. National-only numbers,
// numbers shared within one company and ids that differ only in case are
// warnings.
//
// The package imports no host: core/host can call Run with its own
// plugins, parser and configuration, as cmd/switchboard's doctor command
// does.
package doctor
