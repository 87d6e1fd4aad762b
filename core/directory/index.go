package directory

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/packed"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// DefaultPageSize is the List page size asked for when none is configured.
const DefaultPageSize = 1000

// IndexOptions configures BuildIndex.
type IndexOptions struct {
	// Parser reads the numbers that the connector did not normalise
	// (Phone.E164 empty). Required.
	Parser *phone.Parser
	// Parser's NationalMatch is the rule national lookups follow
	// (phone.SameCountry unless the parser was made WithNationalMatch).
	//
	// SuffixDigits, when above zero, also indexes the last N digits of
	// every national number, for suffix matching. Lookups must ask for the
	// same number of digits to use it.
	SuffixDigits int
	// PageSize is the page size hint passed to the List calls (default
	// DefaultPageSize).
	PageSize int
	// Logger receives a summary of unreadable numbers (default: none).
	Logger hclog.Logger
	// Progress, when set, is told how many records have been listed so
	// far, after each page.
	Progress func(records int)
	// Keys are the keys to index next to the numbers (keyindex.go),
	// checked as New checks a Source's. The records are held without the
	// fields of hashed keys.
	Keys []Key
}

// Index is an immutable in-memory phone index over every record a connector
// lists. It is safe for concurrent use.
//
// Layout (memory matters: ten million contacts must fit in a few
// gigabytes): the records are held packed (records.go), addressed by an
// int32 record id, contacts first, then companies. Three sorted arrays of
// (number, reference) pairs (postings.go), the number packed into a uint64
// (the digits as a number plus their count, so "0123" != "123"), find the
// records by E.164, by national significant number and, when enabled, by
// their last N digits. A reference packs the record id, the index of the
// matching phone in the record, and the phone's origin for national
// matching (its calling code and whether its digits carried it), so a
// lookup decides which records meet a query without reading any, then
// decodes only those it returns.
type Index struct {
	recs recordStore
	// nContacts is how many of the records are contacts (ids 0 to
	// nContacts-1); the rest are companies.
	nContacts int

	e164     postings
	national postings
	suffix   postings

	// nationalRule decides which numbers under a national key meet a
	// query (phone.NationalMatch.Meets).
	nationalRule phone.NationalMatch
	suffixDigits int
	phones       int
	// skipped counts the stored numbers that could not be read or
	// indexed, skippedRecords the records with at least one of them.
	skipped        int
	skippedRecords int

	// byID holds every record id, the contacts' (ids 0 to nContacts-1)
	// ordered by contact ID, then the companies' ordered by company ID:
	// it finds a record by its ID (4 bytes a record).
	byID []int32
	// keySpecs are the keys indexed, byKey their indexes by name and
	// strip the fields of the hashed ones, which the records are held
	// without (keyindex.go).
	keySpecs []Key
	byKey    map[string]*keyIndex
	strip    []string

	// over, when set, makes this Index a view: the immutable base
	// over.base with the records changed since it was built laid over it
	// (see overlay.go). Every other field is the base's.
	over *overlay
}

// A reference packs one (record, phone) pair into a uint64:
//
//	bits  0..31  record id
//	bits 32..47  index of the phone inside the record
//	bit  48      the phone's country was not written in its own digits
//	             (phone.Origin.Written is false)
//	bits 49..58  the phone's calling code, written or inferred
//	             (phone.Origin.Code; 0: unknown)
const (
	refRecordMask  = 1<<32 - 1
	refPhoneShift  = 32
	refPhoneMask   = 1<<16 - 1
	refNotWritten  = 1 << 48
	refCodeShift   = 49
	refCodeMask    = 1<<10 - 1 // calling codes are 1 to 999
	refIdentity    = refRecordMask | refNotWritten | refCodeMask<<refCodeShift
	maxPhoneIndex  = refPhoneMask
	maxRecords     = math.MaxInt32
	maxPackedDigit = 17 // 10^17 < 2^57: fits below the 5-bit digit count
)

func makeRef(rec, phoneIdx int, o phone.Origin) uint64 {
	r := uint64(rec) | uint64(phoneIdx)<<refPhoneShift
	if !o.Written {
		r |= refNotWritten
	}
	if o.Code > 0 && o.Code <= refCodeMask {
		r |= uint64(o.Code) << refCodeShift
	}
	return r
}

func refRecord(r uint64) int { return int(r & refRecordMask) }
func refPhone(r uint64) int  { return int(r >> refPhoneShift & refPhoneMask) }

