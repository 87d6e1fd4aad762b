package csv

import (
	"context"
	"slices"
	"sync"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/sdk"
)

// Lookups by key (connectors.KeyLookuper, capability lookup_by_key): the
// records whose field holds a value. The fields are the block's fields:
// (each a column), and the standard id, email (the emails columns) and
// external_id (a field of that name when one is mapped, else the id).
//
// A snapshot answers from a map per field, from each value the field holds
// (sdk.KeyValues: trimmed, case folded, a cell's values separated by
// commas or semicolons each on its own) to the contacts holding it. A map
// is built on the field's first lookup; a reload builds a new snapshot,
// and with it, before it is served, the maps of the fields the previous
// snapshot had built, so that no ring after a reload pays for the build. A
// lookup with RecordID reads that record alone and builds nothing.

var _ connectors.KeyLookuper = (*Connector)(nil)

// keyMaps are a snapshot's maps by field, each built once.
type keyMaps struct {
	mu      sync.Mutex
	byField map[string]*keyMap
}

// keyMap is one field's map: folded value → the contacts (in ID order)
// and companies holding it.
type keyMap struct {
	once      sync.Once
	contacts  map[string][]*contactEntry
	companies map[string][]int // indexes into snapshot.companies
}

// keyMap returns the field's map, building it on first use.
func (s *snapshot) keyMap(field string) *keyMap {
	s.keys.mu.Lock()
	m := s.keys.byField[field]
	if m == nil {
		if s.keys.byField == nil {
			s.keys.byField = map[string]*keyMap{}
		}
		m = &keyMap{}
		s.keys.byField[field] = m
	}
	s.keys.mu.Unlock()
	m.once.Do(func() { m.build(s, field) })
	return m
}

func (m *keyMap) build(s *snapshot, field string) {
	m.contacts = map[string][]*contactEntry{}
	for _, e := range s.contacts {
		v, ok := sdk.ContactKey(&e.contact, field)
		if !ok {
			continue
		}
		for _, k := range sdk.KeyValues(v) {
			m.contacts[k] = append(m.contacts[k], e)
		}
	}
	m.companies = map[string][]int{}
	for i := range s.companies {
		v, ok := sdk.CompanyKey(&s.companies[i], field)
		if !ok {
			continue
		}
		for _, k := range sdk.KeyValues(v) {
			m.companies[k] = append(m.companies[k], i)
		}
	}
}

// warmKeys builds the maps prev had built for the fields snap still has,
// before snap is served.
func (snap *snapshot) warmKeys(prev *snapshot) {
	if prev == nil {
		return
	}
	prev.keys.mu.Lock()
	var fields []string
	for f := range prev.keys.byField {
		fields = append(fields, f)
	}
	prev.keys.mu.Unlock()
	for _, f := range fields {
		if snap.set.hasKeyField(f) {
			snap.keyMap(f)
		}
	}
}

// hasKeyField reports whether a lookup by field is answered (not
// unknown).
func (s *settings) hasKeyField(field string) bool {
	return sdk.StandardKeyField(field) || slices.ContainsFunc(s.fields, func(f fieldSpec) bool { return f.name == field })
}

// LookupByKey implements connectors.KeyLookuper. The value looked for may
// be a secret's hash: it is never logged, nor put in an error.
func (c *Connector) LookupByKey(ctx context.Context, req *connectors.KeyLookupRequest) (*connectors.KeyLookupResponse, error) {
	snap, err := c.lookupSnap(ctx, "LookupByKey")
	if err != nil {
		return nil, err
	}
	if !snap.set.hasKeyField(req.Field) {
		names := make([]string, len(snap.set.fields))
		for i, f := range snap.set.fields {
			names[i] = f.name
		}
		return nil, sdk.UnknownKeyField(req.Field, names)
	}
	var (
		contacts  []connectors.Contact
		companies []connectors.Company
	)
	if req.RecordID != "" {
		// A verification: that record alone.
		if e := snap.contact(req.RecordID); e != nil {
			contacts = append(contacts, cloneContact(&e.contact))
		}
		if i, ok := snap.companyIndex(req.RecordID); ok {
			companies = append(companies, snap.companies[i])
		}
	} else if want := sdk.KeyFold(req.Value); want != "" {
		// The map holds exactly the holders: the first limit are the
		// answer (KeyMatches only checks them again).
		limit := req.Limit
		if limit <= 0 {
			limit = sdk.DefaultKeyLookupLimit
		}
		m := snap.keyMap(req.Field)
		for _, e := range m.contacts[want][:min(limit, len(m.contacts[want]))] {
			contacts = append(contacts, cloneContact(&e.contact))
		}
		for _, i := range m.companies[want][:min(limit-len(contacts), len(m.companies[want]))] {
			companies = append(companies, snap.companies[i])
		}
	}
	return &connectors.KeyLookupResponse{Matches: sdk.KeyMatches(req, contacts, companies)}, nil
}
