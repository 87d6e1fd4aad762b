package csv

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
)

// Listed-only mode (ConfigureRequest.ListedOnly: the host indexes the
// records itself and looks up here only off the ring path).
//
// Configure then checks the file's header and returns; no row is kept. A
// scan (in the background, then on every change of the file) reads the
// file once without parsing numbers and keeps a version of it: for each
// row a listing yields (in file order) the hash of its id, the hash of its
// mapped content, where it starts (byte offset and line) and the index of
// its first-seen time, 32 bytes a row, plus the distinct companies. Pages
// of ListContacts read the file from where the previous page ended (the
// cursor holds the version, the byte offset and the line); the version's
// rows say which rows are listed, so every page skips exactly the rows a
// full load skips, without a map of the ids seen. A page whose version is
// no longer the file's fails: a listing never mixes two versions.
//
// The first scan serves its version while it reads it: the version's
// generation and first-seen time (the read time) are known when it
// starts, and duplicates are decided in file order (the first row with an
// id wins, as in a load) by a set of the id hashes (idSet), so a page
// waits only until the scan has passed its last row. A scan that fails
// makes the pages of its version fail (those waiting, and the listing's
// next ones). Its row warnings are held back until it is published, then
// logged in a load's order.
//
// A row's first-seen time is carried from the previous version when its
// id and mapped content hash the same, else it is the time the new
// version was published, before any page can read it (changed_since stays
// exact). Lookups load the whole file into a snapshot on first use (off
// the ring path), kept until the file changes.

// fileID identifies one version of a file by what stat says.
type fileID struct {
	dev, ino uint64
	size     int64
	mtime    int64
}

func idOf(fi os.FileInfo) fileID {
	id := fileID{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	id.dev, id.ino = devIno(fi)
	return id
}

// rowEntry is one listed row of a version.
type rowEntry struct {
	h     uint64 // of the id
	sum   uint64 // of the mapped content (rowSum)
	off   int64  // where the reader starts to read the row
	line  uint32 // the row's line, for messages
	stamp uint32 // index into version.stamps
}

// version is one scanned version of the file. It is not modified once
// published, except for its report and caches, which have locks. A
// version a first scan serves while it reads it (prog) is exposed with
// what a page reads but its rows; those are the progress's until it is
// published.
type version struct {
	gen       uint64
	id        fileID
	sum       uint64 // of every byte of the file
	readAt    time.Time
	checked   atomic.Int64 // unix nanos of the last re-hash that found sum again
	lay       *layout      // nil: a headerless file without rows
	start     int64        // offset of the first row after the header
	startLine int64        // lines before start
	rows      []rowEntry   // the listed rows, in file order
	stamps    []time.Time
	maxStamp  time.Time
	skipped   int
	utf8Bad   bool

	companies  []connectors.Company // sorted by ID
	companySum []uint64

	// prog is the progress of the first scan that builds this version
	// while its first pages are served (nil: the version was published
	// whole). Its fields are guarded by the stream's pmu.
	prog *progress

	rep     report
	changed struct {
		sync.Mutex
		since time.Time
		idx   []uint32
	}
}

// progress is how far the first scan of a version has got: its rows so
// far (every row starting before the last one is decided: listed or not),
// whether it has ended, and how.
type progress struct {
	rows  []rowEntry // a prefix of the version's rows; never modified
	clean bool       // the bytes read so far were all UTF-8
	done  bool       // the version is published (rows are all of them)
	err   error      // the scan failed: the version is never published
}

// scanHooks lets tests step the first scan: every rows make a progress
// step, after which step is called (from the scan's goroutine); wait is
// called when a page is about to wait for the scan's progress (under the
// progress lock: it must not block).
type scanHooks struct {
	every int
	step  func(rows int)
	wait  func()
}

// report is the logging of a version's broken rows, done once per
// version by the first listing that reads it whole, page after page.
type report struct {
	mu      sync.Mutex
	next    int64 // the offset the next reporting page starts at
	busy    bool
	done    bool
	logged  int
	unlog   int
	skipped int
	dropped int

	// Row warnings of a version whose first scan has not ended wait in
	// pending until it is published, after the file's own warning (not
	// UTF-8), in the order a load logs them.
	logMu   sync.Mutex
	direct  bool
	pending []string
}

// stream is the state of a listed-only configuration.
type stream struct {
	s    *settings
	seed maphash.Seed
	log  hclog.Logger
	gens *atomic.Uint64

	ready  chan struct{} // closed when the first scan has ended
	mu     sync.Mutex    // serialises scans
	cur    atomic.Pointer[version]
	failed atomic.Pointer[reloadFailure]
	lastE  string // the last scan error logged; guarded by mu

	// held is a rescan the shrink guard keeps out (nil: none); guarded
	// by mu.
	held *streamHold

	lookMu  sync.Mutex
	look    *snapshot
	lookGen uint64

	// The first scan's version, served while it is being scanned.
	hooks *scanHooks
	pmu   sync.Mutex
	pcond *sync.Cond // broadcast on every change of the fields below
	first *version   // the version the first scan is building, if any
	over  bool       // the first scan has ended (first is nil)

	cancel context.CancelFunc
	done   chan struct{}
}

// streamUnsupported says why a configuration is loaded in full even when
// the host lists only ("" when it can stream).
func streamUnsupported(s *settings) string {
	switch {
	case s.strict:
		return "strict: true validates every row before serving and keeps the previous data when a reload fails"
	case s.enc != nil:
		return "encoding: " + s.encName + " is decoded whole (streaming reads UTF-8 only)"
	}
	return ""
}

// newStream starts the first scan (then the watch of the file, with a
// reload interval); prev, the version of the configuration it replaces,
// supplies first-seen times.
func newStream(s *settings, seed maphash.Seed, log hclog.Logger, gens *atomic.Uint64, prev *version, hooks *scanHooks) *stream {
	ctx, cancel := context.WithCancel(context.Background())
	st := &stream{s: s, seed: seed, log: log, gens: gens, ready: make(chan struct{}), cancel: cancel, done: make(chan struct{}), hooks: hooks}
	st.pcond = sync.NewCond(&st.pmu)
	go func() {
		defer close(st.done)
		st.mu.Lock()
		_, err := st.rescan(ctx, prev, prev == nil)
		st.mu.Unlock()
		st.pmu.Lock()
		st.over = true
		st.pcond.Broadcast()
		st.pmu.Unlock()
		close(st.ready)
		if err != nil && ctx.Err() == nil {
			st.fail(err)
		}
		if s.reload <= 0 {
			return
		}
		t := time.NewTicker(s.reload)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if _, err := st.ensure(ctx); err != nil && ctx.Err() == nil && !errors.Is(err, errHeld) {
				st.fail(err)
			}
		}
	}()
	return st
}

// stop ends the scan and the watch and waits for them.
func (st *stream) stop() {
	st.cancel()
	<-st.done
}

