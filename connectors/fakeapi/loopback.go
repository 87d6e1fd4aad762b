package fakeapi

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// DefaultAddr is the address a fake listens on by default: loopback, a
// port the kernel picks.
const DefaultAddr = "127.0.0.1:0"

// Loopback is the HTTP server a fake runs on. The zero value is not
// usable; create it with NewLoopback. Its methods are safe for concurrent
// use.
type Loopback struct {
	name string
	log  hclog.Logger

	closed    chan struct{}
	closeOnce sync.Once

	mu  sync.Mutex
	hs  *http.Server
	url string
}

// NewLoopback returns a Loopback that is not listening yet. name names the
// fake in errors and logs ("fake hubspot"); log receives an error if
// serving stops unexpectedly (nil: none).
func NewLoopback(name string, log hclog.Logger) *Loopback {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Loopback{name: name, log: log, closed: make(chan struct{})}
}

// Start listens on addr (DefaultAddr when empty) and serves h in the
// background. It returns the server's base URL, "http://host:port".
func (l *Loopback) Start(addr string, h http.Handler) (string, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("%s: listen on %s: %w (pick another address)", l.name, addr, err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	url := "http://" + ln.Addr().String()
	l.mu.Lock()
	l.hs, l.url = hs, url
	l.mu.Unlock()
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			l.log.Error(l.name+" stopped serving", "error", err)
		}
	}()
	return url, nil
}

// URL returns the base URL Start returned ("" before Start).
func (l *Loopback) URL() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.url
}

// Close stops the server and cuts short every Wait and Hold; calling it
// again does nothing.
func (l *Loopback) Close() {
	l.closeOnce.Do(func() {
		close(l.closed)
		l.mu.Lock()
		hs := l.hs
		l.mu.Unlock()
		if hs != nil {
			_ = hs.Close()
		}
	})
}

// Wait sleeps d of real time, as a slow API would; it reports false when
// the server closed meanwhile.
func (l *Loopback) Wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-l.closed:
		return false
	}
}

// Hold waits until release is closed, as a hung API would; it reports
// false when the server closed first.
func (l *Loopback) Hold(release <-chan struct{}) bool {
	select {
	case <-release:
		return true
	case <-l.closed:
		return false
	}
}
