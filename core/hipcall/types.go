package hipcall

import (
	"strings"
)

// Page is one page of a list endpoint.
type Page[T any] struct {
	// Data holds the page's items.
	Data []T `json:"data"`
	// Meta describes the page and the whole list.
	Meta Meta `json:"meta"`
}

// Meta is the paging block of a list reply.
type Meta struct {
	// Count is the total number of items across all pages.
	Count int `json:"count"`
	// Offset is the offset this page starts at.
	Offset int `json:"offset"`
	// Limit is the page size that was applied.
	Limit int `json:"limit"`
}

// Paging limits accepted by Hipcall.
const (
	// DefaultLimit is the page size Hipcall applies when none is given.
	DefaultLimit = 10
	// MaxLimit is the largest page size Hipcall accepts.
	MaxLimit = 100
	// MaxExternalIDLength is the longest external_id Hipcall stores.
	MaxExternalIDLength = 255
	// MaxContactPhones is how many phone numbers a contact may have.
	MaxContactPhones = 6
	// SortIDAsc sorts a list by ascending id, the stable order for paging.
	SortIDAsc = "id.asc"
)

// ListOptions pages a list endpoint. Zero values are left out of the query,
// so Hipcall applies its defaults (limit 10, offset 0).
type ListOptions struct {
	// Limit is the page size, 1..100.
	Limit int
	// Offset is the number of items to skip.
	Offset int
	// Sort is the sort order; SortIDAsc is the one to page with.
	Sort string
}

// Phone is a phone number of a company or a contact. Order is only used by
// companies.
type Phone struct {
	// Country is the number's country as Hipcall stores it.
	Country string `json:"country,omitempty"`
	// Number is the phone number.
	Number string `json:"number"`
	// Order is the number's position (companies only).
	Order int `json:"order,omitempty"`
}

// Email is an e-mail address of a company or a contact. Order is only used
// by companies.
type Email struct {
	// Email is the address.
	Email string `json:"email"`
	// Order is the address's position (companies only).
	Order int `json:"order,omitempty"`
}

// Company is a company as Hipcall returns it.
type Company struct {
	ID             int64   `json:"id"`
	Name           string  `json:"name"`
	ExternalID     *string `json:"external_id"`
	WebsiteURL     string  `json:"website_url,omitempty"`
	CustomURL      string  `json:"custom_url,omitempty"`
	LinkedinURL    string  `json:"linkedin_url,omitempty"`
	Description    string  `json:"description,omitempty"`
	AssignToUserID *int64  `json:"assign_to_user_id"`
	Emails         []Email `json:"emails"`
	Phones         []Phone `json:"phones"`
}

// CompanyInput is the body of POST /companies. Name is required; nil and
// empty fields are left out.
type CompanyInput struct {
	Name           string  `json:"name"`
	ExternalID     *string `json:"external_id,omitempty"`
	WebsiteURL     string  `json:"website_url,omitempty"`
	CustomURL      string  `json:"custom_url,omitempty"`
	LinkedinURL    string  `json:"linkedin_url,omitempty"`
	Description    string  `json:"description,omitempty"`
	AssignToUserID *int64  `json:"assign_to_user_id,omitempty"`
	Emails         []Email `json:"emails,omitempty"`
	Phones         []Phone `json:"phones,omitempty"`
}

// Contact is a contact as Hipcall returns it.
type Contact struct {
	ID             int64          `json:"id"`
	FirstName      string         `json:"first_name"`
	LastName       string         `json:"last_name,omitempty"`
	ExternalID     *string        `json:"external_id"`
	CompanyID      *int64         `json:"company_id"`
	AssignToUserID *int64         `json:"assign_to_user_id"`
	JobTitle       string         `json:"job_title,omitempty"`
	CustomURL      string         `json:"custom_url,omitempty"`
	CustomFields   map[string]any `json:"custom_fields,omitempty"`
	Phones         []Phone        `json:"phones"`
	Emails         []Email        `json:"emails"`
}

// ContactInput is the body of POST /contacts. FirstName is required; nil
// and empty fields are left out. Phones and Emails must not carry Order.
type ContactInput struct {
	FirstName      string         `json:"first_name"`
	LastName       string         `json:"last_name,omitempty"`
	ExternalID     *string        `json:"external_id,omitempty"`
	CompanyID      *int64         `json:"company_id,omitempty"`
	AssignToUserID *int64         `json:"assign_to_user_id,omitempty"`
	JobTitle       string         `json:"job_title,omitempty"`
	CustomURL      string         `json:"custom_url,omitempty"`
	CustomFields   map[string]any `json:"custom_fields,omitempty"`
	Phones         []Phone        `json:"phones,omitempty"`
	Emails         []Email        `json:"emails,omitempty"`
}

// Patch is the body of a PATCH: field name to new value. A nil value clears
// the field (external_id: null). Only the fields present change.
type Patch map[string]any

// Extension is an extension of the Hipcall account.
type Extension struct {
	// Name is the extension's display name.
	Name string `json:"name"`
	// Number is the extension number ("101").
	Number string `json:"number"`
	// TargetType says what the extension rings ("user", "team", ...).
	TargetType string `json:"target_type"`
	// TargetID is the id of the target.
	TargetID int64 `json:"target_id"`
}

// NormalizeExternalID returns an external id as Hipcall stores it:
// surrounding whitespace trimmed, and nil for an empty one. Compare CRM ids
// with stored ones through it.
func NormalizeExternalID(id string) *string {
	id = strings.TrimSpace(id)
	if id == "" {
		return nil
	}
	return &id
}