// fail records and logs (once per message) a failed scan.
func (st *stream) fail(err error) {
	st.failed.Store(&reloadFailure{at: time.Now(), err: err})
	st.mu.Lock()
	defer st.mu.Unlock()
	if msg := err.Error(); msg != st.lastE {
		st.lastE = msg
		st.log.Error(fmt.Sprintf("reading %s failed; listing fails until it is fixed: %v", st.s.path, err))
	}
}

// streamHold is a rescan the shrink guard keeps out: the file lost more
// than max_shrink of the rows of the version served. The rows are not
// kept, so nothing can be served from the old file: listing fails (the
// host keeps answering from its index, as it does for any failed
// rebuild) and Check reports it, until the operator touches the accept
// file, the file changes to content the guard lets through, or the
// connector is configured again.
type streamHold struct {
	next   *version // the file's current content, scanned but not served
	served int      // rows of the version served
	since  time.Time
	marker time.Time // the accept file's mtime when the hold began
}

// errHeld is wrapped by the error of every call that needs the file
// while a reload is held.
var errHeld = errors.New("a reload is held")

// heldErr is the error of every call that needs the file while h holds.
func (st *stream) heldErr(op string, h *streamHold) error {
	return &connectors.Error{Class: connectors.ClassUnavailable, Op: op, Err: errHeld,
		Message: fmt.Sprintf("degraded: a reload held since %s: %s", h.since.Format(time.RFC3339), shrinkMessage(st.s, h.served, len(h.next.rows)))}
}

// guard decides on a rescan from prev to v (not yet published): nil to
// publish it, or the hold that keeps it out. Callers hold mu.
func (st *stream) guard(prev, v *version) *streamHold {
	if prev == nil || !shrinkGuard(len(prev.rows), len(v.rows), st.s.maxShrink) {
		return nil
	}
	marker := markerTime(st.s)
	if h := st.held; h != nil && !marker.Equal(h.marker) && !marker.IsZero() {
		st.log.Warn(fmt.Sprintf("%s: the smaller file was accepted (%s touched): serving its %d records", st.s.path, acceptPath(st.s), len(v.rows)))
		return nil
	}
	h := &streamHold{next: v, served: len(prev.rows), since: time.Now(), marker: marker}
	if old := st.held; old != nil {
		h.since, h.marker = old.since, old.marker
	}
	return h
}

