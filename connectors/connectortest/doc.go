// Package connectortest is the conformance suite for connectors: one call
// in a connector's test runs the whole contract against it, in process but
// over the real plugin wire (go-plugin gRPC, through plugins.ServeTest), the
// way the host will call it.
//
//	func TestConformance(t *testing.T) {
//		connectortest.Run(t, connectortest.Suite{
//			New: func() connectors.Connector { return mycrm.New(nil) },
//			Fixture: func(t testing.TB, data *connectortest.Records) []byte {
//				// put data into a fresh backend, return a config block for it
//			},
//			BadConfigs: []connectortest.BadConfig{
//				{Name: "no url", Config: []byte("token: x\n"), Path: "url"},
//			},
//			// With log_call: how many logs the backend holds of a key.
//			CountLogs: func(t testing.TB, config []byte, key string) int { ... },
//			// With lookup_by_key: the constructor taking the logger.
//			NewLogged: mycrm.New,
//		})
//	}
//
// # What the fixture must do
//
// The suite owns the data. Suite.Fixture is called with a *Records (the
// standard Dataset, a LargeDataset for the big-page test, MatchDataset for
// the matching check, PagingDataset for paging_under_change, KeyDataset
// for lookup_by_key) and must, every time:
//
//  1. Create a FRESH backend holding exactly those records and nothing
//     else: a CSV file in t.TempDir(), a new PostgreSQL database
//     (pgtest.NewDatabase), a new fake HubSpot seeded with them, ...
//  2. Keep every ID as given (Contact.ID, Company.ID, Contact.CompanyID):
//     the suite compares records by ID. The IDs are numeric strings of one
//     width, so numeric and text order agree.
//  3. Store for each contact: FirstName, LastName, CompanyID and
//     CompanyName (the contact's company; empty for none), Emails (at most
//     one), OwnerID, and its Phones. Each phone's Label is the slot it goes
//     in, LabelPhone ("phone") or LabelMobile ("mobile"), at most one of
//     each; store Phone.Raw EXACTLY as given (the messy formats are the
//     point). Phone.E164 is the suite's expectation; store it only where the
//     backend has a column of normalised numbers (a PostgreSQL phone_key).
//  4. Store each company's ID and Name. Every company is the company of at
//     least one contact, so a backend that derives companies from contacts
//     (CSV) lists the same set.
//  5. Store UpdatedAt where the backend has a modification time per record
//     (a column, HubSpot's updatedAt); backends that cannot may ignore it.
//  6. Make the records visible at once (no search indexing lag, no rate
//     limit that the suite's few dozen calls would hit).
//  7. Return a config block (YAML) that makes the connector serve that
//     backend, with the default region GB. Relative paths are resolved
//     against Suite.BaseDir (default: a temp dir); absolute paths are
//     simplest. For a connector that can write, the block turns the
//     writes on: the suite checks the writes the connector declares once
//     configured, and refuses the others.
//
// A CRM without record owners sets Suite.NoOwners: every dataset then
// comes without OwnerID, and the suite expects none back.
//
// Fields are not part of the datasets, except KeyDataset's key fields,
// which the suite gives only to a connector that declares lookup_by_key:
// store its contacts' Fields[FieldAccountNo] and Fields[FieldOrderNumbers]
// (text; absent for most contacts: store them empty or NULL) and map them
// in the block as fields of those names, FieldOrderNumbers as a field of
// several values separated by commas or semicolons where the connector
// needs to be told (the PostgreSQL connector's multi: true). Other fields
// connectors map differently and test in their own tests.
//
// # What the suite checks
//
//   - describe: Describe works before Configure; name, version, protocol
//     version (connectors.ProtocolVersion) and known capabilities.
//   - config: the fixture's block is accepted (with and without
//     ValidateOnly); every Suite.BadConfigs block is rejected in both modes
//     with a problem at its Path; an unknown key is rejected with its path;
//     calls before Configure fail with an error, not a panic.
//   - check: Check succeeds and counts the contacts (or says -1).
//   - lookup (with CapLookup): hits for every stored format of every
//     number, exact matches, the matched phone, misses as empty answers,
//     the ambiguous shared number returning both contacts, Limit honoured.
//     Without CapLookup, LookupByPhone must fail with ClassUnsupported.
//   - matching (with CapLookup): on a fresh backend holding MatchDataset,
//     lookups of numbers that share their last 7 or more digits, or their
//     national digits, with numbers of other countries answer exactly the
//     records phone.Match(query, record, 0) matches, with its kind: a
//     record sharing only the last digits is no match, equal national
//     digits of different written countries are no national match, a
//     national-only record meets a caller of its inferred country as
//     national, a caller of unknown country meets nationally, a stored
//     extension does not stop an exact match, and no answer is a suffix
//     match (LookupRequest cannot ask for one: suffix matching is the
//     host's configured fallback on its own index). With
//     Suite.ExactOnly, national matches may be missed, never mis-kinded.
//   - lookup_by_key (with CapLookupByKey once configured): on a fresh
//     backend holding KeyDataset, served with the connector's own logger
//     recording every line (Suite.NewLogged, required with the
//     capability), LookupByKey finds contacts by FieldAccountNo
//     (AC-1001; a secret's hash), ignoring letter case and spaces around
//     the value on either side; by each of the values of FieldOrderNumbers
//     (separated by commas or semicolons); never by a part of a value
//     (AC-100 finds neither AC-1001 nor AC-10010); by the standard "id"
//     and "email"; RecordID restricts the answer to that record, whatever
//     Limit is (another record: nothing); Limit caps the answer, and
//     without one all three holders of AC-SHARED answer (at least two);
//     a value no record holds is an empty answer, not an error; a field
//     the connector does not have is ClassBadConfig naming the field.
//     Every match is the whole contact as stored, holding the value, of
//     kind MatchKey and without a phone. The values looked for must not
//     show in what the connector logs during the lookups, nor in its
//     errors (the host logs errors; a value may be a PIN's hash). A
//     connector that does not declare lookup_by_key must answer
//     ClassUnsupported, and one that declares it must implement
//     connectors.KeyLookuper. A connector that lists lookup_by_key before
//     Configure but whose standard block does not turn it on is checked
//     with the key dataset's block when that one does (skipped, saying
//     so, when neither does). The deadline, concurrency, reconfigure and
//     errors checks also look the standard dataset's contact 1002 up by
//     its e-mail address.
//   - list (with CapListContacts / CapListCompanies): paging to the end at
//     several page sizes with no duplicate and no gap, records equal to the
//     dataset, pages no larger than asked, a garbage cursor rejected with
//     ClassInvalidRequest. Without the capability: ClassUnsupported.
//   - paging_under_change (with CapListContacts and Suite.Mutate): on a
//     fresh backend holding PagingDataset, pages of 3 while Mutate
//     inserts records (before the first, between listed ones, after the
//     last) and updates records (listed and not yet) between pages: every
//     record present the whole time comes exactly once, inserted ones at
//     most once. Without Mutate it is skipped, saying so.
//   - changed_since (with CapChangedSince): every record has an UpdatedAt;
//     a ChangedSince list returns exactly the records whose UpdatedAt is at
//     or after it; a time after the newest returns nothing.
//   - deadlines: an expired or cancelled context fails with the context's
//     error. With Suite.Stall (a backend that can be made to hang), a call
//     under a short deadline must also RETURN in the connector (not only in
//     the host, which gRPC gives for free) soon after the deadline.
//   - errors (with Suite.Faults): while the backend refuses the
//     credentials, rate limits or is down, Check and every declared read
//     fail with ClassUnauthorized, ClassRateLimited or ClassUnavailable,
//     and work again once it recovers. A fault the harness cannot make
//     is skipped, saying so. (A bad block is the config check's: problems
//     in the ConfigureResponse, never an error.)
//   - leaks: in process, Configure→Check→reads→Configure→Close four
//     times; afterwards no goroutine the cycles started (counted by a
//     pprof label they inherit) may still run, and /proc/self/fd must be
//     back to its count, within 5 s of polling. Close is Close() or
//     Close() error, if the connector has one.
//   - large: a page over gRPC's 4 MB default goes through the wire.
//   - concurrency: lookups and lists from several goroutines at once agree
//     with serial answers (run the suite with -race).
//   - reconfigure: Configure again with the same block keeps serving the
//     same answers, and so does a rejected block (the first BadConfigs
//     entry) sent to the configured connector.
//   - writes (last, on the standard backend, with the capabilities the
//     connector declares once configured): see below.
//
// # The writes
//
// With log_call (the connector must implement connectors.CallLogger, or
// the suite fails it before calling anything):
//
//   - log_call/idempotent: a LogCall of a new key against contact 1001
//     answers an ID and Existing false; the same call again (the host's
//     retry) answers the same ID with Existing true.
//   - log_call/concurrent: 8 LogCalls of one new key at once all answer
//     one ID, exactly one of them with Existing false.
//   - log_call/invalid: neither ContactID nor CompanyID, or no Key, is
//     ClassInvalidRequest.
//   - log_call/deadlines: a canceled or expired context fails with the
//     context's error.
//   - log_call/stalled_backend (with Suite.Stall): a LogCall on the
//     stalled backend under a 300 ms deadline returns inside the connector
//     soon after it (or answers, if the stall does not hold writes); its
//     retry once released answers the log, once.
//
// With create_contact (the connector must implement
// connectors.ContactCreator):
//
//   - create_contact/new_number: CreateContact of a number no record has
//     answers a contact with an ID, the number among its phones, the names
//     asked, Existing false; LookupByPhone (with lookup) and ListContacts
//     (with list_contacts) then find exactly that contact for the number;
//     the same call again answers it with Existing true.
//   - create_contact/existing_number: CreateContact of contact 1001's
//     number answers contact 1001, Existing true, and creates nothing.
//   - create_contact/concurrent: 8 CreateContacts of one new number at
//     once answer one contact, exactly one with Existing false, and one
//     contact holds the number afterwards.
//   - create_contact/invalid, create_contact/deadlines,
//     create_contact/stalled_backend: as for LogCall (no number is
//     ClassInvalidRequest).
//
// Then writes/restart: a new connector configured with the same block (a
// restarted plugin) answers the first log's key and the created number
// with Existing true and the same IDs.
//
// Without a write capability (log_call_undeclared,
// create_contact_undeclared), the write over the wire must fail with
// ClassUnsupported and write nothing: the host never asks such a
// connector, but one that is asked anyway must not write behind its
// declaration. A connector that does not implement the interface gets
// that from the wire; one that implements it but has the write turned
// off by its block answers connectors.Unsupported itself.
//
// Set Suite.CountLogs for a connector with log_call: the answers alone
// cannot show that a retry wrote a second log under the same ID. With it
// every check above also counts the backend's logs of the key: exactly
// one after a write and its retries, none after a refused one.
//
// # What idempotency asks of a connector
//
// The host retries a write until it gets an answer, across its own
// restarts and the plugin's, so every write may arrive more than once:
//
//  1. The key. LogCallRequest.Key names one call and one action ("<call
//     uuid>/<action>"); the same key is the same log, whatever else the
//     request says. Store the key WITH the log, in the CRM (a column with
//     a unique index, a custom property, an external-id field), or in a
//     record written in the same transaction. A cache in the connector's
//     memory is lost when the plugin restarts, and writing the key after
//     the log leaves a window in which a crash loses it.
//  2. How long. A key must be recognised for as long as the CRM keeps the
//     log: the host may retry hours later (an outage, a held call that a
//     person resolves), so never expire keys on a timer.
//  3. Concurrency. Two calls with one key can run at once (a retry sent
//     while the first try, whose answer the host gave up on, is still
//     running). Serialise them: a lock per key in the connector, and the
//     unique constraint or an insert-if-absent in the backend across
//     processes. The loser answers the winner's ID with Existing set.
//  4. Lost answers. Answer only once the write is durable. If the host
//     gives up (its deadline) or the plugin dies after the write, the
//     retry must find the key and answer the first log's ID with
//     Existing, never log again. A write that fails must leave nothing a
//     retry would mistake for success (roll back, or cut the partial
//     record off).
//  5. Contacts. CreateContact is idempotent on the number, not the key:
//     look the number up with the connector's own matching (what
//     LookupByPhone would find), under the same lock, and answer an
//     existing contact with Existing set, whoever created it.
//
// connectors/example does all of this with a JSON-lines file and a mutex
// (connectors/example/write.go).
//
// Every check is a subtest named as above (TestConformance/lookup/442045205757,
// TestConformance/list/contacts, ...). A connector that cannot pass a
// check cannot ship: there is no skip list. docs/writing-a-connector.md
// walks through a connector that passes, connectors/example.
package connectortest
