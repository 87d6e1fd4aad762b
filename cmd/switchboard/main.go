// Command switchboard is the Switchboard host: it answers phone systems
// (Hipcall's Smart IVR web service, Ringostat's routing webhook) from CRM
// data served by connector plugins, pushes Insight Cards, and syncs the CRM
// into Hipcall.
//
//	switchboard serve    [-config switchboard.yaml]
//	switchboard validate [-config switchboard.yaml] [-print]
//	switchboard lookup   [-config switchboard.yaml] [-json] [-number N] [-for hipcall|ringostat] NUMBER
//	switchboard plugins  [-config switchboard.yaml] [-dir DIR]
//	switchboard plugins describe [-config switchboard.yaml] [-dir DIR] [-path BIN] [-json] NAME
//	switchboard fake-hipcall [-listen 127.0.0.1:5010] [-token T]
//	switchboard sync     [-config switchboard.yaml] [-dry-run] [-full] [-companies] [-contacts] [-connector NAME] [-json]
//	switchboard calls    [-config switchboard.yaml] [-since 24h] [-failed] [-json] [-limit N]
//	switchboard calls retry [-config switchboard.yaml] [-force] JOB_ID|UUID/STEP
//	switchboard version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/switchboard-hq/switchboard/core/config"
	"github.com/switchboard-hq/switchboard/core/host"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1 // the command ran and failed
	exitUsage  = 2 // bad command line or bad configuration
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *cliEnv, args []string) int
}

// cliEnv is what a command may touch: its streams, so tests can run main's
// logic in-process.
type cliEnv struct {
	stdout, stderr io.Writer
}

var commands = []command{
	{"serve", "serve the phone system's requests until interrupted", runServe},
	{"validate", "load and check a configuration and its plugins' configs, without serving", runValidate},
	{"lookup", "look a number up and print the match and the routing decision", runLookup},
	{"plugins", "list the plugins found and what they describe (plugins describe NAME: one in detail)", runPlugins},
	{"connector", "run the read-only conformance checks live against a configured connector (connector test NAME)", runConnector},
	{"fake-hipcall", "serve a fake Hipcall API on loopback and print the Insight Cards it receives", runFakeHipcall},
	{"sync", "write the CRM's companies and contacts into Hipcall (by external_id, fewest requests)", runSync},
	{"calls", "list recent calls and their post-call steps from the journal (calls retry JOB: run one again)", runCalls},
	{"doctor", "diagnose the CRM data: unreadable and shared numbers, external_id collisions, values rules need", runDoctor},
	{"version", "print the version", runVersion},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &cliEnv{stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, env *cliEnv, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(env.stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, env, args[1:])
		}
	}
	fmt.Fprintf(env.stderr, "switchboard: unknown command %q\n\n", args[0])
	usage(env.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: switchboard <command> [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun `switchboard <command> -h` for a command's flags.")
}

// newFlags makes a command's flag set with the common -config flag.
func newFlags(env *cliEnv, name, argsUsage string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	cfg := fs.String("config", defaultConfig(), "configuration file (env SWITCHBOARD_CONFIG)")
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: switchboard %s [flags] %s\n\nFlags:\n", name, argsUsage)
		fs.PrintDefaults()
	}
	return fs, cfg
}

func defaultConfig() string {
	if v := os.Getenv("SWITCHBOARD_CONFIG"); v != "" {
		return v
	}
	return "switchboard.yaml"
}

// parseFlags parses args, allowing flags after positional arguments
// (`lookup +4420... -json`).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, 0, true
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// loadConfig loads the file and prints every problem on failure.
func loadConfig(env *cliEnv, path string) (*config.Config, bool) {
	cfg, err := config.Load(path)
	if err != nil {
		printError(env, err)
		return nil, false
	}
	return cfg, true
}

// loadHost loads the configuration at path and builds the host from it. On
// failure it prints why and returns the exit code, with ok false.
func loadHost(ctx context.Context, env *cliEnv, path string, opts host.Options) (h *host.Host, code int, ok bool) {
	cfg, ok := loadConfig(env, path)
	if !ok {
		return nil, exitUsage, false
	}
	h, err := host.Build(ctx, cfg, opts)
	if err != nil {
		printError(env, err)
		return nil, exitFor(err), false
	}
	return h, exitOK, true
}

// printError prints err; configuration problems one per line.
func printError(env *cliEnv, err error) {
	var ps *config.Problems
	if errors.As(err, &ps) {
		fmt.Fprintln(env.stderr, ps.Error())
		fmt.Fprintf(env.stderr, "%d problem(s) found\n", len(ps.List))
		return
	}
	fmt.Fprintf(env.stderr, "switchboard: %v\n", err)
}

// exitFor maps a build error to an exit status.
func exitFor(err error) int {
	var ps *config.Problems
	if errors.As(err, &ps) {
		return exitUsage
	}
	return exitFailed
}
