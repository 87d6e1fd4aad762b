package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
)

// keyIDs looks field up and returns the contact IDs found, failing on an
// error.
func keyIDs(t *testing.T, c *Connector, req connectors.KeyLookupRequest) string {
	t.Helper()
	resp, err := c.LookupByKey(testCtx(t), &req)
	if err != nil {
		t.Fatalf("LookupByKey(%s %q, record %q): %v", req.Field, req.Value, req.RecordID, err)
	}
	var ids []string
	for _, m := range resp.Matches {
		ids = append(ids, m.Contact.ID)
	}
	return strings.Join(ids, " ")
}

// TestLookupByKeyTable: values of the wrong type for a bigint id find
// nothing (no error), a text[] column holds several values, SQL in a
// value is only a value, and the fields come from the block.
func TestLookupByKeyTable(t *testing.T) {
	t.Parallel()
	dsn := loadTable(t, connectortest.KeyDataset())
	exec(t, dsn, `ALTER TABLE contacts ADD COLUMN tags varchar(40)[]`,
		`UPDATE contacts SET tags = ARRAY['VIP', ' Gold '] WHERE id = 1007`,
		`UPDATE contacts SET tier = 'x''); DROP TABLE contacts; --' WHERE id = 1009`,
		`UPDATE contacts SET balance = 1001 WHERE id = 1010`)
	c := configured(t, tableBlock(dsn)+`fields:
  account_no: {column: account_no}
  orders: {column: order_numbers, multi: true}
  tags: {column: tags}
  tier: {column: tier}
  balance: {column: balance}
`)
	tests := []struct {
		req  connectors.KeyLookupRequest
		want string
	}{
		{connectors.KeyLookupRequest{Field: "account_no", Value: "ac-shared", Limit: 2}, "1004 1005"},
		{connectors.KeyLookupRequest{Field: "orders", Value: "ord-9"}, "1001"},
		{connectors.KeyLookupRequest{Field: "tags", Value: "gold"}, "1007"},
		{connectors.KeyLookupRequest{Field: "tier", Value: "X'); DROP TABLE contacts; --"}, "1009"},
		{connectors.KeyLookupRequest{Field: "balance", Value: "1001"}, "1010"}, // a numeric column, as its text
		{connectors.KeyLookupRequest{Field: "id", Value: " 1003 "}, "1003"},
		{connectors.KeyLookupRequest{Field: "id", Value: "AC-1001"}, ""},              // not a bigint: nothing
		{connectors.KeyLookupRequest{Field: "id", Value: "99999999999999999999"}, ""}, // out of range: nothing
		{connectors.KeyLookupRequest{Field: "external_id", Value: "1003"}, "1003"},
		{connectors.KeyLookupRequest{Field: "account_no", Value: "AC-1001", RecordID: "not-a-number"}, ""},
		{connectors.KeyLookupRequest{Field: "account_no", Value: "AC-SHARED", RecordID: "1006", Limit: 1}, "1006"},
	}
	for _, tt := range tests {
		if got := keyIDs(t, c, tt.req); got != tt.want {
			t.Errorf("LookupByKey(%s %q, limit %d, record %q) = %q; want %q", tt.req.Field, tt.req.Value, tt.req.Limit, tt.req.RecordID, got, tt.want)
		}
	}
	if n := count(t, dsn, "SELECT count(*) FROM contacts"); n != 15 {
		t.Errorf("the table holds %d contacts after the lookups; want 15", n)
	}
	_, err := c.LookupByKey(testCtx(t), &connectors.KeyLookupRequest{Field: "order_numbers", Value: "ORD-7"})
	if connectors.ClassOf(err) != connectors.ClassBadConfig || !strings.Contains(err.Error(), `"account_no", "balance", "orders", "tags", "tier"`) ||
		strings.Contains(err.Error(), "ORD-7") {
		t.Errorf("a column that is no field: %v; want bad_config listing the fields, without the value", err)
	}
}

// TestLookupByKeyUsesIndexes: the SQL of a lookup by key is served by the
// indexes doc.go recommends (lower(btrim(col)), and the GIN index of a
// multi field's split values), and by the primary key for an id.
func TestLookupByKeyUsesIndexes(t *testing.T) {
	t.Parallel()
	dsn := loadTable(t, connectortest.KeyDataset())
	c := configured(t, tableBlock(dsn)+keyFieldsBlock(connectortest.KeyDataset()))
	st, _ := c.current("test")
	ctx := testCtx(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SET enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	for field, index := range map[string]string{
		"account_no": "contacts_account_no", "order_numbers": "contacts_order_numbers", "id": "contacts_pkey",
	} {
		sql := st.plan.keys.head + st.plan.keys.conds[field] + st.plan.keys.tail
		rows, err := conn.Query(ctx, "EXPLAIN "+sql, pgx.NamedArgs{paramValue: "ac-1001", paramKeyID: "1001", paramLimit: 10})
		if err != nil {
			t.Fatalf("EXPLAIN %s: %v", sql, err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		if !strings.Contains(strings.Join(plan, "\n"), index) {
			t.Errorf("a lookup by %s does not use the index %s:\n%s\n%s", field, index, sql, strings.Join(plan, "\n"))
		}
	}
}

// TestLookupByKeyQueriesMode: queries mode has no lookups by key: it does
// not declare them, answers unsupported, and refuses multi:.
func TestLookupByKeyQueriesMode(t *testing.T) {
	t.Parallel()
	dsn := loadQueryTables(t, connectortest.Dataset())
	c := configured(t, queriesBlock(dsn))
	d, err := c.Describe(context.Background(), nil)
	if err != nil || d.Has(connectors.CapLookupByKey) {
		t.Errorf("Describe in queries mode: %v, %v; want no lookup_by_key", d, err)
	}
	_, err = c.LookupByKey(testCtx(t), &connectors.KeyLookupRequest{Field: "id", Value: "1001"})
	if connectors.ClassOf(err) != connectors.ClassUnsupported {
		t.Errorf("LookupByKey in queries mode: %v; want unsupported", err)
	}
	wantProblem(t, configureProblems(t, queriesBlock(dsn)+"fields: {tier: {column: tier, multi: true}}\n"),
		"fields.tier.multi", "table: mode")
}
