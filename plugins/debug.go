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
	described := ""
	if d, err := impl.Describe(context.Background(), &connectors.DescribeRequest{}); err == nil {
		described = d.Name
	}
	names := debugNamesFor(os.Args, described)

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
		printReattach(out, names, wire.ReattachFrom(rc))
	case <-closeCh:
		return errors.New("the plugin stopped before it served")
	}
	<-closeCh
	return nil
}

// debugNames are the names the debug-mode hint needs. The host finds a
// reattach config under its connector's name (connectors[].name), which
// the plugin cannot know: the author may pass it as the first argument,
// and otherwise the hint shows the common case, a connector named like
// its plugin, and says how to name the variable for any other name.
type debugNames struct {
	// plugin is what a config's plugin: key names: the binary's name
	// after "switchboard-connector-", else the name the connector
	// describes itself with, else the binary's name.
	plugin string
	// connector is the connector's name in the config: the first
	// argument, else plugin.
	connector string
	// given is true when connector came from the argument.
	given bool
}

// debugNamesFor reads the names from the plugin's arguments and the name
// its connector describes itself with.
func debugNamesFor(args []string, described string) debugNames {
	var n debugNames
	if len(args) > 0 {
		base := strings.TrimSuffix(filepath.Base(args[0]), ".exe")
		if plugin, ok := strings.CutPrefix(base, binaryPrefix); ok && plugin != "" {
			n.plugin = plugin
		} else if described != "" {
			n.plugin = described
		} else {
			n.plugin = base
		}
	}
	n.connector = n.plugin
	if len(args) > 1 && args[1] != "" {
		n.connector, n.given = args[1], true
	}
	return n
}

// binaryPrefix starts a plugin binary's name (plugins/manager.BinaryPrefix,
// which this package cannot import).
const binaryPrefix = "switchboard-connector-"

// printReattach tells the author how to attach a host to the plugin. The
// last line is the config alone, for scripts.
func printReattach(w io.Writer, n debugNames, r wire.Reattach) {
	raw, _ := json.Marshal(r)
	named := fmt.Sprintf("here: the connector named %q", n.connector)
	if !n.given {
		named = fmt.Sprintf("here for a connector named %q like its plugin; for another name, run the plugin "+
			"with that name as its argument, or name the variable %s<NAME> yourself", n.connector, wire.ReattachEnvPrefix)
	}
	fmt.Fprintf(w, `Connector plugin %[1]q is running in debug mode (pid %[2]d); stop it with Ctrl-C.
Attach a switchboard host to it (instead of the host launching the plugin) through the
environment variable named after the connector's name in your config, connectors[].name
(%[3]s):

  export %[4]s='%[5]s'

or with the reattach key of the connector's entry in the config:

  connectors:
    - name: %[6]s
      plugin: %[1]s
      reattach: %[5]s

Run the plugin under a debugger the same way: %[7]s=1 dlv exec <plugin binary> [-- <connector name>]
`, n.plugin, r.Pid, named, ReattachEnv(n.connector), raw, n.connector, DebugEnv)
	fmt.Fprintf(w, "%s\n", raw)
}
