package directory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	yaml "go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/connectors"
)

// The stored forms of PIN 1234, made outside Go:
//
//	printf '%s' 1234 | sha256sum
//	printf '%s' 1234 | openssl dgst -sha256 -hmac pin-secret -r
const (
	pin1234SHA  = "sha256:03ac674216f3e15c761ee1a5e255f067953623c8b388b4459e13f978d7c846f4"
	pin1234HMAC = "hmac-sha256:6ec7679f765c1b26d93eb7aa83c2c3a86595fbf7df56f5c1c8f4c298cedc605b"
	pinSecret   = "pin-secret"
)

// testKeys are the keys of the key tests' sources.
var testKeys = []Key{
	{Name: "account", Field: "account_no"},
	{Name: "email", Field: "email"},
	{Name: "id", Field: "id"},
	{Name: "ext", Field: "external_id"},
	{Name: "pin", Field: "pin_hash", Hash: HashSHA256},
	{Name: "pin2", Field: "pin_hmac", Hash: HashHMACSHA256, Secret: pinSecret},
}

func shaOf(v string) string  { k := Key{Hash: HashSHA256}; return k.Stored(v) }
func hmacOf(v string) string { k := Key{Hash: HashHMACSHA256, Secret: pinSecret}; return k.Stored(v) }

// keyFake is a connector of every capability holding records with keys.
func keyFake() *fakeConn {
	ada := contact("ada", "+44 20 4520 5757")
	ada.Emails = []string{"Ada@Engines.example"}
	ada.Fields = map[string]any{"account_no": "AB-12", "pin_hash": pin1234SHA, "pin_hmac": pin1234HMAC, "tier": "gold"}
	bob := contact("bob", "+44 20 7946 0018")
	bob.Fields = map[string]any{"account_no": "CD-34; ef-56", "pin_hash": strings.ToUpper(shaOf("9999")), "pin_hmac": hmacOf("9999")}
	cat := contact("cat")
	cat.Fields = map[string]any{"account_no": []any{"GH-78", 1001.0}, "external_id": "EXT-9"}
	dan := contact("dan")
	dan.Fields = map[string]any{"account_no": "shared-1"}
	eve := contact("eve")
	eve.Fields = map[string]any{"account_no": " SHARED-1 "}
	fay := contact("fay")
	fay.Fields = map[string]any{"account_no": "shared-2"}
	co1 := company("co-1", "+44 161 496 0000")
	co1.Fields = map[string]any{"account_no": "CO-1", "pin_hash": shaOf("5555")}
	co2 := company("co-2")
	co2.Fields = map[string]any{"account_no": "shared-2"}
	f := newFake(ada, bob, cat, dan, eve, fay)
	f.companies = []connectors.Company{co2, co1}
	f.caps = []connectors.Capability{connectors.CapLookup, connectors.CapLookupByKey, connectors.CapListContacts,
		connectors.CapListCompanies, connectors.CapChangedSince}
	return f
}

// keyDir is a directory over one source named "crm" in mode, with keys.
func keyDir(t *testing.T, f *fakeConn, mode Mode, opts Options) *Directory {
	t.Helper()
	opts.Sources = append([]Source{{Name: "crm", Connector: f, Mode: mode, Keys: testKeys}}, opts.Sources...)
	return newDir(t, opts)
}

