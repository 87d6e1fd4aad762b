// Package ringlog keeps the most recent rings in memory for the operator
// console (issue 15): what each phone system asked, who the caller turned
// out to be, where the call went and how long it all took.
//
// The log is a fixed ring of Records: recording one copies it into its slot
// under a mutex held only for that copy, so a ring never waits on a reader
// (readers take the lock in short batches) nor on a watcher: a watcher is
// woken through a one-slot channel that a ring fills without waiting (a
// full one needs no second wake-up), and reads what is new in the log
// itself (After) when it chooses to, many rings at a time. So a live feed
// costs a ring one non-blocking send, not a copy per viewer. Nothing is
// stored per ring beyond the Record: no routing trace (the console
// recomputes it on demand).
package ringlog

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultSize is how many rings a Log keeps when New is given 0.
const DefaultSize = 10_000

// Front ends, as Record.FrontEnd names them (their server.Mount names).
const (
	FrontEndSmartIVR  = "smart_ivr"
	FrontEndRingostat = "ringostat"
	// FrontEndExternalManagement is Hipcall's External Management (one
	// record per step of a call) and FrontEndSpeedDial its Speed Dial.
	FrontEndExternalManagement = "external_management"
	FrontEndSpeedDial          = "speed_dial"
)

// Outcomes of a ring's lookup (Record.Outcome).
const (
	OutcomeFound     = "found"
	OutcomeUnknown   = "unknown"
	OutcomeAmbiguous = "ambiguous"
	OutcomeInvalid   = "invalid"       // the caller's number could not be read
	OutcomeNone      = "not_looked_up" // no lookup happened (malformed request, deadline, rate limit)
)

// Outcomes lists the lookup outcomes in the order the console offers them.
var Outcomes = []string{OutcomeFound, OutcomeUnknown, OutcomeAmbiguous, OutcomeInvalid, OutcomeNone}

// Party is a CRM record as a ring met it: a contact or a company. It keeps
// the record's own strings (no copies), so recording one allocates nothing.
type Party struct {
	// Kind is "contact" or "company".
	Kind string `json:"kind"`
	ID   string `json:"id"`
	// First and Last are a contact's names; a company's name is in Last.
	First string `json:"-"`
	Last  string `json:"-"`
}

// Key is the record's key as routing reasons name it ("contact:42").
func (p Party) Key() string {
	if p.Kind == "" {
		return ""
	}
	return p.Kind + ":" + p.ID
}

// Name is the record's display name.
func (p Party) Name() string {
	switch {
	case p.First == "":
		return p.Last
	case p.Last == "":
		return p.First
	}
	return p.First + " " + p.Last
}

// Record is one ring: the request, the lookup, the decision and the answer.
type Record struct {
	// ID numbers the rings a Log has recorded, from 1; Add assigns it.
	ID uint64 `json:"id"`
	// Time is when the request arrived.
	Time time.Time `json:"time"`
	// FrontEnd is the phone system's endpoint (FrontEndSmartIVR, ...).
	FrontEnd string `json:"front_end"`
	// UUID is the call's id as the phone system sent it, if it did.
	UUID string `json:"uuid,omitempty"`
	// Caller is the caller's number as sent.
	Caller string `json:"caller"`
	// E164 is the caller as parsed ("+905061234567"); when it is empty,
	// National may hold the national key and NotE164 says why not.
	E164     string `json:"e164,omitempty"`
	National string `json:"national,omitempty"`
	NotE164  string `json:"not_e164,omitempty"`
	// Outcome is the lookup's outcome (OutcomeFound, ...).
	Outcome string `json:"outcome"`
	// Match is the record that answered, when Found.
	Match Party `json:"match"`
	// Candidates are the records an ambiguous number met.
	Candidates []Party `json:"candidates,omitempty"`
	// Source is the connector that answered, Via the directory's layer
	// (cache, index, live) and MatchKind how the number met the record
	// (exact, national, suffix).
	Source    string `json:"source,omitempty"`
	Via       string `json:"via,omitempty"`
	MatchKind string `json:"match_kind,omitempty"`
	// LookupErrors are the sources that failed on the way.
	LookupErrors []string `json:"lookup_errors,omitempty"`
	// Rule is the routing rule that matched ("" for the default),
	// Destination what was answered and Reason why.
	Rule        string `json:"rule,omitempty"`
	Destination string `json:"destination"`
	Reason      string `json:"reason,omitempty"`
	// Answer is the front end's outcome: rule, default, fallback, none
	// (no destination), rpc_error, notification.
	Answer string `json:"answer,omitempty"`
	// Fallback says why the default hid a failure ("deadline",
	// "invalid_number", ...); "" when it did not.
	Fallback string `json:"fallback,omitempty"`
	// LookupLatency is how long the lookup took; Latency the whole ring,
	// from the request's arrival to its answer.
	LookupLatency time.Duration `json:"lookup_ns"`
	Latency       time.Duration `json:"latency_ns"`
}

