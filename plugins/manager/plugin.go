package manager

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/plugins/internal/wire"
)

// exitPollInterval is how often the supervisor checks whether the process
// has exited, so that a killed plugin is noticed well before the next
// health ping.
const exitPollInterval = 100 * time.Millisecond

// Plugin is one supervised connector plugin. It implements
// connectors.Connector by forwarding every call to the current plugin
// process. While the process is being restarted, calls fail at once with
// a ClassUnavailable error; a call cut short by the process dying also
// fails with ClassUnavailable. It is safe for concurrent use.
type Plugin struct {
	m    *Manager
	name string
	path string
	log  hclog.Logger

	ctx    context.Context // canceled by Stop; bounds relaunches
	cancel context.CancelFunc
	stop   chan struct{} // closed by requestStop
	once   sync.Once
	done   chan struct{} // closed when the supervisor has finished
	kick   chan struct{} // asks the supervisor to check on the process now

	mu       sync.RWMutex
	spec     Spec
	proc     *process // nil while down
	info     connectors.DescribeResponse
	restarts int
	upCh     chan struct{} // closed while up
	stopped  bool
}

var (
	_ connectors.Connector   = (*Plugin)(nil)
	_ connectors.KeyLookuper = (*Plugin)(nil)
)

func newPlugin(m *Manager, spec Spec, path string) *Plugin {
	ctx, cancel := context.WithCancel(context.Background())
	return &Plugin{
		m:      m,
		name:   spec.Name,
		path:   path,
		log:    m.log.Named("plugin." + spec.Name),
		ctx:    ctx,
		cancel: cancel,
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
		kick:   make(chan struct{}, 1),
		spec:   spec,
		upCh:   make(chan struct{}),
	}
}

// Name is the connector instance name.
func (p *Plugin) Name() string { return p.name }

// Path is the plugin binary.
func (p *Plugin) Path() string { return p.path }

// Up reports whether the plugin process is running and configured.
func (p *Plugin) Up() bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.proc != nil
}

// Restarts is how many times the process has been relaunched after
// dying or hanging.
func (p *Plugin) Restarts() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.restarts
}

// Generation identifies the process behind the plugin: it changes
// whenever a new process replaces one that died or hung (it is Restarts).
// A caller that judges the plugin's health from its answers (the
// directory's circuit breaker) starts afresh when it changes.
func (p *Plugin) Generation() uint64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return uint64(p.restarts)
}

// Pid is the current process id, 0 while down.
func (p *Plugin) Pid() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.proc == nil {
		return 0
	}
	return p.proc.pid
}

// Info is what the plugin said in Describe at its latest launch.
func (p *Plugin) Info() connectors.DescribeResponse {
	p.mu.RLock()
	defer p.mu.RUnlock()
	info := p.info
	info.Capabilities = append([]connectors.Capability(nil), p.info.Capabilities...)
	return info
}

// WaitUp blocks until the plugin is up, the plugin is stopped, or ctx is
// done.
func (p *Plugin) WaitUp(ctx context.Context) error {
	for {
		p.mu.RLock()
		up, stopped, ch := p.proc != nil, p.stopped, p.upCh
		p.mu.RUnlock()
		switch {
		case up:
			return nil
		case stopped:
			return fmt.Errorf("plugin %q has been stopped", p.name)
		}
		select {
		case <-ch:
		case <-p.done:
		case <-ctx.Done():
			return fmt.Errorf("waiting for plugin %q to come up: %w", p.name, ctx.Err())
		}
	}
}

// Stop stops supervising the plugin and kills its process; the Plugin
// fails every call afterwards. It is idempotent and waits until the
// process is gone.
func (p *Plugin) Stop() {
	p.requestStop()
	<-p.done
}

func (p *Plugin) requestStop() {
	p.once.Do(func() {
		close(p.stop)
		p.cancel()
	})
}

// setUp installs a freshly launched process and marks the plugin up.
func (p *Plugin) setUp(proc *process, restart bool) {
	p.mu.Lock()
	p.proc = proc
	p.info = proc.info
	if restart {
		p.restarts++
	}
	close(p.upCh)
	p.mu.Unlock()
	if restart {
		p.m.metrics.restarted(p.name)
	} else {
		p.m.metrics.started(p.name)
	}
	p.m.metrics.setUp(p.name, true)
}

// setDown marks the plugin down, so calls fail fast, and returns the
// process that was current.
func (p *Plugin) setDown(stopped bool) *process {
	p.mu.Lock()
	proc := p.proc
	if proc != nil {
		p.proc = nil
		p.upCh = make(chan struct{})
	}
	if stopped {
		p.stopped = true
	}
	p.mu.Unlock()
	if stopped {
		p.m.metrics.forget(p.name)
	} else {
		p.m.metrics.setUp(p.name, false)
	}
	return proc
}

