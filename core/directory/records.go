package directory

import (
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/packed"
)

// An Index holds its records packed, not as the connector's structs: a
// million contacts as Go structs (a Contact, its Phones slice, a string
// header per field, a map per record with custom fields) cost about a
// kilobyte each before the garbage collector's headroom, and every one of
// them is a pointer the collector scans. Packed, a record is its strings'
// bytes with a length before each, in a few megabyte-sized chunks that
// hold no pointers: the collector never looks inside, and the index costs
// little more than the data itself.
//
// A lookup decodes the few records it returns (a fresh Contact or Company
// each time, whose strings point into the chunk: chunks are written once,
// never moved or changed, and live as long as any such string does). The
// encoding is package connectors/packed's, which the plugin wire lists
// pages in too.
type recordStore struct {
	chunks [][]byte
	// at holds where each record starts: the chunk in the high 32 bits,
	// the offset in it in the low ones.
	at []uint64
}

// chunkSize is the size of a chunk of packed records; a record larger than
// it gets a chunk of its own.
const chunkSize = 1 << 20

// len is the number of records held.
func (s *recordStore) len() int { return len(s.at) }

// add appends one encoded record (buf) and returns nothing: its number
// is the count before the call.
func (s *recordStore) add(buf []byte) {
	n := len(s.chunks)
	if n == 0 || cap(s.chunks[n-1])-len(s.chunks[n-1]) < len(buf) {
		s.chunks = append(s.chunks, make([]byte, 0, max(chunkSize, len(buf))))
		n++
	}
	c := &s.chunks[n-1]
	s.at = append(s.at, uint64(n-1)<<32|uint64(len(*c)))
	*c = append(*c, buf...)
}

// bytes returns record rec's encoding and what follows it in its chunk.
func (s *recordStore) bytes(rec int) []byte {
	a := s.at[rec]
	c := s.chunks[a>>32]
	return c[a&(1<<32-1):]
}

// bytesUsed is what the store holds, in bytes (its chunks' capacity and
// the offsets).
func (s *recordStore) bytesUsed() int {
	n := 8 * cap(s.at)
	for _, c := range s.chunks {
		n += cap(c)
	}
	return n
}

// The records a store holds were encoded by this package (builder), so
// decoding them cannot fail.

// recordMatch decodes record rec into a match of kind, without a phone.
func (ix *Index) recordMatch(rec int, kind connectors.MatchKind) connectors.Match {
	d := packed.Decoder{B: ix.recs.bytes(rec)}
	if rec < ix.nContacts {
		return connectors.Match{Contact: d.Contact(), Kind: kind}
	}
	return connectors.Match{Company: d.Company(), Kind: kind}
}

// recordID is record rec's ID.
func (ix *Index) recordID(rec int) string {
	d := packed.Decoder{B: ix.recs.bytes(rec)}
	return d.ID()
}

// recordHead is record rec's ID, phones and UpdatedAt.
func (ix *Index) recordHead(rec int) (id string, phones []connectors.Phone, updated time.Time) {
	d := packed.Decoder{B: ix.recs.bytes(rec)}
	if rec < ix.nContacts {
		return d.ContactHead()
	}
	return d.CompanyHead()
}
