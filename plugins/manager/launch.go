package manager

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/plugins/internal/wire"
)

// gracefulKillTimeout bounds a graceful shutdown of a plugin before it is
// killed outright (go-plugin itself waits 2 s for the process to exit).
const gracefulKillTimeout = 3 * time.Second

// process is one running plugin process.
type process struct {
	client *plugin.Client
	cmd    *exec.Cmd
	rpc    plugin.ClientProtocol
	conn   connectors.Connector
	pid    int
	info   connectors.DescribeResponse
	// version is the connector protocol version negotiated at the
	// handshake (0: unknown, a reattached plugin).
	version int
	started time.Time
	// socketDir holds the plugin's unix socket, which go-plugin removes
	// only when the plugin exits cleanly; kill removes the directory.
	socketDir string
	// pgid is the process group the plugin leads (Linux; 0: none, as for
	// a reattached plugin): whatever it starts is killed with it.
	pgid int
	log  hclog.Logger
}

// leaderPollInterval is how often kill checks whether the plugin process
// has ended while it stops gracefully.
const leaderPollInterval = 20 * time.Millisecond

// exited reports whether the process has ended. go-plugin says so only
// once the plugin's output pipes are closed, which a process the plugin
// started may hold open after the plugin is gone; its own pid says so at
// once.
func (p *process) exited() bool {
	return p.client.Exited() || (p.pgid != 0 && processExited(p.pid))
}

// kill ends the process and every process it started (its process
// group). graceful asks the plugin to stop first, bounded by
// gracefulKillTimeout; once the plugin has ended, or when that time is
// up, the whole group is SIGKILLed. Otherwise the group is SIGKILLed at
// once. kill returns when the process is gone and go-plugin has cleaned
// up: go-plugin waits for the plugin's output pipes to close, which a
// process it started and that holds them would otherwise hold up forever.
func (p *process) kill(graceful bool) {
	defer os.RemoveAll(p.socketDir)
	defer p.closeLookupChannel()
	if !graceful {
		p.signalKill()
	}
	done := make(chan struct{})
	go func() {
		p.client.Kill()
		close(done)
	}()
	if graceful {
		grace := time.NewTimer(gracefulKillTimeout)
		defer grace.Stop()
		poll := time.NewTicker(leaderPollInterval)
		defer poll.Stop()
	wait:
		for {
			select {
			case <-done:
				// The plugin has exited and been reaped; what it started
				// may still run. (The group's id cannot have been reused
				// while any member lives: see killRecordedGroup.)
				killGroup(p.pgid)
				return
			case <-poll.C:
				if p.pgid != 0 && processExited(p.pid) {
					break wait
				}
			case <-grace.C:
				break wait
			}
		}
		p.signalKill()
	}
	<-done
}

// signalKill SIGKILLs the process and its process group. The process
// itself is killed through os.Process, which knows whether it has been
// reaped, so a recycled pid is never hit; the group's id stays reserved
// while the process is a zombie or any member lives.
func (p *process) signalKill() {
	killGroup(p.pgid)
	if p.cmd != nil && p.cmd.Process != nil { // nil for a reattached plugin
		_ = p.cmd.Process.Kill()
	}
}

// launch starts one plugin process for spec and brings it to the
// configured state: handshake and Describe within StartTimeout, then
// Configure (which loads the connector's data) within ConfigureTimeout;
// on any failure the process is killed.
func (m *Manager) launch(ctx context.Context, log hclog.Logger, spec Spec, path string) (*process, error) {
	sctx, cancel := context.WithTimeout(ctx, m.opts.StartTimeout)
	defer cancel()
	proc, err := m.describe(sctx, log, spec, path)
	if err != nil {
		return nil, err
	}
	ctx, cancelConfigure := context.WithTimeout(ctx, m.opts.ConfigureTimeout)
	defer cancelConfigure()
	resp, err := proc.conn.Configure(ctx, &connectors.ConfigureRequest{
		Config:        spec.Config,
		DefaultRegion: spec.DefaultRegion,
		BaseDir:       spec.BaseDir,
		ValidateOnly:  spec.ValidateOnly,
		ListedOnly:    spec.ListedOnly,
	})
	// The plugin answered, so it is healthy: stop it cleanly.
	if err != nil {
		proc.kill(true)
		if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("plugin %q for connector %q: Configure did not finish within plugins.configure_timeout (%s): "+
				"a large source takes longer to load; raise it: %w", spec.Plugin, spec.Name, m.opts.ConfigureTimeout, err)
		}
		return nil, fmt.Errorf("plugin %q for connector %q: Configure failed: %w", spec.Plugin, spec.Name, err)
	}
	if len(resp.Problems) > 0 {
		proc.kill(true)
		return nil, &ConfigError{Name: spec.Name, Plugin: spec.Plugin, Problems: resp.Problems}
	}
	// A connector's capabilities may depend on its block (the PostgreSQL
	// connector has lookups only with a phone_key): describe it again.
	if info, err := proc.conn.Describe(ctx, &connectors.DescribeRequest{}); err == nil {
		proc.info = proc.allowed(*info)
	}
	log.Info("plugin started", "path", path, "pid", proc.pid,
		"connector", proc.info.Name, "version", proc.info.Version)
	return proc, nil
}

