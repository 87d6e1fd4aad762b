package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/core/logging"
)

// Server is the host's HTTP server: the public listener (the phone
// systems' endpoints and /healthz) and the admin listener (/healthz,
// /readyz, /metrics and Options.AdminMounts). Create it with New, then
// either serve Handler() and AdminHandler() yourself (tests) or call
// ListenAndServe.
type Server struct {
	opts    Options
	log     hclog.Logger
	metrics *metrics
	handler http.Handler
	admin   http.Handler

	trusted   prefixes
	limiter   *rateLimiter
	connLimit *connLimiter
	certs     *certReloader

	serving   chan struct{}
	mu        sync.Mutex
	started   bool
	addr      string
	adminAddr string
}

// New checks the options, fills in defaults, registers the metrics in
// Options.Registry and builds the routes. The error lists every problem.
func New(opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(opts.Registry, append(append([]Mount(nil), opts.Mounts...), opts.AdminMounts...))
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s := &Server{
		opts:    opts,
		log:     opts.Logger.Named("http"),
		metrics: m,
		serving: make(chan struct{}),
	}
	var errs []error
	if s.trusted, err = parsePrefixes(opts.TrustedProxies); err != nil {
		errs = append(errs, fmt.Errorf("trusted_proxies: %w", err))
	}
	exempt, err := parsePrefixes(opts.Limits.Exempt)
	if err != nil {
		errs = append(errs, fmt.Errorf("limits.exempt: %w", err))
	}
	if opts.TLS.On() {
		if s.certs, err = newCertReloader(opts.TLS, s.log); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("server: invalid options: %w", errors.Join(errs...))
	}
	s.limiter = newRateLimiter(opts.Limits, exempt)
	// Every client of a trusted proxy shares its connections: the cap
	// would cut them all off together.
	s.connLimit = newConnLimiter(opts.Limits, append(exempt, s.trusted...), m.connsRefused.Inc)
	s.handler = s.routes(s.publicEndpoints())
	s.admin = s.routes(s.adminEndpoints())
	return s, nil
}

// Handler is the public listener's complete handler, for httptest or
// embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// AdminHandler is the admin listener's complete handler.
func (s *Server) AdminHandler() http.Handler { return s.admin }

// Serving is closed once ListenAndServe has its listeners up.
func (s *Server) Serving() <-chan struct{} { return s.serving }

// Addr is the public listener's address ("127.0.0.1:41234" when Listen
// was ":0"-style), or "" before Serving is closed.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// AdminAddr is the admin listener's address, or "" before Serving is
// closed.
func (s *Server) AdminAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.adminAddr
}

// ListenAndServe listens on Options.Listen and the admin address and
// serves until ctx is done, then shuts down gracefully: it stops
// accepting, lets in-flight requests finish within
// Options.ShutdownTimeout, and returns nil. It returns an error if it
// cannot listen, if serving fails, or if requests were still running when
// the shutdown timeout passed. It may be called once.
func (s *Server) ListenAndServe(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("server: ListenAndServe called twice: create a new Server for each run")
	}
	s.started = true
	s.mu.Unlock()
	// The request lines a busy log holds back are written by the time
	// this returns, however it returns.
	defer func() { _ = logging.Flush(s.log) }()

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.opts.Listen)
	if err != nil {
		return fmt.Errorf("server: listen on %s: %w (is another process using the port? change server.listen)", s.opts.Listen, err)
	}
	adminListen := s.opts.AdminListen()
	adminLn, err := lc.Listen(ctx, "tcp", adminListen)
	if err != nil {
		ln.Close()
		return fmt.Errorf("server: admin listener on %s: %w (is another process using the port? set server.admin.listen)", adminListen, err)
	}
	public := s.httpServer(s.handler, s.certs)
	admin := s.httpServer(s.admin, nil)

	s.mu.Lock()
	s.addr, s.adminAddr = ln.Addr().String(), adminLn.Addr().String()
	s.mu.Unlock()
	close(s.serving)
	s.log.Info("listening", s.listening()...)
	s.warnOpen()

	served := make(chan error, 2)
	go func() {
		if s.certs != nil {
			served <- public.ServeTLS(s.connLimit.wrap(ln), "", "")
			return
		}
		served <- public.Serve(s.connLimit.wrap(ln))
	}()
	go func() { served <- admin.Serve(adminLn) }()

	select {
	case err := <-served:
		_ = public.Close()
		_ = admin.Close()
		<-served
		return fmt.Errorf("server: serve: %w", err)
	case <-ctx.Done():
	}

	s.log.Info("shutting down", "timeout", s.opts.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ShutdownTimeout)
	defer cancel()
	adminDone := make(chan error, 1)
	go func() { adminDone <- admin.Shutdown(shutdownCtx) }()
	if err := public.Shutdown(shutdownCtx); err != nil {
		_ = public.Close()
		_ = admin.Close()
		<-served
		<-served
		return fmt.Errorf("server: graceful shutdown did not finish within %v, in-flight requests were cut off (raise server.shutdown_timeout if this repeats): %w", s.opts.ShutdownTimeout, err)
	}
	if err := <-adminDone; err != nil {
		_ = admin.Close()
	}
	for range 2 {
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("server: serve: %w", err)
		}
	}
	s.log.Info("stopped")
	return nil
}

// httpServer is one listener's http.Server with the configured timeouts.
func (s *Server) httpServer(h http.Handler, certs *certReloader) *http.Server {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		ReadTimeout:       s.opts.ReadTimeout,
		WriteTimeout:      s.opts.WriteTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		ErrorLog:          s.log.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}),
	}
	if certs != nil {
		srv.TLSConfig = certs.tlsConfig()
	}
	return srv
}

// listening is the "listening" line's fields: the addresses, then each
// mount's name and path.
func (s *Server) listening() []any {
	scheme := "http"
	if s.certs != nil {
		scheme = "https"
	}
	fields := []any{"addr", s.addr, "scheme", scheme, "admin", s.adminAddr}
	for _, m := range s.opts.Mounts {
		fields = append(fields, m.Name, m.Path)
	}
	return fields
}

// warnOpen logs, loudly, every endpoint that answers anyone on a listener
// other machines can reach.
func (s *Server) warnOpen() {
	if LoopbackOnly(s.opts.Listen) {
		return
	}
	for _, m := range s.opts.Mounts {
		if m.InsecureNoAuth {
			s.log.Warn("INSECURE: this endpoint answers anyone who reaches the port, without credentials (insecure_no_auth: true); "+
				"make sure something in front of Switchboard authenticates", "endpoint", m.Name, "path", m.Path, "addr", s.addr)
		}
	}
	if s.opts.Admin.InsecureNoAuth && !LoopbackOnly(s.opts.AdminListen()) {
		s.log.Warn("INSECURE: the admin endpoints answer anyone who reaches the port (server.admin.insecure_no_auth: true)", "addr", s.adminAddr)
	}
}
