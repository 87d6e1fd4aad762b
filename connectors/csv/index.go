package csv

import (
	"maps"
	"slices"
	"strings"

	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// numIndex maps a number key (E.164, or national digits) to the contacts
// holding it, in ID order.
//
// A reload does not copy the map: base is shared with the snapshot it
// came from and never modified, and over holds the keys whose lists
// differ from base (an empty list: none). A reload whose changes would
// grow over past a share of base builds a new base.
type numIndex struct {
	base map[string][]*contactEntry
	over map[string][]*contactEntry
}

// get is the contacts holding key.
func (x *numIndex) get(key string) []*contactEntry {
	if l, ok := x.over[key]; ok {
		return l
	}
	return x.base[key]
}

// add records that e holds key, during a full build (in ID order).
func (x *numIndex) add(key string, e *contactEntry) {
	if key == "" {
		return
	}
	l := x.base[key]
	if n := len(l); n > 0 && l[n-1] == e {
		return // the same number in two columns
	}
	x.base[key] = append(l, e)
}

// all is every key with a non-empty list, as contact IDs (tests compare
// indexes by it).
func (x *numIndex) all() map[string][]string {
	out := make(map[string][]string, len(x.base))
	put := func(k string, l []*contactEntry) {
		if len(l) == 0 {
			delete(out, k)
			return
		}
		ids := make([]string, len(l))
		for i, e := range l {
			ids[i] = e.contact.ID
		}
		out[k] = ids
	}
	for k, l := range x.base {
		put(k, l)
	}
	for k, l := range x.over {
		put(k, l)
	}
	return out
}

// maxOverShare is the share of base's keys over may grow to before a
// reload builds a new base.
const maxOverShare = 16

// patched is x without the removed contacts and with the added ones, or
// false when over would grow too large (the caller builds a new index).
// x is not modified.
func (x *numIndex) patched(removed, added []*contactEntry, key func(phone.Number) string) (numIndex, bool) {
	touched := 0
	for _, l := range [][]*contactEntry{removed, added} {
		for _, e := range l {
			touched += len(e.numbers)
		}
	}
	if len(x.over)+touched > len(x.base)/maxOverShare+1024 {
		return numIndex{}, false
	}
	out := numIndex{base: x.base, over: maps.Clone(x.over)}
	if out.over == nil {
		out.over = map[string][]*contactEntry{}
	}
	for _, e := range removed {
		for _, n := range e.numbers {
			if k := key(n); k != "" {
				l := out.get(k)
				if i := slices.Index(l, e); i >= 0 {
					out.over[k] = slices.Delete(slices.Clone(l), i, i+1)
				}
			}
		}
	}
	for _, e := range added {
		for _, n := range e.numbers {
			if k := key(n); k != "" {
				l := out.get(k)
				if slices.Contains(l, e) {
					continue
				}
				i, _ := slices.BinarySearchFunc(l, e.contact.ID, func(c *contactEntry, id string) int { return strings.Compare(c.contact.ID, id) })
				out.over[k] = slices.Insert(slices.Clone(l), i, e)
			}
		}
	}
	return out, true
}

// newIndexes builds the number indexes of entries (in ID order).
func newIndexes(entries []*contactEntry) (numIndex, numIndex) {
	e := numIndex{base: make(map[string][]*contactEntry, 2*len(entries))}
	n := numIndex{base: make(map[string][]*contactEntry, 2*len(entries))}
	for _, c := range entries {
		for _, num := range c.numbers {
			e.add(num.E164, c)
			n.add(num.National, c)
		}
	}
	return e, n
}

func e164Key(n phone.Number) string     { return n.E164 }
func nationalKey(n phone.Number) string { return n.National }
