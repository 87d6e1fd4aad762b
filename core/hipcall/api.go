package hipcall

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// PushCard shows an Insight Card for a ringing call. The rows are checked
// with ValidateCard first; an invalid card returns a *CardError without a
// request. A duplicate card is harmless (Hipcall keeps the first one on
// screen), so the POST is retried like an idempotent request.
func (c *Client) PushCard(ctx context.Context, callUUID string, card []Row) (*CardResult, error) {
	if strings.TrimSpace(callUUID) == "" {
		return nil, errors.New("hipcall: push Insight Card: the call UUID is empty; take it from Hipcall's webhook")
	}
	if err := ValidateCard(card); err != nil {
		return nil, fmt.Errorf("hipcall: push Insight Card for call %s: %w", callUUID, err)
	}
	var res CardResult
	err := c.do(ctx, request{
		method:    http.MethodPost,
		route:     "/calls/{uuid}/cards",
		params:    map[string]string{"uuid": callUUID},
		body:      map[string][]Row{"card": card},
		retryPOST: true,
	}, &res)
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// query encodes paging options; zero fields are left out.
func (o ListOptions) query() url.Values {
	q := url.Values{}
	if o.Limit != 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Offset != 0 {
		q.Set("offset", strconv.Itoa(o.Offset))
	}
	if o.Sort != "" {
		q.Set("sort", o.Sort)
	}
	return q
}

// validate rejects paging Hipcall would answer with a 422.
func (o ListOptions) validate() error {
	if o.Limit != 0 && (o.Limit < 1 || o.Limit > MaxLimit) {
		return fmt.Errorf("hipcall: limit %d is out of range: use 1..%d: %w", o.Limit, MaxLimit, ErrInvalidInput)
	}
	if o.Offset < 0 {
		return fmt.Errorf("hipcall: offset %d is negative: use 0 or more: %w", o.Offset, ErrInvalidInput)
	}
	return nil
}

func list[T any](ctx context.Context, c *Client, route string, q url.Values) (*Page[T], error) {
	var page Page[T]
	// A list reply is {"data":[...],"meta":{...}}: decode it whole.
	if err := c.do(ctx, request{method: http.MethodGet, route: route, query: q, whole: true}, &page); err != nil {
		return nil, err
	}
	if page.Data == nil {
		page.Data = []T{}
	}
	return &page, nil
}

func get[T any](ctx context.Context, c *Client, route string, params map[string]string) (*T, error) {
	var v T
	if err := c.do(ctx, request{method: http.MethodGet, route: route, params: params}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func send[T any](ctx context.Context, c *Client, method, route string, params map[string]string, body any) (*T, error) {
	var v T
	if err := c.do(ctx, request{method: method, route: route, params: params, body: body}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func idParam(id int64) map[string]string {
	return map[string]string{"id": strconv.FormatInt(id, 10)}
}

// lookupExternalID normalises an external id for a by-external-id lookup,
// as Hipcall normalised it when storing.
func lookupExternalID(externalID string) (string, error) {
	id := NormalizeExternalID(externalID)
	if id == nil {
		return "", errors.New("hipcall: external id is empty: Hipcall stores an empty external_id as null, so nothing can be found by it")
	}
	return *id, nil
}

// ListCompanies returns one page of companies. Page with Sort SortIDAsc
// for a stable order.
func (c *Client) ListCompanies(ctx context.Context, opts ListOptions) (*Page[Company], error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return list[Company](ctx, c, "/companies", opts.query())
}

// GetCompany returns the company with the id.
func (c *Client) GetCompany(ctx context.Context, id int64) (*Company, error) {
	return get[Company](ctx, c, "/companies/{id}", idParam(id))
}

// GetCompanyByExternalID returns the company with the external id (the
// CRM's id), trimmed as Hipcall trims it. It is an *APIError for which
// IsNotFound holds when none has it.
func (c *Client) GetCompanyByExternalID(ctx context.Context, externalID string) (*Company, error) {
	id, err := lookupExternalID(externalID)
	if err != nil {
		return nil, err
	}
	return get[Company](ctx, c, "/companies/by-external-id/{external_id}", map[string]string{"external_id": id})
}

// CreateCompany creates a company. It is not retried once it may have
// reached Hipcall: on a *RequestError with MaybeApplied, look the company
// up by external id before creating it again. A duplicate external_id is
// an error for which IsExternalIDTaken holds.
func (c *Client) CreateCompany(ctx context.Context, in CompanyInput) (*Company, error) {
	if strings.TrimSpace(in.Name) == "" {
		return nil, errors.New("hipcall: create company: the name is empty; Hipcall requires one")
	}
	return send[Company](ctx, c, http.MethodPost, "/companies", nil, in)
}

// UpdateCompany changes the fields in patch; a nil value clears a field.
func (c *Client) UpdateCompany(ctx context.Context, id int64, patch Patch) (*Company, error) {
	return send[Company](ctx, c, http.MethodPatch, "/companies/{id}", idParam(id), patch)
}

// ListContacts returns one page of contacts. Page with Sort SortIDAsc for
// a stable order.
func (c *Client) ListContacts(ctx context.Context, opts ListOptions) (*Page[Contact], error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return list[Contact](ctx, c, "/contacts", opts.query())
}

// GetContact returns the contact with the id.
func (c *Client) GetContact(ctx context.Context, id int64) (*Contact, error) {
	return get[Contact](ctx, c, "/contacts/{id}", idParam(id))
}

// GetContactByExternalID returns the contact with the external id. It is an
// *APIError for which IsNotFound holds when none has it.
func (c *Client) GetContactByExternalID(ctx context.Context, externalID string) (*Contact, error) {
	id, err := lookupExternalID(externalID)
	if err != nil {
		return nil, err
	}
	return get[Contact](ctx, c, "/contacts/by-external-id/{external_id}", map[string]string{"external_id": id})
}

// CreateContact creates a contact (at most MaxContactPhones phones). Like
// CreateCompany it is not retried once it may have reached Hipcall.
func (c *Client) CreateContact(ctx context.Context, in ContactInput) (*Contact, error) {
	if strings.TrimSpace(in.FirstName) == "" {
		return nil, errors.New("hipcall: create contact: the first name is empty; Hipcall requires one")
	}
	return send[Contact](ctx, c, http.MethodPost, "/contacts", nil, in)
}

// UpdateContact changes scalar fields; a nil value clears a field. Hipcall
// rejects phones and emails here: use AddContactPhones,
// DeleteContactPhone, AddContactEmails and DeleteContactEmail.
func (c *Client) UpdateContact(ctx context.Context, id int64, patch Patch) (*Contact, error) {
	for _, k := range []string{"phones", "emails"} {
		if _, ok := patch[k]; ok {
			return nil, fmt.Errorf("hipcall: update contact %d: %q cannot be patched; use the contact's %s endpoints (AddContact…/DeleteContact…)", id, k, k)
		}
	}
	return send[Contact](ctx, c, http.MethodPatch, "/contacts/{id}", idParam(id), patch)
}

// AddContactPhones adds phone numbers to a contact (at most
// MaxContactPhones in all). Not retried once it may have reached Hipcall.
func (c *Client) AddContactPhones(ctx context.Context, id int64, phones []Phone) (*Contact, error) {
	if len(phones) == 0 {
		return nil, fmt.Errorf("hipcall: add phones to contact %d: no phones given", id)
	}
	return send[Contact](ctx, c, http.MethodPost, "/contacts/{id}/phones", idParam(id), map[string][]Phone{"phones": phones})
}

// DeleteContactPhone removes a phone number, as stored, from a contact.
func (c *Client) DeleteContactPhone(ctx context.Context, id int64, number string) error {
	return c.deleteSub(ctx, id, "phones", "number", number)
}

// AddContactEmails adds e-mail addresses to a contact. Not retried once it
// may have reached Hipcall.
func (c *Client) AddContactEmails(ctx context.Context, id int64, emails []Email) (*Contact, error) {
	if len(emails) == 0 {
		return nil, fmt.Errorf("hipcall: add emails to contact %d: no emails given", id)
	}
	return send[Contact](ctx, c, http.MethodPost, "/contacts/{id}/emails", idParam(id), map[string][]Email{"emails": emails})
}

// DeleteContactEmail removes an e-mail address from a contact.
func (c *Client) DeleteContactEmail(ctx context.Context, id int64, email string) error {
	return c.deleteSub(ctx, id, "emails", "email", email)
}

func (c *Client) deleteSub(ctx context.Context, id int64, sub, key, value string) error {
	if strings.TrimSpace(value) == "" {
		return fmt.Errorf("hipcall: delete from contact %d's %s: the %s is empty", id, sub, key)
	}
	return c.do(ctx, request{
		method: http.MethodDelete,
		route:  "/contacts/{id}/" + sub + "/{" + key + "}",
		params: map[string]string{"id": strconv.FormatInt(id, 10), key: value},
	}, nil)
}

// ListExtensions returns one page of the account's extensions.
func (c *Client) ListExtensions(ctx context.Context, opts ListOptions) (*Page[Extension], error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return list[Extension](ctx, c, "/extensions", opts.query())
}
