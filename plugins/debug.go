package plugins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/plugins/internal/wire"
)

// debugEnabled reports whether the environment asks for debug mode.
func debugEnabled() bool {
	switch strings.ToLower(os.Getenv(DebugEnv)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// DebugEnv names the environment variable that runs a plugin in debug
// mode: SWITCHBOARD_PLUGIN_DEBUG=1 makes Serve run the plugin standalone
// (under a debugger, say) and print a reattach config; a host given that
// config attaches to the running plugin instead of launching one.
const DebugEnv = "SWITCHBOARD_PLUGIN_DEBUG"

// ReattachEnv returns the environment variable that hands a host the
// reattach config of the connector named name: SWITCHBOARD_REATTACH_ and
// the name upper-cased, every character other than A-Z and 0-9 turned
// into "_" ("my-crm" → SWITCHBOARD_REATTACH_MY_CRM).
func ReattachEnv(name string) string { return wire.ReattachEnv(name) }

// serveDebug runs the plugin standalone until SIGINT or SIGTERM: it
// serves the connector on a local socket and prints, on out, the Reattach
// config a host needs to attach to it.
func serveDebug(newConnector func(logger hclog.Logger) connectors.Connector, out io.Writer) error {
	level := os.Getenv(LogLevelEnv)
	lvl := hclog.LevelFromString(level)
	if lvl == hclog.NoLevel {
		lvl = hclog.Debug
	}
	logger := hclog.New(&hclog.LoggerOptions{Level: lvl, Output: os.Stderr})
	impl := newConnector(logger)
	name := filepath.Base(os.Args[0])
	if d, err := impl.Describe(context.Background(), &connectors.DescribeRequest{}); err == nil && d.Name != "" {
		name = d.Name
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	reattachCh := make(chan *plugin.ReattachConfig, 1)
	closeCh := make(chan struct{})
	go plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: wire.PluginSets(impl, logger),
		GRPCServer:       wire.DefaultGRPCServer,
		Logger:           logger,
		Test: &plugin.ServeTestConfig{
			Context:          ctx,
			ReattachConfigCh: reattachCh,
			CloseCh:          closeCh,
		},
	})
	select {
	case rc := <-reattachCh:
		if rc == nil {
			return errors.New("the plugin did not start serving")
		}
		printReattach(out, name, wire.ReattachFrom(rc))
	case <-closeCh:
		return errors.New("the plugin stopped before it served")
	}
	<-closeCh
	return nil
}

// printReattach tells the author how to attach a host to the plugin. The
// last line is the config alone, for scripts.
func printReattach(w io.Writer, name string, r wire.Reattach) {
	raw, _ := json.Marshal(r)
	fmt.Fprintf(w, `Connector plugin %[1]q is running in debug mode (pid %[2]d); stop it with Ctrl-C.
Attach a switchboard host to it (instead of the host launching the plugin) through the
environment, naming the connector as your config does (here: a connector named %[1]q):

  export %[3]s='%[4]s'

or with the reattach key of the connector's entry in the config:

  connectors:
    - name: %[1]s
      plugin: %[1]s
      reattach: %[4]s

Run the plugin under a debugger the same way: %[5]s=1 dlv exec <plugin binary>
`, name, r.Pid, ReattachEnv(name), raw, DebugEnv)
	fmt.Fprintf(w, "%s\n", raw)
}