// refOrigin is the stored phone's origin, as makeRef packed it.
func refOrigin(r uint64) phone.Origin {
	return phone.Origin{Code: int(r >> refCodeShift & refCodeMask), Written: r&refNotWritten == 0}
}

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
	if err := checkKeys(opts.Keys); err != nil {
		return nil, fmt.Errorf("build index: %w", err)
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

	ix := newIndex(opts.Parser.NationalMatch(), opts.SuffixDigits, opts.Keys)
	b := builder{ix: ix, parser: opts.Parser}

	// addPage adds a page's n records (add(i) adds the i-th) and says how
	// far the listing has got.
	addPage := func(n int, add func(i int)) error {
		for i := range n {
			if ix.recs.len() >= maxRecords {
				return fmt.Errorf("more than %d records; split the connector's data across several connectors", maxRecords)
			}
			add(i)
		}
		if opts.Progress != nil {
			opts.Progress(ix.recs.len())
		}
		return nil
	}
	if wantContacts {
		err := listContacts(ctx, c, opts.PageSize, time.Time{}, func(page []connectors.Contact) error {
			return addPage(len(page), func(i int) { b.addContact(&page[i]) })
		})
		if err != nil {
			return nil, fmt.Errorf("build index: %w", err)
		}
	}
	if wantCompanies {
		err := listCompanies(ctx, c, opts.PageSize, time.Time{}, func(page []connectors.Company) error {
			return addPage(len(page), func(i int) { b.addCompany(&page[i]) })
		})
		if err != nil {
			return nil, fmt.Errorf("build index: %w", err)
		}
	}

	ix.finish()
	if ix.skipped > 0 {
		log.Warn("some phone numbers could not be read and are not indexed; fix them in the CRM",
			"skipped", ix.skipped, "records", ix.skippedRecords, "indexed", ix.phones, "example_record", b.firstSkipped)
	}
	return ix, nil
}

// newIndex returns an empty index, for a builder to fill and finish.
func newIndex(rule phone.NationalMatch, suffixDigits int, keys []Key) *Index {
	return &Index{
		nationalRule: rule,
		suffixDigits: suffixDigits,
		keySpecs:     keys,
		byKey:        newKeyIndexes(keys),
		strip:        hashedFields(keys),
	}
}

// finish sorts what a builder added: the postings and the records by ID.
// The two postings sort on two goroutines (the rest of a build is one).
func (ix *Index) finish() {
	done := make(chan struct{})
	go func() {
		ix.e164.finish()
		close(done)
	}()
	ix.national.finish()
	ix.suffix.finish()
	ix.sortIDs()
	<-done
}

// listContacts lists every contact of c changed since since (zero: all),
// page by page, handing each page to consume (see listAll).
func listContacts(ctx context.Context, c connectors.Connector, pageSize int, since time.Time, consume func([]connectors.Contact) error) error {
	return listAll(ctx, "ListContacts", pageSize, since,
		func(ctx context.Context, req *connectors.ListRequest) ([]connectors.Contact, string, error) {
			resp, err := c.ListContacts(ctx, req)
			if err != nil {
				return nil, "", err
			}
			return resp.Contacts, resp.NextCursor, nil
		}, consume)
}

// listCompanies is listContacts for companies.
func listCompanies(ctx context.Context, c connectors.Connector, pageSize int, since time.Time, consume func([]connectors.Company) error) error {
	return listAll(ctx, "ListCompanies", pageSize, since,
		func(ctx context.Context, req *connectors.ListRequest) ([]connectors.Company, string, error) {
			resp, err := c.ListCompanies(ctx, req)
			if err != nil {
				return nil, "", err
			}
			return resp.Companies, resp.NextCursor, nil
		}, consume)
}

// listAll lists every page of one kind, with successive cursors, until a
// page has no next cursor, asking for the records changed since since
// (zero: all). The next page is fetched while consume handles the one
// before it (a connector's answer and the host's indexing overlap; pages
// are consumed in order), and it refuses a connector that repeats a cursor
// (an endless loop). The first error ends it.
func listAll[P any](ctx context.Context, op string, pageSize int, since time.Time,
	fetch func(context.Context, *connectors.ListRequest) (P, string, error), consume func(P) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type page struct {
		items P
		n     int
		err   error
	}
	pages := make(chan page, 1)
	go func() {
		defer close(pages)
		cursor := ""
		seen := make(map[string]struct{})
		for n := 1; ; n++ {
			if err := ctx.Err(); err != nil {
				pages <- page{n: n, err: fmt.Errorf("%s stopped after %d pages: %w", op, n-1, err)}
				return
			}
			items, next, err := fetch(ctx, &connectors.ListRequest{Cursor: cursor, PageSize: pageSize, ChangedSince: since})
			if err != nil {
				pages <- page{n: n, err: fmt.Errorf("%s page %d: %w", op, n, err)}
				return
			}
			if _, dup := seen[next]; dup && next != "" {
				err = fmt.Errorf("%s page %d: the connector returned cursor %q twice; this is a bug in the connector, report it to its author", op, n, next)
			}
			select {
			case pages <- page{items: items, n: n, err: err}:
			case <-ctx.Done():
				return
			}
			if next == "" || err != nil {
				return
			}
			seen[next] = struct{}{}
			cursor = next
		}
	}()
	for p := range pages {
		if p.err != nil {
			return p.err
		}
		if err := consume(p.items); err != nil {
			return fmt.Errorf("%s page %d: %w", op, p.n, err)
		}
	}
	return nil
}

