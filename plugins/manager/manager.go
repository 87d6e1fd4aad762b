// Package manager is the host side of the connector plugin wire: it finds
// plugin binaries, launches them with hashicorp/go-plugin, configures them,
// and supervises them (health pings, restart with backoff) while handing
// out a stable connectors.Connector for each configured connector.
package manager

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/connectors"
)

// BinaryPrefix starts the file name of every connector plugin binary:
// plugin "csv" is the file switchboard-connector-csv in the plugin
// directory (with ".exe" on Windows).
const BinaryPrefix = "switchboard-connector-"

// BinaryName returns the file name of the binary of plugin name.
func BinaryName(name string) string {
	if runtime.GOOS == "windows" {
		return BinaryPrefix + name + ".exe"
	}
	return BinaryPrefix + name
}

// Defaults for the zero values of Options.
const (
	DefaultStartTimeout      = 10 * time.Second
	DefaultResetBackoffAfter = time.Minute
)

// Options configures a Manager. Zero durations take the defaults (DefaultConfig
// and the constants above).
type Options struct {
	// Config is the plugins section; zero fields take DefaultConfig's
	// values.
	Config
	// Logger is the host's logger; each plugin logs (and has its own log
	// lines forwarded) under the sub-logger "plugin.<instance name>".
	Logger hclog.Logger
	// Registerer receives the plugin metrics; nil disables them.
	Registerer prometheus.Registerer
	// StartTimeout bounds a launch's handshake and Describe; Configure has
	// Config.ConfigureTimeout.
	StartTimeout time.Duration
	// ResetBackoffAfter is how long a plugin must stay up for the next
	// restart to start again from RestartBackoffMin.
	ResetBackoffAfter time.Duration
}

func (o *Options) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	dc := DefaultConfig()
	def(&o.HealthInterval, dc.HealthInterval)
	def(&o.HealthTimeout, dc.HealthTimeout)
	def(&o.RestartBackoffMin, dc.RestartBackoffMin)
	def(&o.RestartBackoffMax, dc.RestartBackoffMax)
	def(&o.ConfigureTimeout, dc.ConfigureTimeout)
	def(&o.StartTimeout, DefaultStartTimeout)
	def(&o.ResetBackoffAfter, DefaultResetBackoffAfter)
	if o.RestartBackoffMax < o.RestartBackoffMin {
		o.RestartBackoffMax = o.RestartBackoffMin
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
}

// Spec describes one connector instance to run as a plugin.
type Spec struct {
	// Name is the instance name from the config ("customers").
	Name string
	// Plugin is the plugin name ("csv"): <Dir>/switchboard-connector-csv.
	Plugin string
	// Path, when set, is the plugin binary to run instead of the one in
	// Dir. A relative path is taken from the working directory: the host
	// resolves it against its config file's directory first.
	Path string
	// AllowOutsideDir lets the binary be outside Dir. Without it, a binary
	// whose real path (symbolic links resolved) is not inside Dir's real
	// path is refused: whoever can edit the config must not thereby be able
	// to run any program on the machine.
	AllowOutsideDir bool
	// SHA256, when set, pins the binary's hex SHA-256; a launch of any
	// other binary is refused.
	SHA256 string
	// Config is the connector's YAML block, sent with Configure on every
	// (re)start.
	Config []byte
	// DefaultRegion and BaseDir are passed to Configure as they are.
	DefaultRegion, BaseDir string
	// ValidateOnly is passed to Configure: the connector checks its block
	// without opening files or connections (`switchboard validate`).
	ValidateOnly bool
	// ListedOnly is passed to Configure: the host indexes the connector's
	// records itself (mode: index), so the connector may keep less.
	ListedOnly bool
	// Env is extra environment ("KEY=value") for the plugin process. The
	// plugin does not inherit the host's environment: it gets PATH, HOME,
	// TMPDIR, LANG, LC_ALL and TZ (where set), the variables PassEnv names
	// and Env.
	Env []string
	// PassEnv names host environment variables passed to the plugin as
	// they are (when set): those the plugin reads itself. Besides these,
	// a top-level setting of Config whose key ends in "_env" (dsn_env:
	// CRM_DSN) names a variable that is passed.
	PassEnv []string
	// Reattach, when set, attaches to a plugin already running in debug
	// mode (see wire.DebugEnv) instead of launching the binary. When
	// nil, the host's environment variable wire.ReattachEnv(Name) is
	// read instead. A reattached plugin is never killed by the host.
	Reattach *Reattach
}