func TestLookupKey(t *testing.T) {
	tests := []struct {
		name, key, value string
		want             []string // record keys; several: ambiguous
	}{
		{"plain", "account", "AB-12", []string{"contact:ada"}},
		{"trimmed, any case", "account", "  ab-12 ", []string{"contact:ada"}},
		{"one of several in a text", "account", "EF-56", []string{"contact:bob"}},
		{"the other one", "account", "cd-34", []string{"contact:bob"}},
		{"a list's text", "account", "gh-78", []string{"contact:cat"}},
		{"a list's number", "account", "1001", []string{"contact:cat"}},
		{"a company", "account", "co-1", []string{"company:co-1"}},
		{"shared: ambiguous", "account", "Shared-1", []string{"contact:dan", "contact:eve"}},
		{"shared by a contact and a company: contact first", "account", "shared-2", []string{"contact:fay", "company:co-2"}},
		{"standard email", "email", "ada@engines.EXAMPLE", []string{"contact:ada"}},
		{"standard id", "id", "BOB", []string{"contact:bob"}},
		{"external_id field", "ext", "ext-9", []string{"contact:cat"}},
		{"external_id is the id without the field", "ext", "dan", []string{"contact:dan"}},
		{"sha256", "pin", "1234", []string{"contact:ada"}},
		{"sha256 stored in upper case", "pin", " 9999 ", []string{"contact:bob"}},
		{"hmac-sha256", "pin2", "1234", []string{"contact:ada"}},
		{"hmac-sha256, another", "pin2", "9999", []string{"contact:bob"}},
		{"not found", "account", "zz-99", nil},
		{"a hash is not a PIN", "pin", pin1234SHA, nil},
		{"empty finds nothing", "account", "  ", nil},
		{"a wrong PIN", "pin", "1235", nil},
	}
	for _, mode := range []Mode{ModeIndex, ModeLive} {
		t.Run(string(mode), func(t *testing.T) {
			f := keyFake()
			d := keyDir(t, f, mode, Options{})
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					res := d.LookupKey(context.Background(), tt.key, tt.value)
					if len(res.Errors) > 0 {
						t.Fatalf("errors: %v", res.Errors)
					}
					if got := keys(res.Matches); !slices.Equal(got, tt.want) {
						t.Fatalf("LookupKey(%s, %q) = %v, want %v", tt.key, tt.value, got, tt.want)
					}
					switch len(tt.want) {
					case 0:
						if res.Found || res.Ambiguous || res.Via != ViaNone || res.Source != "" || res.Match != nil {
							t.Errorf("not found: %+v", res)
						}
					case 1:
						if !res.Found || res.Ambiguous || res.Match == nil || res.Match.Key() != tt.want[0] {
							t.Errorf("found: %+v", res)
						}
					default:
						if res.Found || !res.Ambiguous || res.Match != nil {
							t.Errorf("ambiguous: %+v", res)
						}
					}
					if len(tt.want) > 0 {
						wantVia := ViaIndex
						if mode == ModeLive {
							wantVia = ViaLive
						}
						if res.Source != "crm" || res.Via != wantVia {
							t.Errorf("source %q via %q, want crm via %s", res.Source, res.Via, wantVia)
						}
					}
					for _, m := range res.Matches {
						if m.Kind != connectors.MatchKey || m.Phone != (connectors.Phone{}) {
							t.Errorf("%s: kind %q phone %+v, want kind key and no phone", m.Key(), m.Kind, m.Phone)
						}
					}
					if res.Query != (Result{}).Query || res.Duration <= 0 {
						t.Errorf("query %+v duration %v: want an empty query and a duration", res.Query, res.Duration)
					}
				})
			}
			if mode == ModeLive {
				// The connector only ever saw hashes for the hashed keys.
				f.mu.Lock()
				defer f.mu.Unlock()
				for _, r := range f.keyReqs {
					if (r.Field == "pin_hash" || r.Field == "pin_hmac") && !strings.Contains(r.Value, ":") {
						t.Errorf("connector asked for %s = %q, not a hash", r.Field, r.Value)
					}
					if r.Field == "pin_hash" && r.Value == "1234" {
						t.Error("the PIN reached the connector")
					}
				}
			}
		})
	}
}

func TestLookupKeyUnknownKey(t *testing.T) {
	reg := prometheus.NewRegistry()
	d := keyDir(t, keyFake(), ModeIndex, Options{Registerer: reg})
	res := d.LookupKey(context.Background(), "acount", "AB-12")
	if res.Found || res.Ambiguous || res.Via != ViaNone || len(res.Errors) != 1 {
		t.Fatalf("LookupKey(unknown) = %+v", res)
	}
	if !errors.Is(res.Errors[0], ErrUnknownKey) {
		t.Errorf("error %v does not wrap ErrUnknownKey", res.Errors[0])
	}
	if msg := res.Errors[0].Error(); !strings.Contains(msg, `"acount"`) || !strings.Contains(msg, "account, email, ext, id, pin, pin2") {
		t.Errorf("error %q names neither the key nor the configured ones", msg)
	}
	if got := metricValue(t, reg, "switchboard_directory_key_lookups_total", "key", "", "source", "", "via", "none", "outcome", "unknown_key"); got != 1 {
		t.Errorf("unknown key lookups counted %v, want 1", got)
	}
	d.LookupKey(context.Background(), "account", "AB-12")
	if got := metricValue(t, reg, "switchboard_directory_key_lookups_total", "key", "account", "source", "crm", "via", "index", "outcome", "found"); got != 1 {
		t.Errorf("found key lookups counted %v, want 1", got)
	}
	if _, err := d.VerifyKey(context.Background(), &connectors.Match{Contact: &connectors.Contact{ID: "ada"}}, "pn", "1234"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("VerifyKey(unknown key) error = %v, want ErrUnknownKey", err)
	}
}

