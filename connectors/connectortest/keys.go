package connectortest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/sdk"
)

// The key fields of KeyDataset: the names a fixture stores them under
// (and maps them to, as fields of these names).
const (
	// FieldAccountNo holds one value (an account number).
	FieldAccountNo = "account_no"
	// FieldOrderNumbers holds several values in one text, separated by
	// commas or semicolons ("ORD-7, ord-8; ORD-9"): declare it
	// multi-valued where the connector needs to be told.
	FieldOrderNumbers = "order_numbers"
)

// hashedKey is contact 1008's account number: a secret's hash, as the
// host sends a PIN.
const hashedKey = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// keyRows are the key fields of KeyDataset's contacts (the others hold
// none).
var keyRows = map[string][2]string{ // contact ID → account_no, order_numbers
	"1001": {"AC-1001", "ORD-7, ord-8; ORD-9"},
	"1002": {"  ac-1002 ", "ORD-20"}, // stored in lower case, with spaces
	"1003": {"AC-10010", "XORD-7"},   // AC-1001 and ORD-7 are only parts of these
	"1004": {"AC-SHARED", ""},        // a family account: three holders
	"1005": {"AC-SHARED", ""},        //
	"1006": {"AC-SHARED", "ORD-60;ORD-61"},
	"1008": {hashedKey, ""},
}

// KeyDataset returns the dataset of the lookup_by_key check (a fresh copy
// each call): the standard Dataset, whose contacts 1001 to 1008 also hold
// key fields in Fields, as text: FieldAccountNo (one value; AC-SHARED held
// by three contacts, a value stored in lower case with spaces around it,
// a secret's hash) and FieldOrderNumbers (several values separated by
// commas or semicolons). A contact without a key field has no Fields
// entry for it: store it empty or NULL.
func KeyDataset() *Records {
	d := Dataset()
	for i := range d.Contacts {
		ct := &d.Contacts[i]
		row, ok := keyRows[ct.ID]
		if !ok {
			continue
		}
		ct.Fields = map[string]any{}
		if row[0] != "" {
			ct.Fields[FieldAccountNo] = row[0]
		}
		if row[1] != "" {
			ct.Fields[FieldOrderNumbers] = row[1]
		}
	}
	return d
}

// keyCase is one LookupByKey of the lookup_by_key check.
type keyCase struct {
	name string
	req  connectors.KeyLookupRequest
	// want are the contacts the answer must hold, and nothing else; with
	// pick set, the answer holds pick of them.
	want []string
	pick int
	// secret: the value must not show in the connector's logs nor in its
	// errors (a record's id or e-mail address may, elsewhere).
	secret bool
}

