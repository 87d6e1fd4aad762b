package directory

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// An overlay carries the records a connector reported changed since the
// base index was built (see poll.go), so that they reach lookups within
// seconds instead of at the next full rebuild:
//
//   - the base Index stays immutable; the overlay is a small Index of its
//     own over the changed records only, plus their keys;
//   - a lookup asks both, kind by kind (exact, then national, then
//     suffix), and leaves out of the base's answer every record the
//     overlay has a newer version of: a changed record's old numbers stop
//     matching, its new ones match, and a number it now shares with a base
//     record is ambiguous;
//   - applying changes builds a new overlay from the old one's records plus
//     the new ones (copy on write) and swaps a new view (base + overlay)
//     in atomically: lookups never wait;
//   - the next full build lists every record again and replaces base and
//     overlay (keeping the changes applied while it ran).
//
// Deletions are not seen: changed-since reports records that exist. A
// deleted record keeps answering until the next full rebuild.
type overlay struct {
	base *Index
	ix   *Index // the changed records' own index
	recs map[recKey]change
	// added counts the changed records the base does not hold. Of the
	// base records they replace: replacedPhones counts the numbers
	// indexed, replacedSkipped those skipped, and replacedSkippedRecords
	// the records with a number skipped.
	added                  int
	replacedPhones         int
	replacedSkipped        int
	replacedSkippedRecords int
}

// recKey names a record: contacts and companies have their own IDs.
type recKey struct {
	company bool
	id      string
}

// change is one changed record as a poll found it.
type change struct {
	contact *connectors.Contact
	company *connectors.Company
	seen    time.Time // when it was applied
}

func (c *change) updatedAt() time.Time {
	if c.contact != nil {
		return c.contact.UpdatedAt
	}
	return c.company.UpdatedAt
}

func (c *change) key() recKey {
	if c.contact != nil {
		return recKey{id: c.contact.ID}
	}
	return recKey{company: true, id: c.company.ID}
}

// hides reports whether r, a reference of base, is a record the overlay
// has a newer version of.
func (o *overlay) hides(base *Index, r uint64) bool {
	return o.hidesRecord(base, refRecord(r))
}

// lookup is Index.Lookup over base and overlay.
func (o *overlay) lookup(n phone.Number, suffixDigits int) []connectors.Match {
	for kind := kindExact; kind <= kindSuffix; kind++ {
		old := o.base.find(kind, n, suffixDigits, o)
		cur := o.ix.find(kind, n, suffixDigits, nil)
		switch {
		case cur == nil && old == nil:
			continue
		case cur == nil:
			return old
		case old == nil:
			return cur
		}
		return append(old, cur...)
	}
	return nil
}

// sortIDs fills byID once the records are all in.
func (ix *Index) sortIDs() {
	nc := ix.nContacts
	ix.byID = make([]int32, ix.recs.len())
	for i := range ix.byID {
		ix.byID[i] = int32(i)
	}
	byID := func(a, b int32) int { return cmp.Compare(ix.recordID(int(a)), ix.recordID(int(b))) }
	// Connectors usually list in ID order: then there is nothing to sort.
	for _, part := range [][]int32{ix.byID[:nc], ix.byID[nc:]} {
		if !slices.IsSortedFunc(part, byID) {
			slices.SortStableFunc(part, byID)
		}
	}
}

// record returns a base record's UpdatedAt and phones by key (the
// first, if the connector listed it twice).
func (ix *Index) record(k recKey) (updated time.Time, phones []connectors.Phone, ok bool) {
	rec, found := ix.recIndex(k)
	if !found {
		return time.Time{}, nil, false
	}
	_, phones, updated = ix.recordHead(rec)
	return updated, phones, true
}

// recIndex returns the record id of an index's own record (not its
// overlay's) by key: the first, if the connector listed it twice.
func (ix *Index) recIndex(k recKey) (int, bool) {
	part := ix.byID[:ix.nContacts]
	if k.company {
		part = ix.byID[ix.nContacts:]
	}
	i, found := slices.BinarySearchFunc(part, k.id, func(rec int32, id string) int {
		return strings.Compare(ix.recordID(int(rec)), id)
	})
	if !found {
		return 0, false
	}
	return int(part[i]), true
}

// base is the immutable index under a view (the index itself when it has
// no changed records).
func (ix *Index) base() *Index {
	if ix.over != nil {
		return ix.over.base
	}
	return ix
}

// known reports whether c is already what ix answers with: the same
// record with the same, known, UpdatedAt, in the overlay or (when the
// overlay has no version of it) in the base. A connector reports the same
// change on every poll of its overlap window; this keeps those repeats
// from being applied again.
func (ix *Index) known(c *change) bool {
	t := c.updatedAt()
	if t.IsZero() {
		return false
	}
	k := c.key()
	if ix.over != nil {
		if old, ok := ix.over.recs[k]; ok {
			return old.updatedAt().Equal(t)
		}
	}
	updated, _, ok := ix.base().record(k)
	return ok && updated.Equal(t)
}

// withChanges returns the view of ix's base with ix's changed records and
// changes laid over it (changes win), or ix's base alone when there are
// none. keep, when set, chooses which of ix's changed records stay.
func (ix *Index) withChanges(base *Index, parser *phone.Parser, changes []change, keep func(*change) bool) *Index {
	recs := make(map[recKey]change)
	if ix != nil && ix.over != nil {
		for k, c := range ix.over.recs {
			if keep == nil || keep(&c) {
				recs[k] = c
			}
		}
	}
	for _, c := range changes {
		recs[c.key()] = c
	}
	if len(recs) == 0 {
		return base
	}

	o := &overlay{base: base, recs: recs, ix: newIndex(base.nationalRule, base.suffixDigits, base.keySpecs)}
	// Contacts first (the record ids Index.match expects), in ID order so
	// that an ambiguous answer lists them the same way every time.
	keys := make([]recKey, 0, len(recs))
	for k := range recs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b recKey) int {
		if a.company != b.company {
			if a.company {
				return 1
			}
			return -1
		}
		return strings.Compare(a.id, b.id)
	})
	b := builder{ix: o.ix, parser: parser}
	for _, k := range keys {
		c := recs[k]
		if _, phones, ok := base.record(k); ok {
			// The base indexed these numbers with the same parser.
			skipped := unread(parser, phones)
			o.replacedPhones += len(phones) - skipped
			o.replacedSkipped += skipped
			if skipped > 0 {
				o.replacedSkippedRecords++
			}
		} else {
			o.added++
		}
		// The change keeps the record as listed (key values included),
		// for the next overlay built from this one.
		if c.contact != nil {
			b.addContact(c.contact)
		} else {
			b.addCompany(c.company)
		}
	}
	o.ix.finish()

	view := *base
	view.over = o
	return &view
}
