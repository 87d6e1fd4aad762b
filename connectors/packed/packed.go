// Package packed is a compact binary form of contacts and companies: each
// record its strings' bytes with their lengths, back to back, with no
// pointers. The host's index holds its records so (core/directory), and
// the plugin wire lists them so (a page is one byte string instead of a
// message per record), which spares both processes an allocation per
// string and the collector a pointer per field.
//
// Layout of one record (lengths and counts as unsigned varints):
//
//	contact: id first last company_id company_name owner_id job_title
//	         phones emails updated fields
//	company: id name website owner_id phones emails updated fields
//	phones:  count, then raw label e164 extension for each
//	emails:  count, then each
//	updated: 0 for the zero time, else 1, seconds (zigzag varint), nanoseconds
//	fields:  0 for none (a nil map), else 1 + count, then key and value
//	         for each, keys in order
//	value:   a tag byte and its payload (see the val constants)
//
// Strings are written as valid UTF-8 (invalid bytes become U+FFFD, as the
// protocol's messages require).
package packed

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Value tags.
const (
	valNull byte = iota
	valString
	valFloat
	valTrue
	valFalse
	_ // was an integer tag; numbers are floats
	valList
	valMap
	_ // was a JSON tag: an Encoder writes other types as what JSON makes of them
)

// maxDepth bounds the nesting of field values a Decoder accepts.
const maxDepth = 64

// Encoder appends records' encodings to Buf. The zero value is ready.
type Encoder struct {
	Buf []byte
	// keys is scratch space for sorting a map's keys.
	keys []string
	// path names the field being written, for err.
	path []string
	err  error
}

// Err is the first field value the Encoder could not write as JSON-like
// (written as null instead), nil if none: the protocol refuses such a
// record, an in-process index keeps it with the null.
func (e *Encoder) Err() error { return e.err }

// AppendContact appends c's encoding to b.
func AppendContact(b []byte, c *connectors.Contact) []byte {
	e := Encoder{Buf: b}
	e.Contact(c)
	return e.Buf
}

// AppendCompany appends c's encoding to b.
func AppendCompany(b []byte, c *connectors.Company) []byte {
	e := Encoder{Buf: b}
	e.Company(c)
	return e.Buf
}

func (e *Encoder) uint(v uint64) { e.Buf = binary.AppendUvarint(e.Buf, v) }

func (e *Encoder) str(s string) {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	e.uint(uint64(len(s)))
	e.Buf = append(e.Buf, s...)
}

func (e *Encoder) phones(ps []connectors.Phone) {
	e.uint(uint64(len(ps)))
	for i := range ps {
		e.str(ps[i].Raw)
		e.str(ps[i].Label)
		e.str(ps[i].E164)
		e.str(ps[i].Extension)
	}
}

func (e *Encoder) strs(ss []string) {
	e.uint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

func (e *Encoder) time(t time.Time) {
	if t.IsZero() {
		e.uint(0)
		return
	}
	e.uint(1)
	e.Buf = binary.AppendVarint(e.Buf, t.Unix())
	e.uint(uint64(t.Nanosecond()))
}

func (e *Encoder) fields(f map[string]any) {
	if f == nil {
		e.uint(0)
		return
	}
	e.uint(uint64(len(f)) + 1)
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
		e.path = append(e.path, k)
		e.value(f[k], 0)
		e.path = e.path[:len(e.path)-1]
	}
	e.keys = e.keys[:start]
}

// bad records the first value that could not be written.
func (e *Encoder) bad(err error) {
	if e.err == nil {
		e.err = fmt.Errorf("fields.%s: %w", strings.Join(e.path, "."), err)
	}
	e.Buf = append(e.Buf, valNull)
}

