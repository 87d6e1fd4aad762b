package csv

import (
	"bytes"
	"context"
	"crypto/sha256"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

const (
	// maxListedIssues caps the broken rows a strict-mode error lists.
	maxListedIssues = 50
	// maxLoggedIssues caps the warnings one load logs.
	maxLoggedIssues = 100
	// ctxCheckEvery is how many rows a load reads between looks at its
	// context.
	ctxCheckEvery = 4096
)

// snapshot is one loaded version of the file. It is never modified once
// published, so readers need no lock.
type snapshot struct {
	set        *settings
	contacts   []*contactEntry      // sorted by ID; shared with later snapshots
	seqs       []int32              // seqs[i]: contacts[i]'s position in file order
	companies  []connectors.Company // sorted by ID
	companySum []uint64             // content hash of companies[i]
	byE164     numIndex             // E.164 → indexes into contacts
	byNational numIndex             // national number → indexes into contacts
	stamp      fileStamp
	loadedAt   time.Time
	skipped    int // rows skipped as broken
	parsed     int // rows this load parsed (the others were unchanged)
	dropped    int // numbers dropped from kept rows
	// companySrc[i] is the ID of the contact companies[i] took its name
	// from (the first by ID with that company).
	companySrc []string
	// order is the contacts in file order (indexes into contacts), and
	// layKey the header they were read under: the next reload takes a
	// row whose bytes are unchanged from here instead of parsing it.
	order  []int32
	layKey uint64
	// keys are the maps of lookups by key, built per field on first use
	// (keys.go).
	keys keyMaps
}

// contactEntry is a contact with its parsed numbers (parallel to
// contact.Phones) and the hash of its content. Once in a served snapshot
// it is shared by the snapshots reloads build from it, and not modified.
type contactEntry struct {
	contact connectors.Contact
	numbers []phone.Number
	sum     uint64 // of the contact's content
	raw     uint64 // of the row's bytes
	dropped int32  // numbers of the row that were dropped
}

// parsedRow is a row parsed by one load, with where it is in the file.
type parsedRow struct {
	contactEntry
	line, seq int32
}

// fileStamp identifies one version of the file.
type fileStamp struct {
	modTime time.Time
	size    int64
	sum     [sha256.Size]byte
	readAt  time.Time
}

// configError is a load failure that is the configuration's fault (a
// column missing from the header, a missing file); each problem has the
// path of the offending setting.
type configError struct {
	problems []connectors.Problem
}

func (e *configError) Error() string {
	msgs := make([]string, len(e.problems))
	for i, p := range e.problems {
		msgs[i] = p.Message
		if p.Path != "" {
			msgs[i] = p.Path + ": " + p.Message
		}
	}
	return strings.Join(msgs, "; ")
}

// readFile reads the whole file and stamps it.
func readFile(path string) ([]byte, fileStamp, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileStamp{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fileStamp{}, err
	}
	// Sized from the stat (a file still growing reads to its end).
	buf := bytes.NewBuffer(make([]byte, 0, fi.Size()+bytes.MinRead))
	_, err = buf.ReadFrom(f)
	data := buf.Bytes()
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("read %s: %w", path, err)
	}
	return data, fileStamp{modTime: fi.ModTime(), size: fi.Size(), sum: sha256.Sum256(data), readAt: time.Now()}, nil
}

// missingFile is the problem for a path that does not exist.
func missingFile(s *settings) connectors.Problem {
	return conf.Problemf("path",
		"the CSV file %s does not exist: fix path: (relative paths are resolved against %s)", s.absPath, baseDirName(s))
}

func baseDirName(s *settings) string {
	if s.baseDir == "" {
		return "the working directory"
	}
	return s.baseDir
}