// ensure returns the version of the file as it is now, scanning it when
// it changed since the current version.
func (st *stream) ensure(ctx context.Context) (*version, error) {
	select {
	case <-st.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if v := st.cur.Load(); v != nil && st.unchanged(v) {
		return v, nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	v := st.cur.Load()
	if v != nil && st.unchanged(v) {
		return v, nil
	}
	if h := st.held; h != nil && st.unchanged(h.next) && markerTime(st.s).Equal(h.marker) {
		return nil, st.heldErr("List", h)
	}
	nv, err := st.rescan(ctx, v, false)
	if err != nil {
		return nil, err
	}
	st.failed.Store(nil)
	st.lastE = ""
	return nv, nil
}

// unchanged reports whether the file is still v: same stat, and, when v
// was read too soon after its last write for a same-size rewrite to show
// in the mtime, the same content.
func (st *stream) unchanged(v *version) bool {
	fi, err := os.Stat(st.s.absPath)
	if err != nil || idOf(fi) != v.id {
		return false
	}
	checked := max(v.readAt.UnixNano(), v.checked.Load())
	if checked-v.id.mtime >= int64(racyWindow) {
		return true
	}
	now := time.Now()
	sum, id, err := hashFile(st.s.absPath, st.seed)
	if err != nil || id != v.id || sum != v.sum {
		return false
	}
	v.checked.Store(now.UnixNano())
	return true
}

// hashFile hashes every byte of the file as a scan does.
func hashFile(path string, seed maphash.Seed) (uint64, fileID, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fileID{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, fileID{}, err
	}
	var h maphash.Hash
	h.SetSeed(seed)
	if _, err := io.Copy(&h, f); err != nil {
		return 0, fileID{}, err
	}
	return h.Sum64(), idOf(fi), nil
}

// rescan scans the file (again, a few times if it changes while being
// read) and publishes the version. early (the first scan, without a
// previous version) serves the version's pages while it is scanned.
// Callers hold mu.
func (st *stream) rescan(ctx context.Context, prev *version, early bool) (*version, error) {
	var err error
	for try := 0; try < 3; try++ {
		var v *version
		v, err = st.scan(ctx, prev, early)
		if errors.Is(err, errScanChanged) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if h := st.guard(prev, v); h != nil {
			if st.held == nil {
				st.log.Error(fmt.Sprintf("reload held: %s; listing fails meanwhile, so Switchboard keeps answering from its index",
					shrinkMessage(st.s, h.served, len(v.rows))))
			}
			st.held = h
			return nil, st.heldErr("List", h)
		}
		st.held = nil
		st.publish(v, prev)
		if v.prog != nil {
			st.pmu.Lock()
			v.prog.rows, v.prog.clean, v.prog.done = v.rows, !v.utf8Bad, true
			st.first = nil
			st.pcond.Broadcast()
			st.pmu.Unlock()
		}
		return v, nil
	}
	return nil, connectors.Errorf(connectors.ClassUnavailable, "Configure", "%s keeps changing while it is read: %w", st.s.path, err)
}

var errScanChanged = errors.New("the file changed while it was read")

// publish stamps the version's new and changed rows and makes it current.
func (st *stream) publish(v *version, prev *version) {
	if v.gen == 0 {
		v.gen = st.gens.Add(1)
	}
	now := time.Now()
	if prev == nil {
		now = v.firstSeen()
	}
	for i := range v.stamps {
		if v.stamps[i].IsZero() {
			v.stamps[i] = now
		}
	}
	for i := range v.companies {
		if co := &v.companies[i]; co.UpdatedAt.IsZero() {
			co.UpdatedAt = now
		}
	}
	for _, t := range v.stamps {
		if t.After(v.maxStamp) {
			v.maxStamp = t
		}
	}
	for _, co := range v.companies {
		if co.UpdatedAt.After(v.maxStamp) {
			v.maxStamp = co.UpdatedAt
		}
	}
	if v.prog == nil {
		v.rep.next = v.start
	}
	st.cur.Store(v)
	rp := &v.rep
	rp.logMu.Lock()
	if v.utf8Bad {
		st.log.Warn(fmt.Sprintf("%s is not valid UTF-8: set encoding: to the file's encoding "+
			"(e.g. windows-1252 or iso-8859-9); unreadable bytes are shown as U+FFFD", st.s.path))
	}
	for _, msg := range rp.pending {
		st.log.Warn(msg)
	}
	rp.pending, rp.direct = nil, true
	rp.logMu.Unlock()
	what := "scanned"
	if prev != nil {
		what = "re-scanned"
	}
	st.log.Info(fmt.Sprintf("%s %s for listing: %d contacts, %d companies (%d rows skipped); rows are read from the file page by page (listed_only)",
		what, st.s.path, len(v.rows), len(v.companies), v.skipped))
	// The scan's scratch (sort keys, company maps) is garbage now: give
	// it back rather than keep it resident.
	debug.FreeOSMemory()
}

// firstSeen is when a first scan's rows changed at the latest: the
// file's modification time (not the read time: a host that polls for
// the changes since just before its build would otherwise be sent every
// row again), or the read time for a file dated in the future.
func (v *version) firstSeen() time.Time {
	if t := time.Unix(0, v.id.mtime); t.Before(v.readAt) {
		return t
	}
	return v.readAt
}

// bom is the UTF-8 byte order mark.
var bom = []byte("\uFEFF")

// csvReader reads CSV from br with the settings.
func csvReader(s *settings, br io.Reader) *stdcsv.Reader {
	r := stdcsv.NewReader(br)
	r.Comma = s.delim
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	return r
}

// sanitize replaces the bytes of rec that are not UTF-8 by U+FFFD, as a
// load does for the whole file; false when there were none.
func sanitize(rec []string) bool {
	bad := false
	for i, f := range rec {
		if !utf8.ValidString(f) {
			rec[i] = strings.ToValidUTF8(f, "\uFFFD")
			bad = true
		}
	}
	return bad
}

// endLine is the line a record read by r ends on (relative to r's start):
// the line of its last field and the line breaks inside it.
func endLine(r *stdcsv.Reader, rec []string) int64 {
	last := len(rec) - 1
	line, _ := r.FieldPos(last)
	return int64(line + strings.Count(rec[last], "\n"))
}

// head is what the start of a file says: the layout, where the rows
// begin, and the first record when it is a row (header: false).
type head struct {
	lay       *layout
	base      int64 // bytes before the reader (a byte order mark)
	start     int64 // offset of the first row after the header
	startLine int64
	first     []string // header: false: the first row (nil: no rows)
	utf8Bad   bool
}

// readHead reads the header (or first row) from r, which started at
// offset base, with the errors a load gives.
func readHead(s *settings, r *stdcsv.Reader, base int64, op string) (*head, error) {
	h := &head{base: base}
	first, err := r.Read()
	switch {
	case errors.Is(err, io.EOF):
		if s.header {
			return nil, connectors.Errorf(connectors.ClassBadConfig, op,
				"%s is empty: it needs a header row naming the columns (or set header: false)", s.path)
		}
		h.start = base
		return h, nil
	case err != nil:
		var pe *stdcsv.ParseError
		if !errors.As(err, &pe) {
			return nil, connectors.Errorf(connectors.ClassUnavailable, op, "reading %s: %w", s.path, err)
		}
		return nil, connectors.Errorf(connectors.ClassBadConfig, op,
			"cannot read the first row of %s: %w; fix the file's quoting or check delimiter:", s.path, err)
	}
	h.utf8Bad = sanitize(first)
	var header []string
	if s.header {
		header = make([]string, len(first))
		for i, c := range first {
			header[i] = strings.TrimSpace(c)
		}
		h.start = base + r.InputOffset()
		h.startLine = endLine(r, first)
	} else {
		h.start = base
		h.first = first
	}
	lay, problems := resolve(s, header, len(first))
	if len(problems) > 0 {
		return nil, &configError{problems}
	}
	h.lay = lay
	return h, nil
}

// openErr is the error for a file that cannot be opened.
func openErr(s *settings, op string, err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return &configError{[]connectors.Problem{missingFile(s)}}
	}
	return connectors.Errorf(connectors.ClassUnavailable, op,
		"cannot read the CSV file %s: %w; check its permissions", s.absPath, err)
}

// checkHead is Configure's cheap check of the file: it opens and its
// header has the configured columns.
func checkHead(s *settings) error {
	f, err := os.Open(s.absPath)
	if err != nil {
		return openErr(s, "Configure", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var base int64
	if b, _ := br.Peek(len(bom)); bytes.Equal(b, bom) {
		_, _ = br.Discard(len(bom))
		base = int64(len(bom))
	}
	_, err = readHead(s, csvReader(s, br), base, "Configure")
	return err
}

// roleOrder is the order rowSum hashes the single-column roles in.
var roleOrder = []role{roleName, roleFirstName, roleLastName, roleCompany, roleCompanyID, roleOwner, roleJobTitle}

// rowSum hashes what a row's contact is made of (its id, its mapped
// cells, the phone region, the converted fields), or says which field
// cannot be converted, as the load would. Two rows with the same sum map
// to the same contact; a row edited so that it still maps to the same
// contact (a number field written differently, a number re-spaced) may
// sum differently, and then counts as changed.
func (lay *layout) rowSum(seed maphash.Seed, region string, rec []string, id string) (uint64, string) {
	var h maphash.Hash
	h.SetSeed(seed)
	writeString(&h, id)
	for _, r := range roleOrder {
		writeString(&h, lay.cell(rec, r))
	}
	writeString(&h, region)
	for _, col := range lay.phones {
		writeString(&h, col.label)
		writeString(&h, strings.TrimSpace(rec[col.idx]))
	}
	h.WriteByte(0xff)
	for _, col := range lay.emails {
		writeString(&h, rec[col.idx])
	}
	h.WriteByte(0xff)
	var buf [32]byte
	for _, f := range lay.fields {
		raw := strings.TrimSpace(rec[f.idx])
		if f.spec.typ == conf.FieldString || f.spec.typ == conf.FieldAsIs {
			// ConvertField's value is raw itself: hash it unboxed.
			writeString(&h, f.spec.name)
			h.WriteByte('s')
			writeString(&h, raw)
			continue
		}
		v, err := conf.ConvertField(f.spec.typ, raw)
		if err != nil {
			return 0, fmt.Sprintf("field %s: %v (column %s)", f.spec.name, err, f.label)
		}
		writeString(&h, f.spec.name)
		switch v := v.(type) {
		case string:
			h.WriteByte('s')
			writeString(&h, v)
		case float64:
			h.WriteByte('n')
			h.Write(strconv.AppendFloat(buf[:0], v, 'g', -1, 64))
		case bool:
			h.WriteByte('b')
			h.Write(strconv.AppendBool(buf[:0], v))
		case nil:
			h.WriteByte('0')
		default:
			writeString(&h, fmt.Sprintf("%T:%v", v, v))
		}
	}
	return h.Sum64(), ""
}

// fieldProblem is the first field of rec that cannot be converted ("":
// none).
func (lay *layout) fieldProblem(rec []string) string {
	for _, f := range lay.fields {
		if _, err := conf.ConvertField(f.spec.typ, strings.TrimSpace(rec[f.idx])); err != nil {
			return fmt.Sprintf("field %s: %v (column %s)", f.spec.name, err, f.label)
		}
	}
	return ""
}

// companyAcc is a company being derived: named by its first contact by ID.
type companyAcc struct {
	name, src string
}

// addCompany counts a listed row's company.
func addCompany(cos map[string]*companyAcc, lay *layout, rec []string, id string) {
	name := lay.cell(rec, roleCompany)
	cid := lay.cell(rec, roleCompanyID)
	if cid == "" {
		if name == "" {
			return
		}
		cid = companyKey(name)
	}
	if a, ok := cos[cid]; !ok {
		cos[strings.Clone(cid)] = &companyAcc{name: strings.Clone(name), src: strings.Clone(id)}
	} else if id < a.src {
		a.name, a.src = strings.Clone(name), strings.Clone(id)
	}
}

// scan reads the file into a version (not yet published). early exposes
// the version (st.first) once its header is read, with the progress of
// its rows, so that pages are served while it is scanned; a failure then
// ends its listing (v.prog.err).
func (st *stream) scan(ctx context.Context, prev *version, early bool) (v *version, err error) {
	s := st.s
	f, err := os.Open(s.absPath)
	if err != nil {
		return nil, openErr(s, "Configure", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, openErr(s, "Configure", err)
	}
	v = &version{id: idOf(fi), readAt: time.Now()}
	var fh maphash.Hash
	fh.SetSeed(st.seed)
	br := bufio.NewReaderSize(io.TeeReader(f, &fh), 64<<10)
	var base int64
	if b, _ := br.Peek(len(bom)); bytes.Equal(b, bom) {
		_, _ = br.Discard(len(bom))
		base = int64(len(bom))
	}
	r := csvReader(s, br)
	hd, err := readHead(s, r, base, "Configure")
	if err != nil {
		return nil, err
	}
	v.lay, v.start, v.startLine, v.utf8Bad = hd.lay, hd.start, hd.startLine, hd.utf8Bad
	var rows []rowEntry
	every, step := 512, func(int) {}
	if early {
		// Everything a page reads but the rows is known now: the
		// generation, and the one first-seen time (the read time).
		v.gen = st.gens.Add(1)
		v.stamps = []time.Time{v.firstSeen()}
		v.rep.next = v.start
		v.prog = &progress{clean: !v.utf8Bad}
		if h := st.hooks; h != nil {
			every, step = max(h.every, 1), h.step
		}
		st.pmu.Lock()
		st.first = v
		st.pcond.Broadcast()
		st.pmu.Unlock()
		ev := v // (v is nil once an error is returned)
		defer func() {
			if err != nil {
				st.pmu.Lock()
				ev.prog.err = err
				if st.first == ev {
					st.first = nil
				}
				st.pcond.Broadcast()
				st.pmu.Unlock()
			}
		}()
	}
	advance := func() {
		st.pmu.Lock()
		v.prog.rows, v.prog.clean = rows, !v.utf8Bad
		st.pcond.Broadcast()
		st.pmu.Unlock()
		step(len(rows))
	}
	cos := map[string]*companyAcc{}
	if v.lay != nil {
		ids := newIDSet(1024)
		var terr error
		take := func(rec []string, off int64, line int) {
			if sanitize(rec) {
				v.utf8Bad = true
			}
			id, problem, blank := v.lay.head(s, rec)
			if blank {
				return
			}
			if problem != "" {
				v.skipped++
				return
			}
			sum, problem := v.lay.rowSum(st.seed, s.region, rec, id)
			if problem != "" {
				v.skipped++
				return
			}
			h := maphash.String(st.seed, id)
			// The first row with an id is listed, the later ones are
			// skipped (equal hashes: the ids are compared exactly).
			dup, err := ids.add(rows, h, func(e *rowEntry) (bool, error) {
				oid, err := st.idAt(f, v, e.off)
				return oid == id, err
			})
			if err != nil {
				terr = err
				return
			}
			if dup {
				v.skipped++
				return
			}
			rows = append(rows, rowEntry{h: h, sum: sum, off: off, line: uint32(line)})
			ids.grow(rows)
			addCompany(cos, v.lay, rec, id)
			if early && len(rows)%every == 0 {
				advance()
			}
		}
		if hd.first != nil {
			line, _ := r.FieldPos(0)
			take(hd.first, base, line)
		}
		for n := 1; terr == nil; n++ {
			if n%ctxCheckEvery == 0 {
				if err := ctx.Err(); err != nil {
					return nil, fmt.Errorf("reading %s: %w", s.path, err)
				}
			}
			if n == 1024 {
				// Size the rows once, from the first rows' length.
				if read := base + r.InputOffset() - v.start; read > 0 && len(rows) > 0 {
					per := float64(read) / float64(len(rows))
					est := int(float64(v.id.size-v.start)/per*1.05) + 1024
					rows = slices.Grow(rows, est-len(rows))
					ids.reserve(rows, est)
				}
			}
			off := base + r.InputOffset()
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				var pe *stdcsv.ParseError
				if errors.As(err, &pe) {
					v.skipped++
					continue
				}
				return nil, connectors.Errorf(connectors.ClassUnavailable, "Configure", "reading %s: %w", s.path, err)
			}
			line, _ := r.FieldPos(0)
			take(rec, off, line)
		}
		if terr != nil {
			return nil, terr
		}
	}
	v.rows = rows
	v.sum = fh.Sum64()
	if fi, err := f.Stat(); err != nil || idOf(fi) != v.id {
		return nil, errScanChanged
	}
	st.finishCompanies(v, cos, prev)
	if !early {
		st.carryStamps(v, prev)
	}
	return v, nil
}

// hashIdx is a row's id hash and index, to sort by hash.
type hashIdx struct {
	h uint64
	i uint32
}

// byHash is the rows' indexes sorted by id hash (then file order).
func byHash(rows []rowEntry) []hashIdx {
	hs := make([]hashIdx, len(rows))
	for i := range rows {
		hs[i] = hashIdx{rows[i].h, uint32(i)}
	}
	slices.SortFunc(hs, func(a, b hashIdx) int {
		if a.h != b.h {
			if a.h < b.h {
				return -1
			}
			return 1
		}
		return int(a.i) - int(b.i)
	})
	return hs
}

// idSet is the set of the listed rows' ids as a scan goes: an open
// addressing table keyed by the rows' id hashes, at most three quarters
// full, 8 bytes a slot: the row's index plus one (0: empty) in the low
// half, the hash's high half in the other, so that only a row with the
// same hash is looked at.
type idSet struct {
	slots []uint64
	n     int
}

func newIDSet(n int) *idSet {
	return &idSet{slots: make([]uint64, tableSize(n))}
}

// tableSize is the power of two of at least 4/3 n slots.
func tableSize(n int) int {
	size := 16
	for size*3 < 4*n {
		size <<= 1
	}
	return size
}

// add reports whether a listed row (of rows) has the id hashed h, as same
// says of a row with that hash; if not, it counts the row the caller
// appends to rows next (then calls grow).
func (t *idSet) add(rows []rowEntry, h uint64, same func(*rowEntry) (bool, error)) (bool, error) {
	mask := uint64(len(t.slots) - 1)
	tag := h &^ (1<<32 - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		x := t.slots[i]
		if x == 0 {
			t.slots[i] = tag | uint64(len(rows)+1)
			t.n++
			return false, nil
		}
		if x&^(1<<32-1) != tag {
			continue
		}
		if e := &rows[uint32(x)-1]; e.h == h {
			if ok, err := same(e); ok || err != nil {
				return ok, err
			}
		}
	}
}

// grow keeps the table at most three quarters full once the row is
// appended.
func (t *idSet) grow(rows []rowEntry) {
	if 4*t.n > 3*len(t.slots) {
		t.reserve(rows, 2*t.n)
	}
}

// reserve sizes the table for n rows (rehashing rows into it).
func (t *idSet) reserve(rows []rowEntry, n int) {
	size := tableSize(n)
	if size <= len(t.slots) {
		return
	}
	t.slots = make([]uint64, size)
	mask := uint64(size - 1)
	for j := range rows {
		h := rows[j].h
		i := h & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = h&^(1<<32-1) | uint64(j+1)
	}
}

// recordAt reads the record that a reader started at off reads first.
func recordAt(f *os.File, s *settings, size, off int64) ([]string, error) {
	r := csvReader(s, bufio.NewReader(io.NewSectionReader(f, off, size-off)))
	rec, err := r.Read()
	if err != nil {
		return nil, err
	}
	sanitize(rec)
	return rec, nil
}

// idAt is the id of the listed row at off.
func (st *stream) idAt(f *os.File, v *version, off int64) (string, error) {
	rec, err := recordAt(f, st.s, v.id.size, off)
	if err != nil {
		return "", errScanChanged
	}
	id, problem, blank := v.lay.head(st.s, rec)
	if blank || problem != "" {
		return "", errScanChanged
	}
	return id, nil
}

// finishCompanies sorts the companies and carries the first-seen times of
// those unchanged since prev (zero: stamped when published).
func (st *stream) finishCompanies(v *version, cos map[string]*companyAcc, prev *version) {
	v.companies = make([]connectors.Company, 0, len(cos))
	for id, a := range cos {
		v.companies = append(v.companies, connectors.Company{ID: id, Name: a.name})
	}
	slices.SortFunc(v.companies, func(a, b connectors.Company) int { return strings.Compare(a.ID, b.ID) })
	v.companySum = make([]uint64, len(v.companies))
	for i := range v.companies {
		co := &v.companies[i]
		v.companySum[i] = companySum(st.seed, co)
		if prev != nil {
			j, ok := slices.BinarySearchFunc(prev.companies, co.ID, func(c connectors.Company, id string) int { return strings.Compare(c.ID, id) })
			if ok && prev.companySum[j] == v.companySum[i] {
				co.UpdatedAt = prev.companies[j].UpdatedAt
			}
		}
	}
}

// carryStamps gives each row the first-seen time of the same id with the
// same content in prev, else a new stamp (zero until published).
func (st *stream) carryStamps(v *version, prev *version) {
	if prev == nil {
		v.stamps = []time.Time{{}}
		return
	}
	v.stamps = append(slices.Clip(prev.stamps), time.Time{})
	fresh := uint32(len(v.stamps) - 1)
	old := byHash(prev.rows)
	now := byHash(v.rows)
	p := 0
	for _, x := range now {
		e := &v.rows[x.i]
		e.stamp = fresh
		for p < len(old) && old[p].h < x.h {
			p++
		}
		for q := p; q < len(old) && old[q].h == x.h; q++ {
			if o := &prev.rows[old[q].i]; o.sum == e.sum {
				e.stamp = o.stamp
				break
			}
		}
	}
	// Stamps no row uses any more are kept (one time.Time per change of
	// the file): indexes stay valid without renumbering.
}

// Cursors of a listed-only listing: the version, and where the next page
// starts (contacts: the byte offset and the lines before it; companies:
// the index).

type streamCursor struct {
	kind byte // 'p' contacts, 'o' companies
	gen  uint64
	off  int64
	line int64
}

func (c streamCursor) encode() string {
	b := []byte{'s', c.kind}
	b = binary.AppendUvarint(b, c.gen)
	b = binary.AppendUvarint(b, uint64(c.off))
	b = binary.AppendUvarint(b, uint64(c.line))
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeStreamCursor(op, cursor string, kind byte) (streamCursor, error) {
	bad := connectors.Errorf(connectors.ClassInvalidRequest, op,
		"invalid cursor %q: pass the NextCursor of the previous page, or an empty cursor to start over", cursor)
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(b) < 2 || b[0] != 's' || b[1] != kind {
		return streamCursor{}, bad
	}
	c := streamCursor{kind: kind}
	b = b[2:]
	var vals [3]uint64
	for i := range vals {
		x, n := binary.Uvarint(b)
		if n <= 0 || x > 1<<62 {
			return streamCursor{}, bad
		}
		vals[i], b = x, b[n:]
	}
	if len(b) != 0 {
		return streamCursor{}, bad
	}
	c.gen, c.off, c.line = vals[0], int64(vals[1]), int64(vals[2])
	return c, nil
}

// changedErr is the error of a page whose listing began on another
// version of the file.
func (st *stream) changedErr(op string) error {
	return connectors.Errorf(connectors.ClassUnavailable, op,
		"%s changed while it was being listed: list again from an empty cursor (a listing never mixes two versions of the file)", st.s.path)
}

// pageVersion is the version a page reads: the file's current one for a
// first page, the listing's own for the next ones (an error if the file
// has changed since).
func (st *stream) pageVersion(ctx context.Context, op, cursor string, kind byte) (*version, streamCursor, error) {
	if cursor == "" {
		if kind == 'p' {
			v, err := st.firstVersion(ctx)
			if err != nil {
				return nil, streamCursor{}, opErr(op, err)
			}
			if v != nil {
				return v, streamCursor{kind: kind, gen: v.gen, off: v.start, line: v.startLine}, nil
			}
		}
		v, err := st.ensure(ctx)
		if err != nil {
			return nil, streamCursor{}, opErr(op, err)
		}
		return v, streamCursor{kind: kind, gen: v.gen, off: v.start, line: v.startLine}, nil
	}
	c, err := decodeStreamCursor(op, cursor, kind)
	if err != nil {
		return nil, c, err
	}
	var v *version
	if kind == 'p' {
		// The first scan's version, else the current one (read in this
		// order: the scan makes its version current before it is no
		// longer first).
		st.pmu.Lock()
		v = st.first
		st.pmu.Unlock()
	}
	if v == nil || v.gen != c.gen {
		v = st.cur.Load()
	}
	if v == nil || v.gen != c.gen {
		return nil, c, st.changedErr(op)
	}
	if kind == 'p' && (c.off < v.start || c.off > v.id.size) {
		return nil, c, connectors.Errorf(connectors.ClassInvalidRequest, op,
			"invalid cursor %q: pass the NextCursor of the previous page, or an empty cursor to start over", cursor)
	}
	return v, c, nil
}

// firstVersion is the version the first scan is building, once its
// header is read, while the scan runs (nil once it has ended: the file's
// version is then the current one). A version the file no longer is (its
// scan is bound to fail) is not: the next one is waited for.
func (st *stream) firstVersion(ctx context.Context) (*version, error) {
	st.pmu.Lock()
	defer st.pmu.Unlock()
	defer context.AfterFunc(ctx, st.wake)()
	var stale *version
	for !st.over {
		if v := st.first; v != nil && v != stale {
			st.pmu.Unlock()
			fi, err := os.Stat(st.s.absPath)
			st.pmu.Lock()
			if err == nil && idOf(fi) == v.id {
				return v, nil
			}
			stale = v
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		st.pcond.Wait()
	}
	return nil, nil
}

// wake wakes the waiters on the first scan's progress.
func (st *stream) wake() {
	st.pmu.Lock()
	st.pcond.Broadcast()
	st.pmu.Unlock()
}

// rowsFor is the rows of v a page starting at off reads: for a version
// still being scanned, once the scan has passed the page's last row (the
// rows hold the page's size rows and the next one, or the scan has
// ended). clean says the bytes up to there are all UTF-8.
func (st *stream) rowsFor(ctx context.Context, v *version, off int64, size int, op string) ([]rowEntry, bool, error) {
	if v.prog == nil {
		return v.rows, !v.utf8Bad, nil
	}
	st.pmu.Lock()
	defer st.pmu.Unlock()
	defer context.AfterFunc(ctx, st.wake)()
	for {
		p := v.prog
		if p.err != nil {
			return nil, false, st.changedErr(op)
		}
		if p.done {
			return p.rows, p.clean, nil
		}
		k := sort.Search(len(p.rows), func(i int) bool { return p.rows[i].off >= off })
		if len(p.rows)-k > size {
			return p.rows, p.clean, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		if st.hooks != nil && st.hooks.wait != nil {
			st.hooks.wait()
		}
		st.pcond.Wait()
	}
}

// live reports whether v is still the version listings read: the
// current one, or the one the first scan is building.
func (st *stream) live(v *version) bool {
	st.pmu.Lock()
	first := st.first
	st.pmu.Unlock()
	return first == v || st.cur.Load() == v // (in this order: see pageVersion)
}

// opErr is a scan's error as the error of op (a configuration problem is
// a bad_config error naming the setting).
func opErr(op string, err error) error {
	var ce *configError
	if errors.As(err, &ce) {
		return connectors.Errorf(connectors.ClassBadConfig, op, "%s", ce.Error())
	}
	var e *connectors.Error
	if errors.As(err, &e) {
		out := *e
		out.Op = op
		return &out
	}
	return connectors.Errorf(connectors.ClassUnavailable, op, "%w", err)
}

// openVersion opens the file and checks it is still v.
func (st *stream) openVersion(v *version, op string) (*os.File, error) {
	f, err := os.Open(st.s.absPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, st.changedErr(op)
		}
		return nil, opErr(op, openErr(st.s, op, err))
	}
	fi, err := f.Stat()
	if err != nil || idOf(fi) != v.id {
		f.Close()
		return nil, st.changedErr(op)
	}
	return f, nil
}

// stillVersion checks, after reading, that the file is still v.
func (st *stream) stillVersion(f *os.File, v *version, op string) error {
	fi, err := f.Stat()
	if err != nil || idOf(fi) != v.id || !st.live(v) {
		return st.changedErr(op)
	}
	return nil
}

// pageSize is the request's page size within bounds.
func pageSize(req *connectors.ListRequest) int {
	size := req.PageSize
	if size <= 0 {
		size = defaultPageSize
	}
	return min(size, maxPageSize)
}

// claim makes the page starting at off the one that reports the
// version's broken rows, if it is the next one to.
func (rp *report) claim(off int64) bool {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.done || rp.busy || rp.next != off {
		return false
	}
	rp.busy = true
	return true
}

// issue logs a broken row (up to the cap), as a load does (held back
// until the version is published, while its first scan runs).
func (st *stream) issue(rp *report, line int64, what, consequence string) {
	if rp.logged < maxLoggedIssues {
		rp.logged++
		msg := fmt.Sprintf("%s:%d: %s (%s)", st.s.path, line, what, consequence)
		rp.logMu.Lock()
		if rp.direct {
			st.log.Warn(msg)
		} else {
			rp.pending = append(rp.pending, msg)
		}
		rp.logMu.Unlock()
	} else {
		rp.unlog++
	}
}

// release ends a reporting page that stopped at off (eof: the end of the
// file, the report is complete).
func (st *stream) release(v *version, off int64, eof bool) {
	rp := &v.rep
	rp.mu.Lock()
	defer rp.mu.Unlock()
	rp.busy = false
	rp.next = off
	if !eof {
		return
	}
	rp.done = true
	if rp.unlog > 0 {
		st.log.Warn(fmt.Sprintf("%s: %d more problems not logged", st.s.path, rp.unlog))
	}
	msg := fmt.Sprintf("listed %d contacts, %d companies from %s (%d rows skipped)", len(v.rows), len(v.companies), st.s.path, rp.skipped)
	if rp.dropped > 0 {
		msg += fmt.Sprintf(", %d unreadable phone numbers dropped", rp.dropped)
	}
	st.log.Info(msg)
}

// skipReason is why a row that is not listed was skipped: its duplicate
// (the listed row with its id, earlier in the file) or its field.
func (st *stream) skipReason(f *os.File, v *version, rows []rowEntry, rec []string, id string, off int64) (string, error) {
	h := maphash.String(st.seed, id)
	for i := range rows {
		e := &rows[i]
		if e.off >= off {
			break
		}
		if e.h != h {
			continue
		}
		other, err := recordAt(f, st.s, v.id.size, e.off)
		if err != nil {
			return "", st.changedErr("ListContacts")
		}
		if oid, _, _ := v.lay.head(st.s, other); oid == id {
			return fmt.Sprintf("duplicate id %q (first on line %d)", id, e.line), nil
		}
	}
	return v.lay.fieldProblem(rec), nil
}

// listContacts is ListContacts in listed-only mode: the page's rows read
// from the file, in file order.
func (st *stream) listContacts(ctx context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	const op = "ListContacts"
	v, cur, err := st.pageVersion(ctx, op, req.Cursor, 'p')
	if err != nil {
		return nil, err
	}
	if !req.ChangedSince.IsZero() {
		if _, _, err := st.rowsFor(ctx, v, v.id.size+1, 0, op); err != nil {
			return nil, err // (a version being scanned: wait for all of it)
		}
		return st.listChanged(v, cur, req)
	}
	resp := &connectors.ListContactsResponse{}
	if v.lay == nil || cur.off >= v.id.size {
		return resp, nil
	}
	f, err := st.openVersion(v, op)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := pageSize(req)
	rows, clean, err := st.rowsFor(ctx, v, cur.off, size, op)
	if err != nil {
		return nil, err
	}
	rp := &v.rep
	reporting := rp.claim(cur.off)
	eof := false
	var pos int64
	defer func() {
		if reporting {
			st.release(v, cur.off+pos, eof && err == nil)
		}
	}()

	r := csvReader(st.s, bufio.NewReaderSize(io.NewSectionReader(f, cur.off, v.id.size-cur.off), 64<<10))
	k := sort.Search(len(rows), func(i int) bool { return rows[i].off >= cur.off })
	lines := cur.line // lines before the reader's position
	resp.Contacts = make([]connectors.Contact, 0, min(size, len(rows)-k))
	ar := newPageArena(v.lay, cap(resp.Contacts))
	// A version whose scan found only UTF-8 (up to rows' end) has nothing
	// to sanitize (the bytes read are the version's: stat and id hashes
	// are checked).
	for n := 1; ; n++ {
		if n%ctxCheckEvery == 0 {
			if err = ctx.Err(); err != nil {
				return nil, err
			}
		}
		if k >= len(rows) && !reporting {
			break // nothing more is listed
		}
		if len(resp.Contacts) == size && (k < len(rows) || !reporting) {
			break
		}
		pos = r.InputOffset()
		off := cur.off + pos
		rec, rerr := r.Read()
		if errors.Is(rerr, io.EOF) {
			eof = true
			break
		}
		if rerr != nil {
			var pe *stdcsv.ParseError
			if !errors.As(rerr, &pe) {
				err = connectors.Errorf(connectors.ClassUnavailable, op, "reading %s: %w", st.s.path, rerr)
				return nil, err
			}
			if reporting {
				rp.skipped++
				st.issue(rp, cur.line+int64(pe.StartLine),
					fmt.Sprintf("broken quoting: %v (quote the whole field and double any quote inside it)", pe.Err), "row skipped")
			}
			lines = cur.line + int64(pe.Line)
			continue
		}
		first, _ := r.FieldPos(0)
		line := cur.line + int64(first)
		lines = cur.line + endLine(r, rec)
		if k < len(rows) && rows[k].off < off {
			err = st.changedErr(op)
			return nil, err
		}
		if !clean {
			sanitize(rec)
		}
		if k < len(rows) && rows[k].off == off {
			e := &rows[k]
			k++
			id, problem, blank := v.lay.head(st.s, rec)
			if blank || problem != "" || maphash.String(st.seed, id) != e.h {
				err = st.changedErr(op)
				return nil, err
			}
			drop := func(string) {}
			if reporting {
				drop = func(what string) {
					rp.dropped++
					st.issue(rp, line, what, "number dropped, row kept")
				}
			}
			c, _, problem := v.lay.contactIn(st.s, rec, id, drop, ar)
			if problem != "" {
				err = st.changedErr(op)
				return nil, err
			}
			c.UpdatedAt = v.stamps[e.stamp]
			resp.Contacts = append(resp.Contacts, c)
			continue
		}
		if !reporting {
			continue
		}
		id, problem, blank := v.lay.head(st.s, rec)
		if blank {
			continue
		}
		if problem == "" && rp.logged < maxLoggedIssues {
			if problem, err = st.skipReason(f, v, rows, rec, id, off); err != nil {
				return nil, err
			}
			if problem == "" {
				err = st.changedErr(op) // it should have been listed
				return nil, err
			}
		}
		rp.skipped++
		st.issue(rp, line, problem, "row skipped")
	}
	pos = r.InputOffset()
	if err = st.stillVersion(f, v, op); err != nil {
		return nil, err
	}
	if k < len(rows) {
		resp.NextCursor = streamCursor{kind: 'p', gen: v.gen, off: cur.off + pos, line: lines}.encode()
	} else if reporting && !eof {
		// Only broken rows follow: report them now, the listing ends.
		return resp, st.reportRest(ctx, f, v, cur.off+pos, lines, &eof)
	}
	return resp, nil
}

// newPageArena sizes an arena for a page of n contacts read with lay
// (every phone and email column holding one value).
func newPageArena(lay *layout, n int) *pageArena {
	return &pageArena{
		phones: make([]connectors.Phone, 0, n*len(lay.phones)),
		emails: make([]string, 0, n*len(lay.emails)),
	}
}

// reportRest reports the broken rows after the last listed one (the
// listing's last page ends before them).
func (st *stream) reportRest(ctx context.Context, f *os.File, v *version, off, lines int64, eof *bool) error {
	rp := &v.rep
	r := csvReader(st.s, bufio.NewReaderSize(io.NewSectionReader(f, off, v.id.size-off), 64<<10))
	for n := 1; ; n++ {
		if n%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		start := off + r.InputOffset()
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			*eof = true
			return nil
		}
		if err != nil {
			var pe *stdcsv.ParseError
			if !errors.As(err, &pe) {
				return connectors.Errorf(connectors.ClassUnavailable, "ListContacts", "reading %s: %w", st.s.path, err)
			}
			rp.skipped++
			st.issue(rp, lines+int64(pe.StartLine),
				fmt.Sprintf("broken quoting: %v (quote the whole field and double any quote inside it)", pe.Err), "row skipped")
			continue
		}
		first, _ := r.FieldPos(0)
		sanitize(rec)
		id, problem, blank := v.lay.head(st.s, rec)
		if blank {
			continue
		}
		if problem == "" && rp.logged < maxLoggedIssues {
			if problem, err = st.skipReason(f, v, v.rows, rec, id, start); err != nil {
				return err
			}
		}
		rp.skipped++
		st.issue(rp, lines+int64(first), problem, "row skipped")
	}
}

// changedRows is the indexes of the rows first seen at or after since.
func (v *version) changedRows(since time.Time) []uint32 {
	v.changed.Lock()
	defer v.changed.Unlock()
	if v.changed.idx != nil && v.changed.since.Equal(since) {
		return v.changed.idx
	}
	keep := make([]bool, len(v.stamps))
	for i, t := range v.stamps {
		keep[i] = !t.Before(since)
	}
	idx := []uint32{}
	for i := range v.rows {
		if keep[v.rows[i].stamp] {
			idx = append(idx, uint32(i))
		}
	}
	v.changed.since, v.changed.idx = since, idx
	return idx
}

// listChanged is a listed-only ListContacts with ChangedSince: the rows
// first seen since then, each read where the version says it is.
func (st *stream) listChanged(v *version, cur streamCursor, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	const op = "ListContacts"
	resp := &connectors.ListContactsResponse{}
	if v.maxStamp.Before(req.ChangedSince) || len(v.rows) == 0 {
		return resp, nil
	}
	idx := v.changedRows(req.ChangedSince)
	i := sort.Search(len(idx), func(i int) bool { return v.rows[idx[i]].off >= cur.off })
	if i >= len(idx) {
		return resp, nil
	}
	f, err := st.openVersion(v, op)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := pageSize(req)
	var r *stdcsv.Reader
	var rOff int64
	br := bufio.NewReaderSize(nil, 16<<10)
	for ; i < len(idx) && len(resp.Contacts) < size; i++ {
		e := &v.rows[idx[i]]
		if r == nil || rOff+r.InputOffset() != e.off {
			br.Reset(io.NewSectionReader(f, e.off, v.id.size-e.off))
			r, rOff = csvReader(st.s, br), e.off
		}
		rec, err := r.Read()
		if err != nil {
			return nil, st.changedErr(op)
		}
		sanitize(rec)
		id, problem, blank := v.lay.head(st.s, rec)
		if blank || problem != "" || maphash.String(st.seed, id) != e.h {
			return nil, st.changedErr(op)
		}
		c, _, problem := v.lay.contact(st.s, rec, id, func(string) {})
		if problem != "" {
			return nil, st.changedErr(op)
		}
		c.UpdatedAt = v.stamps[e.stamp]
		resp.Contacts = append(resp.Contacts, c)
	}
	if err := st.stillVersion(f, v, op); err != nil {
		return nil, err
	}
	if i < len(idx) {
		resp.NextCursor = streamCursor{kind: 'p', gen: v.gen, off: v.rows[idx[i]].off}.encode()
	}
	return resp, nil
}

// listCompanies is ListCompanies in listed-only mode: the version's
// companies, in ID order.
func (st *stream) listCompanies(ctx context.Context, req *connectors.ListRequest) (*connectors.ListCompaniesResponse, error) {
	const op = "ListCompanies"
	v, cur, err := st.pageVersion(ctx, op, req.Cursor, 'o')
	if err != nil {
		return nil, err
	}
	start := 0
	if req.Cursor != "" {
		if cur.off > int64(len(v.companies)) {
			return nil, connectors.Errorf(connectors.ClassInvalidRequest, op,
				"invalid cursor %q: pass the NextCursor of the previous page, or an empty cursor to start over", req.Cursor)
		}
		start = int(cur.off)
	}
	if err := st.stillCurrent(v, op); err != nil {
		return nil, err
	}
	size := pageSize(req)
	keep := func(co *connectors.Company) bool {
		return req.ChangedSince.IsZero() || !co.UpdatedAt.Before(req.ChangedSince)
	}
	resp := &connectors.ListCompaniesResponse{}
	i := start
	for ; i < len(v.companies) && len(resp.Companies) < size; i++ {
		if keep(&v.companies[i]) {
			resp.Companies = append(resp.Companies, v.companies[i])
		}
	}
	for ; i < len(v.companies); i++ {
		if keep(&v.companies[i]) {
			resp.NextCursor = streamCursor{kind: 'o', gen: v.gen, off: int64(i)}.encode()
			break
		}
	}
	return resp, nil
}

// stillCurrent checks that the file is still v (by stat).
func (st *stream) stillCurrent(v *version, op string) error {
	fi, err := os.Stat(st.s.absPath)
	if err != nil || idOf(fi) != v.id || st.cur.Load() != v {
		return st.changedErr(op)
	}
	return nil
}

// snapshot is the whole file loaded for a lookup, as the current version
// lists it, built on first use and kept until the file changes.
func (st *stream) snapshot(ctx context.Context, op string) (*snapshot, error) {
	for try := 0; ; try++ {
		v, err := st.ensure(ctx)
		if err != nil {
			return nil, opErr(op, err)
		}
		st.lookMu.Lock()
		if st.look != nil && st.lookGen == v.gen {
			snap := st.look
			st.lookMu.Unlock()
			return snap, nil
		}
		st.look = nil
		st.log.Info(fmt.Sprintf("loading all of %s into memory for an off-path lookup (listed_only: listing keeps no rows); "+
			"kept until the file changes", st.s.path))
		snap, err := load(ctx, st.s, nil, st.seed, hclog.NewNullLogger())
		if err != nil {
			st.lookMu.Unlock()
			return nil, opErr(op, err)
		}
		if !st.stampSnapshot(snap, v) {
			st.lookMu.Unlock()
			if try == 2 {
				return nil, connectors.Errorf(connectors.ClassUnavailable, op, "%s keeps changing while it is read", st.s.path)
			}
			continue
		}
		st.look, st.lookGen = snap, v.gen
		st.lookMu.Unlock()
		return snap, nil
	}
}

// stampSnapshot gives a snapshot's records the first-seen times of v;
// false when the snapshot is not v's content (the file changed between).
func (st *stream) stampSnapshot(snap *snapshot, v *version) bool {
	if len(snap.contacts) != len(v.rows) || len(snap.companies) != len(v.companies) {
		return false
	}
	for i, e := range snap.contacts {
		row := &v.rows[snap.seqs[i]]
		if maphash.String(st.seed, e.contact.ID) != row.h {
			return false
		}
		e.contact.UpdatedAt = v.stamps[row.stamp]
	}
	for i := range snap.companies {
		if snap.companies[i].ID != v.companies[i].ID {
			return false
		}
		snap.companies[i].UpdatedAt = v.companies[i].UpdatedAt
	}
	return st.stillCurrent(v, "") == nil
}

// check is Check in listed-only mode.
func (st *stream) check(ctx context.Context) (*connectors.CheckResponse, error) {
	v, err := st.ensure(ctx)
	if err != nil {
		if errors.Is(err, errHeld) {
			return nil, err
		}
		if _, serr := os.Stat(st.s.absPath); errors.Is(serr, os.ErrNotExist) {
			return nil, connectors.Errorf(connectors.ClassBadConfig, "Check",
				"the CSV file %s does not exist (any more): fix path: in the connector's config or restore the file; "+
					"listing fails meanwhile", st.s.absPath)
		}
		return nil, opErr("Check", err)
	}
	return &connectors.CheckResponse{Records: int64(len(v.rows)), Detail: fmt.Sprintf(
		"%d contacts, %d companies in %s (%d rows skipped), read page by page (listed_only), as of %s",
		len(v.rows), len(v.companies), st.s.path, v.skipped, v.readAt.Format(time.RFC3339))}, nil
}
