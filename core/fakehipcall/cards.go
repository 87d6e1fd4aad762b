package fakehipcall

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"

	"github.com/switchboard-hq/switchboard/core/hipcall"
)

func (s *Server) postCard(c *call) reply {
	if !json.Valid(c.body) {
		return detail(http.StatusBadRequest, "Bad Request")
	}
	if err := hipcall.ValidateCardJSON(c.body); err != nil {
		var ce *hipcall.CardError
		if errors.As(err, &ce) {
			return invalid(map[string][]string{"card": ce.Problems})
		}
		return invalidField("card", msgInvalid)
	}
	var in struct {
		Card []hipcall.Row `json:"card"`
	}
	if err := json.Unmarshal(c.body, &in); err != nil {
		return invalidField("card", msgInvalid)
	}
	uuid := c.params["uuid"]
	// The agent's screen keeps the first card of a call; a card that
	// arrives after hangup is accepted but never shown.
	shown := !s.state.hungUp[uuid] && !slices.ContainsFunc(s.state.cards[uuid], func(r cardRecord) bool { return r.shown })
	s.state.cards[uuid] = append(s.state.cards[uuid], cardRecord{rows: in.Card, shown: shown})
	return data(http.StatusCreated, map[string]any{"call_id": uuid, "card": in.Card})
}

// Cards returns every card accepted for the call, in order.
func (s *Server) Cards(callUUID string) [][]hipcall.Row {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [][]hipcall.Row
	for _, r := range s.state.cards[callUUID] {
		out = append(out, slices.Clone(r.rows))
	}
	return out
}

// ShownCard returns the card on the agent's screen for the call: the first
// card accepted before hangup, or nil.
func (s *Server) ShownCard(callUUID string) []hipcall.Row {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.state.cards[callUUID] {
		if r.shown {
			return slices.Clone(r.rows)
		}
	}
	return nil
}

// Hangup ends the call: cards pushed afterwards are accepted but never
// shown.
func (s *Server) Hangup(callUUID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.hungUp[callUUID] = true
}
