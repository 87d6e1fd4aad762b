package pipedrivetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
)

// outcomes are the outcomes a call log may have; any other is a 400.
var outcomes = []string{"connected", "no_answer", "busy", "left_message", "left_voicemail", "wrong_number"}

// Outcomes returns the outcomes a call log may have: connected, no_answer,
// busy, left_message, left_voicemail, wrong_number.
func Outcomes() []string { return slices.Clone(outcomes) }

// CallTimeFormat is the format of start_time and end_time: UTC, a space
// between date and time ("2026-12-01 10:00:00").
const CallTimeFormat = "2006-01-02 15:04:05"

// CallLog is a call log as stored, its fields as sent (absent ones empty
// or 0).
type CallLog struct {
	// ID is the id the fake gave it: a string (24 hex digits).
	ID      string
	Subject string
	// Duration is the call's length in seconds, as the string sent ("42").
	Duration        string
	Outcome         string
	FromPhoneNumber string
	ToPhoneNumber   string
	StartTime       string
	EndTime         string
	PersonID        int
	OrgID           int
	UserID          int
	DealID          int
	LeadID          string
	ActivityID      int
	Note            string
	// AddTime is when the fake stored it, by its clock.
	AddTime time.Time
}

// callLogRequest is the body of POST /api/v1/callLogs; a field it does not
// name is a 400. Optional fields may be null.
type callLogRequest struct {
	Subject         *string `json:"subject"`
	Duration        *string `json:"duration"`
	Outcome         *string `json:"outcome"`
	FromPhoneNumber *string `json:"from_phone_number"`
	ToPhoneNumber   *string `json:"to_phone_number"`
	StartTime       *string `json:"start_time"`
	EndTime         *string `json:"end_time"`
	PersonID        *int    `json:"person_id"`
	OrgID           *int    `json:"org_id"`
	UserID          *int    `json:"user_id"`
	DealID          *int    `json:"deal_id"`
	LeadID          *string `json:"lead_id"`
	ActivityID      *int    `json:"activity_id"`
	Note            *string `json:"note"`
}

// callLogJSON is a stored call log as the answer shows it.
type callLogJSON struct {
	ID              string  `json:"id"`
	Subject         *string `json:"subject"`
	Duration        *string `json:"duration"`
	Outcome         string  `json:"outcome"`
	FromPhoneNumber *string `json:"from_phone_number"`
	ToPhoneNumber   string  `json:"to_phone_number"`
	StartTime       string  `json:"start_time"`
	EndTime         string  `json:"end_time"`
	PersonID        *int    `json:"person_id"`
	OrgID           *int    `json:"org_id"`
	UserID          *int    `json:"user_id"`
	Note            *string `json:"note"`
}

// logCall serves POST /api/v1/callLogs.
func (s *Server) logCall(r *http.Request, body []byte) reply {
	if rep, ok := checkQuery(r.URL.Query()); !ok {
		return rep
	}
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || ct != "application/json" {
		return badRequest(fmt.Sprintf("the body must be JSON sent as application/json, got Content-Type %q", r.Header.Get("Content-Type")))
	}
	var req callLogRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return badRequest("invalid JSON body: " + describeJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("invalid JSON body: something follows the object")
	}
	var missing []string
	for _, f := range []struct {
		name string
		v    *string
	}{{"outcome", req.Outcome}, {"to_phone_number", req.ToPhoneNumber}, {"start_time", req.StartTime}, {"end_time", req.EndTime}} {
		if f.v == nil || strings.TrimSpace(*f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return badRequest("missing required fields: " + strings.Join(missing, ", "))
	}
	if !slices.Contains(outcomes, *req.Outcome) {
		return badRequest(fmt.Sprintf("outcome must be one of %s, got %q", strings.Join(outcomes, ", "), *req.Outcome))
	}
	start, err := time.Parse(CallTimeFormat, *req.StartTime)
	if err != nil {
		return badRequest(fmt.Sprintf("start_time must be YYYY-MM-DD HH:MM:SS (UTC), got %q", *req.StartTime))
	}
	end, err := time.Parse(CallTimeFormat, *req.EndTime)
	if err != nil {
		return badRequest(fmt.Sprintf("end_time must be YYYY-MM-DD HH:MM:SS (UTC), got %q", *req.EndTime))
	}
	if end.Before(start) {
		return badRequest(fmt.Sprintf("end_time %s is before start_time %s", *req.EndTime, *req.StartTime))
	}
	if d := req.Duration; d != nil && (*d == "" || strings.Trim(*d, "0123456789") != "") {
		return badRequest(fmt.Sprintf("duration must be a whole number of seconds as a string, such as \"42\", got %q", *d))
	}
	for _, f := range []struct {
		name string
		v    *int
	}{{"person_id", req.PersonID}, {"org_id", req.OrgID}, {"user_id", req.UserID}, {"deal_id", req.DealID}, {"activity_id", req.ActivityID}} {
		if f.v != nil && *f.v < 1 {
			return badRequest(fmt.Sprintf("%s must be a positive whole number, got %d", f.name, *f.v))
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if req.PersonID != nil && s.persons[*req.PersonID] == nil {
		return badRequest(fmt.Sprintf("person_id %d names no person", *req.PersonID))
	}
	if req.OrgID != nil && s.orgs[*req.OrgID] == nil {
		return badRequest(fmt.Sprintf("org_id %d names no organization", *req.OrgID))
	}
	n := len(s.callLogs) + 1
	cl := CallLog{
		ID:      fmt.Sprintf("%08x%016x", uint32(n*2654435761), n),
		Outcome: *req.Outcome, ToPhoneNumber: *req.ToPhoneNumber, StartTime: *req.StartTime, EndTime: *req.EndTime,
		Subject: deref(req.Subject), Duration: deref(req.Duration), FromPhoneNumber: deref(req.FromPhoneNumber),
		PersonID: deref(req.PersonID), OrgID: deref(req.OrgID), UserID: deref(req.UserID), DealID: deref(req.DealID),
		LeadID: deref(req.LeadID), ActivityID: deref(req.ActivityID), Note: deref(req.Note),
		AddTime: s.now(),
	}
	s.callLogs = append(s.callLogs, cl)
	return reply{http.StatusOK, map[string]any{"success": true, "data": callLogJSON{
		ID: cl.ID, Subject: req.Subject, Duration: req.Duration, Outcome: cl.Outcome, FromPhoneNumber: req.FromPhoneNumber,
		ToPhoneNumber: cl.ToPhoneNumber, StartTime: cl.StartTime, EndTime: cl.EndTime,
		PersonID: req.PersonID, OrgID: req.OrgID, UserID: req.UserID, Note: req.Note,
	}}}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// describeJSONError names the field of a decoding error when it can.
func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return "the body must be a JSON object, not a JSON " + te.Value
		}
		want := te.Type.String()
		if want == "int" {
			want = "whole number"
		}
		return fmt.Sprintf("field %q must be a %s, not a JSON %s", te.Field, want, te.Value)
	}
	return err.Error()
}
