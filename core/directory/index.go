package directory

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// DefaultPageSize is the List page size asked for when none is configured.
const DefaultPageSize = 1000

// IndexOptions configures BuildIndex.
type IndexOptions struct {
	// Parser reads the numbers that the connector did not normalise
	// (Phone.E164 empty). Required.
	Parser *phone.Parser
	// SuffixDigits, when above zero, also indexes the last N digits of
	// every national number, for suffix matching. Lookups must ask for the
	// same number of digits to use it.
	SuffixDigits int
	// PageSize is the page size hint passed to the List calls (default
	// DefaultPageSize).
	PageSize int
	// Logger receives a summary of unreadable numbers (default: none).
	Logger hclog.Logger
}

// Index is an immutable in-memory phone index over every record a connector
// lists. It is safe for concurrent use.
//
// Layout (memory matters: a million contacts must fit comfortably): the
// records are kept as the connector returned them, addressed by an int32
// record id (contacts first, then companies). Three maps keyed by a packed
// uint64 (the digits as a number plus their count, so "0123" != "123") map a
// key to a posting: E.164 → records, national significant number → records
// and, when enabled, last-N-digits → records. A posting is a single packed
// reference (record id, index of the matching phone in the record, and
// whether that phone's country is known) for the common one-record case, or an
// index into a side table of reference lists when several records share the
// number.
type Index struct {
	contacts  []*connectors.Contact
	companies []*connectors.Company

	e164     map[uint64]uint64
	national map[uint64]uint64
	suffix   map[uint64]uint64
	lists    [][]uint64

	suffixDigits int
	phones       int
	skipped      int
}

// A reference packs one (record, phone) pair into a uint64:
//
//	bits  0..31  record id
//	bits 32..47  index of the phone inside the record
//	bit  48      the phone's country is not known from its own digits (no
//	             E.164, or the country was assumed): it meets any query
//	             with the same national number
//	bit  63      (map values only) the low 32 bits index Index.lists
const (
	refRecordMask  = 1<<32 - 1
	refPhoneShift  = 32
	refPhoneMask   = 1<<16 - 1
	refNoCountry   = 1 << 48
	refListFlag    = 1 << 63
	refIdentity    = refRecordMask | refNoCountry
	maxPhoneIndex  = refPhoneMask
	maxRecords     = math.MaxInt32
	maxPackedDigit = 17 // 10^17 < 2^57: fits below the 5-bit digit count
)

func makeRef(rec, phoneIdx int, noCountry bool) uint64 {
	r := uint64(rec) | uint64(phoneIdx)<<refPhoneShift
	if noCountry {
		r |= refNoCountry
	}
	return r
}

func refRecord(r uint64) int { return int(r & refRecordMask) }
func refPhone(r uint64) int  { return int(r >> refPhoneShift & refPhoneMask) }

// packDigits packs a string of 1 to 17 ASCII digits into a key that keeps
// leading zeros apart ("0123" != "123"): the digit count in the top five
// bits, the value below. ok is false for anything else.
func packDigits(s string) (key uint64, ok bool) {
	if len(s) == 0 || len(s) > maxPackedDigit {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return uint64(len(s))<<59 | v, true
}

// packE164 packs "+<digits>".
func packE164(e164 string) (uint64, bool) {
	if len(e164) < 2 || e164[0] != '+' {
		return 0, false
	}
	return packDigits(e164[1:])
}

// BuildIndex lists every record of c (contacts, and companies when the
// connector declares CapListCompanies), paging to the end, and indexes their
// numbers. A number the connector normalised (Phone.E164) is taken as is;
// any other is read with opts.Parser; numbers that cannot be read are
// skipped and counted. It fails if any call fails, so that a partial index
// never replaces a complete one.
func BuildIndex(ctx context.Context, c connectors.Connector, opts IndexOptions) (*Index, error) {
	if c == nil {
		return nil, errors.New("build index: no connector given")
	}
	if opts.Parser == nil {
		return nil, errors.New("build index: no phone parser given; pass IndexOptions.Parser")
	}
	if opts.SuffixDigits < 0 {
		return nil, fmt.Errorf("build index: suffix digits %d is negative; use 0 to turn suffix matching off", opts.SuffixDigits)
	}
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}

	desc, err := c.Describe(ctx, &connectors.DescribeRequest{})
	if err != nil {
		return nil, fmt.Errorf("build index: describe connector: %w", err)
	}
	wantCompanies := desc.Has(connectors.CapListCompanies)
	// Contacts are listed unless the connector says it lists companies only.
	wantContacts := desc.Has(connectors.CapListContacts) || !wantCompanies

	ix := &Index{
		e164:         make(map[uint64]uint64),
		national:     make(map[uint64]uint64),
		suffixDigits: opts.SuffixDigits,
	}
	if opts.SuffixDigits > 0 {
		ix.suffix = make(map[uint64]uint64)
	}
	b := builder{ix: ix, parser: opts.Parser}

	if wantContacts {
		err := listAll(ctx, "ListContacts", opts.PageSize, func(req *connectors.ListRequest) (string, error) {
			resp, err := c.ListContacts(ctx, req)
			if err != nil {
				return "", err
			}
			for i := range resp.Contacts {
				ct := &resp.Contacts[i]
				if len(ix.contacts) >= maxRecords {
					return "", fmt.Errorf("more than %d records; split the connector's data across several connectors", maxRecords)
				}
				rec := len(ix.contacts)
				ix.contacts = append(ix.contacts, ct)
				b.addPhones(rec, ct.ID, ct.Phones)
			}
			return resp.NextCursor, nil
		})
		if err != nil {
			return nil, fmt.Errorf("build index: %w", err)
		}
	}
	if wantCompanies {
		err := listAll(ctx, "ListCompanies", opts.PageSize, func(req *connectors.ListRequest) (string, error) {
			resp, err := c.ListCompanies(ctx, req)
			if err != nil {
				return "", err
			}
			for i := range resp.Companies {
				co := &resp.Companies[i]
				if len(ix.contacts)+len(ix.companies) >= maxRecords {
					return "", fmt.Errorf("more than %d records; split the connector's data across several connectors", maxRecords)
				}
				rec := len(ix.contacts) + len(ix.companies)
				ix.companies = append(ix.companies, co)
				b.addPhones(rec, co.ID, co.Phones)
			}
			return resp.NextCursor, nil
		})
		if err != nil {
			return nil, fmt.Errorf("build index: %w", err)
		}
	}

	if ix.skipped > 0 {
		log.Warn("some phone numbers could not be read and are not indexed; fix them in the CRM",
			"skipped", ix.skipped, "indexed", ix.phones, "example_record", b.firstSkipped)
	}
	return ix, nil
}

