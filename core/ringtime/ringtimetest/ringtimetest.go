// Package ringtimetest has a fake directory for testing the phone-system
// front ends.
package ringtimetest

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/directory"
)

// KnownCaller is the one number Directory knows.
const KnownCaller = "+905061234567"

// Directory knows KnownCaller (KnownLookup); LookupFn, when set, replaces
// it. It records the raw numbers it was asked about.
type Directory struct {
	LookupFn func(ctx context.Context, raw string) directory.Result

	mu    sync.Mutex
	asked []string
}

// Lookup implements ringtime.Lookuper.
func (d *Directory) Lookup(ctx context.Context, raw string) directory.Result {
	d.mu.Lock()
	d.asked = append(d.asked, raw)
	d.mu.Unlock()
	if d.LookupFn != nil {
		return d.LookupFn(ctx, raw)
	}
	return KnownLookup(raw)
}

// Calls are the raw numbers Lookup was asked about, in order.
func (d *Directory) Calls() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.asked...)
}

// KnownLookup finds KnownCaller with or without its "+" (contact C042 in
// source "customers"), and treats anything that is not digits (after an
// optional "+") as invalid.
func KnownLookup(raw string) directory.Result {
	digits := strings.TrimPrefix(raw, "+")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return directory.Result{Query: phone.Number{Raw: raw}, Via: directory.ViaNone, InvalidNumber: errors.New("not a number")}
	}
	q := phone.Number{Raw: raw, E164: "+" + digits, National: digits}
	if "+"+digits != KnownCaller {
		return directory.Result{Query: q, Via: directory.ViaIndex}
	}
	m := connectors.Match{Contact: &connectors.Contact{ID: "C042", FirstName: "Ada"}, Kind: connectors.MatchExact, Phone: connectors.Phone{E164: KnownCaller}}
	return directory.Result{Query: q, Found: true, Match: &m, Matches: []connectors.Match{m}, Source: "customers", Via: directory.ViaIndex}
}