// IsFallback reports whether the ring was answered with a default because
// something went wrong.
func (r *Record) IsFallback() bool { return r.Fallback != "" }

// Log is a bounded log of recent rings, safe for concurrent use. The zero
// value is not usable; call New.
type Log struct {
	mu    sync.Mutex
	slots []Record // record ID i lives in slots[(i-1)%len(slots)]
	last  uint64   // ID of the newest record; 0 when none

	watchers   atomic.Pointer[[]chan struct{}] // copied on write, read without a lock
	watchersMu sync.Mutex                      // serialises changes to watchers
}

// New returns a Log keeping the newest size rings (DefaultSize when size
// is 0 or less).
func New(size int) *Log {
	if size <= 0 {
		size = DefaultSize
	}
	return &Log{slots: make([]Record, size)}
}

// Size is how many rings the log keeps.
func (l *Log) Size() int { return len(l.slots) }

// Add records rec (copied; rec.ID is set to the new record's ID, which is
// also returned) and wakes every watcher without waiting. It never blocks
// on readers or watchers beyond a slot copy.
func (l *Log) Add(rec *Record) uint64 {
	l.mu.Lock()
	l.last++
	rec.ID = l.last
	l.slots[(rec.ID-1)%uint64(len(l.slots))] = *rec
	l.mu.Unlock()
	if ws := l.watchers.Load(); ws != nil {
		for _, w := range *ws {
			select {
			case w <- struct{}{}:
			default: // already woken, not yet read: one wake-up covers both
			}
		}
	}
	return rec.ID
}

// Last is the ID of the newest record (0 when none): how many rings were
// recorded in all.
func (l *Log) Last() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// Watch returns a channel that receives a value after records are added
// (one value for any number of records added before it is read), and
// cancel, which stops it; the channel is never closed (select on your own
// context). Read the new records with After.
func (l *Log) Watch() (wake <-chan struct{}, cancel func()) {
	w := make(chan struct{}, 1)
	l.watchersMu.Lock()
	var next []chan struct{}
	if cur := l.watchers.Load(); cur != nil {
		next = append(next, *cur...)
	}
	next = append(next, w)
	l.watchers.Store(&next)
	l.watchersMu.Unlock()
	var once sync.Once
	return w, func() {
		once.Do(func() {
			l.watchersMu.Lock()
			defer l.watchersMu.Unlock()
			cur := *l.watchers.Load()
			next := make([]chan struct{}, 0, len(cur))
			for _, o := range cur {
				if o != w {
					next = append(next, o)
				}
			}
			l.watchers.Store(&next)
		})
	}
}

// Watchers is how many watches are open.
func (l *Log) Watchers() int {
	if ws := l.watchers.Load(); ws != nil {
		return len(*ws)
	}
	return 0
}

// Batch is what After found.
type Batch struct {
	// Records are the newest records after the cursor that the filter
	// selects, oldest first, at most the limit asked.
	Records []Record
	// Next is the cursor for the next call: the newest record's ID when
	// the scan was made.
	Next uint64
	// Left is how many selected records after the cursor were left out
	// (beyond the limit, older than those returned), and Lost how many
	// records after the cursor the log no longer holds (overwritten
	// before they were read): a reader shows both as a gap.
	Left, Lost int
}