// keyChecks are the lookup_by_key check's groups of cases.
func keyChecks() []struct {
	name  string
	cases []keyCase
} {
	acct := func(v string) connectors.KeyLookupRequest {
		return connectors.KeyLookupRequest{Field: FieldAccountNo, Value: v}
	}
	orders := func(v string) connectors.KeyLookupRequest {
		return connectors.KeyLookupRequest{Field: FieldOrderNumbers, Value: v}
	}
	with := func(r connectors.KeyLookupRequest, limit int, recordID string) connectors.KeyLookupRequest {
		r.Limit, r.RecordID = limit, recordID
		return r
	}
	return []struct {
		name  string
		cases []keyCase
	}{
		{"fields_key", []keyCase{
			{name: "AC-1001", req: acct("AC-1001"), want: []string{"1001"}, secret: true},
			{name: "hashed", req: acct(hashedKey), want: []string{"1008"}, secret: true},
		}},
		{"case_and_spaces", []keyCase{
			{name: "lower_case_asked", req: acct("ac-1001"), want: []string{"1001"}, secret: true},
			{name: "spaces_asked", req: acct(" AC-1001 "), want: []string{"1001"}, secret: true},
			{name: "lower_case_and_spaces_stored", req: acct("AC-1002"), want: []string{"1002"}, secret: true},
		}},
		{"multi_valued", []keyCase{
			{name: "first", req: orders("ORD-7"), want: []string{"1001"}, secret: true},
			{name: "after_a_comma", req: orders("ORD-8"), want: []string{"1001"}, secret: true},
			{name: "after_a_semicolon", req: orders("ord-9"), want: []string{"1001"}, secret: true},
			{name: "no_space_around", req: orders("ORD-61"), want: []string{"1006"}, secret: true},
			{name: "alone", req: orders("ORD-20"), want: []string{"1002"}, secret: true},
		}},
		{"whole_values", []keyCase{
			{name: "prefix", req: acct("AC-100"), secret: true},
			{name: "part_of_a_value", req: orders("ORD")}, // not secret: "ord" is in log words
			{name: "prefix_of_a_value", req: orders("ORD-6"), secret: true},
		}},
		{"id", []keyCase{
			{name: "contact", req: connectors.KeyLookupRequest{Field: sdk.KeyFieldID, Value: "1005"}, want: []string{"1005"}},
		}},
		{"email", []keyCase{
			{name: "other_case", req: connectors.KeyLookupRequest{Field: sdk.KeyFieldEmail, Value: "C1004@Example.COM"}, want: []string{"1004"}},
		}},
		{"record_id", []keyCase{
			{name: "holder", req: with(acct("AC-1001"), 0, "1001"), want: []string{"1001"}, secret: true},
			{name: "one_of_three_limit_1", req: with(acct("AC-SHARED"), 1, "1005"), want: []string{"1005"}, secret: true},
			{name: "other_record", req: with(acct("AC-SHARED"), 0, "1001"), secret: true},
			{name: "no_such_record", req: with(acct("AC-1001"), 0, "9999"), secret: true},
		}},
		{"not_found", []keyCase{
			{name: "account_no", req: acct("AC-NOT-HELD-7731"), secret: true},
			{name: "order_numbers", req: orders("ORD-NOT-HELD-7731"), secret: true},
		}},
		{"limit", []keyCase{
			{name: "1", req: with(acct("AC-SHARED"), 1, ""), want: []string{"1004", "1005", "1006"}, pick: 1, secret: true},
			{name: "2", req: with(acct("AC-SHARED"), 2, ""), want: []string{"1004", "1005", "1006"}, pick: 2, secret: true},
			{name: "default", req: acct("AC-SHARED"), want: []string{"1004", "1005", "1006"}, pick: -2, secret: true},
		}},
	}
}

// unknownKeyField is the field the unknown_field case asks for.
const unknownKeyField = "acount_no"

