package plugins

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/plugins/internal/plugintest"
	"github.com/switchboard-hq/switchboard/plugins/internal/wire"
)

// hostModeEnv makes the test binary act as a plugin host (see hostMain).
const hostModeEnv = "PLUGINS_TEST_HOST_PLUGIN"

func TestMain(m *testing.M) { plugintest.Main(m, hostModeEnv, hostMain) }

func TestRunByHandExplainsAndFails(t *testing.T) {
	cmd := exec.Command(plugintest.FakePlugin())
	cmd.Env = append(os.Environ(), wire.Handshake.MagicCookieKey+"=") // no valid cookie
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("run by hand: %v, want exit status 1", err)
	}
	if stdout.Len() != 0 {
		t.Errorf("wrote to stdout: %q", stdout.String())
	}
	msg := stderr.String()
	for _, want := range []string{"switchboard-connector-fake is a Switchboard connector plugin", "not a program to run by hand", "run `switchboard`", "SWITCHBOARD_PLUGIN_DEBUG=1"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}

func TestPollParent(t *testing.T) {
	tests := []struct {
		name     string
		ppids    []int // successive getppid answers; the last repeats
		wantGone bool
	}{
		{"parent stays", []int{42}, false},
		{"parent dies", []int{42, 42, 1}, true},
		{"re-parented to a subreaper", []int{42, 77}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			getppid := func() int {
				n := int(calls.Add(1)) - 1
				return tt.ppids[min(n, len(tt.ppids)-1)]
			}
			gone := make(chan struct{})
			stop := make(chan struct{})
			finished := make(chan struct{})
			go func() {
				pollParent(stop, 42, getppid, time.Millisecond, func() { close(gone) })
				close(finished)
			}()
			if tt.wantGone {
				select {
				case <-gone:
				case <-time.After(5 * time.Second):
					t.Fatal("the parent's death went unnoticed")
				}
				<-finished
				return
			}
			plugintest.Eventually(t, 5*time.Second, "getppid polled 20 times", func() bool { return calls.Load() >= 20 })
			close(stop)
			<-finished
			select {
			case <-gone:
				t.Fatal("gone called while the parent lives")
			default:
			}
		})
	}
}

func TestPluginLogger(t *testing.T) {
	tests := []struct {
		level       string
		debugShown  bool
		warnUnknown bool
	}{
		{"", false, false},
		{"info", false, false},
		{"debug", true, false},
		{"TRACE", true, false},
		{"error", false, false},
		{"chatty", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			var buf bytes.Buffer
			logger := newPluginLogger(&buf, tt.level)
			logger.Debug("debug line")
			logger.Error("error line", "k", "v")
			var lines []map[string]any
			for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				var entry map[string]any
				if err := json.Unmarshal([]byte(l), &entry); err != nil {
					t.Fatalf("log line %q is not JSON: %v", l, err)
				}
				lines = append(lines, entry)
			}
			has := func(msg string) bool {
				for _, l := range lines {
					if l["@message"] == msg {
						return true
					}
				}
				return false
			}
			if has("debug line") != tt.debugShown {
				t.Errorf("debug shown = %v, want %v", !tt.debugShown, tt.debugShown)
			}
			if !has("error line") {
				t.Error("error line missing")
			}
			unknown := strings.Contains(buf.String(), "unknown log level")
			if unknown != tt.warnUnknown {
				t.Errorf("warned about an unknown level = %v, want %v", unknown, tt.warnUnknown)
			}
			if tt.warnUnknown && logger.GetLevel() != hclog.Info {
				t.Errorf("level = %v, want info", logger.GetLevel())
			}
		})
	}
}

func TestProtocolVersions(t *testing.T) {
	if got := ProtocolVersions(); len(got) != 2 || got[0] != connectors.ReadOnlyProtocolVersion || got[1] != int(wire.Handshake.ProtocolVersion) {
		t.Errorf("ProtocolVersions() = %v, want [%d %d]", got, connectors.ReadOnlyProtocolVersion, wire.Handshake.ProtocolVersion)
	}
	set := wire.PluginSets(nil, nil)[int(wire.Handshake.ProtocolVersion)]
	if _, ok := set[wire.PluginName]; !ok {
		t.Errorf("plugin set lacks %q", wire.PluginName)
	}
}

// hostMain is the test binary acting as a bare plugin host: it launches
// the plugin at path with go-plugin (deliberately without any parent-death
// setting of its own), prints the plugin's pid, and waits for stdin to
// close. The test SIGKILLs it to see the plugin go too.
func hostMain(path string) {
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: wire.PluginSets(nil, nil),
		Cmd:              exec.Command(path),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		GRPCDialOptions:  wire.GRPCDialOptions(),
		Logger:           hclog.New(&hclog.LoggerOptions{Output: os.Stderr, Level: hclog.Warn}),
	})
	defer client.Kill()
	rpc, err := client.Client()
	if err != nil {
		fmt.Fprintln(os.Stderr, "host: starting the plugin:", err)
		return
	}
	raw, err := rpc.Dispense(wire.PluginName)
	if err != nil {
		fmt.Fprintln(os.Stderr, "host: dispense:", err)
		return
	}
	if _, err := raw.(connectors.Connector).Describe(context.Background(), &connectors.DescribeRequest{}); err != nil {
		fmt.Fprintln(os.Stderr, "host: describe:", err)
		return
	}
	fmt.Println(client.ReattachConfig().Pid)
	_, _ = io.Copy(io.Discard, os.Stdin)
}