// toUTF8 decodes the file's bytes into UTF-8 without a byte order mark.
// Bytes that are not valid in the encoding become U+FFFD, with a warning.
func toUTF8(s *settings, data []byte, log hclog.Logger) ([]byte, error) {
	if s.enc != nil {
		out, err := s.enc.NewDecoder().Bytes(data)
		if err != nil {
			return nil, fmt.Errorf("decode %s as %s: %w; check the encoding setting", s.path, s.encName, err)
		}
		data = out
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if !utf8.Valid(data) {
		log.Warn(fmt.Sprintf("%s is not valid UTF-8: set encoding: to the file's encoding "+
			"(e.g. windows-1252 or iso-8859-9); unreadable bytes are shown as U+FFFD", s.path))
		data = bytes.ToValidUTF8(data, []byte("\uFFFD"))
	}
	return data, nil
}

// layout is the settings resolved against one file's header: the column
// index of every mapped attribute (-1: not mapped).
type layout struct {
	width  int
	id     int
	single map[role]int
	phones []labeledColumn
	emails []labeledColumn
	fields []fieldColumn
	idName string
}

type labeledColumn struct {
	idx   int
	label string
}

type fieldColumn struct {
	spec  fieldSpec
	idx   int
	label string
}

// resolve finds the configured columns in the header (or, without one,
// checks the column numbers against the first row's width).
func resolve(s *settings, header []string, width int) (*layout, []connectors.Problem) {
	var problems []connectors.Problem
	exact := map[string][]int{}
	folded := map[string][]int{}
	for i, h := range header {
		exact[h] = append(exact[h], i)
		k := strings.ToLower(h)
		folded[k] = append(folded[k], i)
	}
	find := func(c columnRef) (int, string) {
		if header == nil {
			n, _ := strconv.Atoi(c.ref) // validated by parseConfig
			if n > width {
				problems = append(problems, conf.Problemf(c.path,
					"column %d does not exist: the first row of %s has %d columns", n, s.path, width))
				return -1, ""
			}
			return n - 1, "column " + c.ref
		}
		idx := exact[c.ref]
		if len(idx) == 0 {
			idx = folded[strings.ToLower(c.ref)]
		}
		switch {
		case len(idx) == 1:
			return idx[0], header[idx[0]]
		case len(idx) > 1:
			cols := make([]string, len(idx))
			for i, x := range idx {
				cols[i] = strconv.Itoa(x + 1)
			}
			problems = append(problems, conf.Problemf(c.path,
				"column %q appears more than once in the header of %s (columns %s): rename the duplicates in the file",
				c.ref, s.path, strings.Join(cols, ", ")))
			return -1, ""
		}
		msg := fmt.Sprintf("column %q is not in the header of %s", c.ref, s.path)
		if sug := conf.Suggest(c.ref, header); sug != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", sug)
		}
		shown := header
		if len(shown) > 30 {
			shown = shown[:30]
		}
		msg += "; the header has: " + strings.Join(shown, ", ")
		if len(header) > len(shown) {
			msg += fmt.Sprintf(" and %d more", len(header)-len(shown))
		}
		problems = append(problems, connectors.Problem{Path: c.path, Message: msg})
		return -1, ""
	}

	l := &layout{width: width, single: map[role]int{}}
	l.id, l.idName = find(s.id)
	for r, c := range s.single {
		if idx, _ := find(c); idx >= 0 {
			l.single[r] = idx
		}
	}
	for _, c := range s.phones {
		if idx, label := find(c); idx >= 0 {
			l.phones = append(l.phones, labeledColumn{idx, label})
		}
	}
	for _, c := range s.emails {
		if idx, label := find(c); idx >= 0 {
			l.emails = append(l.emails, labeledColumn{idx, label})
		}
	}
	for _, f := range s.fields {
		if idx, label := find(f.col); idx >= 0 {
			l.fields = append(l.fields, fieldColumn{f, idx, label})
		}
	}
	sort.Slice(problems, func(i, j int) bool { return problems[i].Path < problems[j].Path })
	return l, problems
}

// builder turns rows into a snapshot.
type builder struct {
	s      *settings
	lay    *layout
	log    hclog.Logger
	issues []string // strict mode: every problem, "customers.csv:17: ..."
	logged int
	unlog  int // issues not logged because of the cap

	seed   maphash.Seed
	layKey uint64

	entries []parsedRow    // the rows parsed
	lines   map[string]int // id → line, of the rows parsed
	skipped int
	dropped int
	seq     int32 // rows taken so far

	// With a previous snapshot to take unchanged rows from: kept[j] is
	// where prev.contacts[j] was taken, next the position in prev.order
	// the next row is expected at.
	prev *snapshot
	kept []keptRow
	next int
}

// issue records a problem with a row: logged (up to a cap) and, in strict
// mode, collected to fail the load.
func (b *builder) issue(line int, what, consequence string) {
	msg := fmt.Sprintf("%s:%d: %s", b.s.path, line, what)
	if b.s.strict {
		b.issues = append(b.issues, msg)
		return
	}
	if b.logged < maxLoggedIssues {
		b.logged++
		b.log.Warn(msg + " (" + consequence + ")")
	} else {
		b.unlog++
	}
}