// testLookupByKey checks lookups by key: a connector that declares
// lookup_by_key once configured is checked on a fresh backend holding
// KeyDataset; one that does not must answer ClassUnsupported.
func (r *runner) testLookupByKey(t *testing.T) {
	if !r.configured.Has(connectors.CapLookupByKey) {
		_, err := r.conn.host.(connectors.KeyLookuper).LookupByKey(r.ctx(t),
			&connectors.KeyLookupRequest{Field: sdk.KeyFieldID, Value: "1001"})
		if connectors.ClassOf(err) != connectors.ClassUnsupported {
			t.Errorf("LookupByKey of a connector that does not declare %q: error %v; want ClassUnsupported "+
				"(do not implement connectors.KeyLookuper, or answer connectors.Unsupported while the block turns it off)",
				connectors.CapLookupByKey, err)
		}
		if !r.desc.Has(connectors.CapLookupByKey) {
			return // nor can it with another block
		}
	}
	needLogged := func() {
		t.Helper()
		if _, ok := r.conn.inflight.impl.(connectors.KeyLookuper); !ok {
			t.Fatalf("Describe declares %q, but the connector (%T) does not implement connectors.KeyLookuper: "+
				"the host would be refused every lookup by key; implement LookupByKey or do not declare it",
				connectors.CapLookupByKey, r.conn.inflight.impl)
		}
		if r.s.NewLogged == nil {
			t.Fatalf("the connector declares %q: set Suite.NewLogged (your constructor, New(logger)) so that the suite "+
				"can check that a lookup by key never logs the value looked for", connectors.CapLookupByKey)
		}
	}
	if r.configured.Has(connectors.CapLookupByKey) {
		needLogged()
	}

	// The key dataset's backend, its connector logging every line (a
	// connector whose standard block does not turn lookups by key on is
	// asked whether this block does, first without the logger).
	data := r.dataset(KeyDataset())
	block := r.s.Fixture(t, data)
	logs := &lineLog{}
	newConn := r.s.New
	if r.s.NewLogged != nil {
		newConn = func() connectors.Connector {
			return r.s.NewLogged(hclog.New(&hclog.LoggerOptions{Name: "connector", Output: logs, Level: hclog.Trace}))
		}
	}
	c := r.serveWith(t, newConn)
	if !r.configure(t, c.host, block) {
		t.Fatal("the fixture's block for the key dataset was rejected")
	}
	switch d := r.describe(t, c.host); {
	case !d.Has(connectors.CapLookupByKey) && r.configured.Has(connectors.CapLookupByKey):
		t.Fatalf("the connector declares %q with the standard dataset's block, not with the key dataset's", connectors.CapLookupByKey)
	case !d.Has(connectors.CapLookupByKey):
		t.Skipf("the connector may declare %q (it does before Configure), but neither the standard dataset's block nor the "+
			"key dataset's turns it on: lookups by key are not checked", connectors.CapLookupByKey)
	default:
		needLogged()
	}
	lookuper := c.host.(connectors.KeyLookuper)
	before := logs.len() // what Configure logged (a load) may hold the stored values
	var (
		secrets []string
		errMsgs []string
	)
	ask := func(t *testing.T, req connectors.KeyLookupRequest, secret bool) (*connectors.KeyLookupResponse, error) {
		resp, err := lookuper.LookupByKey(r.ctx(t), &req)
		if secret {
			secrets = append(secrets, req.Value)
		}
		if err != nil {
			errMsgs = append(errMsgs, err.Error())
		}
		return resp, err
	}

	for _, group := range keyChecks() {
		t.Run(group.name, func(t *testing.T) {
			for _, kc := range group.cases {
				t.Run(kc.name, func(t *testing.T) {
					resp, err := ask(t, kc.req, kc.secret)
					if err != nil {
						t.Fatalf("LookupByKey(%s): %v; no match is an empty answer, not an error", describeKeyRequest(kc.req), err)
					}
					r.checkKeyMatches(t, data, kc, resp.Matches)
				})
			}
		})
	}

	t.Run("unknown_field", func(t *testing.T) {
		req := connectors.KeyLookupRequest{Field: unknownKeyField, Value: "AC-1001"}
		_, err := ask(t, req, true)
		switch {
		case err == nil:
			t.Errorf("LookupByKey(%s), a field the connector does not have: no error; want ClassBadConfig naming the field "+
				"(sdk.UnknownKeyField): the operator's configuration names a field that does not exist", describeKeyRequest(req))
		case connectors.ClassOf(err) != connectors.ClassBadConfig:
			t.Errorf("LookupByKey(%s), a field the connector does not have: error %v; want ClassBadConfig (sdk.UnknownKeyField)",
				describeKeyRequest(req), err)
		case !strings.Contains(err.Error(), unknownKeyField):
			t.Errorf("LookupByKey(%s): error %q does not name the field %q", describeKeyRequest(req), err, unknownKeyField)
		}
	})

	t.Run("value_not_logged", func(t *testing.T) {
		logged := logs.since(before)
		for _, v := range secrets {
			v = strings.TrimSpace(v)
			for _, line := range logged {
				if strings.Contains(strings.ToLower(line), strings.ToLower(v)) {
					t.Errorf("the connector logged the value looked for (%q), which may be a secret's hash: %s", v, line)
				}
			}
			for _, msg := range errMsgs {
				if strings.Contains(strings.ToLower(msg), strings.ToLower(v)) {
					t.Errorf("an error of LookupByKey holds the value looked for (%q), which may be a secret's hash, "+
						"and the host logs errors: %s", v, msg)
				}
			}
		}
	})
}

