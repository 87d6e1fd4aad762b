// Package postgres is the connector for contacts kept in PostgreSQL. It
// reads a table whose columns the operator maps (the connector writes the
// SQL), or runs SQL the operator writes with named parameters.
//
// # Configuration: a table
//
//	dsn_env: CRM_DSN            # the variable holding postgres://user:password@host:5432/db
//	                            # (or dsn: the string itself; it is a secret either way)
//	table: customers            # or schema.table
//	columns:
//	  id: id                    # required; unique, and the order of paging
//	  first_name: first_name    # or name: a full-name column
//	  last_name: last_name
//	  company: company_name
//	  company_id: company_id    # companies are listed when this is mapped
//	  phones: [phone, mobile]   # text or text[]; a value may hold several numbers
//	  emails: [email]
//	  owner: account_manager
//	  job_title: title
//	  updated_at: updated_at    # timestamptz: enables changed_since
//	  phone_key: phone_e164     # text or text[] of E.164 numbers: enables live lookups
//	fields:
//	  balance: {column: balance}               # kept in the column's own type
//	  tier: {column: tier, type: string}       # or converted: string | number | bool | date
//	  account_no: {column: account_no}         # lookups by key compare the whole value
//	  order_numbers: {column: orders, multi: true}  # ... or each value of "ORD-7, ORD-8; ORD-9"
//
// Live lookups need a column of normalised numbers (phone_key): the
// connector cannot normalise free-form numbers in SQL, and a lookup must
// use an index. Without one the connector declares no lookup capability
// and serves mode: index (the host lists every contact into its own
// index). With phone_key, a lookup is
//
//	SELECT ... FROM customers WHERE phone_e164 = $1 ORDER BY id LIMIT $2
//
// (phone_e164 @> ARRAY[$1] for a text[] column, which a GIN index serves).
//
// # Lookups by key
//
// In table mode the connector declares lookup_by_key: LookupByKey finds
// the contacts whose field holds a value (an account number keyed in an
// IVR). The fields are those of fields:, and the standard id (columns.id),
// email (each column of columns.emails) and external_id (a field of that
// name when mapped, else the id). The value is a bind parameter, never
// SQL, trimmed and in lower case; the column is compared the same way:
//
//	SELECT ... FROM customers WHERE id IS NOT NULL AND (lower(btrim(account_no)) = $1) ORDER BY id LIMIT $2
//
// so letter case and spaces around either side do not matter. Index it
// with the same expression: CREATE INDEX ON customers
// (lower(btrim(account_no))). A column of another type is compared as its
// text (account_no::text; numeric(10,2) writes 1001 as 1001.00). A column
// holding several values in one text ("ORD-7, ORD-8; ORD-9") is declared
// with multi: true and matched on each value:
//
//	regexp_split_to_array(lower(btrim(orders)), '\s*[,;]\s*') @> ARRAY[$1]
//
// which a GIN index on that expression serves: CREATE INDEX ON customers
// USING gin (regexp_split_to_array(lower(btrim(orders)), '\s*[,;]\s*')).
// A field not declared multi is compared whole: a text with commas is one
// value. An array column (text[], varchar[]) holds one value per element,
// without multi (and no index serves that). An e-mail column is compared
// whole, like a field. The id is compared in its own type when it is not
// text (id = $1, the primary key), and a value that is not of that type
// (letters for a bigint id) finds nothing; a text id is compared like a
// field. A request's RecordID adds id = $n. Every row is checked again
// with the SDK's rule (connectors/sdk KeyMatches) and answered with its
// fields. A field not in fields: is a bad_config error listing those
// there are; the value is never logged nor put in an error. Queries mode
// has no lookups by key (no query of yours to run them with): it does not
// declare lookup_by_key, and rejects multi:.
//
// # Configuration: your own SQL
//
//	dsn_env: CRM_DSN
//	queries:
//	  lookup: SELECT * FROM crm.people WHERE phone_e164 = @e164 OR phone_national = @national LIMIT @limit
//	  list_contacts: SELECT * FROM crm.people WHERE id > @after ORDER BY id LIMIT @limit
//	  list_companies: SELECT id, name, phone FROM crm.orgs WHERE id > @after ORDER BY id LIMIT @limit
//	columns: {id: id, first_name: first, phones: [phone]}    # columns of the lookup and list_contacts results
//	company_columns: {id: id, name: name, phones: [phone]}   # columns of the list_companies result
//
// The parameters are named (pgx.NamedArgs), never spliced into the SQL:
// lookup may use @e164 ("+442045205757"), @national ("2045205757"), @raw
// (the number as the phone system sent it) and @limit; the list queries
// must use @after and @limit, in "WHERE id > @after ORDER BY id LIMIT
// @limit" (keyset paging), and may use @changed_since (a timestamptz) to
// declare changed_since. The first page's @after is the lowest value of
// the id's type ("" for text, the smallest integer, the nil UUID), which
// the connector learns by preparing the query. Rows a lookup returns are
// checked with core/phone's Match against the row's numbers, so a loose
// query (a suffix LIKE) cannot produce false matches.
//
// Identifiers from the configuration (table and column names) are quoted
// with pgx.Identifier.Sanitize; nothing from a request ever becomes SQL.
//
// # Writing: logging calls, creating contacts
//
// Two optional blocks make the connector write (contract version 2). It
// declares log_call and create_contact in Describe only when a configured
// (or validated) block has them.
//
//	log_call:
//	  table: call_logs              # the connector writes the INSERT into a table ...
//	  columns:                      # field: column; key and contact_id or company_id required
//	    key: call_key               # text, with a unique index (Configure checks the catalog)
//	    contact_id: contact_id
//	    company_id: company_id
//	    started_at: started_at      # timestamptz, timestamp, date or text
//	    talk_seconds: talk_seconds  # integer, numeric or text
//	    body: body                  # also call_id, direction, from, to, answered_at, ended_at,
//	                                # outcome, agent_id, agent_name, owner_id, recording_url, title
//	  id_column: id                 # the log's id LogCall answers (default: the key column)
//	  # ... or runs your SQL instead of table and columns:
//	  # sql: INSERT INTO activity (ext_key, person_id, note) VALUES (@key, @contact_id, @body)
//	  #      ON CONFLICT (ext_key) DO NOTHING RETURNING id
//	  # existing_sql: SELECT id FROM activity WHERE ext_key = @key
//	create_contact:                 # into the contacts table read above; or your SQL:
//	  # sql: INSERT INTO people (name, phone) VALUES (@first_name || ' ' || @last_name, @phone) RETURNING id
//
// LogCall is idempotent on the key. In table mode it runs
//
//	INSERT INTO call_logs (call_key, ...) VALUES (@key, ...) ON CONFLICT (call_key) DO NOTHING RETURNING id
//
// and, when that returns no row (the key was logged before), SELECT id
// FROM call_logs WHERE call_key = @key, answered with Existing. The
// unique index makes concurrent logs of one key write one row, which is
// why Configure and Check refuse a key column without one. With sql, the
// first column of its row is the id; no row (or a unique violation, for
// a plain INSERT) runs existing_sql, whose row is the logged key's.
// PostgreSQL checks ON CONFLICT's target only when the statement runs.
// A log names a contact, a company or both; when the block can name only
// one kind, the contact is used when both are given.
//
// Every value is a bind parameter, sent as text for PostgreSQL to read
// into the column's (or the parameter's) type: times as RFC 3339 in UTC,
// talk_seconds as a number, and an empty value or a zero time as NULL.
// Table mode checks the columns at Configure: the key in a text column
// (or a varchar of at least 200), times in a time or text column,
// talk_seconds in a number or text column, and no NOT NULL column without
// a default left unmapped.
//
// CreateContact is idempotent on the number. In one transaction it takes
// pg_advisory_xact_lock on a hash of the E.164 number, looks the number
// up as LookupByPhone does and answers the first contact found with
// Existing; else it inserts the contact, looks the number up again and
// answers the new contact as LookupByPhone returns it. A new contact the
// lookup does not find is rolled back (a retry would make it again), so
// create_contact needs lookups: a phone_key in table mode, queries.lookup
// with sql. In table mode the row gets the names (first_name/last_name,
// or name), the number in the first phone_key and phones columns, the
// company_id (and the company's name as its other contacts have it),
// the owner, and updated_at now(); the table must number the id (an
// identity or a default). create_contact.sql may use @phone,
// @first_name and @last_name (empty strings, never NULL), @company_id,
// @owner_id and @key.
//
// Write errors are classified: an unreachable server or a passed deadline
// is unavailable (the host retries); a constraint refusing the row, a
// column too narrow or SQL that no longer runs is bad_config, with what
// to change; a missing privilege is unauthorized; a value PostgreSQL
// cannot read into its column, or a record a foreign key does not find,
// is invalid_request.
//
// # Connections, deadlines, errors
//
// A pgx pool (max_conns, default 4; connect_timeout 5s) with
// statement_timeout (default 30s) as the server-side cap for every
// statement. A request's context is honoured on the server too: when it
// ends, the connector sends PostgreSQL a cancel request for the running
// statement, so a caller's 300ms deadline does not leave a query running.
// Configure connects and checks the table and every mapped column (or
// prepares the queries): a missing one is a problem at its path, which the
// host shows as file:line:col. ValidateOnly checks the block without
// connecting. Check says what is wrong in operator terms: the server
// cannot be reached (host:port), the login was refused, the database,
// table or a column is missing. The DSN is never logged, and its password
// is removed from every error.
//
// # Paging
//
// Lists are in id order; the cursor is the base64 of the last id returned,
// and the next page asks for ids above it, so paging a million rows costs
// one index range scan per page, and rows changed between pages are
// neither repeated nor skipped. ChangedSince adds updated_at >= $n. In
// table mode companies are the distinct company_id values (name: the
// smallest company name, updated_at: the newest of their contacts'); index
// company_id for large tables.
package postgres