// load reads the file and builds a snapshot; prev (may be nil) supplies
// the first-seen times of unchanged records.
func load(ctx context.Context, s *settings, prev *snapshot, seed maphash.Seed, log hclog.Logger) (*snapshot, error) {
	data, stamp, err := readFile(s.absPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &configError{[]connectors.Problem{missingFile(s)}}
		}
		return nil, connectors.Errorf(connectors.ClassUnavailable, "Configure",
			"cannot read the CSV file %s: %w; check its permissions", s.absPath, err)
	}
	return build(ctx, s, data, stamp, prev, seed, log)
}

// build parses data (the file's bytes) into a snapshot. With prev, the
// snapshot being served, a row whose bytes are unchanged since prev was
// built (under the same settings and header) is taken from prev instead
// of being parsed again: validating every number costs seconds at a
// million rows, and a reload usually changes a few.
func build(ctx context.Context, s *settings, data []byte, stamp fileStamp, prev *snapshot, seed maphash.Seed, log hclog.Logger) (*snapshot, error) {
	return buildWith(ctx, s, data, stamp, prev, seed, log, true)
}

// buildWith is build; reuse false parses every row (the tests compare).
func buildWith(ctx context.Context, s *settings, data []byte, stamp fileStamp, prev *snapshot, seed maphash.Seed, log hclog.Logger, reuse bool) (*snapshot, error) {
	text, err := toUTF8(s, data, log)
	if err != nil {
		return nil, connectors.Errorf(connectors.ClassBadConfig, "Configure", "%w", err)
	}
	r := newReader(s, text)

	first, err := r.Read()
	switch {
	case errors.Is(err, io.EOF):
		if s.header {
			return nil, connectors.Errorf(connectors.ClassBadConfig, "Configure",
				"%s is empty: it needs a header row naming the columns (or set header: false)", s.path)
		}
		first = nil
	case err != nil:
		return nil, connectors.Errorf(connectors.ClassBadConfig, "Configure",
			"cannot read the first row of %s: %w; fix the file's quoting or check delimiter:", s.path, err)
	}

	if first == nil { // a headerless file with no rows
		b := &builder{s: s, log: log, seed: seed}
		return b.finish(prev, stamp), nil
	}
	var header []string
	layKey := uint64(len(first))
	if s.header {
		header = make([]string, len(first))
		for i, h := range first {
			header[i] = strings.TrimSpace(h)
		}
		layKey = maphash.Bytes(seed, text[:r.InputOffset()])
	}
	lay, problems := resolve(s, header, len(first))
	if len(problems) > 0 {
		return nil, &configError{problems}
	}

	b := &builder{s: s, lay: lay, log: log, seed: seed, layKey: layKey}
	if reuse && prev != nil && prev.set == s && prev.layKey == layKey && len(prev.contacts) > 0 {
		b.prev, b.kept = prev, make([]keptRow, len(prev.contacts))
		b.lines = map[string]int{}
	} else {
		rows := bytes.Count(text, []byte{'\n'}) + 1 // an upper bound, to size once
		b.lines, b.entries = make(map[string]int, rows), make([]parsedRow, 0, rows)
	}
	if !s.header {
		line, _ := r.FieldPos(0)
		b.take(first, text[:r.InputOffset()], line)
	}
	if err := b.rows(ctx, r, text); err != nil {
		return nil, err
	}

	if len(b.issues) > 0 {
		return nil, strictError(s, b.issues)
	}
	if b.unlog > 0 {
		log.Warn(fmt.Sprintf("%s: %d more problems not logged", s.path, b.unlog))
	}
	return b.finish(prev, stamp), nil
}

// rows reads r's records over text to the end into b.
func (b *builder) rows(ctx context.Context, r *stdcsv.Reader, text []byte) error {
	for n := 1; ; n++ {
		if n%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("loading %s: %w", b.s.path, err)
			}
		}
		off := r.InputOffset()
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if pe := (*stdcsv.ParseError)(nil); errors.As(err, &pe) {
				b.skipped++
				b.issue(pe.StartLine, fmt.Sprintf("broken quoting: %v (quote the whole field and double any quote inside it)", pe.Err), "row skipped")
				continue
			}
			return connectors.Errorf(connectors.ClassUnavailable, "Configure", "reading %s: %w", b.s.path, err)
		}
		line, _ := r.FieldPos(0)
		b.take(rec, text[off:r.InputOffset()], line)
	}
}

