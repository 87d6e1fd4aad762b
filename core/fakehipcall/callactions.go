package fakehipcall

import (
	"maps"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/switchboard-hq/switchboard/core/hipcall"
)

// DefaultDispositionEditWindow is how long after a call ended its
// disposition may still be set, as Hipcall's accounts have it by default.
const DefaultDispositionEditWindow = 15 * time.Minute

// APIUserID and APIUserName are the user comments are posted as (the
// token's user).
const (
	APIUserID   = 1
	APIUserName = "API"
)

// Messages of the call routes, as Hipcall words them.
const (
	msgTooShort     = "Shorter than minimum length 1."
	msgNotEditable  = "is no longer editable"
	msgNotDirection = "does not apply to this call"
	msgBothCodeID   = "send either disposition_code or disposition_id, not both"
)

// Comment is a comment the fake accepted on a call.
type Comment struct {
	ID      int64
	Content string
	// At is when it was posted, by Options.Now.
	At time.Time
}

// Tag is a tag of the account (AddTag).
type Tag struct {
	ID   int64
	Name string
}

// DispositionType is a disposition of the account (AddDisposition).
type DispositionType struct {
	ID   int64
	Code string
	Name string
	// Directions are the call directions it applies to.
	Directions []string
}

// AppliedDisposition is a disposition set on a call.
type AppliedDisposition struct {
	DispositionType
	// At is when it was set, by Options.Now.
	At time.Time
}

// AddTag gives the account a tag (as made in Hipcall's panel), or renames
// the one with the id. POST /calls/{uuid}/tags answers 404 for a tag id
// it was not given.
func (s *Server) AddTag(id int64, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.tags[id] = name
}

// AccountTags returns the account's tags, by ascending id.
func (s *Server) AccountTags() []Tag {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Tag, 0, len(s.state.tags))
	for _, id := range sortedIDs(s.state.tags) {
		out = append(out, Tag{ID: id, Name: s.state.tags[id]})
	}
	return out
}

// AddDisposition gives the account a disposition for calls in the
// directions (inbound, outbound, internal; none means all three) and
// returns it with its disposition_id. Adding a known code changes its name
// and directions and keeps its id. The fake has no dispositions until
// given some.
func (s *Server) AddDisposition(code, name string, directions ...string) DispositionType {
	if len(directions) == 0 {
		directions = []string{hipcall.DirectionInbound, hipcall.DirectionOutbound, hipcall.DirectionInternal}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.state.dispositions {
		if d.Code == code {
			d.Name, d.Directions = name, slices.Clone(directions)
			return cloneDisposition(d)
		}
	}
	d := &DispositionType{ID: int64(len(s.state.dispositions) + 1), Code: code, Name: name, Directions: slices.Clone(directions)}
	s.state.dispositions = append(s.state.dispositions, d)
	return cloneDisposition(d)
}

// DispositionTypes returns the account's dispositions, by ascending id.
func (s *Server) DispositionTypes() []DispositionType {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]DispositionType, len(s.state.dispositions))
	for i, d := range s.state.dispositions {
		out[i] = cloneDisposition(d)
	}
	return out
}

func cloneDisposition(d *DispositionType) DispositionType {
	out := *d
	out.Directions = slices.Clone(d.Directions)
	return out
}

// Comments returns the comments posted on the call, in order: one per
// accepted POST, so its length is what an exactly-once test counts.
func (s *Server) Comments(uuid string) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec := s.state.calls[uuid]; rec != nil {
		return slices.Clone(rec.comments)
	}
	return nil
}

// Tags returns the call's tags, each once, in the order first attached.
func (s *Server) Tags(uuid string) []Tag {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.state.calls[uuid]
	if rec == nil {
		return nil
	}
	out := make([]Tag, len(rec.tags))
	for i, id := range rec.tags {
		out[i] = Tag{ID: id, Name: s.state.tags[id]}
	}
	return out
}

// Disposition returns the call's current disposition: the last one set.
func (s *Server) Disposition(uuid string) (AppliedDisposition, bool) {
	h := s.DispositionHistory(uuid)
	if len(h) == 0 {
		return AppliedDisposition{}, false
	}
	return h[len(h)-1], true
}

// DispositionHistory returns every disposition set on the call, one per
// accepted PUT, in order (its length counts the PUTs that took effect).
func (s *Server) DispositionHistory(uuid string) []AppliedDisposition {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.state.calls[uuid]
	if rec == nil {
		return nil
	}
	out := make([]AppliedDisposition, len(rec.dispositions))
	for i, d := range rec.dispositions {
		out[i] = AppliedDisposition{DispositionType: cloneDisposition(&d.DispositionType), At: d.At}
	}
	return out
}

