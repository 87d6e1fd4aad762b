package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/core/lenient"
)

// Event names Hipcall is known to send. Others exist and are accepted
// (and logged) all the same.
const (
	CallInit             = "call_init"
	CallBridged          = "call_bridged"
	CallHangup           = "call_hangup"
	TaskCreate           = "task_create"
	ContactCreate        = "contact_create"
	ContactNumberUpdated = "contact_number_updated"
)

// KnownEvents lists the confirmed event names.
var KnownEvents = []string{CallInit, CallBridged, CallHangup, TaskCreate, ContactCreate, ContactNumberUpdated}

// Known reports whether name is a confirmed event name.
func Known(name string) bool { return slices.Contains(KnownEvents, name) }

// Call directions.
const (
	Inbound  = "inbound"
	Outbound = "outbound"
	Internal = "internal"
)

// Event is one webhook delivery.
type Event struct {
	// Name is the event's name, the legacy form mapped to the current one
	// when recognisable ("call::init" → "call_init"); "" when the body
	// named none.
	Name string
	// RawName is the name exactly as sent.
	RawName string
	// Legacy is set for the older payload format (event_type, ...).
	Legacy bool
	// Call is the call payload for call_* events (every field optional);
	// nil for other events.
	Call *Call
	// Data is the event's data object as sent (the whole body for a flat
	// legacy payload).
	Data json.RawMessage
	// Received is when the event arrived.
	Received time.Time
}

// UUID is the call's id, or "".
func (e *Event) UUID() string {
	if e.Call == nil {
		return ""
	}
	return e.Call.UUID
}

// Known reports whether the event's name is a confirmed one.
func (e *Event) Known() bool { return Known(e.Name) }

// dedupKey identifies the event for deduplication: the event name and the
// call's uuid (or the data's id); "" when there is nothing to tell two
// deliveries apart by.
func (e *Event) dedupKey() string {
	id := e.UUID()
	if id == "" {
		id = fieldText(e.Data, "id")
	}
	if e.Name == "" || id == "" {
		return ""
	}
	return dedupKey(e.Name, id)
}

func dedupKey(event, id string) string { return event + "\x00" + id }

// Call is Hipcall's call payload, the same for call_init, call_bridged and
// call_hangup; fields fill in over the call's life. Every field is
// optional: absent, null and unreadable values are left zero (nil for
// pointers). Numbers sent as JSON numbers are kept as their text.
type Call struct {
	UUID               string
	Direction          string
	CallerNumber       string
	CalleeNumber       string
	CallerType         string
	CalleeType         string
	CallerID           string
	CalleeID           string
	StartedAt          *time.Time
	AnsweredAt         *time.Time
	BridgedAt          *time.Time
	EndedAt            *time.Time
	CallDuration       *int64
	FirstTouchDuration *int64
	MissingCall        *bool
	MissingCallReason  string
	HangupBy           string
	ChannelType        string
	ChannelID          string
	NumberID           string
	UserID             string
	ContactID          string
	CompanyID          string
	Credited           string
	RecordURL          string
	VoicemailURL       string
	VoicemailID        string // set when a voicemail was left; a missed call has missing_call and no voicemail_id
	CallbackCDRUUID    string
	CallbackTime       *time.Time
	CallbackUserID     string
	RelatedID          string
	RelatedType        string
	CallFlow           []FlowStep
}

// FlowStep is one entry of a call's call_flow.
type FlowStep struct {
	Action    string
	Detail    string
	Timestamp *time.Time
}

// CustomerNumber is the number of the party outside the company: the
// caller of an inbound call, the callee of an outbound one, and "" for an
// internal call (or an unknown direction).
func (c *Call) CustomerNumber() string {
	switch strings.ToLower(c.Direction) {
	case Inbound:
		return c.CallerNumber
	case Outbound:
		return c.CalleeNumber
	}
	return ""
}

// Map is the call as a map keyed by Hipcall's field names, for templates.
// Absent times and numbers are nil.
func (c *Call) Map() map[string]any {
	flow := make([]map[string]any, len(c.CallFlow))
	for i, s := range c.CallFlow {
		flow[i] = map[string]any{"action": s.Action, "detail": s.Detail, "timestamp": timeOrNil(s.Timestamp)}
	}
	return map[string]any{
		"uuid":                 c.UUID,
		"direction":            c.Direction,
		"caller_number":        c.CallerNumber,
		"callee_number":        c.CalleeNumber,
		"customer_number":      c.CustomerNumber(),
		"caller_type":          c.CallerType,
		"callee_type":          c.CalleeType,
		"caller_id":            c.CallerID,
		"callee_id":            c.CalleeID,
		"started_at":           timeOrNil(c.StartedAt),
		"answered_at":          timeOrNil(c.AnsweredAt),
		"bridged_at":           timeOrNil(c.BridgedAt),
		"ended_at":             timeOrNil(c.EndedAt),
		"call_duration":        intOrNil(c.CallDuration),
		"first_touch_duration": intOrNil(c.FirstTouchDuration),
		"missing_call":         boolOrNil(c.MissingCall),
		"missing_call_reason":  c.MissingCallReason,
		"hangup_by":            c.HangupBy,
		"channel_type":         c.ChannelType,
		"channel_id":           c.ChannelID,
		"number_id":            c.NumberID,
		"user_id":              c.UserID,
		"contact_id":           c.ContactID,
		"company_id":           c.CompanyID,
		"credited":             c.Credited,
		"record_url":           c.RecordURL,
		"voicemail_url":        c.VoicemailURL,
		"voicemail_id":         c.VoicemailID,
		"callback_cdr_uuid":    c.CallbackCDRUUID,
		"callback_time":        timeOrNil(c.CallbackTime),
		"callback_user_id":     c.CallbackUserID,
		"related_id":           c.RelatedID,
		"related_type":         c.RelatedType,
		"call_flow":            flow,
	}
}

func timeOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

func intOrNil(i *int64) any {
	if i == nil {
		return nil
	}
	return *i
}

func boolOrNil(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

// ErrNotJSON reports a body that is not a JSON object.
var ErrNotJSON = errors.New("body is not a JSON object")

// ErrDuplicateKey reports a body in which an object holds the same key
// twice, compared case-insensitively ({"uuid":"1","UUID":"2"}, or "uuid"
// twice): it is ambiguous, and refused rather than read one way or the
// other (lenient.DuplicateKeys). The error is a *lenient.DuplicateKeyError
// saying where.
var ErrDuplicateKey = lenient.ErrDuplicateKey

// legacyNames maps the older format's event names to the current ones.
var legacyNames = map[string]string{
	"call::init":    CallInit,
	"call::bridged": CallBridged,
	"call::hangup":  CallHangup,
}

// Parse reads a webhook body. It fails only when the body is not a JSON
// object (ErrNotJSON) or when an object in it, at any depth, holds a key
// twice (ErrDuplicateKey); any event name, and any shape of data, is
// accepted.
func Parse(body []byte) (*Event, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		if err == nil {
			err = errors.New("null")
		}
		return nil, fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	if err := lenient.DuplicateKeys(body); err != nil {
		return nil, err
	}
	ev := &Event{}
	raw, hasEvent := top["event"]
	if !hasEvent || isNull(raw) {
		if r, ok := top["event_type"]; ok {
			raw, ev.Legacy = r, true
		}
	}
	ev.RawName, _ = lenient.Text(raw)
	ev.Name = normaliseName(ev.RawName)
	if mapped, ok := legacyNames[ev.Name]; ok {
		ev.Name, ev.Legacy = mapped, true
	}

	data, ok := top["data"]
	if !ok || !isObject(data) {
		if p, ok := top["payload"]; ok && isObject(p) {
			data = p
		} else if ev.Legacy {
			data = body // a flat legacy payload: the fields sit at the top
		}
	}
	if isObject(data) {
		ev.Data = data
	}
	if strings.HasPrefix(ev.Name, "call_") && ev.Data != nil {
		ev.Call = parseCall(ev.Data)
	}
	return ev, nil
}

// normaliseName trims and lower-cases an event name.
func normaliseName(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// parseCall reads a call payload leniently.
func parseCall(data json.RawMessage) *Call {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return &Call{}
	}
	s := func(k string) string { v, _ := lenient.Text(m[k]); return strings.TrimSpace(v) }
	c := &Call{
		UUID:               s("uuid"),
		Direction:          strings.ToLower(s("direction")),
		CallerNumber:       s("caller_number"),
		CalleeNumber:       s("callee_number"),
		CallerType:         s("caller_type"),
		CalleeType:         s("callee_type"),
		CallerID:           s("caller_id"),
		CalleeID:           s("callee_id"),
		StartedAt:          lenient.Time(m["started_at"]),
		AnsweredAt:         lenient.Time(m["answered_at"]),
		BridgedAt:          lenient.Time(m["bridged_at"]),
		EndedAt:            lenient.Time(m["ended_at"]),
		CallDuration:       lenient.Int(m["call_duration"]),
		FirstTouchDuration: lenient.Int(m["first_touch_duration"]),
		MissingCall:        lenient.Bool(m["missing_call"]),
		MissingCallReason:  s("missing_call_reason"),
		HangupBy:           s("hangup_by"),
		ChannelType:        s("channel_type"),
		ChannelID:          s("channel_id"),
		NumberID:           s("number_id"),
		UserID:             s("user_id"),
		ContactID:          s("contact_id"),
		CompanyID:          s("company_id"),
		Credited:           s("credited"),
		RecordURL:          s("record_url"),
		VoicemailURL:       s("voicemail_url"),
		VoicemailID:        s("voicemail_id"),
		CallbackCDRUUID:    s("callback_cdr_uuid"),
		CallbackTime:       lenient.Time(m["callback_time"]),
		CallbackUserID:     s("callback_user_id"),
		RelatedID:          s("related_id"),
		RelatedType:        s("related_type"),
	}
	var flow []map[string]json.RawMessage
	if json.Unmarshal(m["call_flow"], &flow) == nil {
		for _, f := range flow {
			action, _ := lenient.Text(f["action"])
			detail, ok := lenient.Text(f["detail"])
			if !ok && len(f["detail"]) > 0 && !isNull(f["detail"]) {
				detail = string(bytes.TrimSpace(f["detail"])) // an object or a list: keep its JSON
			}
			c.CallFlow = append(c.CallFlow, FlowStep{Action: action, Detail: detail, Timestamp: lenient.Time(f["timestamp"])})
		}
	}
	return c
}

// fieldText is one top-level field of an object as text, or "".
func fieldText(data json.RawMessage, key string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return ""
	}
	s, _ := lenient.Text(m[key])
	return s
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

func isObject(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && t[0] == '{'
}
