package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/plugins/manager"
)

// numberList is a repeatable -number flag.
type numberList []string

func (n *numberList) String() string     { return strings.Join(*n, ",") }
func (n *numberList) Set(v string) error { *n = append(*n, v); return nil }

// runConnector is `switchboard connector test NAME`: the read-only
// conformance checks (connectortest.Live), live against one connector of
// the configuration, started as the host starts it. It never writes to
// the CRM. Exit 0 when every check passes, 1 otherwise.
func runConnector(ctx context.Context, env *cliEnv, args []string) int {
	if len(args) == 0 || args[0] != "test" {
		fmt.Fprintln(env.stderr, "Usage: switchboard connector test NAME [-config FILE] [-number N ...]")
		return exitUsage
	}
	fs, cfgPath := newFlags(env, "connector test", "NAME")
	var numbers numberList
	fs.Var(&numbers, "number", "a number to look up (repeatable; default: numbers from the listed sample)")
	pages := fs.Int("pages", 20, "the most pages of each list to walk")
	pageSize := fs.Int("page-size", 100, "the page size to ask for")
	timeout := fs.Duration("timeout", 30*time.Second, "bound on each call")
	pos, code, ok := parseFlags(fs, args[1:])
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(env.stderr, "switchboard connector test: name one connector of the configuration")
		fs.Usage()
		return exitUsage
	}
	cfg, ok := loadConfig(env, *cfgPath)
	if !ok {
		return exitUsage
	}
	var names []string
	for i := range cfg.Connectors {
		c := &cfg.Connectors[i]
		names = append(names, c.Name)
		if c.Name != pos[0] {
			continue
		}
		block, err := c.ConfigYAML()
		if err != nil {
			fmt.Fprintf(env.stderr, "switchboard: connector %q: config block: %v\n", c.Name, err)
			return exitFailed
		}
		m := manager.New(manager.Options{Config: cfg.Plugins, Logger: hclog.New(&hclog.LoggerOptions{Output: env.stderr, Level: hclog.Warn})})
		defer m.Shutdown()
		spec := c.LaunchConfig.Spec(c.Name)
		spec.Config, spec.DefaultRegion, spec.BaseDir = block, cfg.Phone.DefaultRegion, cfg.BaseDir
		p, err := m.Start(ctx, spec)
		var ce *manager.ConfigError
		switch {
		case errors.As(err, &ce):
			fmt.Fprintf(env.stdout, "connector %q (%s plugin): the connector refused its config:\n", c.Name, c.Plugin)
			for _, pr := range ce.Problems {
				fmt.Fprintf(env.stdout, "  config.%s: %s\n", pr.Path, pr.Message)
			}
			fmt.Fprintln(env.stdout, "FAIL")
			return exitFailed
		case err != nil:
			printError(env, err)
			return exitFailed
		}
		defer p.Stop()
		fmt.Fprintf(env.stdout, "connector %q (%s plugin, %s), read-only checks; nothing is written to the CRM\n\n", c.Name, c.Plugin, p.Path())
		rep := connectortest.Live(ctx, p, connectortest.LiveOptions{
			Region: cfg.Phone.DefaultRegion, Numbers: numbers, PageSize: *pageSize, MaxPages: *pages, CallTimeout: *timeout,
		})
		rep.Print(env.stdout)
		if !rep.OK() {
			fmt.Fprintln(env.stdout, "\nFAIL")
			return exitFailed
		}
		fmt.Fprintln(env.stdout, "\nPASS")
		return exitOK
	}
	fmt.Fprintf(env.stderr, "switchboard connector test: no connector %q in %s (it has: %s)\n", pos[0], *cfgPath, strings.Join(names, ", "))
	return exitUsage
}