func TestLookupKeyOrder(t *testing.T) {
	// Two sources configure "account" over fields of their own; a third
	// does not configure it. The first source with a match answers.
	a := newFake(withFields(contact("a1"), "acct", "X-1"))
	b := newFake(withFields(contact("b1"), "account_no", "X-1"), withFields(contact("b2"), "account_no", "Y-2"))
	b.caps = append(b.caps, connectors.CapLookupByKey)
	c := newFake(withFields(contact("c1"), "account_no", "Z-3"))
	d := newDir(t, Options{Sources: []Source{
		{Name: "c", Connector: c},
		{Name: "a", Connector: a, Keys: []Key{{Name: "account", Field: "acct"}}},
		{Name: "b", Connector: b, Mode: ModeLive, Keys: []Key{{Name: "account", Field: "account_no"}}},
	}})
	if got := d.Keys(); !slices.Equal(got, []string{"account"}) {
		t.Errorf("Keys() = %v", got)
	}
	res := d.LookupKey(context.Background(), "account", "x-1")
	if !res.Found || res.Source != "a" || res.Match.Key() != "contact:a1" {
		t.Errorf("x-1: %+v, want a1 from a", res)
	}
	if n := b.keyLookups.Load(); n != 0 {
		t.Errorf("the live source was asked %d times after the first answered", n)
	}
	res = d.LookupKey(context.Background(), "account", "y-2")
	if !res.Found || res.Source != "b" || res.Via != ViaLive || res.Match.Key() != "contact:b2" {
		t.Errorf("y-2: %+v, want b2 from b, live", res)
	}
	if res := d.LookupKey(context.Background(), "account", "z-3"); res.Found || res.Ambiguous {
		t.Errorf("z-3 was found in a source that does not configure the key: %+v", res)
	}
}

func withFields(c connectors.Contact, kv ...string) connectors.Contact {
	if c.Fields == nil {
		c.Fields = map[string]any{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		c.Fields[kv[i]] = kv[i+1]
	}
	return c
}

func TestLookupKeyLiveRecheck(t *testing.T) {
	f := keyFake()
	f.set(func(f *fakeConn) {
		f.keyResult = func(req *connectors.KeyLookupRequest) []connectors.Match {
			// A loose connector: every contact, claimed by phone.
			out := make([]connectors.Match, 0, len(f.contacts))
			for i := range f.contacts {
				c := f.contacts[i]
				out = append(out, connectors.Match{Contact: &c, Kind: connectors.MatchExact, Phone: connectors.Phone{Raw: "x"}})
			}
			return out
		}
	})
	d := keyDir(t, f, ModeLive, Options{})
	res := d.LookupKey(context.Background(), "account", "ab-12")
	if !res.Found || res.Match.Key() != "contact:ada" || res.Match.Kind != connectors.MatchKey || res.Match.Phone.Raw != "" {
		t.Errorf("LookupKey over a loose connector = %v (%+v), want ada alone, as a key match", keys(res.Matches), res.Match)
	}
}

func TestLookupKeyStripsHashedFields(t *testing.T) {
	for _, mode := range []Mode{ModeIndex, ModeLive} {
		t.Run(string(mode), func(t *testing.T) {
			f := keyFake()
			d := keyDir(t, f, mode, Options{Cache: CacheOptions{Size: 10, PositiveTTL: time.Minute}})
			check := func(what string, res Result) {
				t.Helper()
				if len(res.Matches) == 0 && mode == ModeLive && what == "company by number" {
					return // the fake looks up contacts only by number
				}
				if len(res.Matches) == 0 {
					t.Fatalf("%s: nothing found: %+v", what, res)
				}
				for _, m := range res.Matches {
					var fields map[string]any
					if m.Contact != nil {
						fields = m.Contact.Fields
					} else {
						fields = m.Company.Fields
					}
					for _, hidden := range []string{"pin_hash", "pin_hmac"} {
						if _, ok := fields[hidden]; ok {
							t.Errorf("%s: %s holds %s: %v", what, m.Key(), hidden, fields)
						}
					}
					if m.Key() == "contact:ada" && (fields["tier"] != "gold" || fields["account_no"] != "AB-12") {
						t.Errorf("%s: ada lost other fields: %v", what, fields)
					}
				}
			}
			check("by pin", d.LookupKey(context.Background(), "pin", "1234"))
			check("by account", d.LookupKey(context.Background(), "account", "ab-12"))
			check("by company account", d.LookupKey(context.Background(), "account", "co-1"))
			check("by number", d.Lookup(context.Background(), "+442045205757"))
			check("by number, cached", d.Lookup(context.Background(), "+442045205757"))
			check("company by number", d.Lookup(context.Background(), "+441614960000"))
			// The connector's own records are not changed.
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.contacts[0].Fields["pin_hash"] != pin1234SHA || f.companies[1].Fields["pin_hash"] == nil {
				t.Errorf("the connector's records were stripped: %v", f.contacts[0].Fields)
			}
		})
	}
}

func TestVerifyKey(t *testing.T) {
	for _, mode := range []Mode{ModeIndex, ModeLive} {
		t.Run(string(mode), func(t *testing.T) {
			reg := prometheus.NewRegistry()
			f := keyFake()
			d := keyDir(t, f, mode, Options{Registerer: reg})
			ctx := context.Background()
			ada := d.LookupKey(ctx, "account", "AB-12").Match
			bob := d.Lookup(ctx, "+442079460018").Match
			co := d.LookupKey(ctx, "account", "CO-1").Match
			if ada == nil || bob == nil || co == nil {
				t.Fatal("the records to verify were not found")
			}
			tests := []struct {
				name       string
				rec        *connectors.Match
				key, value string
				want       bool
			}{
				{"sha256 right", ada, "pin", "1234", true},
				{"sha256 spaces", ada, "pin", " 1234 ", true},
				{"sha256 wrong", ada, "pin", "1243", false},
				{"another record's PIN", ada, "pin", "9999", false},
				{"found by number", bob, "pin", "9999", true},
				{"found by number, wrong", bob, "pin", "1234", false},
				{"hmac right", ada, "pin2", "1234", true},
				{"hmac wrong", bob, "pin2", "1234", false},
				{"a company", co, "pin", "5555", true},
				{"a company, wrong", co, "pin", "1234", false},
				{"a plain key", ada, "account", "ab-12", true},
				{"a plain key, another's", ada, "account", "cd-34", false},
				{"empty", ada, "pin", "", false},
				{"a record without the field", &connectors.Match{Contact: &connectors.Contact{ID: "cat"}}, "pin", "1234", false},
				{"no such record", &connectors.Match{Contact: &connectors.Contact{ID: "nobody"}}, "pin", "1234", false},
				{"a company is not the contact of its id", &connectors.Match{Company: &connectors.Company{ID: "ada"}}, "pin", "1234", false},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					got, err := d.VerifyKey(ctx, tt.rec, tt.key, tt.value)
					if err != nil {
						t.Fatalf("VerifyKey: %v", err)
					}
					if got != tt.want {
						t.Errorf("VerifyKey(%s, %s) = %v, want %v", tt.rec.Key(), tt.key, got, tt.want)
					}
				})
			}
			if _, err := d.VerifyKey(ctx, &connectors.Match{}, "pin", "1234"); err == nil {
				t.Error("VerifyKey of an empty match: no error")
			}
			if got := metricValue(t, reg, "switchboard_directory_key_verifications_total", "key", "pin", "outcome", "match"); got != 4 {
				t.Errorf("pin matches counted %v, want 4", got)
			}
			if mode == ModeLive {
				f.mu.Lock()
				last := f.keyReqs[len(f.keyReqs)-1]
				f.mu.Unlock()
				if last.RecordID == "" {
					t.Errorf("a live verification asked without RecordID: %+v", last)
				}
			}
		})
	}
}

