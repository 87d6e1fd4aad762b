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
	m, err := ringostat.New(ringostat.Options{Config: rc, Default: h.Router.Default(ringostat.TargetName),
		Directory: h.Directory, Router: h.Router})
	return &m, err
}