// keptRow is where a row taken from the previous snapshot is in the new
// file (line 0: not taken).
type keptRow struct {
	line, seq int32
}

// take adds one record, raw its bytes: from the previous snapshot when
// an identical row is where it is expected, else parsed.
func (b *builder) take(rec []string, raw []byte, line int) {
	h := maphash.Bytes(b.seed, bytes.TrimRight(raw, "\r\n"))
	if b.prev != nil && b.reuse(h, line) {
		return
	}
	n := len(b.entries)
	b.row(rec, line)
	if len(b.entries) == n {
		return // blank or skipped
	}
	e := &b.entries[n]
	e.raw = h
	if b.prev != nil {
		// Resynchronise: a row edited in place, or rows deleted before
		// it, move the expected position past the row's old one.
		if j, ok := b.prev.contactIndex(e.contact.ID); ok {
			if seq := int(b.prev.seqs[j]); seq >= b.next {
				b.next = seq + 1
			}
		}
	}
}

// reuse takes the previous snapshot's row with hash h when it is the row
// expected next in file order (or the one after: the expected row was
// edited or deleted). A taken row whose id an earlier row already holds
// is skipped as a duplicate, as a parsed one would be.
func (b *builder) reuse(h uint64, line int) bool {
	p := b.prev
	for k := b.next; k < len(p.order) && k <= b.next+1; k++ {
		j := p.order[k]
		e := p.contacts[j]
		if e.raw != h || b.kept[j].line != 0 {
			continue
		}
		b.next = k + 1
		if first, dup := b.lines[e.contact.ID]; dup {
			b.skipped++
			b.issue(line, fmt.Sprintf("duplicate id %q (first on line %d)", e.contact.ID, first), "row skipped")
			return true
		}
		b.kept[j] = keptRow{line: int32(line), seq: b.seq}
		b.seq++
		return true
	}
	return false
}

// newReader is the CSV reader of the settings over text.
func newReader(s *settings, text []byte) *stdcsv.Reader {
	r := stdcsv.NewReader(bytes.NewReader(text))
	r.Comma = s.delim
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	return r
}

// strictError lists the broken rows that failed a strict load.
func strictError(s *settings, issues []string) error {
	var msg strings.Builder
	fmt.Fprintf(&msg, "%s has %d problems and strict: true rejects the whole file:", s.path, len(issues))
	for i, is := range issues {
		if i == maxListedIssues {
			fmt.Fprintf(&msg, "\n  and %d more", len(issues)-maxListedIssues)
			break
		}
		msg.WriteString("\n  " + is)
	}
	msg.WriteString("\nfix these rows, or set strict: false to skip broken rows with a warning")
	return &connectors.Error{Class: connectors.ClassBadConfig, Op: "Configure", Message: msg.String()}
}

// row maps one record; broken rows are counted and skipped.
func (b *builder) row(rec []string, line int) {
	id, problem, blank := b.lay.head(b.s, rec)
	if blank {
		return // a spreadsheet's empty row: not data, not broken
	}
	skip := func(what string) {
		b.skipped++
		b.issue(line, what, "row skipped")
	}
	if problem != "" {
		skip(problem)
		return
	}
	if first, dup := b.lines[id]; dup {
		skip(fmt.Sprintf("duplicate id %q (first on line %d)", id, first))
		return
	}
	if b.prev != nil {
		if j, ok := b.prev.contactIndex(id); ok && b.kept[j].line != 0 {
			skip(fmt.Sprintf("duplicate id %q (first on line %d)", id, b.kept[j].line))
			return
		}
	}
	dropped := b.dropped
	c, nums, problem := b.lay.contact(b.s, rec, id, func(what string) {
		b.dropped++
		b.issue(line, what, "number dropped, row kept")
	})
	if problem != "" {
		skip(problem)
		return
	}
	b.lines[id] = line
	b.entries = append(b.entries, parsedRow{contactEntry: contactEntry{contact: c, numbers: nums, dropped: int32(b.dropped - dropped)},
		line: int32(line), seq: b.seq})
	b.seq++
}