// TestVerifyKeyFindsTheSource: a record is verified in the source it came
// from, even when another source has a record with its id.
func TestVerifyKeyFindsTheSource(t *testing.T) {
	mk := func(id, pin string) connectors.Contact {
		return withFields(contact(id), "pin_hash", shaOf(pin))
	}
	pinKey := []Key{{Name: "pin", Field: "pin_hash", Hash: HashSHA256}}
	liveA := newFake(mk("7", "1111"))
	liveA.caps = append(liveA.caps, connectors.CapLookupByKey)
	liveB := newFake(withFields(mk("7", "2222"), "account_no", "B-7"))
	liveB.caps = append(liveB.caps, connectors.CapLookupByKey)
	idx := newFake(withFields(mk("7", "3333"), "account_no", "I-7"))
	plain := newFake(withFields(contact("9"), "account_no", "P-9"))
	acct := Key{Name: "account", Field: "account_no"}
	d := newDir(t, Options{Sources: []Source{
		{Name: "plain", Connector: plain, Keys: []Key{acct}},
		{Name: "a", Connector: liveA, Mode: ModeLive, Keys: pinKey},
		{Name: "b", Connector: liveB, Mode: ModeLive, Keys: append([]Key{acct}, pinKey...)},
		{Name: "idx", Connector: idx, Keys: append([]Key{acct}, pinKey...)},
	}})
	ctx := context.Background()
	fromB := d.LookupKey(ctx, "account", "B-7")
	fromIdx := d.LookupKey(ctx, "account", "I-7")
	fromPlain := d.LookupKey(ctx, "account", "P-9")
	if fromB.Source != "b" || fromIdx.Source != "idx" || fromPlain.Source != "plain" {
		t.Fatalf("sources: %q %q %q", fromB.Source, fromIdx.Source, fromPlain.Source)
	}
	for _, tt := range []struct {
		name string
		rec  *connectors.Match
		pin  string
		want bool
	}{
		{"live b's record, b's PIN", fromB.Match, "2222", true},
		{"live b's record, a's PIN", fromB.Match, "1111", false},
		{"live b's record, idx's PIN", fromB.Match, "3333", false},
		{"idx's record, idx's PIN", fromIdx.Match, "3333", true},
		{"idx's record, a's PIN", fromIdx.Match, "1111", false},
		// Made elsewhere (or served by an index before its rebuild): an
		// index holding its id decides before a live source.
		{"a record of no lookup, idx's PIN", &connectors.Match{Contact: &connectors.Contact{ID: "7"}}, "3333", true},
		{"a record of no lookup, a's PIN", &connectors.Match{Contact: &connectors.Contact{ID: "7"}}, "1111", false},
	} {
		got, err := d.VerifyKey(ctx, tt.rec, "pin", tt.pin)
		if err != nil || got != tt.want {
			t.Errorf("%s: VerifyKey = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if _, err := d.VerifyKey(ctx, fromPlain.Match, "pin", "1111"); err == nil || !strings.Contains(err.Error(), `"plain"`) {
		t.Errorf("VerifyKey of a record from a source without the key: %v, want an error naming the source", err)
	}
	// After a rebuild the index holds new records: the id still finds it.
	if err := d.Rebuild(ctx, "idx"); err != nil {
		t.Fatal(err)
	}
	if got, err := d.VerifyKey(ctx, fromIdx.Match, "pin", "3333"); err != nil || !got {
		t.Errorf("idx's record after a rebuild: VerifyKey = %v, %v; want true", got, err)
	}
	// A live source's record is still known as its, whatever its id.
	if got, err := d.VerifyKey(ctx, fromB.Match, "pin", "2222"); err != nil || !got {
		t.Errorf("live b's record after idx's rebuild: VerifyKey = %v, %v; want true", got, err)
	}
}

func TestLookupKeyPollMovesKeys(t *testing.T) {
	f := keyFake()
	d := keyDir(t, f, ModeIndex, Options{})
	ctx := context.Background()
	ada := d.LookupKey(ctx, "account", "ab-12")
	if !ada.Found {
		t.Fatal("ada not found before the change")
	}
	f.mu.Lock()
	changed := f.contacts[0]
	f.mu.Unlock()
	changed.Fields = map[string]any{"account_no": "ZZ-1, co-1", "pin_hash": shaOf("4321"), "tier": "gold"}
	f.upsert(changed)
	if n, err := d.Poll(ctx, "crm"); err != nil || n != 1 {
		t.Fatalf("Poll = %d, %v; want 1 change", n, err)
	}
	if res := d.LookupKey(ctx, "account", "ab-12"); res.Found || res.Ambiguous {
		t.Errorf("the old account still finds %v", keys(res.Matches))
	}
	if res := d.LookupKey(ctx, "account", "zz-1"); !res.Found || res.Match.Key() != "contact:ada" {
		t.Errorf("the new account finds %v", keys(res.Matches))
	}
	// A value the change shares with a base record: both, contacts first.
	if res := d.LookupKey(ctx, "account", "CO-1"); !slices.Equal(keys(res.Matches), []string{"contact:ada", "company:co-1"}) {
		t.Errorf("a shared value finds %v", keys(res.Matches))
	}
	if res := d.LookupKey(ctx, "pin", "1234"); res.Found {
		t.Errorf("the old PIN still finds %v", keys(res.Matches))
	}
	res := d.LookupKey(ctx, "pin", "4321")
	if !res.Found {
		t.Fatalf("the new PIN finds %v", keys(res.Matches))
	}
	if _, ok := res.Match.Contact.Fields["pin_hash"]; ok {
		t.Error("a changed record is served with its PIN hash")
	}
	for pin, want := range map[string]bool{"4321": true, "1234": false} {
		for _, rec := range []*connectors.Match{res.Match, ada.Match} { // the new record, and the old one
			if got, err := d.VerifyKey(ctx, rec, "pin", pin); err != nil || got != want {
				t.Errorf("VerifyKey(%s) after the change = %v, %v; want %v", pin, got, err, want)
			}
		}
	}
	// A record the host learns is keyed too.
	learned := withFields(contact("new", "+44 20 7946 0999"), "account_no", "NEW-1")
	if err := d.Learn("crm", learned); err != nil {
		t.Fatal(err)
	}
	if res := d.LookupKey(ctx, "account", "new-1"); !res.Found || res.Match.Key() != "contact:new" {
		t.Errorf("a learned contact's key finds %v", keys(res.Matches))
	}
	// A rebuild folds the overlay in; the keys stay where they moved.
	if err := d.Rebuild(ctx, "crm"); err != nil {
		t.Fatal(err)
	}
	if res := d.LookupKey(ctx, "account", "zz-1"); !res.Found {
		t.Error("after a rebuild the changed account is lost")
	}
	if res := d.LookupKey(ctx, "account", "ab-12"); res.Found {
		t.Error("after a rebuild the old account finds again")
	}
}

func TestLookupKeyLiveHangs(t *testing.T) {
	f := keyFake()
	f.set(func(f *fakeConn) { f.hang = true })
	idx := newFake(withFields(contact("backup"), "account_no", "AB-12"))
	d := newDir(t, Options{
		Deadline: time.Second,
		Sources: []Source{
			{Name: "crm", Connector: f, Mode: ModeLive, Keys: testKeys, Timeout: 50 * time.Millisecond, BreakerFailures: 2, BreakerCooldown: time.Hour},
			{Name: "idx", Connector: idx, Keys: []Key{{Name: "account", Field: "account_no"}}},
		},
	})
	ctx := context.Background()
	for i := range 4 {
		start := time.Now()
		res := d.LookupKey(ctx, "account", "ab-12")
		if took := time.Since(start); took > 500*time.Millisecond {
			t.Errorf("lookup %d took %v with a hanging live source (timeout 50ms)", i, took)
		}
		if !res.Found || res.Source != "idx" || len(res.Errors) != 1 || res.Errors[0].Source != "crm" {
			t.Fatalf("lookup %d: %+v, want the index's answer and crm's error", i, res)
		}
		if i >= 2 && !strings.Contains(res.Errors[0].Error(), "circuit breaker open") {
			t.Errorf("lookup %d: %v, want the breaker open", i, res.Errors[0])
		}
	}
	if n := f.keyLookups.Load(); n != 2 {
		t.Errorf("the hanging connector was asked %d times, want 2 (then the breaker opened)", n)
	}
	// The breaker is the source's: a ring is not sent to the hung CRM either.
	if res := d.Lookup(ctx, "+442045205757"); len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "circuit breaker open") {
		t.Errorf("phone lookup after the key lookups tripped the breaker: %+v", res.Errors)
	}
	if _, err := d.VerifyKey(ctx, &connectors.Match{Contact: &connectors.Contact{ID: "ada"}}, "pin", "1234"); err == nil {
		t.Error("VerifyKey against an open breaker: no error")
	}
}

func TestLookupKeyLiveRefusalsKeepTheBreakerClosed(t *testing.T) {
	f := keyFake()
	f.set(func(f *fakeConn) {
		f.keyErr = connectors.Errorf(connectors.ClassBadConfig, "LookupByKey", "no field %q to look records up by", "account_no")
	})
	d := newDir(t, Options{Sources: []Source{{Name: "crm", Connector: f, Mode: ModeLive, Keys: testKeys, BreakerFailures: 1}}})
	for range 3 {
		res := d.LookupKey(context.Background(), "account", "AB-12")
		if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "no field") {
			t.Fatalf("errors: %v", res.Errors)
		}
	}
	if st := d.Stats()[0].Breaker; st != "closed" {
		t.Errorf("breaker %s after configuration errors, want closed", st)
	}
	if res := d.Lookup(context.Background(), "+442045205757"); !res.Found {
		t.Errorf("rings fail after key lookups the connector refused: %+v", res)
	}
}

