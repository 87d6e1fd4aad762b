package wire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/switchboard-hq/switchboard/connectors"
	pb "github.com/switchboard-hq/switchboard/plugins/protocol/v1"
)

// channelSocketDir points the plugin side's channel sockets at a short
// private directory (a unix socket path must stay short).
func channelSocketDir(t *testing.T) {
	t.Helper()
	dir, err := os.MkdirTemp("", "wch")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	t.Setenv(plugin.EnvUnixSocketDir, dir)
}

// serveGRPC serves impl with the given service description over an
// in-process gRPC connection and returns the host's client.
func serveGRPC(t *testing.T, desc *grpc.ServiceDesc, impl connectors.Connector) *GRPCClient {
	t.Helper()
	cc, server := plugin.TestGRPCConn(t, func(s *grpc.Server) {
		s.RegisterService(desc, NewGRPCServer(impl, nil))
	})
	t.Cleanup(func() { _ = cc.Close(); server.Stop() })
	return NewGRPCClient(cc)
}

// withChannel serves impl and opens a lookup channel to it.
func withChannel(t *testing.T, impl connectors.Connector) *GRPCClient {
	t.Helper()
	channelSocketDir(t)
	c := serveGRPC(t, &pb.Connector_ServiceDesc, impl)
	if err := c.OpenLookupChannel(context.Background()); err != nil {
		t.Fatalf("OpenLookupChannel: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if !c.LookupChannelOpen() {
		t.Fatal("no lookup channel after OpenLookupChannel")
	}
	return c
}

// Every outcome of a lookup over the channel is the same as over a unary
// call: the answer, each error class, a panic, a nil or unencodable
// response.
func TestChannelMatchesUnary(t *testing.T) {
	full := &connectors.LookupResponse{Matches: []connectors.Match{
		{Kind: connectors.MatchExact, Phone: connectors.Phone{Raw: "020 4520 5757", E164: "+442045205757", Label: "work"},
			Contact: &connectors.Contact{ID: "c1", FirstName: "Ada", LastName: "Lovelace", CompanyID: "k1",
				Emails: []string{"ada@example.com"}, Fields: map[string]any{"tier": "gold", "balance": 12.5, "tags": []any{"a", "b"}},
				UpdatedAt: when}},
		{Kind: connectors.MatchSuffix, Company: &connectors.Company{ID: "k1", Name: "Acme", Fields: map[string]any{}}},
	}}
	tests := []struct {
		name string
		impl *scripted
	}{
		{"answer", &scripted{lookup: full}},
		{"no matches", &scripted{lookup: &connectors.LookupResponse{}}},
		{"rate limited", &scripted{err: connectors.Errorf(connectors.ClassRateLimited, "LookupByPhone", "slow down")}},
		{"unauthorized", &scripted{err: connectors.Errorf(connectors.ClassUnauthorized, "LookupByPhone", "bad token")}},
		{"unavailable", &scripted{err: connectors.Errorf(connectors.ClassUnavailable, "LookupByPhone", "CRM down")}},
		{"invalid request", &scripted{err: connectors.Errorf(connectors.ClassInvalidRequest, "LookupByPhone", "bad number")}},
		{"wrapped", &scripted{err: fmt.Errorf("page 2: %w", connectors.Errorf(connectors.ClassBadConfig, "", "no table"))}},
		{"unclassified", &scripted{err: errors.New("plain failure")}},
		{"connector deadline", &scripted{err: &connectors.Error{Class: connectors.ClassUnavailable, Op: "LookupByPhone", Message: "CRM slow", Err: context.DeadlineExceeded}}},
		{"panic", &scripted{panicVal: "boom"}},
		{"nil response", &scripted{nilResp: true}},
		{"unencodable", &scripted{lookup: &connectors.LookupResponse{Matches: []connectors.Match{
			{Contact: &connectors.Contact{ID: "c1", Fields: map[string]any{"f": func() {}}}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := withChannel(t, tt.impl)
			req := &connectors.LookupRequest{E164: "+442045205757", National: "2045205757", Raw: "020 4520 5757", Limit: 3}
			want, wantErr := c.LookupByPhoneUnary(context.Background(), req)
			got, gotErr := c.LookupByPhone(context.Background(), req)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("channel answered %+v, unary %+v", got, want)
			}
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || connectors.ClassOf(gotErr) != connectors.ClassOf(wantErr) ||
				errors.Is(gotErr, context.DeadlineExceeded) != errors.Is(wantErr, context.DeadlineExceeded) {
				t.Errorf("channel failed with %v (%s), unary with %v (%s)", gotErr, connectors.ClassOf(gotErr), wantErr, connectors.ClassOf(wantErr))
			}
			if r := tt.impl.reqs; len(r) != 2 || !reflect.DeepEqual(r[0], r[1]) {
				t.Errorf("the connector was asked %+v, want the same request twice", r)
			}
		})
	}
}

// A plugin built before the channel serves the service without
// OpenLookupChannel: gRPC answers UNIMPLEMENTED, the host is told
// ErrNoLookupChannel and its lookups stay unary calls that work.
func TestChannelOlderPluginFallsBackToUnary(t *testing.T) {
	old := pb.Connector_ServiceDesc
	old.Methods = nil
	for _, m := range pb.Connector_ServiceDesc.Methods {
		if m.MethodName != "OpenLookupChannel" {
			old.Methods = append(old.Methods, m)
		}
	}
	impl := &scripted{lookup: &connectors.LookupResponse{Matches: []connectors.Match{{Kind: connectors.MatchExact, Contact: &connectors.Contact{ID: "c1"}}}}}
	c := serveGRPC(t, &old, impl)
	if err := c.OpenLookupChannel(context.Background()); !errors.Is(err, ErrNoLookupChannel) {
		t.Fatalf("OpenLookupChannel on an older plugin: %v, want ErrNoLookupChannel", err)
	}
	if c.LookupChannelOpen() {
		t.Fatal("a lookup channel is open to a plugin that has none")
	}
	resp, err := c.LookupByPhone(context.Background(), &connectors.LookupRequest{E164: "+442045205757"})
	if err != nil || len(resp.Matches) != 1 || resp.Matches[0].Contact.ID != "c1" {
		t.Fatalf("LookupByPhone on an older plugin: %+v, %v", resp, err)
	}
}

// A host that offers no version the plugin speaks gets an error, and
// nothing listens.
func TestChannelVersionRefused(t *testing.T) {
	channelSocketDir(t)
	s := NewGRPCServer(&scripted{}, nil)
	cert, err := newChannelCertificate()
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range []*pb.OpenLookupChannelRequest{
		{Version: 0, ClientCertificate: cert.Certificate[0]},
		{Version: 1, ClientCertificate: []byte("not a certificate")},
	} {
		if resp, err := s.OpenLookupChannel(context.Background(), req); err == nil {
			t.Errorf("OpenLookupChannel(%v) = %v, want an error", req, resp)
		}
	}
}

// Only the host that asked can connect: a connection with another
// certificate is refused and the channel's one connection is not given
// to it.
func TestChannelRefusesAnotherCertificate(t *testing.T) {
	channelSocketDir(t)
	s := NewGRPCServer(&scripted{}, nil)
	asked, err := newChannelCertificate()
	if err != nil {
		t.Fatal(err)
	}
	other, err := newChannelCertificate()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.OpenLookupChannel(context.Background(), &pb.OpenLookupChannelRequest{Version: 1, ClientCertificate: asked.Certificate[0]})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := dialChannelConn(ctx, resp, other)
	if err == nil {
		// TLS 1.3: the client learns of the refusal at its first read.
		_, _, err = c.lookup(ctx, &connectors.LookupRequest{E164: "+1"})
	}
	if err == nil {
		t.Fatal("a host with another certificate was served")
	}
	// And the host must pin the plugin's certificate too.
	resp2, err := s.OpenLookupChannel(context.Background(), &pb.OpenLookupChannelRequest{Version: 1, ClientCertificate: asked.Certificate[0]})
	if err != nil {
		t.Fatal(err)
	}
	resp2.ServerCertificate = other.Certificate[0]
	if _, err := dialChannelConn(ctx, resp2, asked); err == nil {
		t.Fatal("the host accepted a plugin certificate other than the one exchanged")
	}
}

// hanging is a connector whose lookups block until their context ends or
// the test releases them, reporting each start and what ended it.
type hanging struct {
	scripted
	started chan struct{}
	release chan struct{}
	ended   chan error
}

func newHanging(t *testing.T) *hanging {
	h := &hanging{started: make(chan struct{}, 10), release: make(chan struct{}), ended: make(chan error, 10)}
	t.Cleanup(func() { close(h.release) })
	return h
}

func (h *hanging) LookupByPhone(ctx context.Context, _ *connectors.LookupRequest) (*connectors.LookupResponse, error) {
	h.started <- struct{}{}
	select {
	case <-ctx.Done():
		h.ended <- ctx.Err()
		return nil, ctx.Err()
	case <-h.release:
		h.ended <- nil
		return &connectors.LookupResponse{}, nil
	}
}

// A hung plugin still times out per call: the host returns at its
// deadline, the connector's context expires too, and the next call
// works.
func TestChannelDeadlineOnHungPlugin(t *testing.T) {
	for _, timeout := range []time.Duration{time.Millisecond, 50 * time.Millisecond, 200 * time.Millisecond} {
		t.Run(timeout.String(), func(t *testing.T) {
			h := newHanging(t)
			c := withChannel(t, h)
			began := time.Now() // before the deadline is set, which counts from then
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			_, err := c.LookupByPhone(ctx, &connectors.LookupRequest{E164: "+442045205757"})
			took := time.Since(began)
			if !errors.Is(err, context.DeadlineExceeded) || connectors.ClassOf(err) != connectors.ClassUnavailable {
				t.Errorf("got %v, want ClassUnavailable and context.DeadlineExceeded", err)
			}
			if took < timeout || took > timeout+2*time.Second {
				t.Errorf("the call took %s", took)
			}
			select {
			case <-h.started:
			default:
				return // the deadline passed before the call was sent
			}
			select {
			case err := <-h.ended:
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("the connector's call ended with %v, want its deadline", err)
				}
			case <-time.After(5 * time.Second):
				t.Errorf("the connector's context did not expire with the host's deadline")
			}
		})
	}
}

// A canceled call returns at once with context.Canceled.
func TestChannelCancellation(t *testing.T) {
	h := newHanging(t)
	c := withChannel(t, h)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.LookupByPhone(ctx, &connectors.LookupRequest{E164: "+442045205757"})
		done <- err
	}()
	<-h.started
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || connectors.ClassOf(err) != connectors.ClassUnavailable {
			t.Errorf("got %v, want ClassUnavailable and context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a canceled call did not return")
	}
	// Already canceled: no call is made. (Sent without a deadline, it
	// would run in the plugin until it ended by itself.) The plugin
	// sees the next call only.
	if _, err := c.LookupByPhone(ctx, &connectors.LookupRequest{E164: "+1"}); !errors.Is(err, context.Canceled) {
		t.Errorf("a call with a canceled context: %v, want context.Canceled", err)
	}
	next, cancelNext := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancelNext()
	if _, err := c.LookupByPhone(next, &connectors.LookupRequest{E164: "+2"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the next call: %v, want its deadline", err)
	}
	if n := len(h.started); n != 1 {
		t.Errorf("the plugin saw %d calls after the cancellation, want 1 (the canceled call was sent)", n)
	}
}

// dying is a connector whose lookup cuts the plugin's end of the channel
// mid-call, as a plugin process that dies does.
type dying struct {
	scripted
	cut func()
}

func (d *dying) LookupByPhone(ctx context.Context, _ *connectors.LookupRequest) (*connectors.LookupResponse, error) {
	d.cut()
	<-ctx.Done()
	return nil, ctx.Err()
}

// A plugin that dies mid-call fails the calls in flight at once, with a
// ClassUnavailable error wrapping ErrConnectionLost; later lookups go
// over gRPC.
func TestChannelPluginDiesMidCall(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration // 0: none
	}{
		{"no deadline", 0},
		{"long deadline", time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, plug := net.Pipe()
			d := &dying{}
			d.cut = func() { _ = plug.Close() }
			s := NewGRPCServer(d, nil)
			go s.serveChannel(plug)
			ch := newLookupChannel(&channelConn{conn: host}, func(context.Context) (*channelConn, error) {
				return nil, errors.New("the plugin is gone")
			})
			defer ch.close()
			c := &GRPCClient{client: pb.NewConnectorClient(nil)}
			c.channel.Store(ch)

			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			began := time.Now()
			_, err := c.LookupByPhone(ctx, &connectors.LookupRequest{E164: "+442045205757"})
			if took := time.Since(began); took > 2*time.Second {
				t.Errorf("the call took %s to fail", took)
			}
			if connectors.ClassOf(err) != connectors.ClassUnavailable || !errors.Is(err, ErrConnectionLost) {
				t.Errorf("got %v, want ClassUnavailable wrapping ErrConnectionLost", err)
			}
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				t.Errorf("got %v: the call waited for its context instead of failing when the plugin died", err)
			}
			ch.mu.Lock()
			left := len(ch.conns)
			ch.mu.Unlock()
			if left != 0 {
				t.Errorf("%d connections left in the pool after the only one broke", left)
			}
		})
	}
}

