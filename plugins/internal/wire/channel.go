package wire

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/switchboard-hq/switchboard/connectors"
	pb "github.com/switchboard-hq/switchboard/plugins/protocol/v1"
)

// The lookup channel: LookupByPhone, the call every ring makes in live
// mode, over connections of their own beside go-plugin's gRPC one.
//
// A unary gRPC call crosses several goroutines in each process (the
// caller, HTTP/2's writer loop, the reader, a handler goroutine per
// stream) and costs HTTP/2 stream set-up, header encoding and trailers. On
// a small virtual machine every wake-up of another goroutine's thread
// costs tens of microseconds, which is most of a ~200 µs lookup. A
// channel connection carries one call at a time, and no goroutine hands
// it on: the calling goroutine writes its request and reads its own
// answer, and on the plugin's side the goroutine that read the request
// calls the connector and writes the answer. The host keeps a small pool
// of such connections; a call that finds none idle (more concurrent
// lookups than connections) is a unary RPC, so concurrency is never
// worse than without the channel.
//
// Negotiation. After Describe the host calls OpenLookupChannel, offering
// the highest channel version it speaks and a client certificate made for
// the connection. A plugin built before the method answers gRPC's
// UNIMPLEMENTED: the host keeps calling the unary LookupByPhone, as it
// does when anything about opening a connection fails. A host built
// before the method never asks, and the plugin never listens. A plugin
// that knows the method answers the version it will speak (at most the
// offered one), a unix socket that accepts one connection within
// channelAcceptTimeout, and its own server certificate.
//
// Security. A channel connection is TLS 1.3 with both certificates
// pinned: each side accepts only the exact certificate the other sent over
// the gRPC connection, which go-plugin's AutoMTLS already authenticates;
// its socket is in the plugin's private socket directory and accepts one
// connection.
//
// Calls. See pb.LookupChannelFrame for the framing. The call's deadline
// travels with it (the connector's context expires with the host's) and
// bounds the host's write and read. A call whose context ends first
// returns at once, as a unary call would, and its connection is closed
// and dropped from the pool (the plugin sees that only when it answers: a
// cancellation does not reach the connector's context before its
// deadline). A connection that breaks (the plugin died) fails its call at
// once with a ClassUnavailable error wrapping ErrConnectionLost.

// LookupChannelVersion is the highest lookup channel version this build
// speaks.
const LookupChannelVersion = 1

// channelAcceptTimeout bounds the wait of a plugin's channel listener for
// the host's connection and the TLS handshake.
const channelAcceptTimeout = 10 * time.Second

// channelServerName is the name in the channel's certificates; both sides
// pin the exact certificate, so it only has to be consistent.
const channelServerName = "switchboard-lookup-channel"

// ErrNoLookupChannel is returned by OpenLookupChannel when the plugin was
// built before the lookup channel existed: its lookups go over gRPC.
var ErrNoLookupChannel = errors.New("the plugin predates the lookup channel (it does not know OpenLookupChannel); lookups use unary gRPC calls")

// newChannelCertificate makes a self-signed Ed25519 certificate for one
// side of one channel.
func newChannelCertificate() (tls.Certificate, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: channelServerName},
		DNSNames:              []string{channelServerName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, pub, priv)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv}, nil
}

// pinned accepts a TLS peer only if it presented exactly the certificate
// want (DER).
func pinned(want []byte) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) != 1 || !bytes.Equal(cs.PeerCertificates[0].Raw, want) {
			return errors.New("lookup channel: the peer's certificate is not the one exchanged over the plugin connection")
		}
		return nil
	}
}

// appendFrame appends f, length first, to buf[:0].
func appendFrame(buf []byte, f *pb.LookupChannelFrame) ([]byte, error) {
	buf = append(buf[:0], 0, 0, 0, 0)
	buf, err := proto.MarshalOptions{}.MarshalAppend(buf, f)
	if err != nil {
		return buf, err
	}
	n := len(buf) - 4
	if n > MaxMessageSize {
		return buf, fmt.Errorf("a frame of %d bytes exceeds the %d MB limit of the plugin wire", n, MaxMessageSize>>20)
	}
	binary.BigEndian.PutUint32(buf, uint32(n))
	return buf, nil
}

