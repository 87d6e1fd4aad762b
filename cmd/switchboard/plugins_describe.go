package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/config"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/plugins"
	"github.com/switchboard-hq/switchboard/plugins/manager"
)

// pluginDescription is what `switchboard plugins describe` prints.
type pluginDescription struct {
	Plugin string `json:"plugin"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	// HostProtocols are the connector protocol versions this host speaks.
	HostProtocols []int                        `json:"host_protocol_versions"`
	Describe      *connectors.DescribeResponse `json:"describe"`
	// UsedBy lists the config's connectors served by this plugin.
	UsedBy []usedBy `json:"used_by,omitempty"`
}

type usedBy struct {
	Connector string         `json:"connector"`
	Mode      directory.Mode `json:"mode"`
}

// runPluginsDescribe is `switchboard plugins describe NAME`: launch one
// plugin, ask it to describe itself, and print everything an operator or
// an author wants to know about it.
func runPluginsDescribe(ctx context.Context, env *cliEnv, args []string) int {
	fs, cfgPath := newFlags(env, "plugins describe", "NAME")
	dir := fs.String("dir", "", "plugin directory (default: plugins.dir from the config, else bin/plugins)")
	path := fs.String("path", "", "the plugin binary itself (default: switchboard-connector-NAME in the plugin directory)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(env.stderr, "switchboard plugins describe: name one plugin (`switchboard plugins` lists them)")
		fs.Usage()
		return exitUsage
	}
	name := pos[0]

	var cfg *config.Config
	if _, err := os.Stat(*cfgPath); err == nil {
		if cfg, ok = loadConfig(env, *cfgPath); !ok {
			return exitUsage
		}
	}
	pluginDir := *dir
	if pluginDir == "" {
		pluginDir = "bin/plugins"
		if cfg != nil {
			pluginDir = cfg.Plugins.Dir
		}
	}
	m := manager.New(manager.Options{Config: manager.Config{Dir: pluginDir}, Logger: hclog.New(&hclog.LoggerOptions{Output: env.stderr, Level: hclog.Warn})})
	defer m.Shutdown()

	bin, err := m.Resolve(manager.Spec{Name: name, Plugin: name, Path: *path, AllowOutsideDir: *path != ""})
	if err != nil {
		printError(env, err)
		return exitFailed
	}
	d := pluginDescription{Plugin: name, Path: bin, HostProtocols: plugins.ProtocolVersions()}
	if d.SHA256, err = fileSHA256(bin); err != nil {
		printError(env, err)
		return exitFailed
	}
	if d.Describe, err = m.Inspect(ctx, bin); err != nil {
		printError(env, err)
		return exitFailed
	}
	if cfg != nil {
		for _, c := range cfg.Connectors {
			if c.Plugin == name {
				d.UsedBy = append(d.UsedBy, usedBy{Connector: c.Name, Mode: c.Mode})
			}
		}
	}
	if *asJSON {
		return printJSON(env, d)
	}
	printDescription(env.stdout, &d)
	return exitOK
}

// printDescription prints d as aligned "key: value" lines.
func printDescription(out io.Writer, d *pluginDescription) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	info := d.Describe
	caps := make([]string, len(info.Capabilities))
	for i, c := range info.Capabilities {
		caps[i] = string(c)
	}
	protocol := fmt.Sprintf("%d (this switchboard speaks %s)", info.ProtocolVersion, joinInts(d.HostProtocols))
	if !containsInt(d.HostProtocols, info.ProtocolVersion) {
		protocol += ": MISMATCH, rebuild the plugin against this switchboard"
	}
	modes := "mode: index (needs list_contacts or list_companies)"
	switch {
	case info.Has(connectors.CapLookup) && (info.Has(connectors.CapListContacts) || info.Has(connectors.CapListCompanies)):
		modes = "mode: index or live"
	case info.Has(connectors.CapLookup):
		modes = "mode: live only (it cannot list records)"
	case !info.Has(connectors.CapListContacts) && !info.Has(connectors.CapListCompanies):
		modes = "none: it declares neither lookup nor listing"
	}
	rows := [][2]string{
		{"plugin", d.Plugin},
		{"path", d.Path},
		{"sha256", d.SHA256 + "  (pin it with connectors[].sha256)"},
		{"name", info.Name},
		{"version", info.Version},
		{"protocol", protocol},
		{"capabilities", strings.Join(caps, ", ")},
		{"usable as", modes},
		{"description", info.Description},
	}
	for _, u := range d.UsedBy {
		rows = append(rows, [2]string{"used by", fmt.Sprintf("connector %q (mode %s)", u.Connector, u.Mode)})
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%s:\t%s\n", r[0], r[1])
	}
	w.Flush()
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading the plugin binary: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading the plugin binary %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func joinInts(vs []int) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ", ")
}

func containsInt(vs []int, v int) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}
