package plugins

import (
	"bytes"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/plugins/internal/wire"
)

func TestPrintReattach(t *testing.T) {
	var buf bytes.Buffer
	printReattach(&buf, "example", wire.Reattach{Protocol: "grpc", ProtocolVersion: 1, Pid: 7, Test: true,
		Addr: wire.ReattachAddr{Network: "unix", String: "/tmp/p"}})
	out := buf.String()
	raw := `{"protocol":"grpc","protocol_version":1,"pid":7,"test":true,"addr":{"network":"unix","string":"/tmp/p"}}`
	for _, want := range []string{
		"export SWITCHBOARD_REATTACH_EXAMPLE='" + raw + "'",
		"reattach: " + raw,
		"SWITCHBOARD_PLUGIN_DEBUG=1 dlv exec",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not contain %q:\n%s", want, out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[len(lines)-1] != raw {
		t.Errorf("last line %q; want the config alone", lines[len(lines)-1])
	}
}

func TestVersionMismatch(t *testing.T) {
	tests := []struct {
		offered string
		want    string
	}{
		{"", ""},
		{"1", ""},
		{"2,1", ""},
		{"2,3", "speaks connector protocol version(s) 2,3, this plugin speaks [1]"},
	}
	for _, tt := range tests {
		got := versionMismatch(tt.offered, []int{1})
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("versionMismatch(%q) = %q; want %q", tt.offered, got, tt.want)
		}
	}
}

// The exported names are spelled out for their documentation; the wire
// (and so the host) must use the same.
func TestEnvNamesMatchTheWire(t *testing.T) {
	if DebugEnv != wire.DebugEnv || LogLevelEnv != wire.LogLevelEnv {
		t.Errorf("DebugEnv %q / LogLevelEnv %q differ from the wire's %q / %q",
			DebugEnv, LogLevelEnv, wire.DebugEnv, wire.LogLevelEnv)
	}
}
