package sqlitecrm

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/sdk"
)

// selectContacts reads contacts with their company's name; NULLs read as
// "".
const selectContacts = `SELECT c.id, coalesce(c.first_name, ''), coalesce(c.last_name, ''), coalesce(c.company_id, ''),
	coalesce(co.name, ''), coalesce(c.email, ''), coalesce(c.owner, ''), coalesce(c.phone, ''), coalesce(c.mobile, ''),
	coalesce(c.updated_at, '') FROM contacts c LEFT JOIN companies co ON co.id = c.company_id `

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
	contacts, err := cfg.contacts(ctx, "LookupByPhone", "WHERE "+digits("c.phone")+" LIKE ? OR "+digits("c.mobile")+
		" LIKE ? ORDER BY c.id LIMIT 100", like, like)
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
			return cfg.contacts(ctx, "ListContacts", "WHERE c.id > ? AND coalesce(c.updated_at, '') >= ? ORDER BY c.id LIMIT ?",
				after, since(req), limit)
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
			return query(ctx, cfg, "ListCompanies", func(rows *sql.Rows, co *connectors.Company) error {
				var updated string
				err := rows.Scan(&co.ID, &co.Name, &updated)
				co.UpdatedAt, _ = time.Parse(time.RFC3339, updated)
				return err
			}, `SELECT id, coalesce(name, ''), coalesce(updated_at, '') FROM companies
				WHERE id > ? AND coalesce(updated_at, '') >= ? ORDER BY id LIMIT ?`, after, since(req), limit)
		})
	return &connectors.ListCompaniesResponse{Companies: page, NextCursor: next}, err
}

// contacts runs selectContacts with a WHERE clause and what follows it.
func (cfg *config) contacts(ctx context.Context, op, where string, args ...any) ([]connectors.Contact, error) {
	return query(ctx, cfg, op, func(rows *sql.Rows, ct *connectors.Contact) error {
		var email, phone, mobile, updated string
		err := rows.Scan(&ct.ID, &ct.FirstName, &ct.LastName, &ct.CompanyID, &ct.CompanyName,
			&email, &ct.OwnerID, &phone, &mobile, &updated)
		if email != "" {
			ct.Emails = []string{email}
		}
		for _, p := range []connectors.Phone{{Raw: phone, Label: "phone"}, {Raw: mobile, Label: "mobile"}} {
			if p.Raw != "" {
				ct.Phones = append(ct.Phones, p)
			}
		}
		ct.UpdatedAt, _ = time.Parse(time.RFC3339, updated)
		return err
	}, selectContacts+where, args...)
}

// query runs a query and scans every row into a T.
func query[T any](ctx context.Context, cfg *config, op string, scan func(*sql.Rows, *T) error, q string, args ...any) ([]T, error) {
	rows, err := cfg.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, sdk.Unavailable(ctx, op, "query the CRM database", err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, sdk.Unavailable(ctx, op, "read the CRM database", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, sdk.Unavailable(ctx, op, "query the CRM database", err)
	}
	return out, nil
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
