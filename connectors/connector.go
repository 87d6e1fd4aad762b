package connectors

import (
	"context"
	"time"
)

// Connector is the contract every CRM adapter satisfies, whether it runs in
// the host's process (tests, benchmarks) or out of process behind the plugin
// wire. Every method takes a context (deadlines and cancellation must be
// honoured) and request/response structs, so that fields can be added
// without breaking anyone.
//
// Errors should be *Error values (see errors.go) so that the host can tell
// bad configuration from a remote failure from a bug in the adapter.
type Connector interface {
	// Describe says what the connector is. It must work before Configure.
	Describe(ctx context.Context, req *DescribeRequest) (*DescribeResponse, error)
	// Configure reads the connector's own YAML block. Problems with the
	// block are returned in the response (all of them, not only the first);
	// an error return is for failures that are not the config's fault.
	// Configure may be called again to replace the configuration.
	Configure(ctx context.Context, req *ConfigureRequest) (*ConfigureResponse, error)
	// Check tests the connection to the CRM (reachability, credentials,
	// schema) and says what is wrong in terms an operator can act on.
	Check(ctx context.Context, req *CheckRequest) (*CheckResponse, error)
	// LookupByPhone returns every record that has the number. Several
	// matches are normal (a company switchboard); the host decides what an
	// ambiguous answer means. No match is an empty response, not an error.
	LookupByPhone(ctx context.Context, req *LookupRequest) (*LookupResponse, error)
	// ListCompanies pages every company, in a stable order, by an opaque
	// cursor. An empty NextCursor marks the last page.
	ListCompanies(ctx context.Context, req *ListRequest) (*ListCompaniesResponse, error)
	// ListContacts pages every contact, like ListCompanies.
	ListContacts(ctx context.Context, req *ListRequest) (*ListContactsResponse, error)
}

// DescribeRequest asks a connector to describe itself.
type DescribeRequest struct{}

// DescribeResponse is what a connector says about itself.
type DescribeResponse struct {
	// Name is the connector's short name ("csv"), as used in YAML.
	Name string `json:"name"`
	// Version is the connector's own release version.
	Version string `json:"version"`
	// ProtocolVersion is the contract version it implements.
	ProtocolVersion int `json:"protocol_version"`
	// Capabilities lists the optional abilities it has.
	Capabilities []Capability `json:"capabilities"`
	// Description is one line for `switchboard plugins`.
	Description string `json:"description,omitempty"`
}

// Has reports whether the description lists the capability.
func (d *DescribeResponse) Has(c Capability) bool {
	for _, have := range d.Capabilities {
		if have == c {
			return true
		}
	}
	return false
}

// ConfigureRequest carries the connector's YAML block.
type ConfigureRequest struct {
	// Config is the connector's `config:` block as a YAML document, with
	// ${VAR} references already resolved by the host.
	Config []byte
	// DefaultRegion is the host's default phone region (ISO 3166 alpha-2,
	// "GB"), for numbers stored without a country code.
	DefaultRegion string
	// BaseDir is the directory relative paths in Config are resolved
	// against (the directory of the host's config file).
	BaseDir string
	// ValidateOnly asks the connector to check the block without opening
	// files or connections (used by `switchboard validate`).
	ValidateOnly bool
	// ListedOnly says the host keeps its own index of this connector's
	// records (mode: index): it lists them to build and refresh that index
	// and asks the connector for lookups only off the ring path (the
	// `lookup -live` and `connector test` commands). A connector may then
	// hold less in memory, for instance not keep rows it can list again
	// from their source, as long as every call still answers correctly
	// (a lookup may be slower). False when the host does not say: keep
	// everything a lookup needs.
	ListedOnly bool
}

// ConfigureResponse lists every problem found in the block; none means the
// configuration was accepted.
type ConfigureResponse struct {
	Problems Problems
}

// CheckRequest asks a connector to test its connection.
type CheckRequest struct{}

// CheckResponse reports the connection's state.
type CheckResponse struct {
	// Records is how many records the connector can see, or -1 if unknown.
	Records int64
	// Detail is a one-line human summary ("loaded 1,204 contacts from ...").
	Detail string
}

// LookupRequest asks for the records that have a number. The host has
// already normalised the number.
type LookupRequest struct {
	// E164 is the number in E.164 form ("+442045205757"); empty when the
	// host could not place it in a country.
	E164 string
	// National is the national significant number ("2045205757").
	National string
	// Raw is the number as the phone system sent it.
	Raw string
	// Limit caps the matches returned (0: the connector's default, at
	// least 2 so that ambiguity shows).
	Limit int
}

// LookupResponse lists the matching records, strongest match first.
type LookupResponse struct {
	Matches []Match
}

// ListRequest asks for one page of records.
type ListRequest struct {
	// Cursor is the NextCursor of the previous page; empty for the first.
	Cursor string
	// PageSize is a hint; connectors may return fewer (0: their default).
	PageSize int
	// ChangedSince, when not zero, asks only for records changed at or after
	// it (honoured only by connectors with CapChangedSince).
	ChangedSince time.Time
}

// ListCompaniesResponse is one page of companies.
type ListCompaniesResponse struct {
	Companies  []Company
	NextCursor string
}

// ListContactsResponse is one page of contacts.
type ListContactsResponse struct {
	Contacts   []Contact
	NextCursor string
}
