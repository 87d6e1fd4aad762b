package host

import (
	"context"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/routing"
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
		Default:       h.Router.DefaultFor(routing.TargetRingostat),
		Router:        h.Router,
	}
	if rc.BasicAuth != nil {
		o.BasicAuth = &server.BasicAuth{Username: rc.BasicAuth.Username, Password: rc.BasicAuth.Password.Reveal()}
	}
	return o
}

// DecideFor looks a number up and routes it for a phone system: what
// `switchboard lookup -for` prints.
func (h *Host) DecideFor(ctx context.Context, call routing.Call, target routing.Target) (directory.Result, routing.Decision) {
	res := h.Directory.Lookup(ctx, call.Caller)
	return res, h.Router.DecideFor(res, call, target)
}
