package server

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// maxSources bounds the sources the rate limiter remembers; past it, new
// sources share one limiter until idle ones are forgotten, so a flood of
// spoofed or rotating addresses cannot grow the host's memory.
const maxSources = 100_000

// sourceIdle is how long a source that is back at a full bucket is
// remembered.
const sourceIdle = 2 * time.Minute

// sourceKey is what the limits count per: an IPv4 address, or an IPv6
// /64 (one customer's network; rotating addresses inside it is free).
func sourceKey(ip netip.Addr) netip.Addr {
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.Addr()
	}
	return ip
}

// rateLimiter is a token bucket per source.
type rateLimiter struct {
	limit  rate.Limit
	burst  int
	exempt prefixes

	mu       sync.Mutex
	sources  map[netip.Addr]*rate.Limiter
	overflow *rate.Limiter
	swept    time.Time
}

func newRateLimiter(l LimitsConfig, exempt prefixes) *rateLimiter {
	if l.Rate <= 0 {
		return nil
	}
	return &rateLimiter{
		limit: rate.Limit(l.Rate), burst: l.Burst, exempt: exempt,
		sources:  make(map[netip.Addr]*rate.Limiter),
		overflow: rate.NewLimiter(rate.Limit(l.Rate), l.Burst),
	}
}

// allow takes one token from ip's bucket, reporting false when it is empty.
// A nil limiter, an exempt or unknown address always passes.
func (rl *rateLimiter) allow(ip netip.Addr, now time.Time) bool {
	if rl == nil || !ip.IsValid() || rl.exempt.contains(ip) {
		return true
	}
	key := sourceKey(ip)
	rl.mu.Lock()
	lim, ok := rl.sources[key]
	if !ok {
		if len(rl.sources) >= maxSources || now.Sub(rl.swept) > sourceIdle {
			rl.sweep(now)
		}
		if len(rl.sources) < maxSources {
			lim = rate.NewLimiter(rl.limit, rl.burst)
			rl.sources[key] = lim
		} else {
			lim = rl.overflow
		}
	}
	rl.mu.Unlock()
	return lim.AllowN(now, 1)
}

// sweep forgets the sources whose bucket has been full for sourceIdle
// (they would start full again anyway). Called with mu held.
func (rl *rateLimiter) sweep(now time.Time) {
	rl.swept = now
	for k, lim := range rl.sources {
		if lim.TokensAt(now.Add(-sourceIdle)) >= float64(rl.burst) {
			delete(rl.sources, k)
		}
	}
}

// connLimiter caps the connections one source holds open.
type connLimiter struct {
	max    int
	exempt prefixes
	// refused counts connections closed over the cap.
	refused func()

	mu   sync.Mutex
	open map[netip.Addr]int
}

func newConnLimiter(l LimitsConfig, exempt prefixes, refused func()) *connLimiter {
	if l.Conns <= 0 {
		return nil
	}
	return &connLimiter{max: l.Conns, exempt: exempt, refused: refused, open: make(map[netip.Addr]int)}
}

// wrap returns ln with the cap applied; a nil limiter returns ln.
func (cl *connLimiter) wrap(ln net.Listener) net.Listener {
	if cl == nil {
		return ln
	}
	return &limitedListener{Listener: ln, cl: cl}
}

// acquire counts a new connection from ip, or reports false when ip holds
// the most it may.
func (cl *connLimiter) acquire(ip netip.Addr) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.open[ip] >= cl.max {
		return false
	}
	cl.open[ip]++
	return true
}

func (cl *connLimiter) release(ip netip.Addr) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.open[ip] <= 1 {
		delete(cl.open, ip)
		return
	}
	cl.open[ip]--
}

// limitedListener closes, at once, connections over their source's cap.
type limitedListener struct {
	net.Listener
	cl *connLimiter
}

func (l *limitedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := peerAddr(c.RemoteAddr().String())
		if !ip.IsValid() || l.cl.exempt.contains(ip) {
			return c, nil
		}
		key := sourceKey(ip)
		if !l.cl.acquire(key) {
			l.cl.refused()
			_ = c.Close()
			continue
		}
		return &countedConn{Conn: c, release: func() { l.cl.release(key) }}, nil
	}
}

// countedConn gives its slot back once, when closed.
type countedConn struct {
	net.Conn
	closed  atomic.Bool
	release func()
}

func (c *countedConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.release()
	}
	return c.Conn.Close()
}
