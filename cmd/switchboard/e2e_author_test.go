package main

// End-to-end tests of the connector author's path: the example plugin
// served by the real host, `switchboard plugins describe`, and a plugin run
// by hand in debug mode that the host attaches to instead of launching.

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/plugins"
)

// exampleHostConfig serves connectors/example/testdata/crm.json with the
// example plugin; {{reattach}} is replaced by a reattach line or nothing.
const exampleHostConfig = `phone:
  default_region: GB
plugins:
  dir: ${SB_PLUGIN_DIR}
connectors:
  - name: crm
    plugin: example
    mode: live
    {{reattach}}
    config:
      path: {{root}}/connectors/example/testdata/crm.json
` + managerRouting

func exampleConfigFile(t *testing.T, reattach string) string {
	t.Helper()
	return writeConfig(t, t.TempDir(), "example.yaml", strings.Replace(exampleHostConfig, "{{reattach}}", reattach, 1))
}

func TestE2EExampleConnector(t *testing.T) {
	t.Parallel()
	cfg := exampleConfigFile(t, "")
	cli(t, nil, "lookup", "-config", cfg, "020 4520 5757").exits(0).stdoutHas("Ada Lovelace", "1093")
	cli(t, nil, "lookup", "-config", cfg, "+442079460999").exits(0).stdoutHas("1002") // ambiguous
}

var sha256RE = regexp.MustCompile(`(?m)^sha256:\s+[0-9a-f]{64}\s`)

func TestE2EPluginsDescribe(t *testing.T) {
	t.Parallel()
	_, pluginDir := binaries(t)
	r := cli(t, nil, "plugins", "describe", "-dir", pluginDir, "example").mustExit(0).stdoutHas(
		"plugin:        example\n",
		"name:          example\n",
		"version:       0.1.0\n",
		"protocol:      2 (this switchboard speaks 1, 2)\n",
		"capabilities:  lookup, list_contacts, list_companies, changed_since, lookup_by_key\n",
		"usable as:     mode: index or live\n",
		"description:   contacts and companies from a JSON file",
	)
	if !sha256RE.MatchString(r.stdout) {
		t.Errorf("plugins describe example: no sha256 line in\n%s", r.stdout)
	}

	// With a config: which connectors use it; and JSON.
	code, out, errOut := runCLI(t, nil, "plugins", "describe", "-config", exampleConfigFile(t, ""), "-json", "example")
	var d struct {
		Describe struct{ Name string }              `json:"describe"`
		SHA256   string                             `json:"sha256"`
		UsedBy   []struct{ Connector, Mode string } `json:"used_by"`
	}
	if err := json.Unmarshal([]byte(out), &d); code != 0 || err != nil {
		t.Fatalf("plugins describe -json: exit %d, %v\n%s\n%s", code, err, out, errOut)
	}
	if d.Describe.Name != "example" || len(d.SHA256) != 64 || len(d.UsedBy) != 1 || d.UsedBy[0].Connector != "crm" || d.UsedBy[0].Mode != "live" {
		t.Errorf("plugins describe -json: %+v", d)
	}

	cli(t, nil, "plugins", "describe", "-dir", pluginDir, "nosuch").exits(exitFailed).stderrHas("switchboard-connector-nosuch")
	cli(t, nil, "plugins", "describe", "-dir", pluginDir).exits(exitUsage).stderrHas("name one plugin")
}

// TestE2EDebugModeReattach runs the example plugin by hand with
// SWITCHBOARD_PLUGIN_DEBUG=1 (as under dlv), and points the host at it with
// the environment and with the config's reattach key: the host answers
// through it, and leaves it running when it exits.
func TestE2EDebugModeReattach(t *testing.T) {
	t.Parallel()
	_, pluginDir := binaries(t)
	cmd := exec.Command(filepath.Join(pluginDir, "switchboard-connector-example"))
	cmd.Env = append(os.Environ(), plugins.DebugEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "{") {
				lines <- sc.Text()
				break
			}
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
		exited <- cmd.Wait()
	}()
	var reattach string
	select {
	case reattach = <-lines:
	case <-time.After(30 * time.Second):
		t.Fatal("the plugin in debug mode printed no reattach config")
	}
	if reattach == "" {
		t.Fatal("the plugin in debug mode exited without a reattach config")
	}

	// Through the environment: the connector is named crm.
	cfg := exampleConfigFile(t, "")
	cli(t, []string{"SWITCHBOARD_REATTACH_CRM=" + reattach}, "lookup", "-config", cfg, "020 4520 5757").
		exits(0).stdoutHas("1093").outputHas("debug mode")
	// Through the config; the plugin outlived the first host.
	cfg = exampleConfigFile(t, "reattach: "+reattach)
	cli(t, nil, "lookup", "-config", cfg, "+442079460999").exits(0).stdoutHas("1002")

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the debug plugin exited with %v on SIGINT; want 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the debug plugin did not stop on SIGINT")
	}
}
