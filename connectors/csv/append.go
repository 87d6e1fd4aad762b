package csv

import (
	"bytes"
	"context"
	"crypto/sha256"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"hash/maphash"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
)

// tailState is what an append needs to continue a snapshot's file without
// reading it again: the common edit is a row appended to the export, and
// re-validating every old number costs seconds at a million rows.
type tailState struct {
	ok   bool // the snapshot can be continued by an append
	size int  // bytes of the file the snapshot was built from
	off  int  // where the file's last record starts (byte offset)
	line int  // lines before off
}

// newTail is the tail state of a full load of data (decoded as text).
// Only plain UTF-8 files that end with a newline can be continued: other
// encodings, and bytes that were replaced, would make text offsets differ
// from the file's.
func newTail(s *settings, data, text []byte, tailOff int64) tailState {
	bom := len(data) - len(text)
	if s.enc != nil || len(data) == 0 || data[len(data)-1] != '\n' || tailOff >= int64(len(text)) ||
		(bom != 0 && bom != len("\uFEFF")) || !bytes.Equal(data[bom:], text) {
		return tailState{}
	}
	return tailState{ok: true, size: len(data), off: bom + int(tailOff), line: bytes.Count(text[:tailOff], []byte{'\n'})}
}

// errNoAppend says the file did not change by an append to the served
// content: the caller does a full load.
var errNoAppend = errors.New("not an append")

// buildNext builds the snapshot of data, the file's new content, from
// prev: by parsing only the appended rows when the file grew by an append
// to the content prev was built from, else by a full build.
func buildNext(ctx context.Context, s *settings, data []byte, stamp fileStamp, prev *snapshot, seed maphash.Seed, log hclog.Logger) (*snapshot, error) {
	snap, err := buildAppend(ctx, s, data, stamp, prev, seed, log)
	if errors.Is(err, errNoAppend) {
		return build(ctx, s, data, stamp, prev, seed, log)
	}
	return snap, err
}

// buildAppend is buildNext's fast path; errNoAppend when it does not apply.
func buildAppend(ctx context.Context, s *settings, data []byte, stamp fileStamp, prev *snapshot, seed maphash.Seed, log hclog.Logger) (*snapshot, error) {
	t := prev.tail
	if !t.ok || prev.set != s || s.enc != nil || len(data) <= t.size || data[t.size-1] != '\n' ||
		sha256.Sum256(data[:t.size]) != prev.stamp.sum {
		return nil, errNoAppend
	}
	added := data[t.size:]
	valid := utf8.Valid(added)
	if !valid {
		log.Warn(fmt.Sprintf("%s is not valid UTF-8: set encoding: to the file's encoding "+
			"(e.g. windows-1252 or iso-8859-9); unreadable bytes are shown as U+FFFD", s.path))
		added = bytes.ToValidUTF8(added, []byte("\uFFFD"))
	}
	// The old file's last record, read again with the new rows after it,
	// must end where it ended: otherwise it was open (a quoted field
	// running to the end of the file) and the new bytes continue it.
	oldTail := data[t.off:t.size]
	text := make([]byte, 0, len(oldTail)+len(added))
	text = append(append(text, oldTail...), added...)
	r := newReader(s, text)
	if _, err := r.Read(); err != nil {
		var pe *stdcsv.ParseError
		if !errors.As(err, &pe) {
			return nil, errNoAppend
		}
	}
	if r.InputOffset() != int64(len(oldTail)) {
		return nil, errNoAppend
	}

	b := &builder{s: s, lay: prev.lay, log: log, lines: map[string]int{}, prev: prev}
	if b.lay == nil {
		return nil, errNoAppend
	}
	tailOff, err := b.rows(ctx, r, t.line)
	if err != nil {
		return nil, err
	}
	if len(b.issues) > 0 {
		return nil, strictError(s, b.issues)
	}
	if b.unlog > 0 {
		log.Warn(fmt.Sprintf("%s: %d more problems not logged", s.path, b.unlog))
	}
	snap := b.finishAppend(prev, seed, stamp)
	if valid {
		snap.tail = tailState{ok: true, size: len(data), off: t.off + int(tailOff),
			line: t.line + bytes.Count(text[:tailOff], []byte{'\n'})}
	}
	return snap, nil
}

