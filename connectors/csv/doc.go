// Package csv is the connector for a CSV file of contacts: it loads the
// file into memory, answers phone lookups from an index and pages every
// contact and company, and reloads the file when it changes.
//
// # Configuration
//
//	path: customers.csv          # required; relative to the host config's directory
//	delimiter: ","               # one character; "\t" and "tab" mean a tab
//	encoding: utf-8              # utf-8 (a BOM is stripped), utf-16 (BOM; LE without one),
//	                             # utf-16le, utf-16be, windows-1252, windows-1254,
//	                             # iso-8859-1, iso-8859-9
//	header: true                 # false: columns are 1-based numbers ("3")
//	strict: false                # true: any broken row fails the load
//	reload_interval: 2s          # how often to look for changes; 0 = never
//	max_shrink: 0.5              # a reload losing more of the records is held; 1 = never
//	columns:
//	  id: CustomerID             # required, unique per row
//	  first_name: FirstName
//	  last_name: LastName
//	  name: FullName             # instead of first/last: kept whole as the first name
//	  company: Company
//	  company_id: CompanyID      # else companies get the id "name:<lowercased name>"
//	  phones: [Phone, Mobile]    # a cell may hold several numbers
//	  emails: [Email]            # a cell may hold several addresses
//	  owner: Owner
//	  job_title: Title
//	fields:                      # extra fields for routing rules and cards
//	  balance: {column: Balance, type: number}  # string (default) | number | bool | date
//
// Field values: strings as written (trimmed; "" when empty); numbers as
// float64 ("1234.5", "1,234.5", "1.234,5"; a lone comma is a decimal comma);
// bools from true/false, yes/no, 1/0, evet/hayır; dates (2024-03-01,
// 2024-03-01 09:30, RFC 3339, 01.03.2024) as RFC 3339 strings in UTC, which
// compare correctly as strings. Empty number, bool and date cells are nil.
//
// # Numbers
//
// Every phone cell is split and normalised once, at load, with core/phone
// (the one host package an adapter may import) and the host's default
// region. Lookups match the query's E.164 exactly, else its national
// significant number, using an in-memory index.
//
// # Lookups by key
//
// LookupByKey (capability lookup_by_key) finds contacts by a field of
// fields: (an account number column), by the standard id, email (the
// emails columns) or external_id (a field of that name when mapped, else
// the id), and companies by id. Nothing to configure beyond fields:. A
// cell matches when its value, trimmed and ignoring case, is the value
// looked for, or when one of its values separated by commas or semicolons
// is ("ORD-7, ORD-8; ORD-9"); a number field matches its digits ("1001").
// Each field looked up gets a map from its values to the contacts, built
// on its first lookup (about 150 ms for an e-mail column of 100,000 rows)
// and, after a reload, built again before the new data is served; a
// lookup is then a few microseconds. A lookup with a record id (a
// verification) reads that record alone. A field not in fields: is a
// bad_config error naming the fields there are.
//
// # Broken rows
//
// A row with the wrong number of fields, broken quoting, an empty or
// duplicate id (the first row with an id wins) or a bad typed field is
// skipped with a warning naming file and line ("customers.csv:17: ...").
// An unreadable number only drops that number. With strict: true any of
// these fails the load instead, listing every problem. Rows whose cells
// are all empty are ignored silently.
//
// # Reloading and ChangedSince
//
// The file is polled every reload_interval: when its size or mtime change
// (or its mtime is too recent to trust), it is read and hashed, and a
// changed file is loaded into a new snapshot that replaces the old one
// atomically; reads never wait for a load. A reload parses only the rows
// whose bytes changed: a row identical to one of the served snapshot,
// where that row was in the file (or one row further, after an edit or a
// deletion), is taken as it was, so an edit, an append or a deletion in
// a file of a million rows reloads in about half a second instead of
// validating every number again (rows moved around are parsed again;
// a changed header, or a new configuration, parses everything). The
// number index and the companies are patched rather than rebuilt while
// the changes stay small. A reload that fails (a strict
// violation, a column gone from the header, an unreadable file) keeps the
// previous data, logs an error and shows in Check.
//
// A reload that loads but loses more than max_shrink of the records being
// served (a file cut to its header, or mid-row, by an interrupted export)
// is held: the previous data keeps serving, an error says how many records
// would go, and Check fails with "degraded" until the hold ends. It ends
// when the operator touches <file>.accept-shrink next to the file (the
// held content is then served; only a touch after the hold began counts,
// so a leftover file accepts nothing), when the file changes to content
// the guard lets through (restored, or a smaller drop), or when the
// connector is configured again (a first load is never held).
//
// A CSV file has no modification time per row, so UpdatedAt is the time
// this process first saw the row's current content: the time the file
// was read for every row of the first load, and for later loads the time of the load
// that first showed the row changed (its mapped content hashes
// differently) or new; for a held reload, the time the accept serves it.
// ChangedSince in List requests filters on it. After
// a restart every row counts as changed at the first load, so a consumer
// syncing incrementally re-reads everything once.
//
// # Paging
//
// Lists are in ID order; the cursor is the base64 of the last ID returned,
// so paging stays correct across reloads: no record present before and
// after a reload is repeated or skipped.
package csv