// supervise watches proc and relaunches the plugin whenever it dies or
// hangs, until Stop.
func (p *Plugin) supervise(proc *process) {
	defer func() {
		if proc := p.setDown(true); proc != nil {
			proc.kill(true)
		}
		p.m.forget(p)
		close(p.done)
		p.m.wg.Done()
	}()

	backoff := p.m.opts.RestartBackoffMin
	for {
		reason, stopping := p.watch(proc)
		if stopping {
			return
		}
		p.log.Warn("plugin process lost; restarting it", "reason", reason, "pid", proc.pid)
		p.setDown(false)
		proc.kill(false)
		if time.Since(proc.started) >= p.m.opts.ResetBackoffAfter {
			backoff = p.m.opts.RestartBackoffMin
		}

		for {
			delay := jitter(backoff)
			backoff = min(backoff*2, p.m.opts.RestartBackoffMax)
			timer := time.NewTimer(delay)
			select {
			case <-p.stop:
				timer.Stop()
				return
			case <-timer.C:
			}

			p.mu.RLock()
			spec := p.spec
			p.mu.RUnlock()
			next, err := p.m.launch(p.ctx, p.log, spec, p.path)
			if err == nil {
				proc = next
				break
			}
			select {
			case <-p.stop:
				return
			default:
			}
			p.log.Error("relaunching plugin failed; will retry", "error", err, "retry_in", backoff)
		}

		select {
		case <-p.stop:
			proc.kill(true)
			return
		default:
		}
		p.setUp(proc, true)
		p.log.Info("plugin restarted", "pid", proc.pid, "restarts", p.Restarts())
	}
}

// jitter returns a delay between d/2 and d.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// watch returns when proc has exited or failed a health check (with the
// reason), or when the plugin is being stopped.
func (p *Plugin) watch(proc *process) (reason string, stopping bool) {
	exitTicker := time.NewTicker(exitPollInterval)
	defer exitTicker.Stop()
	healthTicker := time.NewTicker(p.m.opts.HealthInterval)
	defer healthTicker.Stop()
	for {
		select {
		case <-p.stop:
			return "", true
		case <-exitTicker.C:
			if proc.exited() {
				return "process exited", false
			}
		case <-p.kick:
			if proc.exited() {
				return "process exited", false
			}
			if err := p.ping(proc); err != nil {
				return err.Error(), false
			}
		case <-healthTicker.C:
			if err := p.ping(proc); err != nil {
				return err.Error(), false
			}
		}
	}
}

// ping health-checks proc within HealthTimeout. go-plugin's Ping has no
// deadline of its own, so it runs in a goroutine that ends when the
// process answers or is killed.
func (p *Plugin) ping(proc *process) error {
	result := make(chan error, 1)
	go func() { result <- proc.rpc.Ping() }()
	timer := time.NewTimer(p.m.opts.HealthTimeout)
	defer timer.Stop()
	select {
	case err := <-result:
		if err != nil {
			return fmt.Errorf("health check failed: %w", err)
		}
		return nil
	case <-timer.C:
		return fmt.Errorf("no answer to a health check within %s (plugin hung)", p.m.opts.HealthTimeout)
	case <-p.stop:
		return nil
	}
}

// current returns the process to call, or the error to fail fast with.
func (p *Plugin) current(op string) (*process, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.proc != nil {
		return p.proc, nil
	}
	if p.stopped {
		return nil, &connectors.Error{Class: connectors.ClassUnavailable, Op: op,
			Message: fmt.Sprintf("plugin %q has been stopped", p.name), Err: connectors.ErrNotRunning}
	}
	return nil, &connectors.Error{Class: connectors.ClassUnavailable, Op: op,
		Message: fmt.Sprintf("plugin %q is restarting; retry shortly", p.name), Err: connectors.ErrNotRunning}
}

// lost turns the error of a call that the process did not survive into a
// ClassUnavailable error and asks the supervisor to look at the process.
func (p *Plugin) lost(op string, proc *process, err error) error {
	if !errors.Is(err, wire.ErrConnectionLost) && !proc.exited() {
		return err
	}
	select {
	case p.kick <- struct{}{}:
	default:
	}
	return &connectors.Error{Class: connectors.ClassUnavailable, Op: op,
		Message: fmt.Sprintf("plugin %q stopped answering during the call; it is restarted if it died, retry shortly", p.name),
		Err:     errors.Join(connectors.ErrNotRunning, err)}
}

// call forwards one contract call to the current process.
func call[Req, Resp any](ctx context.Context, p *Plugin, op string, req *Req,
	method func(connectors.Connector, context.Context, *Req) (*Resp, error)) (*Resp, error) {
	proc, err := p.current(op)
	if err != nil {
		return nil, err
	}
	resp, err := method(proc.conn, ctx, req)
	if err != nil {
		return nil, p.lost(op, proc, err)
	}
	return resp, nil
}