// pluginLike is a connector that describes itself without a call, as
// plugins/manager.Plugin does.
type pluginLike struct {
	*fakeConn
	info connectors.DescribeResponse
}

func (p pluginLike) Info() connectors.DescribeResponse { return p.info }

// notKeyed hides the fake's LookupByKey.
type notKeyed struct{ connectors.Connector }

func TestNewChecksKeys(t *testing.T) {
	f := keyFake()
	noCap := pluginLike{f, connectors.DescribeResponse{Name: "hubspot", Version: "1.2.0", Capabilities: []connectors.Capability{connectors.CapLookup}}}
	withCap := pluginLike{f, connectors.DescribeResponse{Name: "hubspot", Version: "1.3.0",
		Capabilities: []connectors.Capability{connectors.CapLookup, connectors.CapLookupByKey}}}
	account := []Key{{Name: "account", Field: "account_no"}}
	tests := []struct {
		name string
		src  Source
		want string // "" when New must succeed
	}{
		{"live without the capability", Source{Name: "crm", Connector: noCap, Mode: ModeLive, Keys: account},
			`hubspot 1.2.0 does not declare lookup_by_key`},
		{"live with it", Source{Name: "crm", Connector: withCap, Mode: ModeLive, Keys: account}, ""},
		{"live without LookupByKey", Source{Name: "crm", Connector: notKeyed{f}, Mode: ModeLive, Keys: account},
			`cannot look records up by key`},
		{"index without the capability", Source{Name: "crm", Connector: noCap, Keys: account}, ""},
		{"bad name", Source{Name: "crm", Connector: f, Keys: []Key{{Name: "Account", Field: "a"}}}, "may hold only"},
		{"no field", Source{Name: "crm", Connector: f, Keys: []Key{{Name: "a"}}}, "names no field"},
		{"unknown hash", Source{Name: "crm", Connector: f, Keys: []Key{{Name: "a", Field: "f", Hash: "md5"}}}, "unknown hash"},
		{"hmac without secret", Source{Name: "crm", Connector: f, Keys: []Key{{Name: "a", Field: "f", Hash: HashHMACSHA256}}}, "needs a secret"},
		{"secret without hmac", Source{Name: "crm", Connector: f, Keys: []Key{{Name: "a", Field: "f", Hash: HashSHA256, Secret: "s"}}}, "only used by"},
		{"hashed standard field", Source{Name: "crm", Connector: f, Keys: []Key{{Name: "a", Field: "email", Hash: HashSHA256}}}, "field of its own"},
		{"twice", Source{Name: "crm", Connector: f, Keys: []Key{{Name: "a", Field: "f"}, {Name: "a", Field: "g"}}}, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(Options{Parser: gbParser(t), Sources: []Source{tt.src}})
			if d != nil {
				defer d.Close()
			}
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("New error %v, want one mentioning %q", err, tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), `"crm"`):
				t.Errorf("New error %q does not name the connector", err)
			}
			if err != nil && strings.Contains(tt.want, "lookup_by_key") && !strings.Contains(err.Error(), `"account"`) {
				t.Errorf("New error %q does not name the key", err)
			}
		})
	}
	cfg := SourceConfig{Mode: ModeLive, Keys: yamlNode(t, "account: account_no")}
	if err := cfg.CheckCapabilities(noCap.info); err == nil || !strings.Contains(err.Error(), "lookup_by_key") {
		t.Errorf("CheckCapabilities without the capability: %v", err)
	}
	if err := cfg.CheckCapabilities(withCap.info); err != nil {
		t.Errorf("CheckCapabilities with it: %v", err)
	}
	cfg.Mode = ModeIndex
	if err := cfg.CheckCapabilities(noCap.info); err != nil {
		t.Errorf("CheckCapabilities in index mode: %v", err)
	}
}

