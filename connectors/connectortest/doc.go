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
//		})
//	}
//
// # What the fixture must do
//
// The suite owns the data. Suite.Fixture is called with a *Records (the
// standard Dataset, and once more a LargeDataset for the big-page test)
// and must, every time:
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
//     simplest.
//
// Fields are not part of the dataset: connectors map them differently and
// test them in their own tests.
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
//   - list (with CapListContacts / CapListCompanies): paging to the end at
//     several page sizes with no duplicate and no gap, records equal to the
//     dataset, pages no larger than asked, a garbage cursor rejected with
//     ClassInvalidRequest. Without the capability: ClassUnsupported.
//   - changed_since (with CapChangedSince): every record has an UpdatedAt;
//     a ChangedSince list returns exactly the records whose UpdatedAt is at
//     or after it; a time after the newest returns nothing.
//   - deadlines: an expired or cancelled context fails with the context's
//     error. With Suite.Stall (a backend that can be made to hang), a call
//     under a short deadline must also RETURN in the connector (not only in
//     the host, which gRPC gives for free) soon after the deadline.
//   - large: a page over gRPC's 4 MB default goes through the wire.
//   - concurrency: lookups and lists from several goroutines at once agree
//     with serial answers (run the suite with -race).
//   - reconfigure: Configure again with the same block keeps serving the
//     same answers, and so does a rejected block (the first BadConfigs
//     entry) sent to the configured connector.
//
// Every check is a subtest named as above (TestConformance/lookup/442045205757,
// TestConformance/list/contacts, ...). A connector that cannot pass a
// check cannot ship: there is no skip list. docs/writing-a-connector.md
// walks through a connector that passes, connectors/example.
package connectortest