// builder adds records to an Index under construction.
type builder struct {
	ix           *Index
	parser       *phone.Parser
	enc          packed.Encoder
	firstSkipped string
}

// addContact adds contact c as the next record: its key values, then c
// itself without the fields of hashed keys, then its numbers. Contacts
// are all added before any company.
func (b *builder) addContact(c *connectors.Contact) {
	rec := b.ix.recs.len()
	if b.ix.byKey != nil {
		b.ix.addKeys(rec, c, nil)
	}
	c = stripContact(c, b.ix.strip)
	b.holdContact(c)
	b.addPhones(rec, c.ID, c.Phones)
}

// holdContact packs c as the next record, without indexing it.
func (b *builder) holdContact(c *connectors.Contact) {
	b.enc.Buf = b.enc.Buf[:0]
	b.enc.Contact(c)
	b.ix.recs.add(b.enc.Buf)
	b.ix.nContacts++
}

// addCompany adds company c as the next record, as addContact does a
// contact.
func (b *builder) addCompany(c *connectors.Company) {
	rec := b.ix.recs.len()
	if b.ix.byKey != nil {
		b.ix.addKeys(rec, nil, c)
	}
	c = stripCompany(c, b.ix.strip)
	b.enc.Buf = b.enc.Buf[:0]
	b.enc.Company(c)
	b.ix.recs.add(b.enc.Buf)
	b.addPhones(rec, c.ID, c.Phones)
}

// addPhones indexes one record's numbers; unread counts the same ones
// as skipped without indexing.
func (b *builder) addPhones(rec int, id string, phones []connectors.Phone) {
	skipped := b.ix.skipped
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
	if b.ix.skipped > skipped {
		b.ix.skippedRecords++
	}
}

// unread counts the numbers of a record that addPhones skips (with the
// same parser): past maxPhoneIndex, unreadable, or with no key to index.
func unread(parser *phone.Parser, phones []connectors.Phone) int {
	n := 0
	for i := range phones {
		if i > maxPhoneIndex {
			n++
			continue
		}
		num, ok := readStored(parser, &phones[i])
		if !ok || !indexable(num) {
			n++
		}
	}
	return n
}

// indexable reports whether add finds a key for n (its E.164 or its
// national number).
func indexable(n phone.Number) bool {
	if _, ok := packE164(n.E164); ok {
		return true
	}
	_, ok := packDigits(n.National)
	return ok
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
	// The origin decides, at lookup, which national queries meet this
	// number (phone.NationalMatch.Meets).
	ref := makeRef(rec, phoneIdx, n.Origin())
	if n.E164 != "" {
		if k, ok := packE164(n.E164); ok {
			ix.e164.add(k, ref)
			added = true
		}
	}
	if k, ok := packDigits(n.National); ok {
		ix.national.add(k, ref)
		added = true
	}
	if ix.suffixDigits > 0 {
		if k, ok := packDigits(phone.Suffix(n, ix.suffixDigits)); ok {
			ix.suffix.add(k, ref)
		}
	}
	return added
}

// Len is the number of records indexed (contacts and companies), those
// changed since the base was built included.
func (ix *Index) Len() int {
	if ix == nil {
		return 0
	}
	n := ix.recs.len()
	if ix.over != nil {
		n += ix.over.added
	}
	return n
}

// Phones is the number of phone numbers indexed (a changed record's
// current ones, not those of the version it replaces).
func (ix *Index) Phones() int {
	if ix.over != nil {
		return ix.phones - ix.over.replacedPhones + ix.over.ix.phones
	}
	return ix.phones
}

// Skipped is the number of stored phone numbers that could not be read
// (or had no key to index them by): they match no call. A changed
// record's current numbers count, not those of the version it replaces.
func (ix *Index) Skipped() int {
	if ix.over != nil {
		return ix.skipped - ix.over.replacedSkipped + ix.over.ix.skipped
	}
	return ix.skipped
}

// SkippedRecords is the number of records with at least one number
// Skipped counts. No record is left out of the index for its numbers:
// such a record is indexed by those that could be read, and one with
// none is found by no number (it still counts in Len). Changed records
// count as Skipped's do.
func (ix *Index) SkippedRecords() int {
	if ix.over != nil {
		return ix.skippedRecords - ix.over.replacedSkippedRecords + ix.over.ix.skippedRecords
	}
	return ix.skippedRecords
}