// describe starts one plugin process for spec, completes the handshake
// and calls Describe, all before ctx's deadline; on any failure the process
// is killed.
func (m *Manager) describe(ctx context.Context, log hclog.Logger, spec Spec, path string) (*process, error) {
	if spec.Reattach != nil {
		return m.reattach(ctx, log, spec)
	}
	var pin string
	if spec.SHA256 != "" {
		var err error
		if pin, err = parsePin(spec, path); err != nil {
			return nil, err
		}
	}
	startTimeout := m.opts.StartTimeout
	if deadline, ok := ctx.Deadline(); ok {
		startTimeout = time.Until(deadline)
	}
	if err := ctx.Err(); err != nil || startTimeout <= 0 {
		return nil, fmt.Errorf("starting plugin %q for connector %q: no time left: %w", spec.Plugin, spec.Name, context.Cause(ctx))
	}
	m.sweep.Do(func() { sweepSocketDirs(m.log) })
	socketDir, err := newSocketDir()
	if err != nil {
		return nil, fmt.Errorf("connector %q: creating a directory for the plugin's socket: %w (check TMPDIR)", spec.Name, err)
	}

	exe := path
	if pin != "" {
		if exe, err = pinnedCopy(spec, path, pin, socketDir); err != nil {
			_ = os.RemoveAll(socketDir)
			return nil, err
		}
	}
	if beforeExec != nil {
		beforeExec(path)
	}

	cmd := exec.Command(exe)
	cmd.Args[0] = path // the plugin's name for itself, copy or not
	cmd.Env = append(m.env(spec), plugin.EnvUnixSocketDir+"="+socketDir)
	setSysProcAttr(cmd)
	tail := &tailWriter{max: 2048}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: wire.PluginSets(nil, nil),
		Cmd:              cmd,
		SkipHostEnv:      true, // m.env includes it, so that spec.Env wins
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           log,
		StartTimeout:     startTimeout,
		GRPCDialOptions:  wire.GRPCDialOptions(),
		Stderr:           tail,
	})
	proc := &process{client: client, cmd: cmd, started: time.Now(), socketDir: socketDir, log: log}

	rpc, err := client.Client()
	if cmd.Process != nil { // started, even if the handshake failed
		proc.pid = cmd.Process.Pid
		if ownGroups {
			proc.pgid = proc.pid
			if rerr := recordGroup(socketDir, proc.pgid); rerr != nil {
				log.Warn("cannot record the plugin's process group; if the host is killed outright, what the plugin started may outlive it", "error", rerr)
			}
		}
	}
	if err != nil {
		proc.kill(false)
		if exe != path && errors.Is(err, fs.ErrPermission) {
			return nil, fmt.Errorf("connector %q: cannot run the verified copy of %s (%s): %w; a pinned plugin runs from a private copy in the temporary directory, which must allow running programs: point TMPDIR at a directory that is not mounted noexec",
				spec.Name, path, exe, err)
		}
		return nil, handshakeError(spec, path, startTimeout, err, tail.String())
	}
	proc.rpc = rpc

	if err := proc.dispense(ctx, spec, path); err != nil {
		return nil, err
	}
	return proc, nil
}

