package directory

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"weak"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Key lookups are not cached, unlike lookups by number:
//
//   - an index source answers in about a microsecond from memory already;
//   - a hashed key is a secret (a PIN): a cache would keep an answer about
//     it (a hit, or a "no such PIN" that a caller trying PINs would be
//     served from) beyond the source's own record, and a changed or
//     revoked PIN of a live source, whose changes nothing reports, would go
//     on answering until the entry expired;
//   - a live source is asked for a key only when a caller keys one, not on
//     every ring, and its timeout and circuit breaker keep a slow CRM from
//     holding the call.

// Outcomes of VerifyKey, as the key verification metric counts them.
const (
	verifyMatch    = "match"
	verifyMismatch = "mismatch"
	verifyError    = "error"
)

// Keys lists the names of the keys any source configures, sorted: what
// LookupKey and VerifyKey accept.
func (d *Directory) Keys() []string { return slices.Clone(d.keyNames) }

// KeyIsSecret reports whether any source stores key hashed: its values
// are secrets (a PIN), never to be shown, echoed or logged.
func (d *Directory) KeyIsSecret(key string) bool {
	for _, s := range d.keyed[key] {
		if s.keys[key].Hashed() {
			return true
		}
	}
	return false
}

// unknownKey is the error of a key no source configures.
func (d *Directory) unknownKey(key string) error {
	known := "none are configured"
	if len(d.keyNames) > 0 {
		known = "configured: " + strings.Join(d.keyNames, ", ")
	}
	return fmt.Errorf("key %q: %w (%s)", key, ErrUnknownKey, known)
}

// LookupKey finds the records whose configured key `key` holds value, in
// the sources that configure that key, in lookup order (the first source
// with a match answers, as for numbers). Found, Ambiguous, Match, Matches,
// Source, Via, Duration and Errors are as for numbers; Query is empty, and
// each match has Kind connectors.MatchKey and no Phone. The value is
// compared as the contract says (trimmed, ignoring case, any of a field's
// several values); for a hashed key it is hashed first (Key.Stored), so a
// connector only ever sees the hash. A key no source configures gives a
// Result whose Errors holds an error wrapping ErrUnknownKey; an empty value
// finds nothing. Answers are not cached (see above), and the value of a
// hashed key is never logged.
func (d *Directory) LookupKey(ctx context.Context, key, value string) Result {
	start := time.Now()
	srcs := d.keyed[key]
	if len(srcs) == 0 {
		res := Result{Via: ViaNone, Errors: []SourceError{{Err: d.unknownKey(key)}}, Duration: time.Since(start)}
		d.metrics.keyLookup("", "", ViaNone, "unknown_key")
		return res
	}
	res := d.askKey(ctx, srcs, key, strings.TrimSpace(value))
	res.Duration = time.Since(start)
	d.metrics.keyLookup(key, res.Source, res.Via, res.Outcome())
	return res
}

// askKey asks srcs, in order, for the records whose key holds value
// (trimmed), under the overall deadline once a live source is asked.
func (d *Directory) askKey(ctx context.Context, srcs []*source, key, value string) Result {
	res := Result{Via: ViaNone}
	if value == "" {
		return res
	}
	dctx, limited := ctx, false
	for i, s := range srcs {
		if err := dctx.Err(); err != nil {
			for _, rest := range srcs[i:] {
				err := ErrDeadline
				if ctx.Err() != nil {
					err = fmt.Errorf("not asked: the lookup was cancelled: %w", ctx.Err())
				}
				res.Errors = append(res.Errors, SourceError{Source: rest.Name, Err: err})
			}
			break
		}
		k := s.keys[key]
		var (
			matches []connectors.Match
			via     Via
			err     error
		)
		if s.Mode == ModeLive {
			if !limited {
				// Index sources answer from memory: the deadline (and its
				// timer) is only needed once a live source is asked.
				var cancel context.CancelFunc
				dctx, cancel = context.WithTimeout(ctx, d.deadline)
				defer cancel()
				limited = true
			}
			via = ViaLive
			matches, err = d.askLiveKey(ctx, dctx, s, k, k.Stored(value), recKey{})
			d.fromLive(s, matches)
		} else {
			via = ViaIndex
			if ix := s.index.Load(); ix != nil {
				matches = ix.LookupKey(key, k.Stored(value))
				d.origins.note(matches, s.Name)
			} else {
				err = ErrNotReady
			}
		}
		if err != nil {
			s.log.Debug("source failed a key lookup; asking the next one", "key", key, "error", err)
			res.Errors = append(res.Errors, SourceError{Source: s.Name, Err: err})
			continue
		}
		if len(matches) == 0 {
			continue
		}
		res.answer(s.Name, via, matches)
		return res
	}
	res.Via = ViaNone
	return res
}