// head checks a record's shape and id, the checks before the duplicate
// id check: blank is a row of empty cells (ignored, not broken); else a
// non-empty problem skips the row; else id is its trimmed id.
func (lay *layout) head(s *settings, rec []string) (id, problem string, blank bool) {
	blank = true
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			blank = false
			break
		}
	}
	if blank {
		return "", "", true
	}
	if len(rec) != lay.width {
		against := "the header"
		if !s.header {
			against = "the first row"
		}
		return "", fmt.Sprintf("%d fields, but %s has %d", len(rec), against, lay.width), false
	}
	id = strings.TrimSpace(rec[lay.id])
	if id == "" {
		return "", fmt.Sprintf("empty id (column %s)", lay.idName), false
	}
	return id, "", false
}

// cell is a record's trimmed cell of a single-column role ("" when the
// role is not mapped).
func (lay *layout) cell(rec []string, r role) string {
	if idx, ok := lay.single[r]; ok {
		return strings.TrimSpace(rec[idx])
	}
	return ""
}

// contact maps a record that passed head and the duplicate check: its
// fields first (a problem skips the row), then its numbers, each
// unreadable one reported to drop and left out.
func (lay *layout) contact(s *settings, rec []string, id string, drop func(what string)) (connectors.Contact, []phone.Number, string) {
	return lay.contactIn(s, rec, id, drop, nil)
}

// pageArena holds the backing arrays of a page's contacts (their Phones
// and Emails, each contact's a capped slice of them) and the scratch of
// their numbers, so that a page allocates them once, not per contact.
type pageArena struct {
	phones []connectors.Phone
	emails []string
	nums   []phone.Number // the row's numbers
	parsed []phone.Number // one field's numbers
}

// contactIn is contact; with an arena, the contact's Phones and Emails are
// taken from it and the numbers returned are nil.
func (lay *layout) contactIn(s *settings, rec []string, id string, drop func(what string), ar *pageArena) (connectors.Contact, []phone.Number, string) {
	c := connectors.Contact{ID: id}
	if name := lay.cell(rec, roleName); name != "" {
		c.FirstName = name
	} else {
		c.FirstName, c.LastName = lay.cell(rec, roleFirstName), lay.cell(rec, roleLastName)
	}
	c.CompanyName = lay.cell(rec, roleCompany)
	c.CompanyID = lay.cell(rec, roleCompanyID)
	if c.CompanyID == "" && c.CompanyName != "" {
		c.CompanyID = companyKey(c.CompanyName)
	}
	c.OwnerID = lay.cell(rec, roleOwner)
	c.JobTitle = lay.cell(rec, roleJobTitle)

	if len(lay.fields) > 0 {
		c.Fields = make(map[string]any, len(lay.fields))
		for _, f := range lay.fields {
			v, err := conf.ConvertField(f.spec.typ, strings.TrimSpace(rec[f.idx]))
			if err != nil {
				return connectors.Contact{}, nil, fmt.Sprintf("field %s: %v (column %s)", f.spec.name, err, f.label)
			}
			c.Fields[f.spec.name] = v
		}
	}

	var nums, parsed []phone.Number
	phones0 := 0
	if ar != nil {
		nums, parsed, phones0 = ar.nums[:0], ar.parsed, len(ar.phones)
	}
	for _, col := range lay.phones {
		raw := strings.TrimSpace(rec[col.idx])
		if raw == "" {
			continue
		}
		var errs []error
		parsed, errs = s.parser.AppendAll(parsed[:0], raw)
		for _, err := range errs {
			drop(fmt.Sprintf("column %s: %v", col.label, err))
		}
		for _, n := range parsed {
			if !n.Valid() {
				drop(fmt.Sprintf("column %s: cannot read %q as a phone number", col.label, n.Raw))
				continue
			}
			if hasNumber(nums, n) {
				continue
			}
			if n.Raw == "" {
				n.Raw = raw
			}
			if nums == nil && ar == nil {
				nums = make([]phone.Number, 0, len(lay.phones))
				c.Phones = make([]connectors.Phone, 0, len(lay.phones))
			}
			nums = append(nums, n)
			p := connectors.Phone{Raw: n.Raw, Label: col.label, E164: n.E164, Extension: n.Extension}
			if ar != nil {
				ar.phones = append(ar.phones, p)
			} else {
				c.Phones = append(c.Phones, p)
			}
		}
		if ar == nil {
			parsed = nil // the load keeps no scratch: each field its own
		}
	}
	if ar != nil {
		ar.nums, ar.parsed = nums, parsed
		if len(ar.phones) > phones0 {
			c.Phones = ar.phones[phones0:len(ar.phones):len(ar.phones)]
		}
		emails0 := len(ar.emails)
		ar.emails = appendEmails(ar.emails, rec, lay.emails)
		if len(ar.emails) > emails0 {
			c.Emails = ar.emails[emails0:len(ar.emails):len(ar.emails)]
		}
		return c, nil, ""
	}
	c.Emails = splitEmails(rec, lay.emails)
	return c, nums, ""
}

