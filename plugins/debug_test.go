package plugins

import (
	"bytes"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/plugins/internal/wire"
	"github.com/switchboard-hq/switchboard/plugins/manager"
)

func TestPrintReattach(t *testing.T) {
	raw := `{"protocol":"grpc","protocol_version":1,"pid":7,"test":true,"addr":{"network":"unix","string":"/tmp/p"}}`
	for _, tt := range []struct {
		name  string
		names debugNames
		want  []string
	}{
		{"a connector named like its plugin", debugNames{plugin: "example", connector: "example"}, []string{
			"Connector plugin \"example\" is running",
			"export SWITCHBOARD_REATTACH_EXAMPLE='" + raw + "'",
			"name: example\n      plugin: example\n",
			"for another name, run the plugin with that name as its argument",
		}},
		// The bug of issue 14: the variable followed the name the
		// connector describes itself with, not the connector's name in
		// the config, which the host reads.
		{"a connector named otherwise", debugNames{plugin: "sqlite-crm", connector: "customers", given: true}, []string{
			"Connector plugin \"sqlite-crm\" is running",
			"here: the connector named \"customers\"",
			"export SWITCHBOARD_REATTACH_CUSTOMERS='" + raw + "'",
			"name: customers\n      plugin: sqlite-crm\n",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			printReattach(&buf, tt.names, wire.Reattach{Protocol: "grpc", ProtocolVersion: 1, Pid: 7, Test: true,
				Addr: wire.ReattachAddr{Network: "unix", String: "/tmp/p"}})
			out := buf.String()
			for _, want := range append(tt.want, "reattach: "+raw, "SWITCHBOARD_PLUGIN_DEBUG=1 dlv exec") {
				if !strings.Contains(out, want) {
					t.Errorf("output does not contain %q:\n%s", want, out)
				}
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if lines[len(lines)-1] != raw {
				t.Errorf("last line %q; want the config alone", lines[len(lines)-1])
			}
		})
	}
}

func TestDebugNames(t *testing.T) {
	for _, tt := range []struct {
		args      []string
		described string
		want      debugNames
	}{
		// The plugin name is the binary's suffix, whatever the connector
		// calls itself.
		{[]string{"/opt/plugins/switchboard-connector-sqlite-crm"}, "sqlitecrm", debugNames{"sqlite-crm", "sqlite-crm", false}},
		{[]string{`C:\p\switchboard-connector-csv.exe`}, "csv", debugNames{"csv", "csv", false}},
		// A binary built elsewhere (go build -o /tmp/mycrm): the name the
		// connector describes itself with.
		{[]string{"/tmp/mycrm"}, "example", debugNames{"example", "example", false}},
		{[]string{"/tmp/mycrm"}, "", debugNames{"mycrm", "mycrm", false}},
		// The connector's name in the config, as the argument.
		{[]string{"/tmp/switchboard-connector-example", "customers"}, "example", debugNames{"example", "customers", true}},
	} {
		if got := debugNamesFor(tt.args, tt.described); got != tt.want {
			t.Errorf("debugNamesFor(%q, %q) = %+v; want %+v", tt.args, tt.described, got, tt.want)
		}
	}
}

func TestBinaryPrefixMatchesTheManager(t *testing.T) {
	if binaryPrefix != manager.BinaryPrefix {
		t.Errorf("binaryPrefix %q; the manager finds plugins as %q", binaryPrefix, manager.BinaryPrefix)
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
