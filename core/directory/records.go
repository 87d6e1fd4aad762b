package directory

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"
	"unsafe"

	"github.com/switchboard-hq/switchboard/connectors"
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
// never moved or changed, and live as long as any such string does).
//
// Layout of one record (all lengths and counts as unsigned varints):
//
//	contact: id first last company_id company_name owner_id job_title
//	         phones emails updated fields
//	company: id name website owner_id phones emails updated fields
//	phones:  count, then raw label e164 extension for each
//	emails:  count, then each
//	updated: 0 for the zero time, else 1 + seconds (zigzag) and nanoseconds
//	fields:  count, then key and value for each, keys in order
//	value:   a tag byte (valNull ...) and its payload
type recordStore struct {
	chunks [][]byte
	// at holds where each record starts: the chunk in the high 32 bits,
	// the offset in it in the low ones.
	at []uint64
}

// chunkSize is the size of a chunk of packed records; a record larger than
// it gets a chunk of its own.
const chunkSize = 1 << 20

// Value tags.
const (
	valNull byte = iota
	valString
	valFloat
	valTrue
	valFalse
	valInt
	valList
	valMap
	valJSON // any other type, as JSON (decoded as encoding/json would)
)

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

// encoder appends a record's encoding to buf.
type encoder struct {
	buf []byte
	// keys is scratch space for sorting a map's keys.
	keys []string
}

func (e *encoder) uint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }

func (e *encoder) str(s string) {
	e.uint(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

func (e *encoder) phones(ps []connectors.Phone) {
	e.uint(uint64(len(ps)))
	for i := range ps {
		e.str(ps[i].Raw)
		e.str(ps[i].Label)
		e.str(ps[i].E164)
		e.str(ps[i].Extension)
	}
}

func (e *encoder) strs(ss []string) {
	e.uint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.uint(0)
		return
	}
	e.uint(1)
	e.buf = binary.AppendVarint(e.buf, t.Unix())
	e.uint(uint64(t.Nanosecond()))
}

func (e *encoder) fields(f map[string]any) {
	e.uint(uint64(len(f)))
	if len(f) == 0 {
		return
	}
	start := len(e.keys)
	for k := range f {
		e.keys = append(e.keys, k)
	}
	keys := e.keys[start:]
	slices.Sort(keys)
	for _, k := range keys {
		e.str(k)
		e.value(f[k])
	}
	e.keys = e.keys[:start]
}

func (e *encoder) value(v any) {
	switch v := v.(type) {
	case nil:
		e.buf = append(e.buf, valNull)
	case string:
		e.buf = append(e.buf, valString)
		e.str(v)
	case float64:
		e.buf = append(e.buf, valFloat)
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(v))
	case bool:
		if v {
			e.buf = append(e.buf, valTrue)
		} else {
			e.buf = append(e.buf, valFalse)
		}
	case int:
		e.buf = append(e.buf, valInt)
		e.buf = binary.AppendVarint(e.buf, int64(v))
	case int64:
		e.buf = append(e.buf, valInt)
		e.buf = binary.AppendVarint(e.buf, v)
	case []any:
		e.buf = append(e.buf, valList)
		e.uint(uint64(len(v)))
		for _, x := range v {
			e.value(x)
		}
	case map[string]any:
		e.buf = append(e.buf, valMap)
		e.fields(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			e.buf = append(e.buf, valNull)
			return
		}
		e.buf = append(e.buf, valJSON)
		e.str(string(b))
	}
}

// contact encodes c.
func (e *encoder) contact(c *connectors.Contact) {
	e.str(c.ID)
	e.str(c.FirstName)
	e.str(c.LastName)
	e.str(c.CompanyID)
	e.str(c.CompanyName)
	e.str(c.OwnerID)
	e.str(c.JobTitle)
	e.phones(c.Phones)
	e.strs(c.Emails)
	e.time(c.UpdatedAt)
	e.fields(c.Fields)
}

// company encodes c.
func (e *encoder) company(c *connectors.Company) {
	e.str(c.ID)
	e.str(c.Name)
	e.str(c.Website)
	e.str(c.OwnerID)
	e.phones(c.Phones)
	e.strs(c.Emails)
	e.time(c.UpdatedAt)
	e.fields(c.Fields)
}

// decoder reads a record the encoder wrote into a chunk. The strings it
// returns share the chunk's memory (which is never written again); it
// panics on bytes the encoder did not write, which cannot happen to a
// chunk this package filled.
type decoder struct {
	b []byte
	i int
}

func (d *decoder) uint() uint64 {
	v, n := binary.Uvarint(d.b[d.i:])
	if n <= 0 {
		panic(fmt.Sprintf("directory: corrupt packed record at %d", d.i))
	}
	d.i += n
	return v
}