// echo answers every lookup with a contact whose id is the number asked
// for, so that concurrent calls can check they got their own answer.
type echo struct{ scripted }

func (*echo) LookupByPhone(_ context.Context, req *connectors.LookupRequest) (*connectors.LookupResponse, error) {
	return &connectors.LookupResponse{Matches: []connectors.Match{{Kind: connectors.MatchExact, Contact: &connectors.Contact{ID: req.E164}}}}, nil
}

// Many goroutines at once each get their own answer, over the channel's
// connections or, when none is idle, over gRPC; the pool never grows
// past its size. Run it under -race.
func TestChannelConcurrentCalls(t *testing.T) {
	c := withChannel(t, &echo{})
	const goroutines, calls = 32, 50
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				n := fmt.Sprintf("+44%04d%06d", g, i)
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				resp, err := c.LookupByPhone(ctx, &connectors.LookupRequest{E164: n})
				cancel()
				if err != nil || len(resp.Matches) != 1 || resp.Matches[0].Contact.ID != n {
					errs <- fmt.Errorf("lookup %s: %+v, %v", n, resp, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	ch := c.channel.Load()
	ch.mu.Lock()
	n := len(ch.conns)
	ch.mu.Unlock()
	if n < 1 || n > maxChannelConns {
		t.Errorf("%d channel connections, want 1 to %d", n, maxChannelConns)
	}
}

// Close fails nothing that is not in flight: later lookups are unary calls.
func TestChannelClose(t *testing.T) {
	c := withChannel(t, &echo{})
	if _, err := c.LookupByPhone(context.Background(), &connectors.LookupRequest{E164: "+1"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if c.LookupChannelOpen() {
		t.Error("the channel is still open after Close")
	}
	resp, err := c.LookupByPhone(context.Background(), &connectors.LookupRequest{E164: "+2"})
	if err != nil || resp.Matches[0].Contact.ID != "+2" {
		t.Errorf("a lookup after Close: %+v, %v", resp, err)
	}
}
