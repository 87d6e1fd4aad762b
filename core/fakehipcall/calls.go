package fakehipcall

import (
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/core/hipcall"
)

func (s *Server) listCalls(c *call) reply {
	limit, offset, bad := paging(c.query)
	if bad != nil {
		return *bad
	}
	e := fieldErrors{}
	var from time.Time
	if c.query.Has("started_at[gte]") {
		t, err := time.Parse(time.RFC3339, c.query.Get("started_at[gte]"))
		if err != nil {
			e.add("started_at[gte]", msgInvalid)
		}
		from = t
	}
	var dirs []string
	if c.query.Has("direction[in]") {
		dirs = strings.Split(c.query.Get("direction[in]"), ",")
		for _, d := range dirs {
			if d != hipcall.DirectionInbound && d != hipcall.DirectionOutbound && d != hipcall.DirectionInternal {
				e.add("direction[in]", msgInvalid)
				break
			}
		}
	}
	if len(e) > 0 {
		return invalid(e)
	}
	var items []hipcall.Call
	for _, id := range sortedIDs(s.state.calls) {
		call := s.state.calls[id]
		if !from.IsZero() && call.StartedAt.Before(from) {
			continue
		}
		if dirs != nil && !contains(dirs, call.Direction) {
			continue
		}
		items = append(items, *call)
	}
	return page(items, limit, offset)
}

func (s *Server) listExtensions(c *call) reply {
	limit, offset, bad := paging(c.query)
	if bad != nil {
		return *bad
	}
	return page(s.state.extensions, limit, offset)
}
