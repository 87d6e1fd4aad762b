package directory

import (
	"cmp"
	"slices"
)

// postings maps a packed number (packDigits) to the references of the
// records that hold it, as two parallel arrays sorted by key: 16 bytes a
// number, against 30 to 40 for a Go map of the same, and built by one sort
// instead of a million inserts. A key's references are adjacent, in record
// order (then phone order), so a lookup is a binary search and a short
// scan.
type postings struct {
	pairs []posting
}

// posting is one (number, reference) pair.
type posting struct{ key, ref uint64 }

// add appends one (key, ref) pair; finish sorts them.
func (p *postings) add(key, ref uint64) {
	p.pairs = append(p.pairs, posting{key, ref})
}

// finish sorts the pairs by key, then record, then phone, and drops a
// reference that repeats the one before it for the same key (a record
// that holds the same number twice, read the same way).
func (p *postings) finish() {
	if !slices.IsSortedFunc(p.pairs, comparePosting) {
		slices.SortFunc(p.pairs, comparePosting)
	}
	out := 0
	for _, x := range p.pairs {
		if out > 0 && p.pairs[out-1].key == x.key && p.pairs[out-1].ref&refIdentity == x.ref&refIdentity {
			continue
		}
		p.pairs[out] = x
		out++
	}
	p.pairs = slices.Clip(p.pairs[:out])
}

// comparePosting orders pairs by key, then record, then phone index: for
// records added in order, the order they were added in.
func comparePosting(a, b posting) int {
	if c := cmp.Compare(a.key, b.key); c != 0 {
		return c
	}
	if c := cmp.Compare(refRecord(a.ref), refRecord(b.ref)); c != 0 {
		return c
	}
	return cmp.Compare(refPhone(a.ref), refPhone(b.ref))
}

// find returns the pairs under key (shared: do not modify).
func (p *postings) find(key uint64) []posting {
	i, found := slices.BinarySearchFunc(p.pairs, key, func(x posting, k uint64) int { return cmp.Compare(x.key, k) })
	if !found {
		return nil
	}
	j := i + 1
	for j < len(p.pairs) && p.pairs[j].key == key {
		j++
	}
	return p.pairs[i:j]
}

// bytesUsed is what the pairs hold.
func (p *postings) bytesUsed() int { return 16 * cap(p.pairs) }