func yamlNode(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

func TestParseKeys(t *testing.T) {
	keys, ps := ParseKeys(yamlNode(t, `
account: " account_no "
order: {field: order_ref}
pin: {field: pin_hash, hash: SHA256}
pin2: {field: pin_hmac, hash: hmac-sha256, secret: s3cret}
`))
	if len(ps) > 0 {
		t.Fatalf("problems: %v", ps)
	}
	want := []Key{
		{Name: "account", Field: "account_no"},
		{Name: "order", Field: "order_ref"},
		{Name: "pin", Field: "pin_hash", Hash: HashSHA256},
		{Name: "pin2", Field: "pin_hmac", Hash: HashHMACSHA256, Secret: "s3cret"},
	}
	if !slices.Equal(keys, want) {
		t.Errorf("ParseKeys = %+v, want %+v", keys, want)
	}
	_, ps = ParseKeys(yamlNode(t, `
Bad: f
pin: {field: p, hash: md5}
pin2: {field: p, hash: hmac-sha256}
pin3: {field: p, secret: s3cret}
pin4: {field: external_id, hash: sha256}
x: {field: f, hsah: sha256}
y: [a]
`))
	var got []string
	for _, p := range ps {
		got = append(got, p.Path)
		if strings.Contains(p.Message, "s3cret") {
			t.Errorf("a problem shows the secret: %s", p.Message)
		}
	}
	wantPaths := []string{"keys.Bad", "keys.pin.hash", "keys.pin2.secret", "keys.pin3.secret", "keys.pin4.field", "keys.x.hsah", "keys.y"}
	if !slices.Equal(got, wantPaths) {
		t.Errorf("problem paths %v, want %v (%v)", got, wantPaths, ps)
	}
}

func TestKeyStored(t *testing.T) {
	for _, tt := range []struct {
		key  Key
		in   string
		want string
	}{
		{Key{}, " AB-12 ", "AB-12"},
		{Key{Hash: HashSHA256}, "1234", pin1234SHA},
		{Key{Hash: HashSHA256}, "\t1234 \n", pin1234SHA},
		{Key{Hash: HashHMACSHA256, Secret: pinSecret}, "1234", pin1234HMAC},
	} {
		if got := tt.key.Stored(tt.in); got != tt.want {
			t.Errorf("Stored(%q) under %q = %q, want %q", tt.in, tt.key.Hash, got, tt.want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestKeyValuesNeverLogged runs lookups and verifications of a PIN, by an
// index and live, against a connector that works, one that fails echoing
// what it was asked, and one that hangs, with every log level on: neither
// the PIN nor its stored form appears in the log or in the errors.
func TestKeyValuesNeverLogged(t *testing.T) {
	const pin = "80417"
	stored := shaOf(pin)
	for _, setup := range []struct {
		name string
		fn   func(f *fakeConn)
	}{
		{"working", func(*fakeConn) {}},
		{"echoing", func(f *fakeConn) {
			f.keyErrFor = func(req *connectors.KeyLookupRequest) error {
				return connectors.Errorf(connectors.ClassUnavailable, "LookupByKey", "CRM refused %s = %s (%s)",
					req.Field, req.Value, strings.TrimPrefix(req.Value, "sha256:"))
			}
		}},
		{"hanging", func(f *fakeConn) { f.hang = true }},
	} {
		t.Run(setup.name, func(t *testing.T) {
			logs := &syncBuffer{}
			log := hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Trace})
			f := keyFake()
			f.upsert(withFields(contact("pinned", "+44 20 7946 0555"), "pin_hash", stored, "account_no", "P-1"))
			setup.fn(f)
			idx := keyFake()
			idx.upsert(withFields(contact("pinned", "+44 20 7946 0555"), "pin_hash", stored, "account_no", "P-1"))
			d := newDir(t, Options{Logger: log, Sources: []Source{
				{Name: "live", Connector: f, Mode: ModeLive, Keys: testKeys, Timeout: 30 * time.Millisecond},
				{Name: "idx", Connector: idx, Keys: testKeys},
			}})
			ctx := context.Background()
			var texts []string
			for _, v := range []string{pin, "99999"} {
				res := d.LookupKey(ctx, "pin", v)
				for _, e := range res.Errors {
					texts = append(texts, e.Error())
				}
				if v == pin && !res.Found {
					t.Errorf("the PIN finds nothing: %+v", res)
				}
			}
			rec := &connectors.Match{Contact: &connectors.Contact{ID: "pinned"}}
			ring := d.Lookup(ctx, "+442079460555")
			for _, r := range []*connectors.Match{rec, ring.Match} {
				if r == nil {
					continue
				}
				for _, v := range []string{pin, "99999"} {
					if _, err := d.VerifyKey(ctx, r, "pin", v); err != nil {
						texts = append(texts, err.Error())
					}
				}
			}
			texts = append(texts, logs.String())
			all := strings.Join(texts, "\n")
			for _, secret := range []string{pin, "99999", stored, strings.TrimPrefix(stored, "sha256:"), shaOf("99999")} {
				if strings.Contains(all, secret) {
					t.Errorf("%q appears in the log or an error:\n%s", secret, all)
				}
			}
			if setup.name != "working" && !strings.Contains(all, "pin") {
				t.Errorf("the log does not name the key:\n%s", all)
			}
		})
	}
}

func TestKeysAndSecrets(t *testing.T) {
	d := keyDir(t, keyFake(), ModeIndex, Options{Sources: []Source{
		{Name: "other", Connector: newFake(), Keys: []Key{{Name: "order", Field: "order_ref"}, {Name: "account", Field: "acct"}}},
	}})
	if got, want := d.Keys(), []string{"account", "email", "ext", "id", "order", "pin", "pin2"}; !slices.Equal(got, want) {
		t.Errorf("Keys() = %v, want %v", got, want)
	}
	for key, want := range map[string]bool{"pin": true, "pin2": true, "account": false, "order": false, "nope": false} {
		if got := d.KeyIsSecret(key); got != want {
			t.Errorf("KeyIsSecret(%s) = %v, want %v", key, got, want)
		}
	}
	if got := newDir(t, Options{Sources: []Source{{Name: "x", Connector: newFake()}}}).Keys(); len(got) != 0 {
		t.Errorf("Keys() without keys = %v", got)
	}
}

func ExampleKey_Stored() {
	pin := Key{Name: "pin", Field: "pin_hash", Hash: HashSHA256}
	fmt.Println(pin.Stored(" 1234 "))
	signed := Key{Name: "pin", Field: "pin_hmac", Hash: HashHMACSHA256, Secret: "pin-secret"}
	fmt.Println(signed.Stored("1234"))
	// Output:
	// sha256:03ac674216f3e15c761ee1a5e255f067953623c8b388b4459e13f978d7c846f4
	// hmac-sha256:6ec7679f765c1b26d93eb7aa83c2c3a86595fbf7df56f5c1c8f4c298cedc605b
}
