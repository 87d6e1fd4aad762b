package hipcall

import "github.com/switchboard-hq/switchboard/core/lenient"

// flexID is an id Hipcall may send as a number or as a string; it keeps
// its text.
type flexID string

func (id *flexID) UnmarshalJSON(b []byte) error {
	*id = flexID(lenient.String(b))
	return nil
}
