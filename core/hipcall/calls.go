package hipcall

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/core/lenient"
)

// Call directions, as the direction[eq] and direction[in] filters take
// them.
const (
	DirectionInbound  = "inbound"
	DirectionOutbound = "outbound"
	DirectionInternal = "internal"
)

// Sort orders of GET /calls.
const (
	SortStartedAsc  = "started_at.asc"
	SortStartedDesc = "started_at.desc"
)

// CallRow is one call of GET /calls. Its fields have the names of
// Hipcall's call webhook payload (core/webhook's Call). Every field is
// optional and read leniently: absent, null and unreadable values are left
// zero (nil for pointers); ids sent as numbers keep their digits as text;
// times are UTC. Raw holds the row as Hipcall sent it, for fields not
// modelled here.
type CallRow struct {
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
	// RecordURL and VoicemailURL are short-lived pre-signed links: fetch
	// them (Client.Fetch) soon after listing the call, and list it again
	// for a fresh link once one has expired.
	RecordURL    string
	VoicemailURL string
	VoicemailID  string
	RelatedID    string
	RelatedType  string

	Raw json.RawMessage
}

// UnmarshalJSON reads a call row leniently; it fails only when the row is
// not a JSON object.
func (c *CallRow) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if m == nil {
		return errors.New("a call row is null")
	}
	s := func(k string) string { return lenient.String(m[k]) }
	*c = CallRow{
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
		RecordURL:          s("record_url"),
		VoicemailURL:       s("voicemail_url"),
		VoicemailID:        s("voicemail_id"),
		RelatedID:          s("related_id"),
		RelatedType:        s("related_type"),
		Raw:                append(json.RawMessage(nil), b...),
	}
	return nil
}

// MarshalJSON writes the row in the webhook's field names (empty strings
// and nil pointers left out), so that it reads back the same; Raw is not
// written.
func (c CallRow) MarshalJSON() ([]byte, error) {
	type wire struct {
		UUID               string     `json:"uuid,omitempty"`
		Direction          string     `json:"direction,omitempty"`
		CallerNumber       string     `json:"caller_number,omitempty"`
		CalleeNumber       string     `json:"callee_number,omitempty"`
		CallerType         string     `json:"caller_type,omitempty"`
		CalleeType         string     `json:"callee_type,omitempty"`
		CallerID           string     `json:"caller_id,omitempty"`
		CalleeID           string     `json:"callee_id,omitempty"`
		StartedAt          *time.Time `json:"started_at,omitempty"`
		AnsweredAt         *time.Time `json:"answered_at,omitempty"`
		BridgedAt          *time.Time `json:"bridged_at,omitempty"`
		EndedAt            *time.Time `json:"ended_at,omitempty"`
		CallDuration       *int64     `json:"call_duration,omitempty"`
		FirstTouchDuration *int64     `json:"first_touch_duration,omitempty"`
		MissingCall        *bool      `json:"missing_call,omitempty"`
		MissingCallReason  string     `json:"missing_call_reason,omitempty"`
		HangupBy           string     `json:"hangup_by,omitempty"`
		ChannelType        string     `json:"channel_type,omitempty"`
		ChannelID          string     `json:"channel_id,omitempty"`
		NumberID           string     `json:"number_id,omitempty"`
		UserID             string     `json:"user_id,omitempty"`
		ContactID          string     `json:"contact_id,omitempty"`
		CompanyID          string     `json:"company_id,omitempty"`
		RecordURL          string     `json:"record_url,omitempty"`
		VoicemailURL       string     `json:"voicemail_url,omitempty"`
		VoicemailID        string     `json:"voicemail_id,omitempty"`
		RelatedID          string     `json:"related_id,omitempty"`
		RelatedType        string     `json:"related_type,omitempty"`
	}
	return json.Marshal(wire{
		UUID: c.UUID, Direction: c.Direction, CallerNumber: c.CallerNumber, CalleeNumber: c.CalleeNumber,
		CallerType: c.CallerType, CalleeType: c.CalleeType, CallerID: c.CallerID, CalleeID: c.CalleeID,
		StartedAt: c.StartedAt, AnsweredAt: c.AnsweredAt, BridgedAt: c.BridgedAt, EndedAt: c.EndedAt,
		CallDuration: c.CallDuration, FirstTouchDuration: c.FirstTouchDuration, MissingCall: c.MissingCall,
		MissingCallReason: c.MissingCallReason, HangupBy: c.HangupBy, ChannelType: c.ChannelType,
		ChannelID: c.ChannelID, NumberID: c.NumberID, UserID: c.UserID, ContactID: c.ContactID,
		CompanyID: c.CompanyID, RecordURL: c.RecordURL, VoicemailURL: c.VoicemailURL,
		VoicemailID: c.VoicemailID, RelatedID: c.RelatedID, RelatedType: c.RelatedType,
	})
}

