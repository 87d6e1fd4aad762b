package plugins

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/plugins/internal/wire"
)

// LogLevelEnv names the environment variable that sets a plugin's log
// level (trace, debug, info, warn, error; default info). The host's
// manager sets it to its own level.
const LogLevelEnv = "SWITCHBOARD_PLUGIN_LOG_LEVEL"

// parentPollInterval is how often a plugin checks that its host is alive.
const parentPollInterval = 250 * time.Millisecond

// Serve runs a connector plugin: it is the whole of a plugin's main.
//
//	func main() { plugins.Serve(csv.New) }
//
// newConnector receives the plugin's logger, which writes JSON to stderr
// for the host to forward into its own log; a plugin must never write to
// stdout, which carries the go-plugin handshake. Serve exits the process
// when the host goes away, and exits with status 1 and an explanation when
// the binary is run by hand. It returns when the host shuts the plugin down.
//
// With SWITCHBOARD_PLUGIN_DEBUG=1 (DebugEnv) the plugin runs standalone
// instead, until SIGINT or SIGTERM: it prints a reattach config on stdout
// for a host to attach to it, and logs in plain text on stderr, so that it
// can run under a debugger.
func Serve(newConnector func(logger hclog.Logger) connectors.Connector) {
	if debugEnabled() {
		if err := serveDebug(newConnector, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "%s: debug mode: %v\n", filepath.Base(os.Args[0]), err)
			os.Exit(1)
		}
		return
	}
	if os.Getenv(wire.Handshake.MagicCookieKey) != wire.Handshake.MagicCookieValue {
		fmt.Fprint(os.Stderr, runByHandMessage(os.Args[0]))
		os.Exit(1)
	}

	logger := newPluginLogger(os.Stderr, os.Getenv(LogLevelEnv))
	watchParent(logger, func() {
		logger.Warn("the switchboard host process went away; plugin exiting")
		os.Exit(1)
	})

	if msg := versionMismatch(os.Getenv("PLUGIN_PROTOCOL_VERSIONS"), wire.ProtocolVersions()); msg != "" {
		logger.Error(msg)
	}
	impl := newConnector(logger)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: wire.PluginSets(impl, logger),
		GRPCServer:       wire.DefaultGRPCServer,
		Logger:           logger,
	})
}

// versionMismatch explains, from the plugin's side, a host that offers no
// connector protocol version this plugin speaks (offered is go-plugin's
// PLUGIN_PROTOCOL_VERSIONS, "1,2"); "" when they share one or the host
// did not say.
func versionMismatch(offered string, ours []int) string {
	if offered == "" {
		return ""
	}
	for _, s := range strings.Split(offered, ",") {
		for _, v := range ours {
			if strings.TrimSpace(s) == strconv.Itoa(v) {
				return ""
			}
		}
	}
	return fmt.Sprintf("the switchboard host speaks connector protocol version(s) %s, this plugin speaks %v: "+
		"the handshake will fail; use a plugin release and a switchboard release that share a protocol version",
		offered, ours)
}

// runByHandMessage explains what a plugin binary is to someone who ran it.
func runByHandMessage(argv0 string) string {
	name := filepath.Base(argv0)
	return strings.Join([]string{
		name + " is a Switchboard connector plugin, not a program to run by hand.",
		"Switchboard starts it itself for every connector in its config that uses it:",
		"run `switchboard` instead (`switchboard plugins` lists the plugins it finds).",
		"To debug the plugin, run it with " + DebugEnv + "=1: it then serves standalone and prints",
		"how to attach a switchboard host to it (docs/writing-a-connector.md).",
		"",
	}, "\n")
}

// newPluginLogger returns the plugin's logger: JSON lines on w (stderr),
// which go-plugin parses and re-logs through the host's logger, at the
// level named by level (info when empty or unknown).
func newPluginLogger(w io.Writer, level string) hclog.Logger {
	lvl := hclog.Info
	unknown := false
	if level != "" {
		if lvl = hclog.LevelFromString(level); lvl == hclog.NoLevel {
			lvl, unknown = hclog.Info, true
		}
	}
	logger := hclog.New(&hclog.LoggerOptions{
		Level:      lvl,
		Output:     w,
		JSONFormat: true,
	})
	if unknown {
		logger.Warn("unknown log level; using info (use trace, debug, info, warn or error)",
			"env", LogLevelEnv, "value", level)
	}
	return logger
}

// watchParent makes sure the plugin does not outlive its host: on Linux
// the kernel kills it when the host dies (PR_SET_PDEATHSIG), and on every
// platform a goroutine polls the parent pid and calls gone when it
// changes (the plugin was re-parented because the host died).
func watchParent(logger hclog.Logger, gone func()) {
	start := os.Getppid()
	if err := setParentDeathSignal(); err != nil {
		logger.Debug("cannot ask the kernel to kill the plugin with its host; polling only", "error", err)
	}
	// The host may have died before the signal was armed.
	if os.Getppid() != start {
		gone()
		return
	}
	go pollParent(nil, start, os.Getppid, parentPollInterval, gone)
}

// pollParent calls gone, once, when getppid stops returning start; it
// checks every interval until stop is closed.
func pollParent(stop <-chan struct{}, start int, getppid func() int, interval time.Duration, gone func()) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ticker.C:
			if getppid() != start {
				gone()
				return
			}
		}
	}
}
