package directory

import (
	"slices"

	"github.com/switchboard-hq/switchboard/connectors"
)

// The key index: next to its phone index, an Index keeps one index per
// configured key (IndexOptions.Keys) over the same records, built from the
// same listing and laid over by the same overlay of changed records, so a
// record whose key changes is found by its new value within a poll.
//
// A key's index maps each normalised value (normKey; for a hashed key the
// stored hash, in lower case) to the records holding it, as a record id
// for the common one-record case or a list. The records of a source with
// hashed keys are held stripped of those fields (they never leave the
// directory), so a hashed key's index also keeps every record's own
// values, for Directory.VerifyKey.

// keyIndex indexes one key's values over an Index's records.
type keyIndex struct {
	key Key
	// post maps a value to a record id (>= 0) or to a list of them
	// (-1 - the list's index in lists).
	post  map[string]int32
	lists [][]int32
	// vals and offs hold each record's values of a hashed key: record r's
	// are vals[offs[r]:offs[r+1]]. Empty for a key stored as keyed, whose
	// values the records still hold.
	vals []string
	offs []int32
}

// newKeyIndexes returns an empty index for each key.
func newKeyIndexes(keys []Key) map[string]*keyIndex {
	if len(keys) == 0 {
		return nil
	}
	out := make(map[string]*keyIndex, len(keys))
	for _, k := range keys {
		ki := &keyIndex{key: k, post: make(map[string]int32)}
		if k.Hashed() {
			ki.offs = []int32{0}
		}
		out[k.Name] = ki
	}
	return out
}

// insert adds rec to value's posting. Records arrive in order, so a
// repeat can only be the last one.
func (k *keyIndex) insert(value string, rec int32) {
	p, ok := k.post[value]
	switch {
	case !ok:
		k.post[value] = rec
	case p >= 0:
		if p != rec {
			k.lists = append(k.lists, []int32{p, rec})
			k.post[value] = -int32(len(k.lists))
		}
	default:
		l := &k.lists[-p-1]
		if (*l)[len(*l)-1] != rec {
			*l = append(*l, rec)
		}
	}
}

// records returns the record ids holding value (shared: do not modify).
func (k *keyIndex) records(value string) []int32 {
	p, ok := k.post[value]
	switch {
	case !ok:
		return nil
	case p >= 0:
		return []int32{p}
	}
	return k.lists[-p-1]
}

// addKeys indexes the key values of record rec, the next one (records are
// added in id order), as the record (a contact, or else a company) holds
// them before it is stripped.
func (ix *Index) addKeys(rec int, c *connectors.Contact, co *connectors.Company) {
	for _, k := range ix.byKey {
		var vals []string
		if c != nil {
			vals = contactKeyValues(c, k.key.Field)
		} else {
			vals = companyKeyValues(co, k.key.Field)
		}
		for _, v := range vals {
			k.insert(v, int32(rec))
		}
		if k.key.Hashed() {
			k.vals = append(k.vals, vals...)
			k.offs = append(k.offs, int32(len(k.vals)))
		}
	}
}

// keyMatch is the match for record rec found by a key.
func (ix *Index) keyMatch(rec int) connectors.Match {
	return ix.recordMatch(rec, connectors.MatchKey)
}

// LookupKey returns the records whose key named key holds stored (the
// value in its stored form: Key.Stored; compared trimmed and ignoring
// case), contacts before companies, with Kind MatchKey; nil when none
// does or the index has no such key. The records are shared with the
// index and must not be modified.
func (ix *Index) LookupKey(key, stored string) []connectors.Match {
	if ix == nil {
		return nil
	}
	v := normKey(stored)
	if v == "" {
		return nil
	}
	if ix.over == nil {
		return ix.findKey(key, v, nil)
	}
	o := ix.over
	old := o.base.findKey(key, v, o)
	cur := o.ix.findKey(key, v, nil)
	switch {
	case cur == nil:
		return old
	case old == nil:
		return cur
	}
	out := append(old, cur...)
	slices.SortStableFunc(out, func(a, b connectors.Match) int {
		switch {
		case a.Contact != nil && b.Contact == nil:
			return -1
		case a.Contact == nil && b.Contact != nil:
			return 1
		}
		return 0
	})
	return out
}

// findKey returns the records of ix whose key holds v (normalised),
// leaving out those hide has a newer version of.
func (ix *Index) findKey(key, v string, hide *overlay) []connectors.Match {
	k := ix.byKey[key]
	if k == nil {
		return nil
	}
	recs := k.records(v)
	if len(recs) == 0 {
		return nil
	}
	out := make([]connectors.Match, 0, len(recs))
	for _, rec := range recs {
		if hide != nil && hide.hidesRecord(ix, int(rec)) {
			continue
		}
		out = append(out, ix.keyMatch(int(rec)))
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// keyValues returns the normalised values that the record of ix with id
// rec holds under key: kept by the key's index for a hashed key, read
// from the record otherwise.
func (ix *Index) keyValues(key string, rec int) []string {
	k := ix.byKey[key]
	if k == nil {
		return nil
	}
	if k.key.Hashed() {
		return k.vals[k.offs[rec]:k.offs[rec+1]]
	}
	if m := ix.recordMatch(rec, connectors.MatchKey); m.Contact != nil {
		return contactKeyValues(m.Contact, k.key.Field)
	} else {
		return companyKeyValues(m.Company, k.key.Field)
	}
}

// matchKey names a match's record.
func matchKey(m *connectors.Match) (recKey, bool) {
	switch {
	case m == nil:
		return recKey{}, false
	case m.Contact != nil:
		return recKey{id: m.Contact.ID}, true
	case m.Company != nil:
		return recKey{company: true, id: m.Company.ID}, true
	}
	return recKey{}, false
}

// locate finds a record by key in the index it is served from: the
// overlay's own index when it holds a changed version, else the base.
func (ix *Index) locate(k recKey) (in *Index, rec int, ok bool) {
	if ix == nil {
		return nil, 0, false
	}
	if ix.over != nil {
		if _, changed := ix.over.recs[k]; changed {
			rec, ok := ix.over.ix.recIndex(k)
			return ix.over.ix, rec, ok
		}
		ix = ix.over.base
	}
	rec, ok = ix.recIndex(k)
	return ix, rec, ok
}

// recordKeyValues returns the normalised values the record named k holds
// under key; ok is false when ix holds no such record.
func (ix *Index) recordKeyValues(k recKey, key string) (vals []string, ok bool) {
	in, rec, ok := ix.locate(k)
	if !ok {
		return nil, false
	}
	return in.keyValues(key, rec), true
}

// hidesRecord reports whether rec, a record of base, is one the overlay
// has a newer version of.
func (o *overlay) hidesRecord(base *Index, rec int) bool {
	_, ok := o.recs[recKey{company: rec >= base.nContacts, id: base.recordID(rec)}]
	return ok
}