func (d *decoder) int() int64 {
	v, n := binary.Varint(d.b[d.i:])
	if n <= 0 {
		panic(fmt.Sprintf("directory: corrupt packed record at %d", d.i))
	}
	d.i += n
	return v
}

func (d *decoder) str() string {
	n := int(d.uint())
	if n == 0 {
		return ""
	}
	s := unsafe.String(&d.b[d.i], n)
	d.i += n
	return s
}

// skipStr steps over a string.
func (d *decoder) skipStr() { d.i += int(d.uint()) }

func (d *decoder) phones() []connectors.Phone {
	n := int(d.uint())
	if n == 0 {
		return nil
	}
	ps := make([]connectors.Phone, n)
	for i := range ps {
		ps[i] = connectors.Phone{Raw: d.str(), Label: d.str(), E164: d.str(), Extension: d.str()}
	}
	return ps
}

func (d *decoder) strs() []string {
	n := int(d.uint())
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = d.str()
	}
	return ss
}

func (d *decoder) time() time.Time {
	if d.uint() == 0 {
		return time.Time{}
	}
	sec := d.int()
	return time.Unix(sec, int64(d.uint())).UTC()
}

func (d *decoder) fields() map[string]any {
	n := int(d.uint())
	if n == 0 {
		return nil
	}
	f := make(map[string]any, n)
	for range n {
		k := d.str()
		f[k] = d.value()
	}
	return f
}

func (d *decoder) value() any {
	tag := d.b[d.i]
	d.i++
	switch tag {
	case valNull:
		return nil
	case valString:
		return d.str()
	case valFloat:
		v := math.Float64frombits(binary.LittleEndian.Uint64(d.b[d.i:]))
		d.i += 8
		return v
	case valTrue:
		return true
	case valFalse:
		return false
	case valInt:
		return int(d.int())
	case valList:
		n := int(d.uint())
		l := make([]any, n)
		for i := range l {
			l[i] = d.value()
		}
		return l
	case valMap:
		f := d.fields()
		if f == nil {
			f = map[string]any{}
		}
		return f
	case valJSON:
		var v any
		if err := json.Unmarshal([]byte(d.str()), &v); err != nil {
			return nil
		}
		return v
	}
	panic(fmt.Sprintf("directory: corrupt packed record: value tag %d", tag))
}

// contactOnePhone is a contact allocated with room for one phone: most
// have one, and a lookup then allocates once for both.
type contactOnePhone struct {
	c connectors.Contact
	p [1]connectors.Phone
}

// contact decodes a contact.
func (d *decoder) contact() *connectors.Contact {
	id, first, last, companyID, companyName, owner, title := d.str(), d.str(), d.str(), d.str(), d.str(), d.str(), d.str()
	var c *connectors.Contact
	if d.b[d.i] == 1 { // one phone (a count below 128 is one byte)
		d.i++
		both := &contactOnePhone{}
		both.p[0] = connectors.Phone{Raw: d.str(), Label: d.str(), E164: d.str(), Extension: d.str()}
		c = &both.c
		c.Phones = both.p[:]
	} else {
		c = &connectors.Contact{}
		c.Phones = d.phones()
	}
	c.ID, c.FirstName, c.LastName, c.CompanyID, c.CompanyName, c.OwnerID, c.JobTitle = id, first, last, companyID, companyName, owner, title
	c.Emails = d.strs()
	c.UpdatedAt = d.time()
	c.Fields = d.fields()
	return c
}

// company decodes a company.
func (d *decoder) company() *connectors.Company {
	c := &connectors.Company{ID: d.str(), Name: d.str(), Website: d.str(), OwnerID: d.str()}
	c.Phones = d.phones()
	c.Emails = d.strs()
	c.UpdatedAt = d.time()
	c.Fields = d.fields()
	return c
}

// contactHead reads a contact's ID, then steps to its phones and reads
// them, then its UpdatedAt: what the index needs without the rest.
func (d *decoder) contactHead() (id string, phones []connectors.Phone, updated time.Time) {
	id = d.str()
	for range 6 {
		d.skipStr()
	}
	phones = d.phones()
	for n := d.uint(); n > 0; n-- {
		d.skipStr()
	}
	return id, phones, d.time()
}

// companyHead is contactHead for a company.
func (d *decoder) companyHead() (id string, phones []connectors.Phone, updated time.Time) {
	id = d.str()
	for range 3 {
		d.skipStr()
	}
	phones = d.phones()
	for n := d.uint(); n > 0; n-- {
		d.skipStr()
	}
	return id, phones, d.time()
}