// listAll calls page with successive cursors until a page has no next
// cursor. It refuses a connector that repeats a cursor (an endless loop).
func listAll(ctx context.Context, op string, pageSize int, page func(*connectors.ListRequest) (string, error)) error {
	cursor := ""
	seen := make(map[string]struct{})
	for pages := 0; ; pages++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s stopped after %d pages: %w", op, pages, err)
		}
		next, err := page(&connectors.ListRequest{Cursor: cursor, PageSize: pageSize})
		if err != nil {
			return fmt.Errorf("%s page %d: %w", op, pages+1, err)
		}
		if next == "" {
			return nil
		}
		if _, dup := seen[next]; dup {
			return fmt.Errorf("%s page %d: the connector returned cursor %q twice; this is a bug in the connector, report it to its author", op, pages+1, next)
		}
		seen[next] = struct{}{}
		cursor = next
	}
}

// builder adds records' numbers to an Index under construction.
type builder struct {
	ix           *Index
	parser       *phone.Parser
	firstSkipped string
}

func (b *builder) addPhones(rec int, id string, phones []connectors.Phone) {
	for i := range phones {
		if i > maxPhoneIndex {
			b.skip(id)
			continue
		}
		n, ok := readStored(b.parser, &phones[i])
		if !ok {
			b.skip(id)
			continue
		}
		if b.add(rec, i, n) {
			b.ix.phones++
		} else {
			b.skip(id)
		}
	}
}

func (b *builder) skip(id string) {
	if b.ix.skipped == 0 {
		b.firstSkipped = id
	}
	b.ix.skipped++
}

// readStored reads one stored phone: the connector's E.164 when it gave
// one (cheap), else the raw value through the parser.
func readStored(parser *phone.Parser, p *connectors.Phone) (phone.Number, bool) {
	if p.E164 != "" {
		if n, ok := phone.FromE164(p.E164); ok {
			return n, true
		}
	}
	if p.Raw == "" {
		return phone.Number{}, false
	}
	n, err := parser.Parse(p.Raw)
	if err != nil || (n.E164 == "" && n.National == "") {
		return phone.Number{}, false
	}
	return n, true
}

// add indexes one number; false if it has no usable key at all.
func (b *builder) add(rec, phoneIdx int, n phone.Number) bool {
	ix := b.ix
	added := false
	// Whether a number whose country is known, but not this one's, would
	// still meet this one nationally: true when this number has no E.164
	// or its country was only assumed (phone.Match decides, see Lookup).
	noCountry := phone.Match(otherCountry(n), n, 0) == connectors.MatchNational
	ref := makeRef(rec, phoneIdx, noCountry)
	if n.E164 != "" {
		if k, ok := packE164(n.E164); ok {
			ix.insert(ix.e164, k, ref)
			added = true
		}
	}
	if k, ok := packDigits(n.National); ok {
		ix.insert(ix.national, k, ref)
		added = true
	}
	if ix.suffix != nil {
		if k, ok := packDigits(phone.Suffix(n, ix.suffixDigits)); ok {
			ix.insert(ix.suffix, k, ref)
		}
	}
	return added
}

