package manager

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/switchboard-hq/switchboard/plugins/internal/wire"
)

// Reattach is where a plugin running in debug mode listens, as the plugin
// prints it when started with SWITCHBOARD_PLUGIN_DEBUG=1 (plugins.DebugEnv):
// a JSON object with the fields protocol ("grpc"), protocol_version, pid,
// test and addr (network "unix" or "tcp", string), also valid YAML for a
// connector's reattach: key. Spec.Reattach takes one.
type Reattach = wire.Reattach

// ReattachAddr is the listener address in a Reattach: network "unix" (a
// socket path) or "tcp" (host:port).
type ReattachAddr = wire.ReattachAddr

// reattachFromEnv fills spec.Reattach from the host's environment variable
// SWITCHBOARD_REATTACH_<NAME> (plugins.ReattachEnv) when the spec has none.
func reattachFromEnv(spec *Spec) error {
	if spec.Reattach != nil {
		return nil
	}
	env := wire.ReattachEnv(spec.Name)
	v := os.Getenv(env)
	if v == "" {
		return nil
	}
	r, err := wire.ParseReattach(v)
	if err != nil {
		return fmt.Errorf("connector %q: %s: %w (unset it to launch the plugin normally)", spec.Name, env, err)
	}
	spec.Reattach = r
	return nil
}

// reattach connects to a plugin already running in debug mode and
// describes it, instead of launching a process. The host never kills such
// a plugin (its author stops it); if it goes away, supervision tries to
// attach again with backoff.
func (m *Manager) reattach(ctx context.Context, log hclog.Logger, spec Spec) (*process, error) {
	rc, err := spec.Reattach.Config()
	if err != nil {
		return nil, fmt.Errorf("connector %q: %w", spec.Name, err)
	}
	where := fmt.Sprintf("the plugin in debug mode at %s %s (pid %d)", rc.Addr.Network(), rc.Addr.String(), rc.Pid)
	log.Warn("attaching to a plugin running in debug mode instead of launching it",
		"addr", rc.Addr.String(), "pid", rc.Pid)
	// A reattached plugin skips the handshake, so the version it serves
	// is checked here and its plugin set picked by hand.
	set, ok := wire.PluginSets(nil, nil)[rc.ProtocolVersion]
	if !ok {
		return nil, fmt.Errorf("connector %q: %s serves connector protocol version %d, but this switchboard speaks version(s) %v: "+
			"build the plugin against this switchboard's connectors and plugins packages", spec.Name, where, rc.ProtocolVersion, wire.ProtocolVersions())
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		Plugins:          set,
		Reattach:         rc,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           log,
		GRPCDialOptions:  wire.GRPCDialOptions(),
	})
	proc := &process{client: client, pid: rc.Pid, started: time.Now(), log: log}
	rpc, err := client.Client()
	if err != nil {
		proc.kill(false)
		return nil, fmt.Errorf("connector %q: cannot attach to %s: %w; is it still running? "+
			"Start it again with %s=1 and use the config it prints", spec.Name, where, err, wire.DebugEnv)
	}
	proc.rpc = rpc
	if err := proc.dispense(ctx, spec, where); err != nil {
		return nil, err
	}
	return proc, nil
}