// checkKeyMatches checks one answer against its case: the contacts
// wanted (or pick of them), each complete as stored, of kind MatchKey and
// without a phone, holding the value in the field.
func (r *runner) checkKeyMatches(t *testing.T, data *Records, kc keyCase, matches []connectors.Match) {
	t.Helper()
	what := "LookupByKey(" + describeKeyRequest(kc.req) + ")"
	var got []string
	seen := map[string]bool{}
	for i, m := range matches {
		if (m.Contact == nil) == (m.Company == nil) {
			t.Errorf("%s: match %d: exactly one of Contact and Company must be set", what, i)
			continue
		}
		if m.Kind != connectors.MatchKey {
			t.Errorf("%s: %s: kind %q; want %q", what, m.Key(), m.Kind, connectors.MatchKey)
		}
		if m.Phone != (connectors.Phone{}) {
			t.Errorf("%s: %s: phone %+v; a match by key has none", what, m.Key(), m.Phone)
		}
		if seen[m.Key()] {
			t.Errorf("%s: %s answered twice", what, m.Key())
		}
		seen[m.Key()] = true
		if m.Company != nil {
			// No company of the dataset holds a key field, and none shares
			// an id or an address with a contact.
			t.Errorf("%s: company %s; no company holds the value", what, m.Company.ID)
			continue
		}
		got = append(got, m.Contact.ID)
		want := data.Contact(m.Contact.ID)
		if want == nil {
			t.Errorf("%s: contact %q is not in the dataset", what, m.Contact.ID)
			continue
		}
		for _, d := range diffContact(want, m.Contact) {
			t.Errorf("%s: contact %s: %s", what, want.ID, d)
		}
		if v, ok := sdk.ContactKey(m.Contact, kc.req.Field); !ok || !sdk.KeyEqual(v, kc.req.Value) {
			t.Errorf("%s: contact %s holds %#v in %q; want the value looked for (answer the record with its fields)",
				what, want.ID, v, kc.req.Field)
		}
	}
	sort.Strings(got)
	switch {
	case kc.pick > 0:
		if len(got) != kc.pick {
			t.Errorf("%s: %d matches %v; want %d (the limit, as %d contacts hold the value)", what, len(got), got, kc.pick, len(kc.want))
		}
	case kc.pick < 0:
		if len(got) < -kc.pick {
			t.Errorf("%s: %d matches %v; want at least %d without a limit (%d contacts hold the value: the answer must show "+
				"that it is ambiguous)", what, len(got), got, -kc.pick, len(kc.want))
		}
	default:
		if strings.Join(got, ",") != strings.Join(kc.want, ",") {
			t.Errorf("%s: contacts %v; want %v", what, got, noneIfEmpty(kc.want))
		}
		return
	}
	for _, id := range got {
		if !slices.Contains(kc.want, id) {
			t.Errorf("%s: contact %s does not hold the value; want some of %v", what, id, kc.want)
		}
	}
}

func noneIfEmpty(ids []string) any {
	if len(ids) == 0 {
		return "none"
	}
	return ids
}

// describeKeyRequest is a request for messages. The suite's values are
// not secrets: it shows them.
func describeKeyRequest(req connectors.KeyLookupRequest) string {
	s := fmt.Sprintf("%s %q", req.Field, req.Value)
	if req.Limit != 0 {
		s += fmt.Sprintf(", limit %d", req.Limit)
	}
	if req.RecordID != "" {
		s += fmt.Sprintf(", record %s", req.RecordID)
	}
	return s
}

// keyCall is the lookup by key the deadline, concurrency, reconfigure
// and errors checks make on the standard backend: the standard field
// "email", which every fixture stores.
func (r *runner) keyCall() call {
	return call{"LookupByKey", func(ctx context.Context, c connectors.Connector) (string, error) {
		resp, err := c.(connectors.KeyLookuper).LookupByKey(ctx, &connectors.KeyLookupRequest{Field: sdk.KeyFieldEmail, Value: "c1002@example.com"})
		if err != nil {
			return "", err
		}
		var keys []string
		for _, m := range resp.Matches {
			keys = append(keys, m.Key())
		}
		sort.Strings(keys)
		return strings.Join(keys, ","), nil
	}}
}

// lineLog records what a logger writes, line by line.
type lineLog struct {
	mu    sync.Mutex
	lines []string
	part  string
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	text := l.part + string(p)
	parts := strings.Split(text, "\n")
	l.part = parts[len(parts)-1]
	l.lines = append(l.lines, parts[:len(parts)-1]...)
	return len(p), nil
}

func (l *lineLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

// since returns the lines written after the first n, and a line begun.
func (l *lineLog) since(n int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := slices.Clone(l.lines[n:])
	if l.part != "" {
		out = append(out, l.part)
	}
	return out
}
