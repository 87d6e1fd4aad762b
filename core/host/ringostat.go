package host

import (
	"github.com/switchboard-hq/switchboard/core/ringostat"
	"github.com/switchboard-hq/switchboard/core/server"
)

// ringostatMount builds the Ringostat endpoint from the configuration, or
// nil when the endpoint is disabled.
func (h *Host) ringostatMount() (*server.Mount, error) {
	rc := h.Config.Ringostat
	if !rc.Enabled {
		return nil, nil
	}
	o := ringostat.Options{
		Path:          rc.Path,
		Methods:       rc.Methods,
		Submission:    ringostat.Submission(rc.Submission),
		JSONRPCMethod: rc.JSONRPCMethod,
		NumberParam:   rc.NumberParam,
		Import:        ringostat.Import(rc.Import),
		ResponseKey:   rc.ResponseKey,
		Deadline:      rc.Deadline,
		Token:         rc.Token.Reveal(),
		Default:       h.Router.Default(ringostat.TargetName),
		Directory:     h.Directory,
		Router:        h.Router,
	}
	if rc.BasicAuth != nil {
		o.BasicAuth = &server.BasicAuth{Username: rc.BasicAuth.Username, Password: rc.BasicAuth.Password.Reveal()}
	}
	m, err := ringostat.New(o)
	return &m, err
}
