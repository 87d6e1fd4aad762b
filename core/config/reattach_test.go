package config

import (
	"github.com/switchboard-hq/switchboard/plugins/manager"

	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const reattachBase = `
phone:
  default_region: GB
connectors:
  - name: customers
    plugin: example
    reattach: %s
routing:
  default:
    hipcall: "100"
`

func TestReattach(t *testing.T) {
	load := func(t *testing.T, block string) (*Config, error) {
		t.Helper()
		path := filepath.Join(t.TempDir(), DefaultFile)
		if err := os.WriteFile(path, []byte(strings.Replace(reattachBase, "%s", block, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		return Load(path)
	}

	t.Run("the line a plugin prints", func(t *testing.T) {
		cfg, err := load(t, `{"protocol":"grpc","protocol_version":1,"pid":42,"test":true,"addr":{"network":"unix","string":"/tmp/plugin1"}}`)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		r := cfg.Connectors[0].Reattach
		want := manager.Reattach{Protocol: "grpc", ProtocolVersion: 1, Pid: 42, Test: true, Addr: manager.ReattachAddr{Network: "unix", String: "/tmp/plugin1"}}
		if r == nil || *r != want {
			t.Errorf("Reattach = %+v, want %+v", r, want)
		}
	})

	tests := []struct {
		name, block string
		wants       []string
	}{
		{"bad values", `{protocol: netrpc, addr: {network: udp, string: x}}`, []string{
			`:7:26: connectors[0].reattach.protocol must be "grpc", got "netrpc"; paste the line`,
			`:7:5: connectors[0].reattach.protocol_version is required`,
			`connectors[0].reattach.pid is required`,
			`connectors[0].reattach.addr.network must be "unix" or "tcp", got "udp"`,
		}},
		{"unknown key", `{"protocol":"grpc","protocol_version":1,"pids":42,"addr":{"network":"tcp","string":""}}`, []string{
			`unknown key "pids" in connectors[0].reattach (did you mean "pid"?)`,
		}},
		{"no address", `{"protocol":"grpc","protocol_version":1,"pid":42,"addr":{"network":"tcp","string":""}}`, []string{
			`connectors[0].reattach.addr.string is required`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.block)
			var probs *Problems
			if !errors.As(err, &probs) {
				t.Fatalf("Load = %v, want *Problems", err)
			}
			for _, want := range tt.wants {
				if !strings.Contains(probs.Error(), want) {
					t.Errorf("problems:\n%s\nwant one containing %q", probs.Error(), want)
				}
			}
		})
	}
}