// dispense gets the connector from a connected plugin and describes it;
// on failure the process is killed.
func (proc *process) dispense(ctx context.Context, spec Spec, path string) error {
	log := proc.log
	raw, err := proc.rpc.Dispense(wire.PluginName)
	if err != nil {
		proc.kill(false)
		return fmt.Errorf("plugin %q for connector %q (%s) does not serve a connector: %w; rebuild it with `make build`", spec.Plugin, spec.Name, path, err)
	}
	conn, ok := raw.(connectors.Connector)
	if !ok {
		proc.kill(false)
		return fmt.Errorf("plugin %q for connector %q: dispensed %T, not a connector (a bug in switchboard)", spec.Plugin, spec.Name, raw)
	}
	proc.conn = conn

	info, err := conn.Describe(ctx, &connectors.DescribeRequest{})
	if err != nil {
		proc.kill(false)
		return fmt.Errorf("plugin %q for connector %q: Describe failed: %w", spec.Plugin, spec.Name, err)
	}
	if proc.client != nil {
		proc.version = proc.client.NegotiatedVersion()
	}
	proc.info = proc.allowed(*info)
	if proc.readOnly() {
		log.Info("plugin speaks an older connector protocol: it can be read from, not written to (rebuild it against this switchboard's connectors package to write)",
			"plugin_protocol_version", proc.version, "host_protocol_version", connectors.ProtocolVersion)
	}
	if info.ProtocolVersion != connectors.ProtocolVersion {
		log.Warn("plugin describes a different contract version than this host",
			"plugin_protocol_version", info.ProtocolVersion, "host_protocol_version", connectors.ProtocolVersion)
	}
	proc.openLookupChannel(ctx)
	return nil
}

// openLookupChannel moves the plugin's LookupByPhone calls onto a lookup
// channel (wire/channel.go), the ring path's faster wire. A plugin that
// predates it, or a channel that cannot be opened, leaves them on gRPC:
// nothing fails because of it.
func (proc *process) openLookupChannel(ctx context.Context) {
	c, ok := proc.conn.(*wire.GRPCClient)
	if !ok {
		return
	}
	switch err := c.OpenLookupChannel(ctx); {
	case err == nil:
		proc.log.Debug("lookups use the lookup channel")
	case errors.Is(err, wire.ErrNoLookupChannel):
		proc.log.Debug("the plugin predates the lookup channel; lookups use gRPC calls (rebuild it against this switchboard for faster lookups)")
	default:
		proc.log.Warn("cannot open the lookup channel; lookups use gRPC calls", "error", err)
	}
}

// closeLookupChannel closes the lookup channel, if any.
func (proc *process) closeLookupChannel() {
	if c, ok := proc.conn.(*wire.GRPCClient); ok {
		_ = c.Close()
	}
}

// readOnly reports a plugin that negotiated a protocol version without
// the writes.
func (proc *process) readOnly() bool {
	return proc.version != 0 && proc.version < connectors.ProtocolVersion
}

// allowed is info without the write capabilities of a read-only plugin:
// whatever it declares, it cannot be asked to write.
func (proc *process) allowed(info connectors.DescribeResponse) connectors.DescribeResponse {
	if proc.readOnly() {
		info.Capabilities = slices.DeleteFunc(slices.Clone(info.Capabilities), func(c connectors.Capability) bool {
			return c == connectors.CapLogCall || c == connectors.CapCreateContact
		})
	}
	return info
}

// parsePin returns spec's SHA-256 pin as lower-case hex, or why it is not
// one.
func parsePin(spec Spec, path string) (string, error) {
	want := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(spec.SHA256), "sha256:"))
	if len(want) != sha256.Size*2 || strings.Trim(want, "0123456789abcdef") != "" {
		return "", fmt.Errorf("connector %q: sha256 pin %q is not a hex SHA-256 (64 hex digits); fix it in the config (sha256sum %s prints it)", spec.Name, spec.SHA256, path)
	}
	return want, nil
}

// beforeExec, when set (by tests), is called with the binary's path after
// a pinned binary was verified and just before the plugin is run.
var beforeExec func(path string)