func (e *Encoder) value(v any, depth int) {
	if depth > maxDepth {
		e.bad(errors.New("values nested too deep"))
		return
	}
	switch v := v.(type) {
	case nil:
		e.Buf = append(e.Buf, valNull)
	case string:
		e.Buf = append(e.Buf, valString)
		e.str(v)
	case float64:
		e.float(v)
	case bool:
		if v {
			e.Buf = append(e.Buf, valTrue)
		} else {
			e.Buf = append(e.Buf, valFalse)
		}
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32:
		// Numbers are float64, as in JSON and the protocol's messages.
		e.float(toFloat(v))
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			e.bad(fmt.Errorf("number %q: %w", v.String(), err))
			return
		}
		e.float(f)
	case []any:
		e.Buf = append(e.Buf, valList)
		e.uint(uint64(len(v)))
		for i, x := range v {
			e.path = append(e.path, strconv.Itoa(i))
			e.value(x, depth+1)
			e.path = e.path[:len(e.path)-1]
		}
	case map[string]any:
		e.Buf = append(e.Buf, valMap)
		if v == nil {
			v = map[string]any{}
		}
		e.fields(v)
	default:
		raw, err := json.Marshal(v)
		if err != nil {
			e.bad(fmt.Errorf("value of type %T is not JSON-like (use string, float64, bool, nil, []any or map[string]any): %w", v, err))
			return
		}
		var generic any
		if err := json.Unmarshal(raw, &generic); err != nil {
			e.bad(fmt.Errorf("value of type %T: %w", v, err))
			return
		}
		e.value(generic, depth+1)
	}
}

func (e *Encoder) float(f float64) {
	e.Buf = append(e.Buf, valFloat)
	e.Buf = binary.LittleEndian.AppendUint64(e.Buf, math.Float64bits(f))
}

// toFloat converts any of Go's number types to float64.
func toFloat(v any) float64 {
	switch v := v.(type) {
	case int:
		return float64(v)
	case int8:
		return float64(v)
	case int16:
		return float64(v)
	case int32:
		return float64(v)
	case int64:
		return float64(v)
	case uint:
		return float64(v)
	case uint8:
		return float64(v)
	case uint16:
		return float64(v)
	case uint32:
		return float64(v)
	case uint64:
		return float64(v)
	case float32:
		return float64(v)
	}
	return 0
}

// Contact appends c's encoding.
func (e *Encoder) Contact(c *connectors.Contact) {
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

// Company appends c's encoding.
func (e *Encoder) Company(c *connectors.Company) {
	e.str(c.ID)
	e.str(c.Name)
	e.str(c.Website)
	e.str(c.OwnerID)
	e.phones(c.Phones)
	e.strs(c.Emails)
	e.time(c.UpdatedAt)
	e.fields(c.Fields)
}

// ErrCorrupt is wrapped by a Decoder's error for bytes no Encoder wrote.
var ErrCorrupt = errors.New("corrupt packed record")

// A Decoder reads the records an Encoder wrote, one after another. The
// strings it returns share B's memory, which must not change while they
// are in use. On bytes no Encoder wrote it stops with Err set and returns
// zero values; it never panics.
type Decoder struct {
	B   []byte
	I   int // where the next read starts
	err error
}

// Err is why decoding stopped (nil: it did not).
func (d *Decoder) Err() error { return d.err }

// More reports whether bytes are left and no error stopped the decoder.
func (d *Decoder) More() bool { return d.err == nil && d.I < len(d.B) }

func (d *Decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at byte %d", ErrCorrupt, what, d.I)
	}
	d.I = len(d.B)
}

func (d *Decoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.B[d.I:])
	if n <= 0 {
		d.fail("bad length")
		return 0
	}
	d.I += n
	return v
}

// count reads a count of items each at least min bytes long.
func (d *Decoder) count(min int) int {
	n := d.uint()
	if n > uint64(len(d.B)-d.I)/uint64(min) {
		d.fail("count past the end")
		return 0
	}
	return int(n)
}

func (d *Decoder) int() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.B[d.I:])
	if n <= 0 {
		d.fail("bad number")
		return 0
	}
	d.I += n
	return v
}