// readFrame reads one frame from r into f, using *buf for its bytes.
func readFrame(r io.Reader, buf *[]byte, f *pb.LookupChannelFrame) error {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(head[:])
	if n > MaxMessageSize {
		return fmt.Errorf("a frame of %d bytes exceeds the %d MB limit of the plugin wire", n, MaxMessageSize>>20)
	}
	if cap(*buf) < int(n) {
		*buf = make([]byte, n)
	}
	b := (*buf)[:n]
	if _, err := io.ReadFull(r, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	return proto.Unmarshal(b, f)
}

// ---- plugin side ----

// OpenLookupChannel implements protocolv1.ConnectorServer: it listens for
// one channel connection from the host on a fresh unix socket in the
// plugin's socket directory and serves lookups on it.
func (s *GRPCServer) OpenLookupChannel(_ context.Context, req *pb.OpenLookupChannelRequest) (*pb.OpenLookupChannelResponse, error) {
	if req.GetVersion() < 1 {
		return nil, status.Errorf(codes.InvalidArgument, "lookup channel: the host offers version %d; this plugin speaks 1 to %d", req.GetVersion(), LookupChannelVersion)
	}
	if _, err := x509.ParseCertificate(req.GetClientCertificate()); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "lookup channel: the host's certificate: %v", err)
	}
	cert, err := newChannelCertificate()
	if err != nil {
		return nil, status.Errorf(codes.Internal, "lookup channel: making a certificate: %v", err)
	}
	// go-plugin's socket directory: private to the host's user, removed
	// by the host with the plugin. Empty (debug mode): the temporary one.
	dir, err := os.MkdirTemp(os.Getenv(plugin.EnvUnixSocketDir), "lookup-")
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "lookup channel: %v", err)
	}
	path := filepath.Join(dir, "s")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, status.Errorf(codes.Unavailable, "lookup channel: %v", err)
	}
	config := &tls.Config{
		Certificates:     []tls.Certificate{cert},
		ClientAuth:       tls.RequireAnyClientCert,
		VerifyConnection: pinned(req.GetClientCertificate()),
		MinVersion:       tls.VersionTLS13,
	}
	go s.acceptChannel(ln, dir, config)
	return &pb.OpenLookupChannelResponse{
		Version:           LookupChannelVersion,
		Network:           "unix",
		Address:           path,
		ServerCertificate: cert.Certificate[0],
	}, nil
}

// acceptChannel accepts the one connection of a listener, then serves it.
func (s *GRPCServer) acceptChannel(ln *net.UnixListener, dir string, config *tls.Config) {
	_ = ln.SetDeadline(time.Now().Add(channelAcceptTimeout))
	conn, err := ln.Accept()
	_ = ln.Close()
	_ = os.RemoveAll(dir)
	if err != nil {
		s.logger.Warn("the host did not connect to the lookup channel", "error", err)
		return
	}
	tc := tls.Server(conn, config)
	ctx, cancel := context.WithTimeout(context.Background(), channelAcceptTimeout)
	err = tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		_ = conn.Close()
		s.logger.Warn("lookup channel handshake failed", "error", err)
		return
	}
	s.serveChannel(tc)
}

// serveChannel answers the calls on one channel connection, one at a
// time, until the host closes it.
func (s *GRPCServer) serveChannel(conn net.Conn) {
	defer conn.Close()
	var rbuf, wbuf []byte
	for {
		in := &pb.LookupChannelFrame{}
		if err := readFrame(conn, &rbuf, in); err != nil {
			if !errors.Is(err, io.EOF) {
				s.logger.Debug("lookup channel connection closed", "error", err)
			}
			return
		}
		out := s.answer(in)
		var err error
		if wbuf, err = appendFrame(wbuf, out); err != nil {
			// Too large, say: answer that instead.
			msg := utf8String("the connector's response cannot be sent to the host: " + err.Error())
			out = &pb.LookupChannelFrame{Id: in.GetId(), Code: int32(codes.Internal), Message: msg,
				Error: &pb.ErrorDetail{Class: string(connectors.ClassPluginBug), Op: "LookupByPhone", Message: msg}}
			if wbuf, err = appendFrame(wbuf, out); err != nil {
				return
			}
		}
		if _, err := conn.Write(wbuf); err != nil {
			return // the host gave up on the call, or is gone
		}
	}
}