// companyKey is the id of a company known only by name.
func companyKey(name string) string {
	return "name:" + strings.ToLower(strings.Join(strings.Fields(name), " "))
}

func hasNumber(nums []phone.Number, n phone.Number) bool {
	for _, m := range nums {
		if m.E164 == n.E164 && m.National == n.National && m.Extension == n.Extension {
			return true
		}
	}
	return false
}

// splitEmails reads every address from the email columns; a cell may hold
// several, separated by commas, semicolons or spaces.
func splitEmails(rec []string, cols []labeledColumn) []string {
	return appendEmails(nil, rec, cols)
}

// appendEmails is splitEmails appending to out (the addresses already in
// it play no part).
func appendEmails(out []string, rec []string, cols []labeledColumn) []string {
	base := len(out)
	add := func(e string) {
		for _, have := range out[base:] {
			if strings.EqualFold(have, e) {
				return
			}
		}
		out = append(out, e)
	}
	for _, col := range cols {
		// strings.FieldsFunc's fields, without its slice.
		cell, start := rec[col.idx], -1
		for i, r := range cell {
			if r == ',' || r == ';' || unicode.IsSpace(r) {
				if start >= 0 {
					add(cell[start:i])
					start = -1
				}
			} else if start < 0 {
				start = i
			}
		}
		if start >= 0 {
			add(cell[start:])
		}
	}
	return out
}

// finish sorts the rows into a snapshot, builds the indexes and carries
// over the first-seen times of unchanged records from prev. New and changed
// records are stamped last, just before the snapshot can be served, so that
// a change is listed by changed-since as soon as it is stamped (the
// connector declares changed_since_exact).
func (b *builder) finish(prev *snapshot, stamp fileStamp) *snapshot {
	fresh := b.entries
	slices.SortFunc(fresh, func(a, b parsedRow) int { return strings.Compare(a.contact.ID, b.contact.ID) })
	for i := range fresh {
		e := &fresh[i]
		e.sum = contactSum(b.seed, &e.contact)
		e.contact.UpdatedAt = time.Time{} // new or changed: stamped below
		if prev != nil {
			if old := prev.contact(e.contact.ID); old != nil && old.sum == e.sum {
				e.contact.UpdatedAt = old.contact.UpdatedAt
			}
		}
	}
	snap := &snapshot{set: b.s, stamp: stamp, skipped: b.skipped, parsed: len(fresh), layKey: b.layKey}
	snap.contacts, snap.seqs = b.merge(fresh)
	snap.order = make([]int32, len(snap.contacts))
	for i, seq := range snap.seqs {
		snap.order[seq] = int32(i)
		snap.dropped += int(snap.contacts[i].dropped)
	}
	removed, added := b.changes(fresh)
	if b.prev != nil {
		e, ok1 := prev.byE164.patched(removed, added, e164Key)
		n, ok2 := prev.byNational.patched(removed, added, nationalKey)
		if ok1 && ok2 {
			snap.byE164, snap.byNational = e, n
		}
	}
	if snap.byE164.base == nil {
		snap.byE164, snap.byNational = newIndexes(snap.contacts)
	}
	if b.prev == nil || !patchCompanies(snap, prev, removed, added, b.seed) {
		companiesOf(snap, prev, b.seed)
	}
	snap.stampNew(prev == nil)
	snap.warmKeys(prev)
	return snap
}

// merge is the contacts in ID order, with their positions in file order:
// the rows taken from the previous snapshot (in ID order there, so not
// sorted again) and the parsed ones (fresh, sorted).
func (b *builder) merge(fresh []parsedRow) ([]*contactEntry, []int32) {
	n := int(b.seq)
	entries, seqs := make([]*contactEntry, 0, n), make([]int32, 0, n)
	i := 0
	if b.prev != nil {
		for j, e := range b.prev.contacts {
			k := b.kept[j]
			if k.line == 0 {
				continue
			}
			for ; i < len(fresh) && fresh[i].contact.ID < e.contact.ID; i++ {
				entries, seqs = append(entries, &fresh[i].contactEntry), append(seqs, fresh[i].seq)
			}
			entries, seqs = append(entries, e), append(seqs, k.seq)
		}
	}
	for ; i < len(fresh); i++ {
		entries, seqs = append(entries, &fresh[i].contactEntry), append(seqs, fresh[i].seq)
	}
	return entries, seqs
}

