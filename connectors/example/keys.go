package example

import (
	"context"
	"maps"
	"slices"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/sdk"
)

// Lookups by key (connectors.KeyLookuper, capability lookup_by_key): the
// records whose field holds a value, an account number keyed in an IVR.
// The fields are the file's own: any key of a record's "fields" object,
// and the standard id, email and external_id. The file is in memory and
// small, so every record is a candidate and sdk.KeyMatches decides (the
// rule of the contract: trimmed, ignoring case, each of a list's values
// or of a text's values separated by commas or semicolons). A connector
// over millions of records asks its backend for the few candidates
// instead: an indexed column, a search API.

var _ connectors.KeyLookuper = (*Connector)(nil)

// LookupByKey implements connectors.KeyLookuper. The value looked for may
// be a secret's hash: it is never logged, nor put in an error.
func (c *Connector) LookupByKey(_ context.Context, req *connectors.KeyLookupRequest) (*connectors.KeyLookupResponse, error) {
	_, d, err := c.loaded("LookupByKey")
	if err != nil {
		return nil, err
	}
	if !sdk.StandardKeyField(req.Field) && !d.keyFields[req.Field] {
		return nil, sdk.UnknownKeyField(req.Field, slices.Collect(maps.Keys(d.keyFields)))
	}
	return &connectors.KeyLookupResponse{Matches: sdk.KeyMatches(req, d.contacts, d.companies)}, nil
}

// fieldNames is every key of the records' fields.
func fieldNames(contacts []connectors.Contact, companies []connectors.Company) map[string]bool {
	names := map[string]bool{}
	for i := range contacts {
		for k := range contacts[i].Fields {
			names[k] = true
		}
	}
	for i := range companies {
		for k := range companies[i].Fields {
			names[k] = true
		}
	}
	return names
}
