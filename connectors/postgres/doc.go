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