// Found is a plugin binary found in the plugin directory.
type Found struct {
	// Plugin is the plugin name ("csv").
	Plugin string
	// Path is the binary.
	Path string
}

// Manager launches and supervises connector plugins. Its methods are safe
// for concurrent use.
type Manager struct {
	opts    Options
	log     hclog.Logger
	metrics *metrics

	mu      sync.Mutex
	plugins map[*Plugin]struct{}
	closed  bool
	wg      sync.WaitGroup // one per running supervisor

	// sweep removes dead hosts' socket directories, before the first launch.
	sweep sync.Once
}

// New returns a Manager. It starts nothing until Start.
func New(opts Options) *Manager {
	opts.setDefaults()
	return &Manager{
		opts:    opts,
		log:     opts.Logger,
		metrics: newMetrics(opts.Registerer, opts.Logger),
		plugins: make(map[*Plugin]struct{}),
	}
}

// Discover lists the plugin binaries in the plugin directory, sorted by
// plugin name. Files that are not executable are skipped.
func (m *Manager) Discover() ([]Found, error) {
	if m.opts.Dir == "" {
		return nil, errors.New("no plugin directory configured: set the plugin directory in the config")
	}
	entries, err := os.ReadDir(m.opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("reading plugin directory %s: %w (build the plugins with `make build`, or fix the plugin directory in the config)", m.opts.Dir, err)
	}
	var found []Found
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, BinaryPrefix) || e.IsDir() {
			continue
		}
		plugin := strings.TrimPrefix(name, BinaryPrefix)
		if runtime.GOOS == "windows" {
			var ok bool
			if plugin, ok = strings.CutSuffix(plugin, ".exe"); !ok {
				continue
			}
		}
		path := filepath.Join(m.opts.Dir, name)
		info, err := os.Stat(path) // follows symlinks
		if err != nil || !info.Mode().IsRegular() || !executable(info) || plugin == "" {
			continue
		}
		found = append(found, Found{Plugin: plugin, Path: path})
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Plugin < found[j].Plugin })
	return found, nil
}

func executable(info fs.FileInfo) bool {
	return runtime.GOOS == "windows" || info.Mode().Perm()&0o111 != 0
}

