package fakehipcall

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/core/hipcall"
)

// callRecord is a call AddCall stored, with what the API attached to it.
type callRecord struct {
	seq int64 // insertion order, the tie-break of equal start times
	// fields is the row as GET /calls shows it, in the webhook's field
	// names; row is the same read as the client reads it.
	fields map[string]any
	row    hipcall.CallRow

	comments     []Comment
	tags         []int64 // tag ids, in the order first attached
	dispositions []AppliedDisposition
	recording    *recording
}

// canonicalCall renders a row with every field of the webhook's call
// payload that CallRow reads (uuid, direction, caller_number, ...,
// started_at, ended_at, missing_call, user_id, record_url, ...): empty
// strings and nil pointers as null, times as RFC 3339 UTC, and the ids of
// users, contacts, companies and voicemails as JSON integers when they are
// whole numbers.
func canonicalCall(r *hipcall.CallRow) map[string]any {
	str := func(s string) any { return orNull(s) }
	id := func(s string) any {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
		return orNull(s)
	}
	tm := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	num := func(n *int64) any {
		if n == nil {
			return nil
		}
		return *n
	}
	var missing any
	if r.MissingCall != nil {
		missing = *r.MissingCall
	}
	return map[string]any{
		"uuid": r.UUID, "direction": str(r.Direction),
		"caller_number": str(r.CallerNumber), "callee_number": str(r.CalleeNumber),
		"caller_type": str(r.CallerType), "callee_type": str(r.CalleeType),
		"caller_id": str(r.CallerID), "callee_id": str(r.CalleeID),
		"started_at": tm(r.StartedAt), "answered_at": tm(r.AnsweredAt),
		"bridged_at": tm(r.BridgedAt), "ended_at": tm(r.EndedAt),
		"call_duration": num(r.CallDuration), "first_touch_duration": num(r.FirstTouchDuration),
		"missing_call": missing, "missing_call_reason": str(r.MissingCallReason), "hangup_by": str(r.HangupBy),
		"channel_type": str(r.ChannelType), "channel_id": str(r.ChannelID), "number_id": str(r.NumberID),
		"user_id": id(r.UserID), "contact_id": id(r.ContactID), "company_id": id(r.CompanyID),
		"record_url": str(r.RecordURL), "voicemail_url": str(r.VoicemailURL), "voicemail_id": id(r.VoicemailID),
		"related_id": str(r.RelatedID), "related_type": str(r.RelatedType),
	}
}

// callFields turns what AddCall takes into the row's fields and the row.
func callFields(call any) (map[string]any, hipcall.CallRow) {
	var fields map[string]any
	switch v := call.(type) {
	case hipcall.CallRow:
		fields = canonicalCall(&v)
	case *hipcall.CallRow:
		fields = canonicalCall(v)
	case map[string]any:
		raw, err := json.Marshal(v)
		if err != nil {
			panic(fmt.Sprintf("fake hipcall: AddCall: the map does not encode as JSON: %v", err))
		}
		fields = overlay(raw)
	case json.RawMessage:
		fields = overlay(v)
	case []byte:
		fields = overlay(v)
	default:
		panic(fmt.Sprintf("fake hipcall: AddCall takes a hipcall.CallRow, a map[string]any or a JSON object ([]byte), not %T", call))
	}
	raw, err := json.Marshal(fields)
	if err != nil {
		panic(fmt.Sprintf("fake hipcall: AddCall: %v", err))
	}
	var row hipcall.CallRow
	if err := json.Unmarshal(raw, &row); err != nil {
		panic(fmt.Sprintf("fake hipcall: AddCall: %v", err))
	}
	if row.UUID == "" {
		panic("fake hipcall: AddCall: the call has no uuid; give it the uuid the webhooks carry")
	}
	fields["uuid"] = row.UUID
	return fields, row
}

// overlay reads a JSON object as a call: every field canonicalCall shows
// (null when absent), overlaid with the object's own values, kept as sent
// (numbers included), so that extra fields (call_flow, ...) show too.
func overlay(raw []byte) map[string]any {
	var row hipcall.CallRow
	if err := json.Unmarshal(raw, &row); err != nil {
		panic(fmt.Sprintf("fake hipcall: AddCall: the call is not a JSON object: %v", err))
	}
	fields := canonicalCall(&row)
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		panic(fmt.Sprintf("fake hipcall: AddCall: %v", err))
	}
	maps.Copy(fields, m)
	return fields
}

// AddCall stores a call for GET /calls and for the routes that act on a
// call (comments, tags, disposition), which answer 404 for a uuid it was
// not given. The call is one of:
//
//   - a hipcall.CallRow (or a pointer to one);
//   - a map[string]any in the field names of Hipcall's call webhook
//     payload (core/webhook's Call: "uuid", "direction", "started_at",
//     "ended_at", "missing_call", "user_id", ...), values as the webhook
//     sends them;
//   - the JSON object itself ([]byte or json.RawMessage), such as a
//     webhook's data object.
//
// Every row shows every field of the webhook's call (null when not given)
// plus any other field a map or JSON object had. The filters of GET /calls
// and the disposition's edit window read started_at, direction,
// missing_call and ended_at as the client reads them (RFC 3339 or unix
// seconds; a time without a zone is UTC). Adding a call whose uuid is
// known replaces its fields and keeps what was attached to it. It returns
// the call as the client reads it, and panics when the call has no uuid
// or is of another type.
func (s *Server) AddCall(call any) hipcall.CallRow {
	fields, row := callFields(call)
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.state.calls[row.UUID]
	if rec == nil {
		rec = &callRecord{seq: s.state.nextCallSeq}
		s.state.nextCallSeq++
		s.state.calls[row.UUID] = rec
	}
	rec.fields, rec.row = fields, row
	return row
}