// answer runs one call, with the host's deadline, and returns its answer.
func (s *GRPCServer) answer(in *pb.LookupChannelFrame) *pb.LookupChannelFrame {
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if t := in.GetTimeoutMicros(); t > 0 {
		ctx, cancel = context.WithTimeout(ctx, time.Duration(t)*time.Microsecond)
	}
	defer cancel()
	req := in.GetRequest()
	if req == nil {
		req = &pb.LookupRequest{}
	}
	resp, err := s.LookupByPhone(ctx, req)
	out := &pb.LookupChannelFrame{Id: in.GetId()}
	if err == nil {
		out.Response = resp
		return out
	}
	st := status.Convert(err)
	out.Code, out.Message = int32(st.Code()), st.Message()
	if out.Code == int32(codes.OK) { // cannot happen: an error has a code
		out.Code = int32(codes.Unknown)
	}
	for _, d := range st.Details() {
		if detail, ok := d.(*pb.ErrorDetail); ok {
			out.Error = detail
			break
		}
	}
	return out
}

// ---- host side ----

// maxChannelConns is how many channel connections the host keeps to one
// plugin: as many lookups can be on the channel at once; more go over
// gRPC.
const maxChannelConns = 4

// channelRetryAfter is how long the host waits after a failed attempt to
// open a channel connection before it tries again.
const channelRetryAfter = 5 * time.Second

// channelConn is the host's end of one channel connection.
type channelConn struct {
	conn   net.Conn
	nextID uint64
	rbuf   []byte
	wbuf   []byte
}

// lookupChannel is the host's pool of channel connections to one plugin.
type lookupChannel struct {
	// open opens one more connection (GRPCClient.openChannelConn).
	open func(context.Context) (*channelConn, error)

	idle chan *channelConn // connections with no call in flight

	mu      sync.Mutex
	conns   map[*channelConn]bool // every open connection
	opening bool                  // a connection is being opened
	retryAt time.Time             // no opening before then
	closed  bool
}

func newLookupChannel(first *channelConn, open func(context.Context) (*channelConn, error)) *lookupChannel {
	ch := &lookupChannel{open: open, idle: make(chan *channelConn, maxChannelConns),
		conns: map[*channelConn]bool{first: true}}
	ch.idle <- first
	return ch
}

// take returns an idle connection, or nil when there is none; then it
// opens one more in the background, up to maxChannelConns.
func (ch *lookupChannel) take() *channelConn {
	select {
	case c := <-ch.idle:
		return c
	default:
	}
	ch.mu.Lock()
	grow := !ch.closed && !ch.opening && len(ch.conns) < maxChannelConns && !time.Now().Before(ch.retryAt)
	if grow {
		ch.opening = true
	}
	ch.mu.Unlock()
	if grow {
		go ch.grow()
	}
	return nil
}

// grow opens one connection and adds it to the pool.
func (ch *lookupChannel) grow() {
	ctx, cancel := context.WithTimeout(context.Background(), channelAcceptTimeout)
	c, err := ch.open(ctx)
	cancel()
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.opening = false
	if err != nil {
		ch.retryAt = time.Now().Add(channelRetryAfter)
		return
	}
	if ch.closed {
		_ = c.conn.Close()
		return
	}
	ch.conns[c] = true
	ch.idle <- c // room: len(conns) <= maxChannelConns
}

// put returns a connection whose call completed to the pool.
func (ch *lookupChannel) put(c *channelConn) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.closed {
		_ = c.conn.Close()
		return
	}
	ch.idle <- c
}

// drop closes a connection that cannot carry another call.
func (ch *lookupChannel) drop(c *channelConn) {
	_ = c.conn.Close()
	ch.mu.Lock()
	delete(ch.conns, c)
	ch.mu.Unlock()
}

// close closes every connection; calls on them fail, and later calls go
// over gRPC.
func (ch *lookupChannel) close() {
	ch.mu.Lock()
	ch.closed = true
	for c := range ch.conns {
		_ = c.conn.Close()
	}
	ch.conns = map[*channelConn]bool{}
	ch.mu.Unlock()
}