// Resolve returns the absolute path of the binary spec runs: spec.Path
// when set, else <Dir>/switchboard-connector-<spec.Plugin>. It fails with
// a message naming the path tried when there is no runnable file there,
// and, unless spec.AllowOutsideDir, when the binary is not inside Dir once
// symbolic links are resolved (a link in Dir pointing elsewhere, a path
// with ../ climbing out of it, or another directory altogether). The path
// returned is the binary's real path (symbolic links resolved): what was
// checked is what runs, even if a link is changed afterwards.
func (m *Manager) Resolve(spec Spec) (string, error) {
	path := spec.Path
	if path == "" {
		switch {
		case spec.Plugin == "":
			return "", fmt.Errorf("connector %q names no plugin: set its plugin (for example csv)", spec.Name)
		case strings.ContainsAny(spec.Plugin, `/\`) || spec.Plugin == "." || spec.Plugin == "..":
			return "", fmt.Errorf("connector %q: plugin name %q must not contain a path; use the plugin's path setting to run a binary elsewhere", spec.Name, spec.Plugin)
		case m.opts.Dir == "":
			return "", fmt.Errorf("connector %q: no plugin directory configured to find plugin %q in: set the plugin directory or the plugin's path", spec.Name, spec.Plugin)
		}
		path = filepath.Join(m.opts.Dir, BinaryName(spec.Plugin))
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("plugin %q for connector %q not found: no file at %s; build it with `make build`", spec.Plugin, spec.Name, path)
	case err != nil:
		return "", fmt.Errorf("plugin %q for connector %q: %w", spec.Plugin, spec.Name, err)
	case info.IsDir():
		return "", fmt.Errorf("plugin %q for connector %q: %s is a directory, not a plugin binary; build the plugin with `make build`", spec.Plugin, spec.Name, path)
	case !executable(info):
		return "", fmt.Errorf("plugin %q for connector %q: %s is not executable; rebuild it with `make build` or chmod +x it", spec.Plugin, spec.Name, path)
	}
	realPath, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("plugin %q for connector %q: %w", spec.Plugin, spec.Name, err)
	}
	if !spec.AllowOutsideDir {
		if err := m.checkInsideDir(spec, path, realPath); err != nil {
			return "", err
		}
	}
	return realPath, nil
}

// checkInsideDir refuses a binary whose real path is not inside the plugin
// directory's real path.
func (m *Manager) checkInsideDir(spec Spec, path, realPath string) error {
	const fix = "move the binary into the plugin directory (plugins.dir), or set allow_outside_dir: true on the connector to run it from where it is"
	if m.opts.Dir == "" {
		return fmt.Errorf("connector %q: refusing to run %s: no plugin directory is configured to check it against; %s", spec.Name, path, fix)
	}
	dir, err := filepath.Abs(m.opts.Dir)
	if err == nil {
		dir, err = filepath.EvalSymlinks(dir)
	}
	if err != nil {
		return fmt.Errorf("connector %q: refusing to run %s: cannot read the plugin directory %s: %w; fix plugins.dir, or set allow_outside_dir: true on the connector", spec.Name, path, m.opts.Dir, err)
	}
	if rel, err := filepath.Rel(dir, realPath); err == nil && rel != "." && rel != ".." &&
		!strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel) {
		return nil
	}
	what := path
	if realPath != path {
		what = fmt.Sprintf("%s (which is %s)", path, realPath)
	}
	return fmt.Errorf("connector %q: refusing to run plugin binary %s: it is outside the plugin directory %s; %s", spec.Name, what, dir, fix)
}

// Start launches the plugin for spec, waits for the handshake, calls
// Describe then Configure(spec.Config), and supervises the process from
// then on: it is relaunched (and reconfigured) whenever it dies or stops
// answering health checks, until Stop or Shutdown.
//
// A config the connector rejects yields a *ConfigError listing every
// problem. Start fails without launching anything when the binary is
// missing, is outside the plugin directory without spec.AllowOutsideDir,
// or does not match spec.SHA256 (ValidateOnly included).
func (m *Manager) Start(ctx context.Context, spec Spec) (*Plugin, error) {
	if spec.Name == "" {
		spec.Name = spec.Plugin
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("starting connector %q: %w", spec.Name, err)
	}
	if m.isClosed() {
		return nil, fmt.Errorf("starting connector %q: the plugin manager has been shut down", spec.Name)
	}
	if err := reattachFromEnv(&spec); err != nil {
		return nil, err
	}
	path := "(reattached)"
	if spec.Reattach == nil {
		resolved, err := m.Resolve(spec)
		if err != nil {
			return nil, err
		}
		path = resolved
	}
	p := newPlugin(m, spec, path)
	proc, err := m.launch(ctx, p.log, spec, path)
	if err != nil {
		p.cancel()
		return nil, err
	}

	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		p.cancel()
		proc.kill(false)
		return nil, fmt.Errorf("starting connector %q: the plugin manager has been shut down", spec.Name)
	}
	m.plugins[p] = struct{}{}
	m.wg.Add(1)
	m.mu.Unlock()

	p.setUp(proc, false)
	go p.supervise(proc)
	return p, nil
}

// Inspect launches the plugin binary at path, asks it to describe itself
// and stops it again, without configuring or supervising it (for
// `switchboard plugins`). It fails like Start on a binary that is missing
// or fails the handshake. The caller names the binary (found by Discover,
// checked by Resolve, or given on the command line), so it may be outside
// the plugin directory.
func (m *Manager) Inspect(ctx context.Context, path string) (*connectors.DescribeResponse, error) {
	name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), BinaryPrefix), ".exe")
	spec := Spec{Name: name, Plugin: name, Path: path, AllowOutsideDir: true}
	if m.isClosed() {
		return nil, fmt.Errorf("inspecting plugin %q: the plugin manager has been shut down", name)
	}
	resolved, err := m.Resolve(spec)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, m.opts.StartTimeout)
	defer cancel()
	proc, err := m.describe(ctx, m.log.Named("plugin."+name), spec, resolved)
	if err != nil {
		return nil, err
	}
	defer proc.kill(true)
	info := proc.info
	return &info, nil
}

func (m *Manager) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

// forget drops a stopped plugin.
func (m *Manager) forget(p *Plugin) {
	m.mu.Lock()
	delete(m.plugins, p)
	m.mu.Unlock()
}

// Shutdown stops every plugin and kills its process, and waits for the
// supervisors to finish. No plugin is relaunched afterwards and Start
// fails. It is idempotent.
func (m *Manager) Shutdown() {
	m.mu.Lock()
	m.closed = true
	running := make([]*Plugin, 0, len(m.plugins))
	for p := range m.plugins {
		running = append(running, p)
	}
	m.mu.Unlock()

	for _, p := range running {
		p.requestStop()
	}
	m.wg.Wait()
}