func (d *Decoder) str() string {
	n := d.uint()
	if n == 0 || d.err != nil {
		return ""
	}
	if n > uint64(len(d.B)-d.I) {
		d.fail("string past the end")
		return ""
	}
	s := unsafe.String(&d.B[d.I], int(n))
	d.I += int(n)
	return s
}

func (d *Decoder) skipStr() {
	n := d.uint()
	if n > uint64(len(d.B)-d.I) {
		d.fail("string past the end")
		return
	}
	d.I += int(n)
}

func (d *Decoder) phone() connectors.Phone {
	return connectors.Phone{Raw: d.str(), Label: d.str(), E164: d.str(), Extension: d.str()}
}

func (d *Decoder) phones() []connectors.Phone {
	n := d.count(4)
	if n == 0 {
		return nil
	}
	ps := make([]connectors.Phone, n)
	for i := range ps {
		ps[i] = d.phone()
	}
	return ps
}

func (d *Decoder) strs() []string {
	n := d.count(1)
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = d.str()
	}
	return ss
}

func (d *Decoder) time() time.Time {
	if d.uint() == 0 {
		return time.Time{}
	}
	sec := d.int()
	nsec := d.uint()
	if nsec >= 1e9 {
		d.fail("bad nanoseconds")
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

func (d *Decoder) fields(depth int) map[string]any {
	n := d.uint()
	if n == 0 || d.err != nil {
		return nil
	}
	n--
	if n > uint64(len(d.B)-d.I)/2 {
		d.fail("count past the end")
		return nil
	}
	f := make(map[string]any, n)
	for range n {
		k := d.str()
		f[k] = d.value(depth)
	}
	if d.err != nil {
		return nil
	}
	return f
}

func (d *Decoder) value(depth int) any {
	if d.err != nil {
		return nil
	}
	if depth > maxDepth {
		d.fail("values nested too deep")
		return nil
	}
	if d.I >= len(d.B) {
		d.fail("value past the end")
		return nil
	}
	tag := d.B[d.I]
	d.I++
	switch tag {
	case valNull:
		return nil
	case valString:
		return d.str()
	case valFloat:
		if len(d.B)-d.I < 8 {
			d.fail("number past the end")
			return nil
		}
		v := math.Float64frombits(binary.LittleEndian.Uint64(d.B[d.I:]))
		d.I += 8
		return v
	case valTrue:
		return true
	case valFalse:
		return false
	case valList:
		n := d.count(1)
		l := make([]any, n)
		for i := range l {
			l[i] = d.value(depth + 1)
		}
		return l
	case valMap:
		f := d.fields(depth + 1)
		if f == nil && d.err == nil {
			d.fail("a nil map inside a value")
		}
		return f
	}
	d.fail(fmt.Sprintf("unknown value tag %d", tag))
	return nil
}

// contactOnePhone is a contact allocated with room for one phone: most
// have one, and decoding one then allocates once for both.
type contactOnePhone struct {
	c connectors.Contact
	p [1]connectors.Phone
}

// Contact decodes the next record as a contact (nil once Err is set).
func (d *Decoder) Contact() *connectors.Contact {
	id, first, last, companyID, companyName, owner, title := d.str(), d.str(), d.str(), d.str(), d.str(), d.str(), d.str()
	var c *connectors.Contact
	if d.err == nil && d.I < len(d.B) && d.B[d.I] == 1 { // one phone (a count below 128 is one byte)
		d.I++
		both := &contactOnePhone{}
		both.p[0] = d.phone()
		c = &both.c
		c.Phones = both.p[:]
	} else {
		c = &connectors.Contact{}
		c.Phones = d.phones()
	}
	c.ID, c.FirstName, c.LastName, c.CompanyID, c.CompanyName, c.OwnerID, c.JobTitle = id, first, last, companyID, companyName, owner, title
	c.Emails = d.strs()
	c.UpdatedAt = d.time()
	c.Fields = d.fields(0)
	if d.err != nil {
		return nil
	}
	return c
}

// Company decodes the next record as a company (nil once Err is set).
func (d *Decoder) Company() *connectors.Company {
	c := &connectors.Company{ID: d.str(), Name: d.str(), Website: d.str(), OwnerID: d.str()}
	c.Phones = d.phones()
	c.Emails = d.strs()
	c.UpdatedAt = d.time()
	c.Fields = d.fields(0)
	if d.err != nil {
		return nil
	}
	return c
}

// ID reads the next record's ID, which comes first in either kind, and
// leaves the decoder inside the record: read one record at a time with a
// Decoder of its own.
func (d *Decoder) ID() string { return d.str() }

// ContactHead reads a contact's ID, phones and UpdatedAt, stepping over
// the rest of what comes before them (not its fields).
func (d *Decoder) ContactHead() (id string, phones []connectors.Phone, updated time.Time) {
	id = d.str()
	for range 6 {
		d.skipStr()
	}
	phones = d.phones()
	for n := d.count(1); n > 0; n-- {
		d.skipStr()
	}
	return id, phones, d.time()
}

// CompanyHead is ContactHead for a company.
func (d *Decoder) CompanyHead() (id string, phones []connectors.Phone, updated time.Time) {
	id = d.str()
	for range 3 {
		d.skipStr()
	}
	phones = d.phones()
	for n := d.count(1); n > 0; n-- {
		d.skipStr()
	}
	return id, phones, d.time()
}

// Contacts decodes a page of n contacts into one slice, their phones
// into one more; their strings share b.
func Contacts(b []byte, n int) ([]connectors.Contact, error) {
	if n < 0 || n > len(b) {
		return nil, fmt.Errorf("%w: %d records in %d bytes", ErrCorrupt, n, len(b))
	}
	d := Decoder{B: b}
	out := make([]connectors.Contact, n)
	phones := make([]connectors.Phone, 0, n)
	for i := range out {
		c := &out[i]
		c.ID, c.FirstName, c.LastName, c.CompanyID = d.str(), d.str(), d.str(), d.str()
		c.CompanyName, c.OwnerID, c.JobTitle = d.str(), d.str(), d.str()
		c.Phones, phones = d.phonesInto(phones)
		c.Emails = d.strs()
		c.UpdatedAt = d.time()
		c.Fields = d.fields(0)
		if d.err != nil {
			return nil, fmt.Errorf("contact %d of %d: %w", i+1, n, d.err)
		}
	}
	if d.I != len(b) {
		return nil, fmt.Errorf("%w: %d bytes after %d records", ErrCorrupt, len(b)-d.I, n)
	}
	return out, nil
}

// Companies decodes a page of n companies, as Contacts does contacts.
func Companies(b []byte, n int) ([]connectors.Company, error) {
	if n < 0 || n > len(b) {
		return nil, fmt.Errorf("%w: %d records in %d bytes", ErrCorrupt, n, len(b))
	}
	d := Decoder{B: b}
	out := make([]connectors.Company, n)
	phones := make([]connectors.Phone, 0, n)
	for i := range out {
		c := &out[i]
		c.ID, c.Name, c.Website, c.OwnerID = d.str(), d.str(), d.str(), d.str()
		c.Phones, phones = d.phonesInto(phones)
		c.Emails = d.strs()
		c.UpdatedAt = d.time()
		c.Fields = d.fields(0)
		if d.err != nil {
			return nil, fmt.Errorf("company %d of %d: %w", i+1, n, d.err)
		}
	}
	if d.I != len(b) {
		return nil, fmt.Errorf("%w: %d bytes after %d records", ErrCorrupt, len(b)-d.I, n)
	}
	return out, nil
}

// phonesInto decodes a record's phones onto the end of all (a page's
// shared array) and returns them, capped, and all.
func (d *Decoder) phonesInto(all []connectors.Phone) (mine, grown []connectors.Phone) {
	n := d.count(4)
	if n == 0 {
		return nil, all
	}
	start := len(all)
	for range n {
		all = append(all, d.phone())
	}
	return all[start:len(all):len(all)], all
}