// CallsQuery filters and pages GET /calls. Zero fields are left out.
type CallsQuery struct {
	// From and To keep calls started in [From, To] (started_at[gte] and
	// started_at[lte]); zero means no bound. They are sent to the second,
	// From rounded down and To rounded up, so a page may hold calls up to
	// a second outside a bound with a fraction (EachCall drops those).
	From, To time.Time
	// Direction keeps calls in these directions: one is sent as
	// direction[eq], several as direction[in]; empty means all.
	Direction []string
	// Missing keeps only missed (true) or only not missed (false) calls
	// (missing_call[eq]); nil means both.
	Missing *bool
	// Limit is the page size, 1..100 (0: Hipcall's default, 10); Offset
	// the number of calls to skip.
	Limit, Offset int
	// Desc sorts newest first (started_at.desc); the default is oldest
	// first (started_at.asc).
	Desc bool
}

// apiTime formats a time as Hipcall's filters take it: ISO-8601 UTC with
// a Z, to the second.
func apiTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// ceilSecond rounds t up to the next whole second (t itself when whole).
func ceilSecond(t time.Time) time.Time {
	if f := t.Truncate(time.Second); !f.Equal(t) {
		return f.Add(time.Second)
	}
	return t
}

// validate rejects queries Hipcall would answer with a 422.
func (q CallsQuery) validate() error {
	if err := (ListOptions{Limit: q.Limit, Offset: q.Offset}).validate(); err != nil {
		return err
	}
	for _, d := range q.Direction {
		switch d {
		case DirectionInbound, DirectionOutbound, DirectionInternal:
		default:
			return fmt.Errorf("hipcall: list calls: unknown call direction %q: use %q, %q or %q: %w",
				d, DirectionInbound, DirectionOutbound, DirectionInternal, ErrInvalidInput)
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return fmt.Errorf("hipcall: list calls: To (%s) is before From (%s): swap them: %w", apiTime(q.To), apiTime(q.From), ErrInvalidInput)
	}
	return nil
}

func (q CallsQuery) values() url.Values {
	v := url.Values{}
	if !q.From.IsZero() {
		v.Set("started_at[gte]", apiTime(q.From))
	}
	if !q.To.IsZero() {
		v.Set("started_at[lte]", apiTime(ceilSecond(q.To)))
	}
	switch len(q.Direction) {
	case 0:
	case 1:
		v.Set("direction[eq]", q.Direction[0])
	default:
		v.Set("direction[in]", strings.Join(q.Direction, ","))
	}
	if q.Missing != nil {
		v.Set("missing_call[eq]", strconv.FormatBool(*q.Missing))
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Offset != 0 {
		v.Set("offset", strconv.Itoa(q.Offset))
	}
	if q.Desc {
		v.Set("sort", SortStartedDesc)
	} else {
		v.Set("sort", SortStartedAsc)
	}
	return v
}

// ListCalls returns one page of calls matching q, and how many calls match
// in all (meta.count). To read a whole time window, use EachCall.
func (c *Client) ListCalls(ctx context.Context, q CallsQuery) ([]CallRow, int, error) {
	if err := q.validate(); err != nil {
		return nil, 0, err
	}
	p, err := list[CallRow](ctx, c, "/calls", q.values())
	if err != nil {
		return nil, 0, err
	}
	return p.Data, p.Meta.Count, nil
}

// EachCall calls fn with every call started in [from, to] (a zero bound is
// open), oldest first, each uuid once, until fn returns an error, which
// EachCall returns.
//
// It pages by time rather than by offset alone: each page asks for the
// calls started at or after the second of the last call seen, so calls
// that start while it pages only ever add to the end, and the overlap of
// one second between pages is removed by uuid. When a whole page starts
// in one second it moves on within that second by offset. A call that
// only appears in Hipcall's list after EachCall has paged past its start
// time (if Hipcall lists calls late) is not seen: page a window that
// ended a while ago.
func (c *Client) EachCall(ctx context.Context, from, to time.Time, fn func(CallRow) error) error {
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return fmt.Errorf("hipcall: each call: the window ends (%s) before it starts (%s): swap them: %w", apiTime(to), apiTime(from), ErrInvalidInput)
	}
	cursor := from.Truncate(time.Second) // the second the next page starts at
	offset := 0
	// seen holds the uuids of calls started at or after cursor (older ones
	// cannot come again) and of calls without a start time.
	seen := map[string]*time.Time{}
	for {
		q := CallsQuery{From: cursor, To: to, Limit: MaxLimit, Offset: offset}
		rows, total, err := c.ListCalls(ctx, q)
		if err != nil {
			return err
		}
		last := cursor
		for _, row := range rows {
			if row.StartedAt != nil && row.StartedAt.After(last) {
				last = row.StartedAt.Truncate(time.Second)
			}
			if row.UUID != "" {
				if _, dup := seen[row.UUID]; dup {
					continue
				}
				seen[row.UUID] = row.StartedAt
			}
			if row.StartedAt != nil && ((!from.IsZero() && row.StartedAt.Before(from)) || (!to.IsZero() && row.StartedAt.After(to))) {
				continue
			}
			if err := fn(row); err != nil {
				return err
			}
		}
		if len(rows) == 0 || offset+len(rows) >= total {
			return nil
		}
		if last.After(cursor) {
			cursor, offset = last, 0
			for id, at := range seen {
				if at != nil && at.Before(cursor) {
					delete(seen, id)
				}
			}
		} else {
			offset += len(rows)
		}
	}
}

// callParams checks a call uuid and returns it as the {uuid} path
// parameter.
func callParams(op, callUUID string) (map[string]string, error) {
	if strings.TrimSpace(callUUID) == "" {
		return nil, fmt.Errorf("hipcall: %s: the call uuid is empty; take it from Hipcall's webhook: %w", op, ErrInvalidInput)
	}
	return map[string]string{"uuid": callUUID}, nil
}

// Comment is a comment Hipcall stored on a call.
type Comment struct {
	ID      flexID `json:"id"`
	Content string `json:"content"`
}

// AddComment posts a comment on the call and returns its id. Hipcall
// answers an empty content with a 422. A comment is not idempotent (a
// second POST makes a second comment), so it is retried only when Hipcall
// surely did not take it: after a 429, or when the request never left.
// A 5xx or a timeout is returned as is; a *RequestError then has
// MaybeApplied set: check the call in Hipcall before posting again.
func (c *Client) AddComment(ctx context.Context, callUUID, content string) (string, error) {
	params, err := callParams("add comment", callUUID)
	if err != nil {
		return "", err
	}
	var out Comment
	err = c.do(ctx, request{
		method: http.MethodPost,
		route:  "/calls/{uuid}/comments",
		params: params,
		body:   map[string]string{"content": content},
		advice: func(e *APIError) string {
			switch {
			case e.Status == http.StatusNotFound:
				return fmt.Sprintf("Hipcall has no call %s: the uuid must come from Hipcall's webhook, and the call must exist in this account", callUUID)
			case e.Status == http.StatusUnprocessableEntity && len(e.Fields["content"]) > 0:
				return "the comment is empty or invalid: check the comment template in hipcall.after_call.actions[..].comment renders some text for this call"
			case e.Status >= 500:
				return "Hipcall failed and the comment was not sent again, since a second POST would make a second comment: check the call in Hipcall before posting it again"
			}
			return ""
		},
		maybeApplied: "the comment may have been posted: check the call's comments in Hipcall before posting it again (a second POST makes a second comment)",
	}, &out)
	if err != nil {
		return "", err
	}
	return string(out.ID), nil
}

// AddTag tags the call with the tag whose id is tagID (a tag created in
// Hipcall's panel). Tagging is idempotent (the same tag twice is one tag),
// so it is retried like a GET.
func (c *Client) AddTag(ctx context.Context, callUUID string, tagID int64) error {
	params, err := callParams("add tag", callUUID)
	if err != nil {
		return err
	}
	if tagID <= 0 {
		return fmt.Errorf("hipcall: add tag to call %s: tag id %d is not a tag's id (a whole number above 0, from Hipcall's panel); fix hipcall.after_call.actions[..].tags: %w",
			callUUID, tagID, ErrInvalidInput)
	}
	return c.do(ctx, request{
		method:    http.MethodPost,
		route:     "/calls/{uuid}/tags",
		params:    params,
		body:      map[string]int64{"tag_id": tagID},
		retryPOST: true,
		advice: func(e *APIError) string {
			switch e.Status {
			case http.StatusNotFound:
				return fmt.Sprintf("Hipcall has no tag with id %d, or no call %s: create the tag in Hipcall's panel or fix hipcall.after_call.actions[..].tags (the call uuid comes from Hipcall's webhook)", tagID, callUUID)
			case http.StatusUnprocessableEntity:
				return "Hipcall wants tag_id as the integer id of a tag created in its panel: fix hipcall.after_call.actions[..].tags"
			}
			return ""
		},
	}, nil)
}

// Disposition is a call's disposition as Hipcall set it.
type Disposition struct {
	Code          string `json:"code"`
	Name          string `json:"name"`
	DispositionID int64  `json:"disposition_id"`
	// EditWindowMinutes is how long after the call ended the disposition
	// may still be changed (15 by default); EditableUntil is when that
	// ends (nil while the call has not ended).
	EditWindowMinutes int        `json:"edit_window_minutes"`
	EditableUntil     *time.Time `json:"editable_until"`
	Editable          bool       `json:"editable"`
}

// DispositionType is a disposition the account has (GET /dispositions).
type DispositionType struct {
	Code          string `json:"code"`
	Name          string `json:"name"`
	DispositionID int64  `json:"disposition_id"`
	// Directions are the call directions it applies to.
	Directions []string `json:"directions"`
}

// Messages of Hipcall's disposition 422s.
const (
	msgNotEditable     = "is no longer editable"
	msgWrongDirection  = "does not apply to this call"
	fieldDisposition   = "disposition"
	fieldDirection     = "direction"
	fieldDispositionCd = "disposition_code"
)

// SetDisposition sets the call's disposition to the one with the code (as
// GET /dispositions lists it). Setting it is idempotent (a PUT), so it is
// retried like a GET. Past the account's edit window (15 minutes after
// the call ended) Hipcall refuses it with a 422 for which IsNotEditable
// holds; a disposition made for the other direction is a 422 for which
// IsWrongDirection holds. (A retry that lands just after the window
// closes gets the first of these although an earlier attempt may have set
// it.)
func (c *Client) SetDisposition(ctx context.Context, callUUID, code string) (Disposition, error) {
	params, err := callParams("set disposition", callUUID)
	if err != nil {
		return Disposition{}, err
	}
	if strings.TrimSpace(code) == "" {
		return Disposition{}, fmt.Errorf("hipcall: set disposition of call %s: the code is empty; fix hipcall.after_call.actions[..].disposition: %w", callUUID, ErrInvalidInput)
	}
	var out Disposition
	err = c.do(ctx, request{
		method: http.MethodPut,
		route:  "/calls/{uuid}/disposition",
		params: params,
		body:   map[string]string{"disposition_code": code},
		advice: func(e *APIError) string {
			switch {
			case e.Status == http.StatusNotFound:
				return fmt.Sprintf("Hipcall has no call %s: the uuid must come from Hipcall's webhook", callUUID)
			case e.hasField(fieldDisposition, msgNotEditable):
				return "Hipcall accepts a disposition only within the account's edit window (15 minutes after the call ended): set it sooner after the call, or by hand in Hipcall"
			case e.hasField(fieldDirection, msgWrongDirection):
				return fmt.Sprintf("disposition %q is not made for this call's direction: use one whose directions include it (see GET /dispositions), or fix hipcall.after_call.actions[..].disposition", code)
			case e.Status == http.StatusUnprocessableEntity && len(e.Fields[fieldDispositionCd]) > 0:
				return fmt.Sprintf("Hipcall has no disposition %q: create it in Hipcall's panel or fix hipcall.after_call.actions[..].disposition", code)
			}
			return ""
		},
	}, &out)
	return out, err
}

// ListDispositions returns every disposition the account has, paging
// through GET /dispositions.
func (c *Client) ListDispositions(ctx context.Context) ([]DispositionType, error) {
	var all []DispositionType
	for offset := 0; ; {
		q := url.Values{"limit": {strconv.Itoa(MaxLimit)}}
		if offset > 0 {
			q.Set("offset", strconv.Itoa(offset))
		}
		p, err := list[DispositionType](ctx, c, "/dispositions", q)
		if err != nil {
			return nil, err
		}
		all = append(all, p.Data...)
		offset += len(p.Data)
		if len(p.Data) == 0 || offset >= p.Meta.Count {
			return all, nil
		}
	}
}

// IsNotEditable reports whether err is Hipcall's 422 for a disposition set
// past the account's edit window.
func IsNotEditable(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity && ae.hasField(fieldDisposition, msgNotEditable)
}

// IsWrongDirection reports whether err is Hipcall's 422 for a disposition
// that does not apply to the call's direction.
func IsWrongDirection(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity && ae.hasField(fieldDirection, msgWrongDirection)
}

// TaskRequest is the task POST /tasks creates. Name is required (Hipcall
// answers a task without one with a 400); zero fields are left out.
type TaskRequest struct {
	Name        string
	Description string
	// AssignToUserID is the Hipcall user to assign it to; 0 for none.
	AssignToUserID int64
	// DueDate is sent as RFC 3339 in UTC with a Z; zero for none.
	DueDate    time.Time
	ContactIDs []int64
	CompanyIDs []int64
	Priority   string
}

// MarshalJSON writes the task as POST /tasks takes it: {"data":{...}}.
func (t TaskRequest) MarshalJSON() ([]byte, error) {
	type data struct {
		Name           string  `json:"name,omitempty"`
		Description    string  `json:"description,omitempty"`
		AssignToUserID int64   `json:"assign_to_user_id,omitempty"`
		DueDate        string  `json:"due_date,omitempty"`
		ContactIDs     []int64 `json:"contact_ids,omitempty"`
		CompanyIDs     []int64 `json:"company_ids,omitempty"`
		Priority       string  `json:"priority,omitempty"`
	}
	d := data{Name: t.Name, Description: t.Description, AssignToUserID: t.AssignToUserID,
		ContactIDs: t.ContactIDs, CompanyIDs: t.CompanyIDs, Priority: t.Priority}
	if !t.DueDate.IsZero() {
		d.DueDate = apiTime(t.DueDate)
	}
	return json.Marshal(struct {
		Data data `json:"data"`
	}{d})
}

// Task is a task as Hipcall returns it.
type Task struct {
	ID flexID `json:"id"`
}

// CreateTask creates a task and returns its id. A task is not idempotent
// (a second POST makes a second task), so it is retried only when Hipcall
// surely did not take it: after a 429, or when the request never left. On
// a *RequestError with MaybeApplied, check Hipcall's tasks before creating
// it again.
func (c *Client) CreateTask(ctx context.Context, t TaskRequest) (string, error) {
	var out Task
	err := c.do(ctx, request{
		method: http.MethodPost,
		route:  "/tasks",
		body:   t,
		advice: func(e *APIError) string {
			switch {
			case e.Status == http.StatusBadRequest && strings.Contains(strings.Join(e.Fields["data"], " "), "/data/name"):
				return "the task has no name, which Hipcall requires: check hipcall.after_call.actions[..].task's name template renders some text for this call"
			case e.Status == http.StatusBadRequest:
				return "Hipcall refused the task's shape; this is a bug in the client, report it with the message"
			case e.Status == http.StatusUnprocessableEntity && (len(e.Fields["contact_ids"]) > 0 || len(e.Fields["company_ids"]) > 0):
				return "a contact or company id of the task is unknown to Hipcall: the record may have been deleted in Hipcall; fix the ids, or create the task without them"
			case e.Status == http.StatusUnprocessableEntity:
				return "Hipcall rejected the task's fields listed; fix hipcall.after_call.actions[..].task"
			case e.Status >= 500:
				return "Hipcall failed and the task was not sent again, since a second POST would make a second task: check Hipcall's tasks before creating it again"
			}
			return ""
		},
		maybeApplied: "the task may have been created: check Hipcall's tasks before creating it again (a second POST makes a second task)",
	}, &out)
	if err != nil {
		return "", err
	}
	return string(out.ID), nil
}