// finishAppend is finish for the rows appended to prev's file: prev's rows
// are kept as they are (with their first-seen times), the new ones merged
// in and stamped. prev is not modified.
func (b *builder) finishAppend(prev *snapshot, seed maphash.Seed, stamp fileStamp) *snapshot {
	added := b.entries
	cmp := func(a, b contactEntry) int { return strings.Compare(a.contact.ID, b.contact.ID) }
	slices.SortFunc(added, cmp)
	for i := range added {
		e := &added[i]
		e.sum = contactSum(seed, &e.contact)
		e.contact.UpdatedAt = time.Time{}
	}

	// Merge; after is true when every new row sorts after every old one,
	// so the old rows keep their indexes.
	old := prev.contacts
	after := len(old) == 0 || len(added) == 0 || added[0].contact.ID > old[len(old)-1].contact.ID
	entries := make([]contactEntry, 0, len(old)+len(added))
	if after {
		entries = append(append(entries, old...), added...)
	} else {
		i, j := 0, 0
		for i < len(old) || j < len(added) {
			if j == len(added) || (i < len(old) && old[i].contact.ID < added[j].contact.ID) {
				entries = append(entries, old[i])
				i++
			} else {
				entries = append(entries, added[j])
				j++
			}
		}
	}
	snap := &snapshot{
		set:      b.s,
		lay:      prev.lay,
		contacts: entries,
		stamp:    stamp,
		skipped:  prev.skipped + b.skipped,
		dropped:  prev.dropped + b.dropped,
	}
	if after {
		// The old index lists are shared with prev: an appended index
		// goes to a copy (clipped, so append cannot write into prev's).
		snap.byE164 = maps.Clone(prev.byE164)
		snap.byNational = maps.Clone(prev.byNational)
		for i := len(old); i < len(entries); i++ {
			for _, n := range entries[i].numbers {
				if n.E164 != "" {
					snap.byE164[n.E164] = appendIndex(slices.Clip(snap.byE164[n.E164]), int32(i))
				}
				if n.National != "" {
					snap.byNational[n.National] = appendIndex(slices.Clip(snap.byNational[n.National]), int32(i))
				}
			}
		}
	} else {
		snap.byE164 = make(map[string][]int32, len(prev.byE164))
		snap.byNational = make(map[string][]int32, len(prev.byNational))
		for i := range entries {
			for _, n := range entries[i].numbers {
				if n.E164 != "" {
					snap.byE164[n.E164] = appendIndex(snap.byE164[n.E164], int32(i))
				}
				if n.National != "" {
					snap.byNational[n.National] = appendIndex(snap.byNational[n.National], int32(i))
				}
			}
		}
	}

	// Companies: a new row adds a company, or renames one when it sorts
	// before the row the company took its name from.
	companies := slices.Clone(prev.companies)
	sums := slices.Clone(prev.companySum)
	srcs := slices.Clone(prev.companySrc)
	var fresh []connectors.Company
	var freshSrc []string
	seen := map[string]bool{}
	for i := range added {
		c := &added[i].contact
		id := c.CompanyID
		if id == "" {
			continue
		}
		if j, ok := prev.companyIndex(id); ok {
			if c.ID < srcs[j] {
				companies[j].Name, srcs[j] = c.CompanyName, c.ID
				if s := companySum(seed, &companies[j]); s != sums[j] {
					sums[j] = s
					companies[j].UpdatedAt = time.Time{}
				}
			}
			continue
		}
		if !seen[id] {
			seen[id] = true
			fresh = append(fresh, connectors.Company{ID: id, Name: c.CompanyName})
			freshSrc = append(freshSrc, c.ID)
		}
	}
	if len(fresh) > 0 {
		order := make([]int, len(fresh))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return strings.Compare(fresh[a].ID, fresh[b].ID) })
		n := len(companies) + len(fresh)
		mc := make([]connectors.Company, 0, n)
		ms := make([]uint64, 0, n)
		msrc := make([]string, 0, n)
		i := 0
		for _, k := range order {
			for i < len(companies) && companies[i].ID < fresh[k].ID {
				mc, ms, msrc = append(mc, companies[i]), append(ms, sums[i]), append(msrc, srcs[i])
				i++
			}
			mc, ms, msrc = append(mc, fresh[k]), append(ms, companySum(seed, &fresh[k])), append(msrc, freshSrc[k])
		}
		mc, ms, msrc = append(mc, companies[i:]...), append(ms, sums[i:]...), append(msrc, srcs[i:]...)
		companies, sums, srcs = mc, ms, msrc
	}
	snap.companies, snap.companySum, snap.companySrc = companies, sums, srcs

	snap.stampNew()
	return snap
}