// VerifyKey reports whether the record rec (a match of an earlier lookup,
// by number or by key) holds value under key: a PIN check. The record is
// checked in the source it came from: the index source serving that very
// record, or the live source that returned it; failing those (the index
// was rebuilt or the record changed since, or rec was made elsewhere), the
// first index source, in lookup order, that configures key and holds a
// record of rec's kind and id, else the first live source that configures
// key. A source that does not configure key is an error; a record no
// source holds is false, and so is an empty value. An index source
// compares the stored (hashed) form of value with the record's in
// constant time, from its key index (the records it serves no longer hold
// a hashed key's field); a live source's connector is asked with RecordID
// set, under the source's timeout and breaker. The value is never logged.
func (d *Directory) VerifyKey(ctx context.Context, rec *connectors.Match, key, value string) (bool, error) {
	ok, err := d.verifyKey(ctx, rec, key, strings.TrimSpace(value))
	outcome := verifyMismatch
	switch {
	case err != nil:
		outcome = verifyError
	case ok:
		outcome = verifyMatch
	}
	if d.keyed[key] == nil {
		key = "" // no unbounded label values
	}
	d.metrics.keyVerified(key, outcome)
	return ok, err
}

func (d *Directory) verifyKey(ctx context.Context, rec *connectors.Match, key, value string) (bool, error) {
	rk, ok := matchKey(rec)
	if !ok {
		return false, errors.New("directory: verify key: the match holds no record (neither a contact nor a company)")
	}
	if d.keyed[key] == nil {
		return false, fmt.Errorf("directory: verify: %w", d.unknownKey(key))
	}
	s, err := d.owner(rec, rk, key)
	if err != nil || s == nil {
		return false, err
	}
	if value == "" {
		return false, nil
	}
	k := s.keys[key]
	if s.Mode == ModeLive {
		dctx, cancel := context.WithTimeout(ctx, d.deadline)
		defer cancel()
		matches, err := d.askLiveKey(ctx, dctx, s, k, k.Stored(value), rk)
		if err != nil {
			s.log.Debug("source failed a key verification", "key", key, "error", err)
			return false, fmt.Errorf("directory: verify key %q: source %q: %w", key, s.Name, err)
		}
		return len(matches) > 0, nil
	}
	ix := s.index.Load()
	if ix == nil {
		return false, fmt.Errorf("directory: verify key %q: source %q: %w", key, s.Name, ErrNotReady)
	}
	vals, ok := ix.recordKeyValues(rk, key)
	if !ok {
		return false, nil
	}
	return holdsValue(vals, normKey(k.Stored(value))), nil
}

// owner finds the source rec is to be verified in (see VerifyKey): nil
// when no source holds it.
func (d *Directory) owner(rec *connectors.Match, rk recKey, key string) (*source, error) {
	if from := d.origins.of(rec); from != "" {
		s := d.byName[from]
		if s.keys[key] == nil {
			return nil, fmt.Errorf("directory: verify: the record (%s) came from source %q, which does not configure key %q; "+
				"configure the key on that connector", rec.Key(), from, key)
		}
		return s, nil
	}
	// Not a record a lookup returned (those are remembered): an index
	// holding its id first.
	for _, s := range d.keyed[key] {
		if ix := s.index.Load(); s.Mode == ModeIndex && ix != nil {
			if _, _, ok := ix.locate(rk); ok {
				return s, nil
			}
		}
	}
	for _, s := range d.keyed[key] {
		if s.Mode == ModeLive {
			return s, nil
		}
	}
	return nil, nil
}

// holdsValue reports whether want is one of vals, comparing each in
// constant time.
func holdsValue(vals []string, want string) bool {
	found := 0
	for _, v := range vals {
		found |= subtle.ConstantTimeCompare([]byte(v), []byte(want))
	}
	return found == 1
}

// notHealth marks a key lookup the connector refused for its own
// configuration or abilities (a field it does not have, no key lookups):
// a problem to fix, not a sign the CRM is unwell, so the breaker does not
// count it.
type notHealth struct{ err error }

func (e notHealth) Error() string { return e.err.Error() }
func (e notHealth) Unwrap() error { return e.err }

// redacted hides a hashed key's stored value in an error a connector
// returned (it should not echo it, but a log must never hold it).
type redacted struct {
	err    error
	secret string
}

func (e redacted) Error() string {
	msg := e.err.Error()
	if e.secret != "" {
		msg = strings.ReplaceAll(msg, e.secret, "[redacted]")
		if i := strings.IndexByte(e.secret, ':'); i > 0 {
			msg = strings.ReplaceAll(msg, e.secret[i+1:], "[redacted]")
		}
	}
	return msg
}
func (e redacted) Unwrap() error { return e.err }