// insert adds ref to key's posting. A record that holds the same number
// twice is kept once (records arrive in order, so only the last reference
// needs checking).
func (ix *Index) insert(m map[uint64]uint64, key, ref uint64) {
	v, ok := m[key]
	switch {
	case !ok:
		m[key] = ref
	case v&refListFlag == 0:
		if v&refIdentity == ref&refIdentity {
			return
		}
		ix.lists = append(ix.lists, []uint64{v, ref})
		m[key] = refListFlag | uint64(len(ix.lists)-1)
	default:
		l := &ix.lists[v&refRecordMask]
		if (*l)[len(*l)-1]&refIdentity == ref&refIdentity {
			return
		}
		*l = append(*l, ref)
	}
}

// Len is the number of records indexed (contacts and companies).
func (ix *Index) Len() int { return len(ix.contacts) + len(ix.companies) }

// Phones is the number of phone numbers indexed.
func (ix *Index) Phones() int { return ix.phones }

// Skipped is the number of stored phone numbers that could not be read.
func (ix *Index) Skipped() int { return ix.skipped }

// SuffixDigits is the suffix length the index was built for (0: none).
func (ix *Index) SuffixDigits() int { return ix.suffixDigits }

// Lookup returns the records that have n, of the strongest match kind only,
// by the rules of phone.Match: every exact (E.164) match if there is one,
// else every national match (the same national number, where the query's
// or the stored number's country is not known from its own digits), else,
// when suffixDigits is above zero and equals the digits the index was built
// with, every record whose last digits agree. It returns nil when nothing matches. Each record
// appears once, with the phone that matched; the records are shared with
// the index and must not be modified.
func (ix *Index) Lookup(n phone.Number, suffixDigits int) []connectors.Match {
	if ix == nil {
		return nil
	}
	if n.E164 != "" {
		if k, ok := packE164(n.E164); ok {
			if v, ok := ix.e164[k]; ok {
				return ix.collect(v, connectors.MatchExact, false)
			}
		}
	}
	if k, ok := packDigits(n.National); ok {
		if v, ok := ix.national[k]; ok {
			// Every number under this key has n's national number; those
			// stored without a country meet n nationally. Those stored with
			// one were not an exact match above, so their country differs
			// from n's (or n has none): phone.Match decides whether that
			// still counts as national, asked once with a stand-in.
			onlyNoCountry := phone.Match(n, otherCountry(n), 0) != connectors.MatchNational
			if m := ix.collect(v, connectors.MatchNational, onlyNoCountry); m != nil {
				return m
			}
		}
	}
	if suffixDigits > 0 && suffixDigits == ix.suffixDigits && ix.suffix != nil {
		if k, ok := packDigits(phone.Suffix(n, suffixDigits)); ok {
			if v, ok := ix.suffix[k]; ok {
				return ix.collect(v, connectors.MatchSuffix, false)
			}
		}
	}
	return nil
}

// otherCountry is a stand-in for a number with n's national number whose
// country is known (it came with an E.164) and is no real country, so not
// n's. Asking phone.Match about it tells whether n's side lets a national
// match through, without the index knowing phone's rules.
func otherCountry(n phone.Number) phone.Number {
	return phone.Number{E164: "+", CountryCode: -1, National: n.National}
}

// collect turns a posting into matches; onlyNoCountry keeps only numbers
// stored without a country.
func (ix *Index) collect(v uint64, kind connectors.MatchKind, onlyNoCountry bool) []connectors.Match {
	if v&refListFlag == 0 {
		if onlyNoCountry && v&refNoCountry == 0 {
			return nil
		}
		return []connectors.Match{ix.match(v, kind)}
	}
	refs := ix.lists[v&refRecordMask]
	out := make([]connectors.Match, 0, len(refs))
	last := -1
	for _, r := range refs {
		if onlyNoCountry && r&refNoCountry == 0 {
			continue
		}
		// The same record may sit twice in a list (once with and once
		// without a country); report it once.
		if rec := refRecord(r); rec != last {
			out = append(out, ix.match(r, kind))
			last = rec
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (ix *Index) match(r uint64, kind connectors.MatchKind) connectors.Match {
	rec, p := refRecord(r), refPhone(r)
	if rec < len(ix.contacts) {
		c := ix.contacts[rec]
		return connectors.Match{Contact: c, Kind: kind, Phone: c.Phones[p]}
	}
	co := ix.companies[rec-len(ix.contacts)]
	return connectors.Match{Company: co, Kind: kind, Phone: co.Phones[p]}
}
