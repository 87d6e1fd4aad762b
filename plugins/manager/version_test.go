package manager

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
)

// TestProtocolNegotiation starts the fake plugin speaking various
// connector protocol versions against this host (which speaks only
// connectors.ProtocolVersion): a common version is picked, otherwise the
// error says what each side speaks and what to do.
func TestProtocolNegotiation(t *testing.T) {
	tests := []struct {
		name     string
		versions string // FAKEPLUGIN_PROTOCOL_VERSION
		wants    []string
	}{
		{name: "plugin speaks ours and a newer one", versions: "1,2"},
		{name: "plugin speaks an older and ours", versions: "0,1"},
		{name: "plugin newer", versions: "2,3", wants: []string{
			"speaks connector protocol version 2 or newer", "this switchboard speaks version(s) [1]",
			"the plugin is newer", "upgrade switchboard", "built for protocol 1"}},
		{name: "plugin older", versions: "0", wants: []string{
			"speaks connector protocol version 0,", "this switchboard speaks version(s) [1]",
			"the plugin is older", "rebuild it", "speaks protocol 1"}},
	}
	m := newManager(t, fastOptions())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := m.Start(context.Background(), Spec{
				Name: "negotiation", Plugin: "fake", Config: []byte(baseConfig),
				Env: []string{"FAKEPLUGIN_PROTOCOL_VERSION=" + tt.versions},
			})
			if tt.wants != nil {
				mustContain(t, err, tt.wants...)
				return
			}
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			defer p.Stop()
			p.mu.Lock()
			negotiated := p.proc.client.NegotiatedVersion()
			p.mu.Unlock()
			if negotiated != connectors.ProtocolVersion {
				t.Errorf("negotiated protocol %d, want %d", negotiated, connectors.ProtocolVersion)
			}
			if _, err := p.Check(context.Background(), &connectors.CheckRequest{}); err != nil {
				t.Errorf("Check after negotiating: %v", err)
			}
		})
	}
}

func TestVersionAdvice(t *testing.T) {
	tests := []struct {
		msg   string
		ours  []int
		wants []string
	}{
		{"Incompatible API version with plugin. Plugin version: 3, Client versions: [1 2]", []int{1, 2},
			[]string{"version 3 or newer", "[1 2]", "upgrade switchboard to a release that speaks protocol 3", "built for protocol 2"}},
		{"Incompatible API version with plugin. Plugin version: 1, Client versions: [2 3]", []int{2, 3},
			[]string{"version 1,", "[2 3]", "the plugin is older", "speaks protocol 3"}},
		{"incompatible API version with plugin", []int{1},
			[]string{"no connector protocol version this switchboard speaks ([1])", "make build"}},
	}
	for _, tt := range tests {
		got := versionAdvice(tt.msg, tt.ours)
		for _, w := range tt.wants {
			if !strings.Contains(got, w) {
				t.Errorf("versionAdvice(%q) = %q; want it to say %q", tt.msg, got, w)
			}
		}
	}
}