// askLiveKey asks a live source's connector for the records whose key k
// holds stored (its stored form), through the source's breaker under
// min(timeout, what is left of the overall deadline), and re-checks the
// answer; rk, when set, restricts it to that record (a verification).
func (d *Directory) askLiveKey(ctx, dctx context.Context, s *source, k *Key, stored string, rk recKey) ([]connectors.Match, error) {
	kl, ok := s.Connector.(connectors.KeyLookuper)
	if !ok {
		return nil, fmt.Errorf("the connector cannot look records up by key; key %q needs mode: index for this connector", k.Name)
	}
	callCtx, cancel := context.WithTimeout(dctx, s.Timeout)
	defer cancel()
	req := &connectors.KeyLookupRequest{Field: k.Field, Value: stored, RecordID: rk.id}
	resp, err := s.breaker.Execute(func() (*connectors.LookupResponse, error) {
		resp, err := callWithin(callCtx, "LookupByKey", func(ctx context.Context) (*connectors.KeyLookupResponse, error) {
			return kl.LookupByKey(ctx, req)
		})
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, callerGone{err: err}
		case err != nil:
			switch connectors.ClassOf(err) {
			case connectors.ClassBadConfig, connectors.ClassUnsupported, connectors.ClassInvalidRequest:
				return nil, notHealth{err: err}
			}
			return nil, err
		case resp == nil:
			return nil, nil
		}
		return &connectors.LookupResponse{Matches: resp.Matches}, nil
	})
	if err != nil {
		class := errorClass(err)
		if class != "canceled" {
			d.metrics.connectorError(s.Name, class)
		}
		err = describeLiveError(s, err)
		if k.Hashed() {
			err = redacted{err: err, secret: stored}
		}
		return nil, err
	}
	if resp == nil {
		return nil, nil
	}
	return s.recheckKey(k, stored, rk, resp.Matches), nil
}

// recheckKey keeps the connector's matches whose record holds stored
// under k (and is rk's record, when set), as key matches without the
// fields of hashed keys, contacts first.
func (s *source) recheckKey(k *Key, stored string, rk recKey, in []connectors.Match) []connectors.Match {
	want := normKey(stored)
	out := make([]connectors.Match, 0, len(in))
	for _, m := range in {
		got, ok := matchKey(&m)
		if !ok || (rk.id != "" && got != rk) {
			continue
		}
		if !holdsValue(matchKeyValues(&m, k.Field), want) {
			continue
		}
		m.Kind, m.Phone = connectors.MatchKey, connectors.Phone{}
		stripMatch(&m, s.strip)
		out = append(out, m)
	}
	if dropped := len(in) - len(out); dropped > 0 {
		s.log.Debug("dropped records the connector returned for a key that do not hold it", "key", k.Name, "dropped", dropped)
	}
	if len(out) == 0 {
		return nil
	}
	slices.SortStableFunc(out, func(a, b connectors.Match) int {
		switch {
		case a.Contact != nil && b.Contact == nil:
			return -1
		case a.Contact == nil && b.Contact != nil:
			return 1
		}
		return 0
	})
	return out
}

// fromLive strips the fields of s's hashed keys from the records a live
// lookup of s returned and remembers where they came from (VerifyKey).
func (d *Directory) fromLive(s *source, matches []connectors.Match) {
	for i := range matches {
		stripMatch(&matches[i], s.strip)
	}
	d.origins.note(matches, s.Name)
}

// origins remembers which source returned which record, by the records'
// pointers, without keeping them alive: an entry goes when its record is
// collected. Every live lookup's records are noted, and an index's when
// some source configures a key (VerifyKey asks; an index decodes a fresh
// record for each lookup, so its pointer says nothing by itself).
type origins struct {
	mu        sync.Mutex
	contacts  map[weak.Pointer[connectors.Contact]]string
	companies map[weak.Pointer[connectors.Company]]string
}

func newOrigins() *origins {
	return &origins{
		contacts:  make(map[weak.Pointer[connectors.Contact]]string),
		companies: make(map[weak.Pointer[connectors.Company]]string),
	}
}

// note records that source returned the matches' records.
func (o *origins) note(ms []connectors.Match, source string) {
	if o == nil {
		return
	}
	for i := range ms {
		if c := ms[i].Contact; c != nil {
			remember(o, o.contacts, c, source)
		} else if c := ms[i].Company; c != nil {
			remember(o, o.companies, c, source)
		}
	}
}

func remember[T any](o *origins, m map[weak.Pointer[T]]string, p *T, source string) {
	wp := weak.Make(p)
	o.mu.Lock()
	_, known := m[wp]
	m[wp] = source
	o.mu.Unlock()
	if !known {
		runtime.AddCleanup(p, func(wp weak.Pointer[T]) {
			o.mu.Lock()
			delete(m, wp)
			o.mu.Unlock()
		}, wp)
	}
}

// of names the source that returned m's record ("" if none did, or it
// was not noted).
func (o *origins) of(m *connectors.Match) string {
	if o == nil {
		return ""
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if m.Contact != nil {
		return o.contacts[weak.Make(m.Contact)]
	}
	return o.companies[weak.Make(m.Company)]
}