// changes is what differs from the previous snapshot: its contacts not
// taken (deleted, or replaced by a parsed row) and the parsed ones.
func (b *builder) changes(fresh []parsedRow) (removed, added []*contactEntry) {
	if b.prev == nil {
		return nil, nil
	}
	for j, e := range b.prev.contacts {
		if b.kept[j].line == 0 {
			removed = append(removed, e)
		}
	}
	added = make([]*contactEntry, len(fresh))
	for i := range fresh {
		added[i] = &fresh[i].contactEntry
	}
	return removed, added
}

// patchCompanies derives snap's companies from prev's when the changes
// cannot rename or remove one: a removed contact that named its company
// (the company's first contact by ID) is replaced by a row with the same
// ID, company ID and name, and an added contact either names a new
// company or sorts after its company's first contact. prev's slices are
// shared when nothing is added; false when a full derivation is needed.
func patchCompanies(snap, prev *snapshot, removed, added []*contactEntry, seed maphash.Seed) bool {
	byID := make(map[string]*connectors.Contact, len(added))
	for _, e := range added {
		byID[e.contact.ID] = &e.contact
	}
	for _, e := range removed {
		was := &e.contact
		if was.CompanyID == "" {
			continue
		}
		if j, ok := prev.companyIndex(was.CompanyID); ok && prev.companySrc[j] == was.ID {
			now := byID[was.ID]
			if now == nil || now.CompanyID != was.CompanyID || now.CompanyName != was.CompanyName {
				return false
			}
		}
	}
	var fresh []connectors.Company
	var freshSrc []string
	seen := map[string]bool{}
	for _, e := range added { // in ID order
		now := &e.contact
		if now.CompanyID == "" {
			continue
		}
		if j, ok := prev.companyIndex(now.CompanyID); ok {
			if now.ID < prev.companySrc[j] {
				return false // the company's first contact changes
			}
			continue
		}
		if !seen[now.CompanyID] {
			seen[now.CompanyID] = true
			fresh = append(fresh, connectors.Company{ID: now.CompanyID, Name: now.CompanyName}) // zero UpdatedAt: new
			freshSrc = append(freshSrc, now.ID)
		}
	}
	// Shared when nothing is added: no reload modifies a served
	// snapshot's companies.
	snap.companies, snap.companySum, snap.companySrc = prev.companies, prev.companySum, prev.companySrc
	if len(fresh) == 0 {
		return true
	}
	order := make([]int, len(fresh))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(fresh[a].ID, fresh[b].ID) })
	n := len(prev.companies) + len(fresh)
	cos, sums, srcs := make([]connectors.Company, 0, n), make([]uint64, 0, n), make([]string, 0, n)
	i := 0
	for _, k := range order {
		for ; i < len(prev.companies) && prev.companies[i].ID < fresh[k].ID; i++ {
			cos, sums, srcs = append(cos, prev.companies[i]), append(sums, prev.companySum[i]), append(srcs, prev.companySrc[i])
		}
		cos, sums, srcs = append(cos, fresh[k]), append(sums, companySum(seed, &fresh[k])), append(srcs, freshSrc[k])
	}
	snap.companies = append(cos, prev.companies[i:]...)
	snap.companySum = append(sums, prev.companySum[i:]...)
	snap.companySrc = append(srcs, prev.companySrc[i:]...)
	return true
}

