// Package sdk holds what every connector would otherwise write for itself,
// so that a connector is its config struct, a check, and its queries:
//
//   - Base: Describe and Configure (strict YAML decoding with paths
//     through connectors/conf, every problem at once, ValidateOnly, an
//     atomic swap on re-Configure, the not-configured error) for a
//     connector whose configuration is a struct of its own.
//   - DecodeCursor, EncodeCursor, NextPage: keyset paging cursors that
//     hold a typed key (int64 or string), so that an INTEGER id is never
//     compared with a TEXT cursor, and that turn a malformed cursor into a
//     ClassInvalidRequest error.
//   - Rank: the honest end of a loose lookup query. It parses the numbers
//     of the candidate records with connectors/phone, keeps those that
//     really match the caller (phone.Match) and orders them strongest
//     first, as the LookupResponse wants them.
//   - KeyMatches, KeyEqual, KeyValues, KeyFold, ContactKey, CompanyKey,
//     UnknownKeyField, HideKeyValue: lookups by key
//     (connectors.KeyLookuper). The
//     contract's rule for comparing a stored value (a text, a list, a text
//     of values separated by commas or semicolons, a number) with the
//     value looked for, trimmed and ignoring case; the standard fields
//     ("id", "email", "external_id"); the answer over candidate records;
//     the error for a field the connector does not have; an API's error
//     without the value looked for.
//   - ScanContacts, ScanCompanies: database/sql rows into records, each
//     column by its name (id, first_name, ..., and the phone columns the
//     connector names), NULLs as empty fields, integer ids as text, and
//     an error that names the row and the column of a value of the wrong
//     type.
//
// Besides the standard library (database/sql, no driver) it imports only
// the contract (connectors), connectors/conf and connectors/phone: an
// out-of-tree connector that uses it pulls in none of the host.
// docs/writing-a-connector.md builds a connector with it;
// examples/sqlite-crm uses all of it, connectors/example all but the
// scanning (it serves from memory).
package sdk
