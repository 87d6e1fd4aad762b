package sqlitecrm

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/sdk"
)

// selectContacts reads contacts with their company's name, each column
// named as sdk.ScanContacts reads it.
const selectContacts = `SELECT c.id, c.first_name, c.last_name, c.company_id, co.name AS company, c.email, c.owner,
	c.phone, c.mobile, c.updated_at FROM contacts c LEFT JOIN companies co ON co.id = c.company_id `

// digits is a column's number without spaces, dashes, dots and brackets.
func digits(col string) string {
	return "replace(replace(replace(replace(replace(" + col + ", ' ', ''), '-', ''), '(', ''), ')', ''), '.', '')"
}

// LookupByPhone implements connectors.Connector. The query finds the
// contacts whose phone or mobile holds the caller's last seven digits;
// sdk.Rank keeps those that really have the number, strongest first.
func (c *Connector) LookupByPhone(ctx context.Context, req *connectors.LookupRequest) (*connectors.LookupResponse, error) {
	cfg, err := c.Current("LookupByPhone")
	if err != nil {
		return nil, err
	}
	like := "%" + sdk.LastDigits(c.Parser(), req, 7) + "%"
	if like == "%%" {
		return &connectors.LookupResponse{}, nil
	}
	contacts, err := query(ctx, cfg, "LookupByPhone", sdk.ScanContacts, selectContacts+"WHERE "+digits("c.phone")+
		" LIKE ? OR "+digits("c.mobile")+" LIKE ? ORDER BY c.id LIMIT 100", like, like)
	if err != nil {
		return nil, err
	}
	return &connectors.LookupResponse{Matches: sdk.Rank(c.Parser(), req, contacts, nil)}, nil
}

// ListContacts implements connectors.Connector: keyset pages by id.
func (c *Connector) ListContacts(ctx context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	cfg, err := c.Current("ListContacts")
	if err != nil {
		return nil, err
	}
	page, next, err := sdk.Page("ListContacts", req, func(ct connectors.Contact) int64 { return id(ct.ID) },
		func(after int64, limit int) ([]connectors.Contact, error) {
			return query(ctx, cfg, "ListContacts", sdk.ScanContacts, selectContacts+
				"WHERE c.id > ? AND coalesce(c.updated_at, '') >= ? ORDER BY c.id LIMIT ?", after, since(req), limit)
		})
	return &connectors.ListContactsResponse{Contacts: page, NextCursor: next}, err
}

// ListCompanies implements connectors.Connector: keyset pages by id.
func (c *Connector) ListCompanies(ctx context.Context, req *connectors.ListRequest) (*connectors.ListCompaniesResponse, error) {
	cfg, err := c.Current("ListCompanies")
	if err != nil {
		return nil, err
	}
	page, next, err := sdk.Page("ListCompanies", req, func(co connectors.Company) int64 { return id(co.ID) },
		func(after int64, limit int) ([]connectors.Company, error) {
			return query(ctx, cfg, "ListCompanies", sdk.ScanCompanies, `SELECT id, name, updated_at FROM companies
				WHERE id > ? AND coalesce(updated_at, '') >= ? ORDER BY id LIMIT ?`, after, since(req), limit)
		})
	return &connectors.ListCompaniesResponse{Companies: page, NextCursor: next}, err
}

// query runs a query and reads its rows with scan (sdk.ScanContacts or
// sdk.ScanCompanies), the numbers from columns phone and mobile.
func query[T any](ctx context.Context, cfg *config, op string, scan func(*sql.Rows, ...string) ([]T, error),
	q string, args ...any) ([]T, error) {
	rows, err := cfg.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, sdk.Unavailable(ctx, op, "query the CRM database", err)
	}
	records, err := scan(rows, "phone", "mobile")
	if err != nil {
		return nil, sdk.Unavailable(ctx, op, "read the CRM database", err)
	}
	return records, nil
}

// since is ChangedSince as updated_at stores it ("" for none).
func since(req *connectors.ListRequest) string {
	if req.ChangedSince.IsZero() {
		return ""
	}
	return req.ChangedSince.UTC().Format(time.RFC3339)
}

// id is a record's ID as the integer key it is in the database.
func id(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
