package manager

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
)

// TestProtocolNegotiation starts the fake plugin speaking various
// connector protocol versions against this host (which speaks 1, read-only,
// and 2, connectors.ProtocolVersion): the newest common version is picked
// (a plugin that speaks only 1 is read-only), otherwise the error says what
// each side speaks and what to do.
func TestProtocolNegotiation(t *testing.T) {
	tests := []struct {
		name       string
		versions   string // FAKEPLUGIN_PROTOCOL_VERSION
		wants      []string
		negotiated int
		readOnly   bool // the writes are refused unsent
	}{
		{name: "plugin speaks ours and a newer one", versions: "2,3", negotiated: 2},
		{name: "plugin speaks an older and ours", versions: "0,1,2", negotiated: 2},
		{name: "plugin speaks only the read-only version", versions: "1", negotiated: 1, readOnly: true},
		{name: "plugin newer", versions: "3,4", wants: []string{
			"speaks connector protocol version 3 or newer", "this switchboard speaks version(s) [1 2]",
			"the plugin is newer", "upgrade switchboard", "built for protocol 2"}},
		{name: "plugin older", versions: "0", wants: []string{
			"speaks connector protocol version 0,", "this switchboard speaks version(s) [1 2]",
			"the plugin is older", "rebuild it", "speaks protocol 2"}},
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
			if negotiated != tt.negotiated {
				t.Errorf("negotiated protocol %d, want %d", negotiated, tt.negotiated)
			}
			if _, err := p.Check(context.Background(), &connectors.CheckRequest{}); err != nil {
				t.Errorf("Check after negotiating: %v", err)
			}
			_, err = p.LogCall(context.Background(), &connectors.LogCallRequest{Key: "call/log", ContactID: "1"})
			if tt.readOnly {
				mustContain(t, err, "speaks connector protocol version 1, which cannot write", "rebuild it")
			} else if connectors.ClassOf(err) != connectors.ClassUnsupported || strings.Contains(err.Error(), "cannot write") {
				// The fake plugin writes nothing: its connector answers
				// unsupported from the plugin's side.
				t.Errorf("LogCall on a version-%d plugin that cannot write: %v; want the plugin's unsupported error", negotiated, err)
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