// After returns the records recorded after the ID after that f selects
// (see Batch): the newest limit of them (limit 0 or less: all the log
// holds). Like Recent it reads in short batches.
func (l *Log) After(after uint64, f Filter, limit int) Batch {
	l.mu.Lock()
	last := l.last
	l.mu.Unlock()
	b := Batch{Next: last}
	if last <= after {
		b.Next = after
		return b
	}
	size := uint64(len(l.slots))
	digits := Digits(f.Number)
	id := last
	for id > after {
		l.mu.Lock()
		for n := 0; n < scanBatch && id > after; n++ {
			if l.last-id >= size { // overwritten since the scan began
				b.Lost += int(id - after)
				id = after
				break
			}
			r := &l.slots[(id-1)%size]
			if f.match(r, digits) {
				if limit > 0 && len(b.Records) >= limit {
					b.Left++
				} else {
					b.Records = append(b.Records, *r)
				}
			}
			id--
		}
		l.mu.Unlock()
	}
	slices.Reverse(b.Records)
	return b
}

// Filter selects records. Zero fields select everything.
type Filter struct {
	// Number matches the caller as sent or parsed, by substring, ignoring
	// everything but digits (and a leading "+") in both.
	Number string
	// Outcome is a lookup outcome (OutcomeFound, ...) or "fallback" (any
	// ring answered by a fallback).
	Outcome string
	// Since and Until bound the ring's time (Until exclusive).
	Since, Until time.Time
	// FrontEnd is a front end's name.
	FrontEnd string
	// UUID is the call's id, exactly.
	UUID string
}

// OutcomeFallback, as a Filter.Outcome, selects rings answered by a
// fallback.
const OutcomeFallback = "fallback"

// Match reports whether f selects r (for a live feed; Recent filters
// itself).
func (f *Filter) Match(r *Record) bool { return f.match(r, Digits(f.Number)) }

func (f *Filter) match(r *Record, digits string) bool {
	switch {
	case f.Outcome == OutcomeFallback && r.Fallback == "",
		f.Outcome != "" && f.Outcome != OutcomeFallback && f.Outcome != r.Outcome,
		!f.Since.IsZero() && r.Time.Before(f.Since),
		!f.Until.IsZero() && !r.Time.Before(f.Until),
		f.FrontEnd != "" && f.FrontEnd != r.FrontEnd,
		f.UUID != "" && f.UUID != r.UUID:
		return false
	}
	if f.Number == "" {
		return true
	}
	if digits == "" { // no digits asked for: a plain substring of what was sent
		return strings.Contains(r.Caller, f.Number)
	}
	return strings.Contains(r.E164, digits) || strings.Contains(r.National, digits) || strings.Contains(Digits(r.Caller), digits)
}

// Digits keeps s's digits only.
func Digits(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// scanBatch is how many slots a reader looks at per hold of the lock.
const scanBatch = 256

// Recent returns up to limit records that f selects, newest first (limit
// 0 or less: no limit). It reads in short batches, so rings are recorded
// while it scans; a record overwritten meanwhile ends the scan.
func (l *Log) Recent(f Filter, limit int) []Record {
	var out []Record
	digits := Digits(f.Number)
	l.mu.Lock()
	id := l.last
	l.mu.Unlock()
	size := uint64(len(l.slots))
	for id > 0 {
		l.mu.Lock()
		for n := 0; n < scanBatch && id > 0; n++ {
			if l.last-id >= size { // overwritten since the scan began
				id = 0
				break
			}
			r := &l.slots[(id-1)%size]
			if f.match(r, digits) {
				out = append(out, *r)
				if limit > 0 && len(out) >= limit {
					id = 0
					break
				}
			}
			id--
		}
		l.mu.Unlock()
	}
	return out
}

// Get returns the record with id, if the log still holds it.
func (l *Log) Get(id uint64) (Record, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if id == 0 || id > l.last || l.last-id >= uint64(len(l.slots)) {
		return Record{}, false
	}
	return l.slots[(id-1)%uint64(len(l.slots))], true
}

// ByUUID returns the rings of the call uuid that the log still holds,
// newest first.
func (l *Log) ByUUID(uuid string) []Record {
	if uuid == "" {
		return nil
	}
	return l.Recent(Filter{UUID: uuid}, 0)
}