// Call returns the stored call with the uuid, as the client reads it (its
// record_url as AddCall was given it).
func (s *Server) Call(uuid string) (hipcall.CallRow, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.state.calls[uuid]
	if !ok {
		return hipcall.CallRow{}, false
	}
	return rec.row, true
}

// render returns the call's row as GET /calls answers it; a call with a
// recording gets a freshly signed record_url.
func (s *Server) render(rec *callRecord, origin string) map[string]any {
	out := maps.Clone(rec.fields)
	if rec.recording != nil {
		out["record_url"] = s.issueLink(rec.row.UUID, origin)
	}
	return out
}

// callsSorts are the sorts GET /calls accepts.
var callsSorts = []string{hipcall.SortStartedAsc, hipcall.SortStartedDesc}

// queryTime reads a started_at bound: ISO-8601 in UTC with a Z.
func queryTime(e fieldErrors, q map[string][]string, key string) *time.Time {
	vs, ok := q[key]
	if !ok {
		return nil
	}
	v := ""
	if len(vs) > 0 {
		v = vs[0]
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil || !strings.HasSuffix(v, "Z") {
		e.add(key, msgInvalid)
		return nil
	}
	return &t
}

func validDirection(d string) bool {
	return d == hipcall.DirectionInbound || d == hipcall.DirectionOutbound || d == hipcall.DirectionInternal
}

// listCalls answers GET /calls: started_at[gte] and [lte] (inclusive),
// missing_call[eq], direction[eq] and direction[in] filter; sort is
// started_at.desc (the default, newest first) or started_at.asc; calls
// started at the same time keep the order they were added in (reversed
// by desc).
func (s *Server) listCalls(c *call) reply {
	limit, offset, sort, bad := pagingSort(c.query, callsSorts...)
	if bad != nil {
		return *bad
	}
	e := fieldErrors{}
	from := queryTime(e, c.query, "started_at[gte]")
	to := queryTime(e, c.query, "started_at[lte]")
	var missing *bool
	if c.query.Has("missing_call[eq]") {
		switch c.query.Get("missing_call[eq]") {
		case "true":
			missing = ptr(true)
		case "false":
			missing = ptr(false)
		default:
			e.add("missing_call[eq]", msgInvalid)
		}
	}
	var dirEq string
	if c.query.Has("direction[eq]") {
		dirEq = c.query.Get("direction[eq]")
		if !validDirection(dirEq) {
			e.add("direction[eq]", msgInvalid)
		}
	}
	var dirIn []string
	if c.query.Has("direction[in]") {
		dirIn = strings.Split(c.query.Get("direction[in]"), ",")
		if slices.ContainsFunc(dirIn, func(d string) bool { return !validDirection(d) }) {
			e.add("direction[in]", msgInvalid)
		}
	}
	if len(e) > 0 {
		return invalid(e)
	}
	var recs []*callRecord
	for _, rec := range s.state.calls {
		r := &rec.row
		switch {
		case from != nil && (r.StartedAt == nil || r.StartedAt.Before(*from)),
			to != nil && (r.StartedAt == nil || r.StartedAt.After(*to)),
			missing != nil && (r.MissingCall == nil || *r.MissingCall != *missing),
			dirEq != "" && r.Direction != dirEq,
			dirIn != nil && !contains(dirIn, r.Direction):
			continue
		}
		recs = append(recs, rec)
	}
	slices.SortFunc(recs, func(a, b *callRecord) int {
		if c := startedAt(a).Compare(startedAt(b)); c != 0 {
			return c
		}
		return int(a.seq - b.seq)
	})
	if sort != hipcall.SortStartedAsc {
		slices.Reverse(recs)
	}
	// Only the page's rows are rendered: rendering signs recording links.
	start := min(offset, len(recs))
	end := min(start+limit, len(recs))
	items := make([]map[string]any, 0, end-start)
	for _, rec := range recs[start:end] {
		items = append(items, s.render(rec, c.origin))
	}
	return reply{http.StatusOK, map[string]any{
		"data": items,
		"meta": map[string]int{"count": len(recs), "offset": offset, "limit": limit},
	}}
}

func startedAt(rec *callRecord) time.Time {
	if rec.row.StartedAt == nil {
		return time.Time{}
	}
	return *rec.row.StartedAt
}

func ptr[T any](v T) *T { return &v }

func (s *Server) listExtensions(c *call) reply {
	limit, offset, bad := paging(c.query)
	if bad != nil {
		return *bad
	}
	return page(s.state.extensions, limit, offset)
}