// Describe implements connectors.Connector.
func (p *Plugin) Describe(ctx context.Context, req *connectors.DescribeRequest) (*connectors.DescribeResponse, error) {
	return call(ctx, p, "Describe", req, connectors.Connector.Describe)
}

// Configure implements connectors.Connector. A configuration the plugin
// accepts (not ValidateOnly) replaces Spec.Config, DefaultRegion and
// BaseDir for later restarts.
func (p *Plugin) Configure(ctx context.Context, req *connectors.ConfigureRequest) (*connectors.ConfigureResponse, error) {
	resp, err := call(ctx, p, "Configure", req, connectors.Connector.Configure)
	if err == nil && req != nil && !req.ValidateOnly && len(resp.Problems) == 0 {
		p.mu.Lock()
		p.spec.Config = append([]byte(nil), req.Config...)
		p.spec.DefaultRegion = req.DefaultRegion
		p.spec.BaseDir = req.BaseDir
		p.spec.ValidateOnly = false
		p.spec.ListedOnly = req.ListedOnly
		p.mu.Unlock()
	}
	return resp, err
}

// Check implements connectors.Connector.
func (p *Plugin) Check(ctx context.Context, req *connectors.CheckRequest) (*connectors.CheckResponse, error) {
	return call(ctx, p, "Check", req, connectors.Connector.Check)
}

// LookupByPhone implements connectors.Connector.
func (p *Plugin) LookupByPhone(ctx context.Context, req *connectors.LookupRequest) (*connectors.LookupResponse, error) {
	return call(ctx, p, "LookupByPhone", req, connectors.Connector.LookupByPhone)
}

// ListCompanies implements connectors.Connector.
func (p *Plugin) ListCompanies(ctx context.Context, req *connectors.ListRequest) (*connectors.ListCompaniesResponse, error) {
	return call(ctx, p, "ListCompanies", req, connectors.Connector.ListCompanies)
}

// ListContacts implements connectors.Connector.
func (p *Plugin) ListContacts(ctx context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	return call(ctx, p, "ListContacts", req, connectors.Connector.ListContacts)
}

// LookupByKey implements connectors.KeyLookuper. The host asks only a
// plugin that declares lookup_by_key; one that does not implement it
// answers unsupported (a plugin built before the method existed too: the
// wire reads its UNIMPLEMENTED so). It is a read: a plugin that
// negotiated protocol version 1 is asked like any other.
func (p *Plugin) LookupByKey(ctx context.Context, req *connectors.KeyLookupRequest) (*connectors.KeyLookupResponse, error) {
	return call(ctx, p, "LookupByKey", req, func(c connectors.Connector, ctx context.Context, req *connectors.KeyLookupRequest) (*connectors.KeyLookupResponse, error) {
		l, ok := c.(connectors.KeyLookuper)
		if !ok {
			return nil, &connectors.Error{Class: connectors.ClassUnsupported, Op: "LookupByKey",
				Message: fmt.Sprintf("plugin %q cannot look records up by key", p.path)}
		}
		return l.LookupByKey(ctx, req)
	})
}

// LogCall implements connectors.CallLogger. A plugin that negotiated
// protocol version 1 cannot write: it is refused here, unsent.
func (p *Plugin) LogCall(ctx context.Context, req *connectors.LogCallRequest) (*connectors.LogCallResponse, error) {
	return call(ctx, p, "LogCall", req, func(c connectors.Connector, ctx context.Context, req *connectors.LogCallRequest) (*connectors.LogCallResponse, error) {
		w, ok := c.(connectors.CallLogger)
		if !ok || p.readOnly() {
			return nil, p.cannotWrite("LogCall")
		}
		return w.LogCall(ctx, req)
	})
}

// CreateContact implements connectors.ContactCreator, like LogCall.
func (p *Plugin) CreateContact(ctx context.Context, req *connectors.CreateContactRequest) (*connectors.CreateContactResponse, error) {
	return call(ctx, p, "CreateContact", req, func(c connectors.Connector, ctx context.Context, req *connectors.CreateContactRequest) (*connectors.CreateContactResponse, error) {
		w, ok := c.(connectors.ContactCreator)
		if !ok || p.readOnly() {
			return nil, p.cannotWrite("CreateContact")
		}
		return w.CreateContact(ctx, req)
	})
}

// readOnly reports whether the running plugin negotiated a protocol
// version without the writes.
func (p *Plugin) readOnly() bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.proc != nil && p.proc.readOnly()
}

func (p *Plugin) cannotWrite(op string) error {
	return &connectors.Error{Class: connectors.ClassUnsupported, Op: op,
		Message: fmt.Sprintf("plugin %q speaks connector protocol version %d, which cannot write: rebuild it against this switchboard's connectors package (protocol version %d)",
			p.path, connectors.ReadOnlyProtocolVersion, connectors.ProtocolVersion)}
}