// dialChannelConn connects to the channel connection the plugin offered.
func dialChannelConn(ctx context.Context, resp *pb.OpenLookupChannelResponse, cert tls.Certificate) (*channelConn, error) {
	if v := resp.GetVersion(); v < 1 || v > LookupChannelVersion {
		return nil, fmt.Errorf("the plugin answered lookup channel version %d; this host speaks 1 to %d", v, LookupChannelVersion)
	}
	if resp.GetNetwork() != "unix" {
		return nil, fmt.Errorf("the plugin's lookup channel is on network %q; this host uses \"unix\"", resp.GetNetwork())
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", resp.GetAddress())
	if err != nil {
		return nil, err
	}
	tc := tls.Client(conn, &tls.Config{
		Certificates: []tls.Certificate{cert},
		ServerName:   channelServerName,
		// The chain is not verified against any authority: the plugin's
		// exact certificate is pinned by VerifyConnection instead.
		InsecureSkipVerify: true,
		VerifyConnection:   pinned(resp.GetServerCertificate()),
		MinVersion:         tls.VersionTLS13,
	})
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return &channelConn{conn: tc}, nil
}

// longAgo is a deadline in the past: it interrupts a blocked read or write.
var longAgo = time.Unix(1, 0)

// lookup makes one LookupByPhone call on connection c, which the caller
// holds; it reports whether c can carry another call.
func (c *channelConn) lookup(ctx context.Context, req *connectors.LookupRequest) (_ *connectors.LookupResponse, reusable bool, _ error) {
	const op = "LookupByPhone"
	if err := ctx.Err(); err != nil {
		// Never send a call its caller has given up on: without a
		// deadline the plugin would run it to its end.
		return nil, true, fromStatus(op, status.FromContextError(err).Err())
	}
	c.nextID++
	f := &pb.LookupChannelFrame{Id: c.nextID, Request: lookupRequestToProto(req)}
	deadline, hasDeadline := ctx.Deadline()
	if hasDeadline {
		f.TimeoutMicros = max(time.Until(deadline).Microseconds(), 1)
	}
	var err error
	if c.wbuf, err = appendFrame(c.wbuf, f); err != nil { // nothing written
		return nil, true, &connectors.Error{Class: connectors.ClassInvalidRequest, Op: op,
			Message: "the request cannot be sent to the plugin", Err: err}
	}

	// The call's deadline bounds the write and the read; its cancellation
	// interrupts them.
	_ = c.conn.SetDeadline(deadline) // zero: none
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(longAgo) })
		defer stop()
	}
	if _, err = c.conn.Write(c.wbuf); err == nil {
		in := &pb.LookupChannelFrame{}
		if err = readFrame(c.conn, &c.rbuf, in); err == nil {
			if in.GetId() != f.Id {
				return nil, false, c.lost(fmt.Errorf("answer %d to call %d (a bug in the plugin's wire)", in.GetId(), f.Id))
			}
			resp, err := lookupAnswer(in)
			return resp, true, err
		}
	}
	// The connection cannot be used again: its stream is cut mid-call.
	if cerr := ctx.Err(); cerr != nil {
		return nil, false, fromStatus(op, status.FromContextError(cerr).Err())
	}
	if hasDeadline && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(deadline) {
		// The connection's timer fired before the context's.
		return nil, false, fromStatus(op, status.FromContextError(context.DeadlineExceeded).Err())
	}
	return nil, false, c.lost(err)
}

// lost is the error of a call its broken connection could not carry: as
// for a unary call to a plugin that cannot be reached.
func (c *channelConn) lost(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("the plugin closed the lookup channel")
	}
	return fromStatus("LookupByPhone", status.Error(codes.Unavailable, "lookup channel: "+err.Error()))
}

// lookupAnswer turns the plugin's answer into the call's result.
func lookupAnswer(f *pb.LookupChannelFrame) (*connectors.LookupResponse, error) {
	if code := codes.Code(f.GetCode()); code != codes.OK {
		st := status.New(code, f.GetMessage())
		if d := f.GetError(); d != nil {
			if withDetail, err := st.WithDetails(d); err == nil {
				st = withDetail
			}
		}
		return nil, fromStatus("LookupByPhone", st.Err())
	}
	return lookupResponseFromProto(f.GetResponse()), nil
}