// companiesOf derives snap's companies from its contacts: one per
// company id, named by its first contact by ID. A company unchanged
// since prev keeps its first-seen time.
func companiesOf(snap, prev *snapshot, seed maphash.Seed) {
	companies := map[string]int{}
	var srcs []string
	for _, e := range snap.contacts {
		c := &e.contact
		if id := c.CompanyID; id != "" {
			if _, seen := companies[id]; !seen {
				companies[id] = len(snap.companies)
				snap.companies = append(snap.companies, connectors.Company{ID: id, Name: c.CompanyName})
				srcs = append(srcs, c.ID)
			}
		}
	}
	order := make([]int, len(snap.companies))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(snap.companies[a].ID, snap.companies[b].ID) })
	if len(order) > 0 {
		sorted := make([]connectors.Company, len(order))
		snap.companySrc = make([]string, len(order))
		for i, j := range order {
			sorted[i], snap.companySrc[i] = snap.companies[j], srcs[j]
		}
		snap.companies = sorted
	}
	snap.companySum = make([]uint64, len(snap.companies))
	for i := range snap.companies {
		co := &snap.companies[i]
		snap.companySum[i] = companySum(seed, co)
		co.UpdatedAt = time.Time{} // new or changed: stamped by stampNew
		if prev != nil {
			if j, ok := prev.companyIndex(co.ID); ok && prev.companySum[j] == snap.companySum[i] {
				co.UpdatedAt = prev.companies[j].UpdatedAt
			}
		}
	}
}

// stampNew stamps the records that are new or changed (their UpdatedAt
// still zero) with the time the snapshot is ready to be served, so that a
// change is listed by changed-since as soon as it is stamped.
//
// The first load of a process (first true) stamps them with the time the
// file was read instead: nothing could list this process's records
// before, and a cursor from an earlier process predates the read. A host
// that builds its index right after the load then does not list every
// record again on its first poll (the look-back of an exact connector is
// a second; a large load takes longer than that).
func (snap *snapshot) stampNew(first bool) {
	now := time.Now()
	snap.loadedAt = now
	if first && !snap.stamp.readAt.IsZero() {
		now = snap.stamp.readAt
	}
	for _, e := range snap.contacts {
		if c := &e.contact; c.UpdatedAt.IsZero() {
			c.UpdatedAt = now
		}
	}
	for i := range snap.companies {
		if co := &snap.companies[i]; co.UpdatedAt.IsZero() {
			co.UpdatedAt = now
		}
	}
}

// contact finds a contact by ID.
func (s *snapshot) contact(id string) *contactEntry {
	if i, ok := s.contactIndex(id); ok {
		return s.contacts[i]
	}
	return nil
}

// contactIndex finds a contact's index by ID.
func (s *snapshot) contactIndex(id string) (int, bool) {
	i := sort.Search(len(s.contacts), func(i int) bool { return s.contacts[i].contact.ID >= id })
	return i, i < len(s.contacts) && s.contacts[i].contact.ID == id
}

// companyIndex finds a company by ID.
func (s *snapshot) companyIndex(id string) (int, bool) {
	i := sort.Search(len(s.companies), func(i int) bool { return s.companies[i].ID >= id })
	return i, i < len(s.companies) && s.companies[i].ID == id
}

// contactSum hashes everything a contact exposes except UpdatedAt.
func contactSum(seed maphash.Seed, c *connectors.Contact) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	for _, s := range []string{c.ID, c.FirstName, c.LastName, c.CompanyID, c.CompanyName, c.OwnerID, c.JobTitle} {
		writeString(&h, s)
	}
	for _, p := range c.Phones {
		for _, s := range []string{p.Raw, p.Label, p.E164, p.Extension} {
			writeString(&h, s)
		}
	}
	h.WriteByte(0xff)
	for _, e := range c.Emails {
		writeString(&h, e)
	}
	h.WriteByte(0xff)
	keys := make([]string, 0, len(c.Fields))
	for k := range c.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		writeString(&h, k)
		switch v := c.Fields[k].(type) {
		case string:
			writeString(&h, "s"+v)
		case float64:
			writeString(&h, "n"+strconv.FormatFloat(v, 'g', -1, 64))
		case bool:
			writeString(&h, "b"+strconv.FormatBool(v))
		case nil:
			writeString(&h, "0")
		default:
			writeString(&h, fmt.Sprintf("%T:%v", v, v))
		}
	}
	return h.Sum64()
}

// companySum hashes everything a company exposes except UpdatedAt.
func companySum(seed maphash.Seed, c *connectors.Company) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	writeString(&h, c.ID)
	writeString(&h, c.Name)
	return h.Sum64()
}

// writeString writes s length-prefixed, so that adjacent strings cannot
// run into each other.
func writeString(h *maphash.Hash, s string) {
	var n [8]byte
	l := uint64(len(s))
	for i := range n {
		n[i] = byte(l >> (8 * i))
	}
	h.Write(n[:])
	h.WriteString(s)
}
