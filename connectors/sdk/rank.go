package sdk

import (
	"sort"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// DefaultLookupLimit caps Rank's answer when the request sets no Limit.
const DefaultLookupLimit = 10

// Caller returns the caller's number as the LookupRequest carries it (the
// host has parsed it: E164 and National), parsed from Raw with p only when
// the host could not. Use it to build a loose query: phone.Suffix(n, 7) is
// the last seven digits, which a stored number holds however it is
// written.
func Caller(p *phone.Parser, req *connectors.LookupRequest) phone.Number {
	n := phone.Number{Raw: req.Raw, E164: req.E164, National: req.National}
	if !n.Valid() && n.Raw != "" && p != nil {
		if parsed, err := p.ParseCaller(n.Raw); err == nil {
			return parsed
		}
	}
	return n
}

// LastDigits returns the last n digits of the caller's national number
// (all of them when it is shorter; "" when the request has no number), the
// key of a loose query: a stored number holds them however it is written
// ("+44 (0)20 4520 5757", "020-4520-5757 x12"), once spaces, dashes,
// dots and brackets are taken out. Seven digits find a number among
// millions with few strangers; Rank then drops the strangers.
func LastDigits(p *phone.Parser, req *connectors.LookupRequest, n int) string {
	caller := Caller(p, req)
	if s := phone.Suffix(caller, n); s != "" {
		return s
	}
	return caller.National
}

// Rank decides which candidates really have the caller's number. A loose
// query (the last digits of the number, a CRM's fuzzy search) finds
// candidates; Rank parses each stored number (Phone.Raw) with p, as the
// host does, fills in its E164 and Extension, matches it against the
// caller with phone.Match, and keeps each record's strongest number.
// Records without a match are dropped, so is a second copy of a record
// (same ID). The answer is ordered strongest match first (exact, national),
// contacts before companies and in the candidates' order between equals,
// and holds at most req.Limit matches (DefaultLookupLimit when 0): it is the
// LookupResponse's Matches.
//
// Rank works on copies: the candidates are not changed.
func Rank(p *phone.Parser, req *connectors.LookupRequest, contacts []connectors.Contact, companies []connectors.Company) []connectors.Match {
	query := Caller(p, req)
	if !query.Valid() {
		return nil
	}
	var matches []connectors.Match
	seen := map[string]bool{}
	for i := range contacts {
		ct := contacts[i]
		if seen["contact:"+ct.ID] {
			continue
		}
		var at int
		var kind connectors.MatchKind
		if ct.Phones, at, kind = best(p, query, ct.Phones); kind != "" {
			seen["contact:"+ct.ID] = true
			matches = append(matches, connectors.Match{Contact: &ct, Kind: kind, Phone: ct.Phones[at]})
		}
	}
	for i := range companies {
		co := companies[i]
		if seen["company:"+co.ID] {
			continue
		}
		var at int
		var kind connectors.MatchKind
		if co.Phones, at, kind = best(p, query, co.Phones); kind != "" {
			seen["company:"+co.ID] = true
			matches = append(matches, connectors.Match{Company: &co, Kind: kind, Phone: co.Phones[at]})
		}
	}
	sort.SliceStable(matches, func(a, b int) bool { return matches[a].Kind.Strength() > matches[b].Kind.Strength() })
	limit := req.Limit
	if limit <= 0 {
		limit = DefaultLookupLimit
	}
	if len(matches) > limit {
		matches = matches[:limit]
	}
	return matches
}

// best parses a copy of phones (filling in E164 and Extension) and returns
// it with the index and kind of the number that matches query best; kind
// is "" when none does.
func best(p *phone.Parser, query phone.Number, phones []connectors.Phone) ([]connectors.Phone, int, connectors.MatchKind) {
	phones = append([]connectors.Phone(nil), phones...)
	at, kind := -1, connectors.MatchKind("")
	for i := range phones {
		n, err := p.Parse(phones[i].Raw)
		if err != nil {
			var ok bool
			if n, ok = phone.FromE164(phones[i].E164); !ok {
				continue // an unreadable number matches nothing
			}
		}
		phones[i].E164, phones[i].Extension = n.E164, n.Extension
		if k := p.Match(query, n, 0); k.Strength() > kind.Strength() {
			at, kind = i, k
		}
	}
	return phones, at, kind
}