// pinnedCopy copies the binary at path into dir (the plugin's private
// socket directory, mode 0700, removed when the process is killed) while
// hashing what it copies, checks the hash against pin and returns the
// copy: that is what runs, so the bytes checked are the bytes run, even if
// the file at path is replaced or rewritten in between.
//
// Running the verified bytes through /proc/self/fd/N of the descriptor
// that was hashed would need no copy, but only on Linux, and it does not
// close the window: the descriptor's file can still be rewritten in place
// between the hash and the exec. The copy is in a directory only this
// host's user can write to.
//
// The copy is written with syscall.ForkLock held for reading, so that no
// process forked meanwhile (another plugin launched by another goroutine)
// inherits its descriptor open for writing, which would make running it
// fail with ETXTBSY ("text file busy").
func pinnedCopy(spec Spec, path, pin, dir string) (string, error) {
	src, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("connector %q: verifying the plugin binary: %w", spec.Name, err)
	}
	defer src.Close()
	binDir := filepath.Join(dir, "bin")
	if err := os.Mkdir(binDir, 0o700); err != nil {
		return "", fmt.Errorf("connector %q: copying the pinned plugin binary: %w (check TMPDIR)", spec.Name, err)
	}
	exe := filepath.Join(binDir, filepath.Base(path))
	h := sha256.New()
	syscall.ForkLock.RLock()
	dst, err := os.OpenFile(exe, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o500)
	if err == nil {
		_, err = io.Copy(io.MultiWriter(dst, h), src)
		if cerr := dst.Close(); err == nil {
			err = cerr
		}
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return "", fmt.Errorf("connector %q: copying the pinned plugin binary %s: %w (check TMPDIR)", spec.Name, path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != pin {
		return "", fmt.Errorf("connector %q: refusing to launch %s: its sha256 is %s but the config pins %s; "+
			"if the plugin was rebuilt or upgraded on purpose, update the pin", spec.Name, path, got, pin)
	}
	return exe, nil
}

var pluginVersionRE = regexp.MustCompile(`Plugin version: (\d+)`)

// handshakeError explains a failed go-plugin handshake: what happened and
// what to do first, then the plugin's last output, then go-plugin's own
// (long) diagnosis.
func handshakeError(spec Spec, path string, timeout time.Duration, err error, stderr string) error {
	msg := err.Error()
	out := ""
	if stderr != "" {
		out = "\nits last output was:\n" + stderr
	}
	what := fmt.Sprintf("plugin %q for connector %q (%s)", spec.Plugin, spec.Name, path)
	switch {
	case strings.Contains(msg, "incompatible API version"):
		return fmt.Errorf("%s: %s%s\n(%w)", what, versionAdvice(msg, wire.ProtocolVersions()), out, err)
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		return fmt.Errorf("%s did not complete the handshake within %s; check that it is a switchboard connector plugin "+
			"and rebuild it with `make build`%s\n%w", what, timeout, out, err)
	case strings.Contains(msg, "exited before we could connect"), strings.Contains(msg, "Failed to read any lines"):
		return fmt.Errorf("%s exited during handshake; rebuild it with `make build`%s\n%w", what, out, err)
	}
	return fmt.Errorf("%s failed the handshake; rebuild it with `make build`%s\n%w", what, out, err)
}

// versionAdvice explains a failed protocol negotiation: which versions
// each side speaks, and what to do about it. msg is go-plugin's error,
// which names the version the plugin fell back to (its lowest, since none
// of ours matched); ours are this host's versions, lowest first.
func versionAdvice(msg string, ours []int) string {
	m := pluginVersionRE.FindStringSubmatch(msg)
	if m == nil {
		return fmt.Sprintf("the plugin speaks no connector protocol version this switchboard speaks (%v): "+
			"rebuild the plugin from this switchboard's source with `make build`, or install the matching release", ours)
	}
	theirs, _ := strconv.Atoi(m[1])
	if len(ours) > 0 && theirs > ours[len(ours)-1] {
		head := fmt.Sprintf("the plugin speaks connector protocol version %d or newer, "+
			"but this switchboard speaks version(s) %v", theirs, ours)
		return head + ": the plugin is newer than this switchboard; upgrade switchboard to a release " +
			"that speaks protocol " + m[1] + ", or install a release of the plugin built for protocol " +
			strconv.Itoa(ours[len(ours)-1])
	}
	head := fmt.Sprintf("the plugin speaks connector protocol version %d, "+
		"but this switchboard speaks version(s) %v", theirs, ours)
	return head + ": the plugin is older than this switchboard; rebuild it against this switchboard's " +
		"connectors and plugins packages (`make build` for bundled plugins), or upgrade it to a release " +
		"that speaks protocol " + strconv.Itoa(ours[len(ours)-1])
}

// tailWriter keeps the last max bytes written to it: the plugin's recent
// stderr, for error messages.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - w.max; over > 0 {
		w.buf = append(w.buf[:0], w.buf[over:]...)
	}
	return len(p), nil
}

func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.TrimSpace(string(w.buf))
}