// Changed is the number of records changed since the base index was
// built and laid over it (0 for a freshly built index); the next full
// build folds them in.
func (ix *Index) Changed() int {
	if ix == nil || ix.over == nil {
		return 0
	}
	return len(ix.over.recs)
}

// SuffixDigits is the suffix length the index was built for (0: none).
func (ix *Index) SuffixDigits() int { return ix.suffixDigits }

// Lookup returns the records that have n, of the strongest match kind only,
// by the rules of phone.NationalMatch.Match under the index's rule (the
// parser's NationalMatch): every exact (E.164) match if there is one, else
// every national match (the same national number, whose origin meets n's:
// under phone.SameCountry the same calling code, written or inferred, or
// an unknown one on either side), else, when suffixDigits is above zero
// and equals the digits the index was built with, every record whose last
// digits agree. It returns nil when nothing matches. Each record appears
// once, with the phone that matched; the records are shared with the index
// and must not be modified.
//
// On a view with changed records (see overlay.go), a changed record is
// matched by its current numbers only, and each kind gathers the base's
// matches (changed records left out) then the changed records' ones.
func (ix *Index) Lookup(n phone.Number, suffixDigits int) []connectors.Match {
	if ix == nil {
		return nil
	}
	if ix.over != nil {
		return ix.over.lookup(n, suffixDigits)
	}
	for kind := kindExact; kind <= kindSuffix; kind++ {
		if m := ix.find(kind, n, suffixDigits, nil); m != nil {
			return m
		}
	}
	return nil
}

// Match kinds in the order Lookup tries them.
const (
	kindExact = iota
	kindNational
	kindSuffix
)

// find returns the records that meet n by one kind of match, leaving out
// the records hide replaces (nil: none).
func (ix *Index) find(kind int, n phone.Number, suffixDigits int, hide *overlay) []connectors.Match {
	switch kind {
	case kindExact:
		if n.E164 != "" {
			if k, ok := packE164(n.E164); ok {
				if v := ix.e164.find(k); v != nil {
					return ix.collect(v, connectors.MatchExact, refFilter{all: true, hide: hide})
				}
			}
		}
	case kindNational:
		if k, ok := packDigits(n.National); ok {
			if v := ix.national.find(k); v != nil {
				// Every number under this key has n's national number; the
				// rule keeps those whose origin meets n's. Each reference
				// carries its origin, so no record is read to decide.
				return ix.collect(v, connectors.MatchNational, refFilter{rule: ix.nationalRule, query: n.Origin(), hide: hide})
			}
		}
	case kindSuffix:
		if suffixDigits > 0 && suffixDigits == ix.suffixDigits {
			if k, ok := packDigits(phone.Suffix(n, suffixDigits)); ok {
				if v := ix.suffix.find(k); v != nil {
					return ix.collect(v, connectors.MatchSuffix, refFilter{all: true, hide: hide})
				}
			}
		}
	}
	return nil
}

// refFilter says which references of a posting a query meets: all, or
// those whose origin meets query's under rule.
type refFilter struct {
	all   bool
	rule  phone.NationalMatch
	query phone.Origin
	// hide, when set, leaves out the records it has a newer version of.
	hide *overlay
}

func (f *refFilter) keeps(r uint64) bool {
	return f.all || f.rule.Meets(f.query, refOrigin(r))
}

// collect turns the references of a posting that f keeps into matches.
func (ix *Index) collect(refs []posting, kind connectors.MatchKind, f refFilter) []connectors.Match {
	var out []connectors.Match
	last := -1
	for _, p := range refs {
		r := p.ref
		if !f.keeps(r) || f.hide != nil && f.hide.hides(ix, r) {
			continue
		}
		// The same record may sit twice under a key (once with and once
		// without a country); report it once.
		if rec := refRecord(r); rec != last {
			if out == nil {
				out = make([]connectors.Match, 0, len(refs))
			}
			out = append(out, ix.match(r, kind))
			last = rec
		}
	}
	return out
}

// match decodes the record r refers to, with the phone that matched.
func (ix *Index) match(r uint64, kind connectors.MatchKind) connectors.Match {
	m := ix.recordMatch(refRecord(r), kind)
	if c := m.Contact; c != nil {
		m.Phone = c.Phones[refPhone(r)]
	} else {
		m.Phone = m.Company.Phones[refPhone(r)]
	}
	return m
}

// bytesUsed estimates the memory the index holds: its records, postings,
// ID order (not its key indexes).
func (ix *Index) bytesUsed() int {
	if ix.over != nil {
		return ix.over.base.bytesUsed() + ix.over.ix.bytesUsed()
	}
	return ix.recs.bytesUsed() + ix.e164.bytesUsed() + ix.national.bytesUsed() + ix.suffix.bytesUsed() + 4*cap(ix.byID)
}
