package host

import (
	"github.com/switchboard-hq/switchboard/core/ringostat"
	"github.com/switchboard-hq/switchboard/core/server"
)

// ringostatOptions builds the Ringostat endpoint's options from the
// configuration, or nil when the endpoint is disabled.
func (h *Host) ringostatOptions() *server.RingostatOptions {
	rc := h.Config.Ringostat
	if !rc.Enabled {
		return nil
	}
	o := &server.RingostatOptions{
		Path:          rc.Path,
		Methods:       rc.Methods,
		Submission:    server.RingostatSubmission(rc.Submission),
		JSONRPCMethod: rc.JSONRPCMethod,
		NumberParam:   rc.NumberParam,
		Import:        server.RingostatImport(rc.Import),
		ResponseKey:   rc.ResponseKey,
		Deadline:      rc.Deadline,
		Token:         rc.Token.Reveal(),
		Default:       h.Router.Default(ringostat.TargetName),
		Router:        h.Router,
	}
	if rc.BasicAuth != nil {
		o.BasicAuth = &server.BasicAuth{Username: rc.BasicAuth.Username, Password: rc.BasicAuth.Password.Reveal()}
	}
	return o
}
