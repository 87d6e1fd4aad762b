package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// Server is the host's HTTP server. Create it with New, then either serve
// Handler() yourself (tests) or call ListenAndServe.
type Server struct {
	opts    Options
	log     hclog.Logger
	metrics *metrics
	handler http.Handler

	serving chan struct{}
	mu      sync.Mutex
	started bool
	addr    string
}

// New checks the options, fills in defaults, registers the metrics in
// Options.Registry and builds the routes. The error lists every problem.
func New(opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(opts.Registry, opts.Mounts)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s := &Server{
		opts:    opts,
		log:     opts.Logger.Named("http"),
		metrics: m,
		serving: make(chan struct{}),
	}
	s.handler = s.routes()
	return s, nil
}

// Handler is the server's complete handler, for httptest or embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// Serving is closed once ListenAndServe has its listener up.
func (s *Server) Serving() <-chan struct{} { return s.serving }

// Addr is the address the server listens on ("127.0.0.1:41234" when
// Listen was ":0"-style), or "" before Serving is closed.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// ListenAndServe listens on Options.Listen and serves until ctx is done,
// then shuts down gracefully: it stops accepting, lets in-flight requests
// finish within Options.ShutdownTimeout, and returns nil. It returns an
// error if it cannot listen, if serving fails, or if requests were still
// running when the shutdown timeout passed. It may be called once.
func (s *Server) ListenAndServe(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("server: ListenAndServe called twice: create a new Server for each run")
	}
	s.started = true
	s.mu.Unlock()

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.opts.Listen)
	if err != nil {
		return fmt.Errorf("server: listen on %s: %w (is another process using the port? change server.listen)", s.opts.Listen, err)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		ReadTimeout:       s.opts.ReadTimeout,
		WriteTimeout:      s.opts.WriteTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		ErrorLog:          s.log.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}),
	}

	s.mu.Lock()
	s.addr = ln.Addr().String()
	s.mu.Unlock()
	close(s.serving)
	s.log.Info("listening", s.listening(ln.Addr().String())...)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("server: serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}

	s.log.Info("shutting down", "timeout", s.opts.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
		<-served
		return fmt.Errorf("server: graceful shutdown did not finish within %v, in-flight requests were cut off (raise server.shutdown_timeout if this repeats): %w", s.opts.ShutdownTimeout, err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("server: serve on %s: %w", ln.Addr(), err)
	}
	s.log.Info("stopped")
	return nil
}

// listening is the "listening" line's fields: the address, then each
// mount's name and path.
func (s *Server) listening(addr string) []any {
	fields := []any{"addr", addr}
	for _, m := range s.opts.Mounts {
		fields = append(fields, m.Name, m.Path)
	}
	return fields
}
