package csv

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
)

// keyRows is a file with an account number (text), a balance (number)
// and the orders of each customer.
func keyRows(rows ...[3]string) string {
	var b strings.Builder
	b.WriteString("CustomerID,FirstName,LastName,Company,CompanyID,Phone,Mobile,Email,Owner,Account,Balance,Orders\n")
	for i, r := range rows {
		fmt.Fprintf(&b, "P%04d,First%d,Last,Acme,K1,,,p%d@example.com,,%s,%s,\"%s\"\n", i+1, i+1, i+1, r[0], r[1], r[2])
	}
	return b.String()
}

const keyFields = `fields:
  account_no: {column: Account}
  balance: {column: Balance, type: number}
  orders: {column: Orders}`

// byKey looks field up and returns the IDs found.
func (h *harness) byKey(field, value string, limit int, recordID string) []string {
	h.t.Helper()
	resp, err := h.c.LookupByKey(context.Background(), &connectors.KeyLookupRequest{Field: field, Value: value, Limit: limit, RecordID: recordID})
	if err != nil {
		h.t.Fatalf("LookupByKey(%s %q): %v", field, value, err)
	}
	var out []string
	for _, m := range resp.Matches {
		out = append(out, m.Key())
	}
	return out
}

func TestLookupByKey(t *testing.T) {
	h := newHarness(t)
	h.write("c.csv", []byte(keyRows(
		[3]string{"AC-1", "1001", "ORD-1; ORD-2"},
		[3]string{" ac-2 ", "12.5", "ORD-3"},
		[3]string{"AC-1", "", ""},
	)))
	h.mustConfigure(block("c.csv", keyFields))
	// A verification reads its record alone: no map is built.
	if got := h.byKey("orders", "ORD-1", 0, "P0001"); len(got) != 1 {
		t.Errorf("verification of P0001's orders: %v", got)
	}
	if n := len(h.c.snap.Load().keys.byField); n != 0 {
		t.Errorf("a lookup with a record id built %d maps; want none", n)
	}
	tests := []struct {
		field, value string
		limit        int
		recordID     string
		want         string
	}{
		{"account_no", "ac-1", 0, "", "contact:P0001 contact:P0003"},
		{"account_no", "AC-2", 0, "", "contact:P0002"},
		{"account_no", "AC-1", 1, "", "contact:P0001"},
		{"account_no", "AC-1", 1, "P0003", "contact:P0003"},
		{"account_no", "AC-1", 0, "P0002", ""},
		{"account_no", "AC-1", 0, "nobody", ""},
		{"orders", "ord-2", 0, "", "contact:P0001"},
		{"balance", "1001", 0, "", "contact:P0001"}, // a number field: its digits
		{"balance", "12.5", 0, "", "contact:P0002"},
		{"email", "P2@EXAMPLE.COM", 0, "", "contact:P0002"},
		{"id", "p0002", 0, "", "contact:P0002"},
		{"id", "K1", 0, "", "company:K1"}, // companies have ids too
		{"external_id", "P0003", 0, "", "contact:P0003"},
		{"account_no", "AC", 0, "", ""},
	}
	for _, tt := range tests {
		if got := strings.Join(h.byKey(tt.field, tt.value, tt.limit, tt.recordID), " "); got != tt.want {
			t.Errorf("LookupByKey(%s %q, limit %d, record %q) = %q; want %q", tt.field, tt.value, tt.limit, tt.recordID, got, tt.want)
		}
	}
	_, err := h.c.LookupByKey(context.Background(), &connectors.KeyLookupRequest{Field: "acount_no", Value: "AC-1"})
	if connectors.ClassOf(err) != connectors.ClassBadConfig || !strings.Contains(err.Error(), `did you mean "account_no"?`) ||
		!strings.Contains(err.Error(), `"account_no", "balance", "orders"`) || strings.Contains(err.Error(), "AC-1") {
		t.Errorf("unknown field: %v; want bad_config naming the fields, not the value", err)
	}
	// Only the fields looked up have maps.
	snap := h.c.snap.Load()
	var built []string
	for f := range snap.keys.byField {
		built = append(built, f)
	}
	if len(built) != 6 {
		t.Errorf("maps built for %v; want the 6 fields looked up", built)
	}
}

// A reload serves the new values at once: the maps of the fields in use
// are built before the new snapshot is served, from its rows.
func TestLookupByKeyAcrossReload(t *testing.T) {
	h := newHarness(t)
	h.write("c.csv", []byte(keyRows([3]string{"AC-1", "1", ""}, [3]string{"AC-2", "2", ""})))
	h.mustConfigure(reloadBlock("c.csv", keyFields))
	if got := h.byKey("account_no", "AC-2", 0, ""); len(got) != 1 {
		t.Fatalf("AC-2 before the reload: %v", got)
	}
	first := h.c.snap.Load()

	h.rewrite("c.csv", []byte(keyRows([3]string{"AC-1", "1", ""}, [3]string{"AC-9", "2", ""})))
	waitFor(t, "the reload", func() bool { return h.c.snap.Load() != first })
	snap := h.c.snap.Load()
	snap.keys.mu.Lock()
	m := snap.keys.byField["account_no"]
	snap.keys.mu.Unlock()
	if m == nil || m.contacts == nil {
		t.Fatal("the reloaded snapshot was served without the map of account_no, which the previous one had")
	}
	if got := h.byKey("account_no", "AC-2", 0, ""); len(got) != 0 {
		t.Errorf("AC-2 after the reload removed it: %v", got)
	}
	if got := strings.Join(h.byKey("account_no", "ac-9", 0, ""), " "); got != "contact:P0002" {
		t.Errorf("AC-9 after the reload: %q; want contact:P0002", got)
	}
}