// postComment answers POST /calls/{uuid}/comments {"content":"..."}. It
// is not idempotent: every accepted POST adds a comment.
func (s *Server) postComment(c *call) reply {
	rec := s.state.calls[c.params["uuid"]]
	if rec == nil {
		return notFound()
	}
	in, ok := object(c.body)
	if !ok {
		return detail(http.StatusBadRequest, "Bad Request")
	}
	e := fieldErrors{}
	content, present := "", false
	for _, k := range slices.Sorted(maps.Keys(in)) {
		v := in[k]
		if k != "content" {
			e.add(k, msgUnexpected)
			continue
		}
		if !isNull(v) {
			present = true
			content = str(e, k, v)
		}
	}
	switch {
	case len(e["content"]) > 0:
	case !present:
		e.add("content", msgBlank)
	case utf8.RuneCountInString(content) < 1:
		e.add("content", msgTooShort)
	}
	if len(e) > 0 {
		return invalid(e)
	}
	cm := Comment{ID: s.state.nextComment, Content: content, At: s.now()}
	s.state.nextComment++
	rec.comments = append(rec.comments, cm)
	return data(http.StatusCreated, map[string]any{
		"id":      cm.ID,
		"user":    map[string]any{"id": APIUserID, "name": APIUserName},
		"content": cm.Content,
	})
}

// postTag answers POST /calls/{uuid}/tags {"tag_id":5617}. It is
// idempotent: a tag the call has already is not added twice, and the
// answer is the same (201 with the tag; Hipcall's guides do not show the
// success body).
func (s *Server) postTag(c *call) reply {
	rec := s.state.calls[c.params["uuid"]]
	if rec == nil {
		return notFound()
	}
	in, ok := object(c.body)
	if !ok {
		return detail(http.StatusBadRequest, "Bad Request")
	}
	e := fieldErrors{}
	var id int64
	present := false
	for _, k := range slices.Sorted(maps.Keys(in)) {
		v := in[k]
		if k != "tag_id" {
			e.add(k, msgUnexpected)
			continue
		}
		if !isNull(v) {
			present = true
			n, ok := integer(v)
			if !ok {
				e.add(k, msgInvalid)
			}
			id = n
		}
	}
	if !present && len(e["tag_id"]) == 0 {
		e.add("tag_id", msgBlank)
	}
	if len(e) > 0 {
		return invalid(e)
	}
	name, ok := s.state.tags[id]
	if !ok {
		return notFound()
	}
	if !slices.Contains(rec.tags, id) {
		rec.tags = append(rec.tags, id)
	}
	return data(http.StatusCreated, map[string]any{"id": id, "name": name})
}

// putDisposition answers PUT /calls/{uuid}/disposition with
// {"disposition_code":"..."} or {"disposition_id":N}.
func (s *Server) putDisposition(c *call) reply {
	rec := s.state.calls[c.params["uuid"]]
	if rec == nil {
		return notFound()
	}
	in, ok := object(c.body)
	if !ok {
		return detail(http.StatusBadRequest, "Bad Request")
	}
	e := fieldErrors{}
	var code string
	var id int64
	hasCode, hasID := false, false
	for _, k := range slices.Sorted(maps.Keys(in)) {
		v := in[k]
		switch {
		case isNull(v) && (k == "disposition_code" || k == "disposition_id"):
		case k == "disposition_code":
			hasCode = true
			code = str(e, k, v)
		case k == "disposition_id":
			hasID = true
			n, ok := integer(v)
			if !ok {
				e.add(k, msgInvalid)
			}
			id = n
		default:
			e.add(k, msgUnexpected)
		}
	}
	switch {
	case hasCode && hasID:
		e.add("disposition_id", msgBothCodeID)
	case !hasCode && !hasID:
		e.add("disposition_code", msgBlank)
	}
	if len(e) > 0 {
		return invalid(e)
	}
	var d *DispositionType
	for _, cand := range s.state.dispositions {
		if (hasCode && cand.Code == code) || (hasID && cand.ID == id) {
			d = cand
			break
		}
	}
	switch {
	case d == nil && hasCode:
		return invalidField("disposition_code", msgNotExist)
	case d == nil:
		return invalidField("disposition_id", msgNotExist)
	case rec.row.Direction != "" && !contains(d.Directions, rec.row.Direction):
		return invalidField("direction", msgNotDirection)
	}
	window := s.opts.DispositionEditWindow
	now := s.now()
	var until *time.Time
	if rec.row.EndedAt != nil {
		u := rec.row.EndedAt.Add(window).UTC()
		until = &u
	}
	if until != nil && now.After(*until) {
		return reply{http.StatusUnprocessableEntity, map[string]any{
			"errors":   map[string][]string{"disposition": {msgNotEditable}},
			"editable": false,
		}}
	}
	rec.dispositions = append(rec.dispositions, AppliedDisposition{DispositionType: cloneDisposition(d), At: now})
	var editableUntil any
	if until != nil {
		editableUntil = until.Format(time.RFC3339)
	}
	return data(http.StatusOK, map[string]any{
		"code":                d.Code,
		"name":                d.Name,
		"disposition_id":      d.ID,
		"edit_window_minutes": int(window / time.Minute),
		"editable_until":      editableUntil,
		"editable":            true,
	})
}

// listDispositions answers GET /dispositions, by ascending id.
func (s *Server) listDispositions(c *call) reply {
	limit, offset, _, bad := pagingSort(c.query)
	if bad != nil {
		return *bad
	}
	items := make([]map[string]any, len(s.state.dispositions))
	for i, d := range s.state.dispositions {
		items[i] = map[string]any{"code": d.Code, "name": d.Name, "disposition_id": d.ID, "directions": d.Directions}
	}
	return page(items, limit, offset)
}
