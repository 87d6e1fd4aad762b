package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/core/routing"
)

// The sample data (configs/sample/customers.csv) and routing rules
// (configs/example.yaml) give these answers.
const (
	extDefault   = "1000"
	extAmbiguous = "1002"
	extKnown     = "1001"
	extVIP       = "1090"
)

func TestE2ESmartIVRExampleConfig(t *testing.T) {
	t.Parallel()
	h := startHost(t, exampleConfig(t))

	cases := []struct {
		name, body, want string
	}{
		{"E.164 with plus", `{"caller":"+442045205757","number":"+442045200000","timestamp":1774427991,"uuid":"a2b7bf8f-0000-4000-8000-000000000001"}`, "1093"},
		{"E.164 without plus", `{"caller":"442045205757"}`, "1093"},
		{"national with trunk zero", `{"caller":"02045205757"}`, "1093"},
		{"CRM number with extension", `{"caller":"+442079460018"}`, "1093"},
		{"CRM mobile national", `{"caller":"+447700900123"}`, "1093"},
		{"CRM 0044 prefix", `{"caller":"+441614960000"}`, "1094"},
		{"CRM spurious trunk zero after +90", `{"caller":"905321234567"}`, "1095"},
		{"CRM 00 prefix", `{"caller":"+905321234568"}`, "1095"},
		{"CRM Turkish extension slash", `{"caller":"+902125551234"}`, "1095"},
		{"CRM US number without plus", `{"caller":"+12025550142"}`, extVIP},
		{"known, no manager, low balance", `{"caller":"+441134960999"}`, extKnown},
		{"ambiguous shared number", `{"caller":"+442079460999"}`, extAmbiguous},
		{"unknown number", `{"caller":"+447700900999"}`, extDefault},
		{"caller as a JSON number", `{"caller":442045205757}`, "1093"},
		{"unknown extra keys", `{"caller":"+442045205757","foo":{"bar":1}}`, "1093"},
		{"not a number", `{"caller":"call me maybe"}`, extDefault},
		{"malformed JSON", `{"caller":`, extDefault},
		{"missing caller", `{"number":"+442045200000"}`, extDefault},
		{"empty body", ``, extDefault},
		{"absurd size", `{"caller":"+442045205757","pad":"` + strings.Repeat("x", 1<<20) + `"}`, extDefault},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, ext := h.ivr(tc.body)
			if code != 200 || ext != tc.want {
				t.Errorf("POST %.80s → %d %q, want 200 %q", tc.body, code, ext, tc.want)
			}
		})
	}
	if n := h.metric("switchboard_routing_decisions_total", `rule="account-manager",target="hipcall"`); n < 1 {
		t.Errorf("decisions metric for account-manager = %v, want ≥ 1", n)
	}
}

func TestE2EBasicAuth(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "auth.yaml", liveConfig("index", `
hipcall:
  smart_ivr:
    basic_auth:
      username: hipcall
      password: ${IVR_PASSWORD}
`))
	h := startHost(t, cfg, "IVR_PASSWORD=s3cret-Pa55")
	if code, ext := h.ivr(`{"caller":"+442045205757"}`, "hipcall", "s3cret-Pa55"); code != 200 || ext != "1093" {
		t.Errorf("right credentials → %d %q", code, ext)
	}
	for _, cred := range [][]string{{"hipcall", "wrong"}, {"other", "s3cret-Pa55"}, {}} {
		if code, _ := h.ivr(`{"caller":"+442045205757"}`, cred...); code != http.StatusUnauthorized {
			t.Errorf("credentials %q → %d, want 401", cred, code)
		}
	}
	h.logsHide("s3cret-Pa55")
}

// liveConfig is a config over the sample CSV in the given mode, plus extra YAML.
func liveConfig(mode, extra string) string {
	return sampleCSVConfig(mode, managerRouting+`    - name: known
      when: found
      to:
        hipcall: "1001"
`+extra)
}

// TestE2EPluginKilled kills the CSV plugin with SIGKILL while requests flow:
// every request still gets 200 with a valid extension, and the plugin is
// back within seconds. In live mode lookups need the plugin, so answers fall
// back to the default while it is down; in index mode they keep coming from
// the host's index.
func TestE2EPluginKilled(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"live", "index"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			cfg := writeConfig(t, t.TempDir(), "cfg.yaml", liveConfig(mode, ""))
			h := startHost(t, cfg)
			healthy := func() (bool, string) {
				_, ext := h.ivr(`{"caller":"+442045205757"}`)
				return ext == "1093", "extension " + ext
			}
			sent, back := h.killPluginUnderLoad(healthy, func(int) (bool, string) {
				code, ext := h.ivr(`{"caller":"+442045205757"}`)
				return code == 200 && (ext == "1093" || ext == extDefault), fmt.Sprintf("%d %q", code, ext)
			})
			t.Logf("%s mode: %d requests, all answered; plugin back after %s", mode, sent, back.Round(time.Millisecond))
		})
	}
}

// TestE2EPluginHung: a plugin that stops answering (SIGSTOP) is detected by
// the health ping and replaced, and rings are answered meanwhile.
func TestE2EPluginHung(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, t.TempDir(), "cfg.yaml", liveConfig("live", ""))
	h := startHost(t, cfg)
	// Stop the plugin the host is using: on a loaded machine the supervisor
	// may have just replaced a slow starter, so the process stopped must
	// still be the host's only plugin afterwards.
	var pids []int
	for attempt := 0; ; attempt++ {
		pids = h.pluginPIDs()
		if len(pids) != 1 {
			t.Fatalf("children %v", pids)
		}
		if err := syscall.Kill(pids[0], syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		// kill returns before every thread of the process has stopped:
		// wait for the kernel to say it has (state T), or a request sent
		// now may still be answered.
		eventually(t, 5*time.Second, func() (bool, string) {
			st := processState(pids[0])
			return st == "T" || st == "", "plugin state " + st
		})
		if now := h.pluginPIDs(); len(now) == 1 && now[0] == pids[0] {
			break
		}
		syscall.Kill(pids[0], syscall.SIGKILL)
		if attempt == 5 {
			t.Fatal("the plugin kept being replaced; cannot stop the one in use")
		}
		h.waitReady(15 * time.Second)
	}
	defer syscall.Kill(pids[0], syscall.SIGKILL)
	start := time.Now()
	code, ext := h.ivr(`{"caller":"+442045205757"}`)
	if code != 200 || ext != extDefault {
		t.Errorf("while hung: %d %q, want 200 %q", code, ext, extDefault)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("answer while hung took %s, deadline is 500ms", d)
	}
	eventually(t, 15*time.Second, func() (bool, string) {
		_, ext := h.ivr(`{"caller":"+442045205757"}`)
		return ext == "1093", "extension " + ext
	})
}

func TestE2EHostKilledTakesPluginsDown(t *testing.T) {
	t.Parallel()
	h := startHost(t, writeConfig(t, t.TempDir(), "cfg.yaml", liveConfig("index", "")))
	pids := h.pluginPIDs()
	if len(pids) != 1 {
		t.Fatalf("children %v", pids)
	}
	h.cmd.Process.Kill()
	<-h.exited
	eventually(t, 10*time.Second, func() (bool, string) {
		err := syscall.Kill(pids[0], 0)
		if err == nil {
			// A zombie is dead but not reaped: read its state.
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pids[0]))
			f := strings.Fields(string(b))
			return len(f) > 2 && f[2] == "Z", "plugin still running"
		}
		return true, ""
	})
}

func TestE2EValidate(t *testing.T) {
	t.Parallel()
	cli(t, nil, "validate", "-config", exampleConfig(t)).mustExit(0).stdoutHas("OK")

	dir := t.TempDir()
	bad := writeConfig(t, dir, "bad.yaml", `server:
  listen: "127.0.0.1:0"
  colour: blue
phone:
  default_region: GB
connectors:
  - name: customers
    plugin: csv
    config:
      path: {{root}}/configs/sample/customers.csv
      columns:
        id: CustomerID
        phonez: [Phone]
routing:
  default:
    hipcall: "1000"
  rules:
    - name: broken
      when: found && record.balance >
      to:
        hipcall: "1"
    - name: missing-var
      when: ${NOT_SET_ANYWHERE} == "x"
      to:
        hipcall: "2"
`)
	cli(t, nil, "validate", "-config", bad).mustExit(exitUsage).stderrHas(
		"bad.yaml:3:3:",    // unknown key server.colour
		"NOT_SET_ANYWHERE", // missing env var
	)
}

func TestE2EValidatePluginAndRuleProblems(t *testing.T) {
	t.Parallel()
	bad := writeConfig(t, t.TempDir(), "bad.yaml", `phone:
  default_region: GB
plugins:
  dir: ${SB_PLUGIN_DIR}
connectors:
  - name: customers
    plugin: csv
    config:
      path: {{root}}/configs/sample/customers.csv
      columns:
        id: CustomerID
        phonez: [Phone]
routing:
  default:
    hipcall: "1000"
  rules:
    - name: broken
      when: found && record.balance >
      to:
        hipcall: "1"
`)
	cli(t, nil, "validate", "-config", bad).mustExit(exitUsage).stderrHas(
		"bad.yaml:12:17:", // the plugin's unknown key, mapped back to the host file
		"phonez",
		"bad.yaml:18:13:", // the rule's broken expression
	)
}

func TestE2ELookupCommand(t *testing.T) {
	t.Parallel()
	cli(t, nil, "lookup", "-config", exampleConfig(t), "020 4520 5757").mustExit(0).
		stdoutHas("+442045205757", "Ada Lovelace", "exact", "extension:", "1093", "account-manager")
	cli(t, nil, "lookup", "-config", exampleConfig(t), "-json", "+442079460999").exits(0).
		stdoutHas(`"ambiguous": true`, `"target": "hipcall"`, `"destination": "1002"`)
}

func TestE2EPluginsAndVersion(t *testing.T) {
	t.Parallel()
	_, pluginDir := binaries(t)
	cli(t, nil, "plugins", "-dir", pluginDir).exits(0).stdoutHas("csv", "lookup")
	if r := cli(t, nil, "version").exits(0); !strings.HasPrefix(r.stdout, "switchboard ") {
		t.Errorf("version: %q, want it to start with \"switchboard \"", r.stdout)
	}
	cli(t, nil, "frobnicate").exits(exitUsage).stderrHas("unknown command")
}

// TestE2EReadmeExamples runs every `$ `-prefixed command shown in
// README.md (curl against a host serving configs/example.yaml, and the
// switchboard CLI) exactly as written, apart from the host's port and the
// binary's path, and checks that it prints what the README shows
// (durations masked).
func TestE2EReadmeExamples(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed to run the README's examples: install it (Debian: apt-get install curl)")
	}
	hostBin, pluginDir := binaries(t)
	examples := readmeCommands(t, filepath.Join(repoRoot, "README.md"))
	curls := 0
	for _, ex := range examples {
		if strings.HasPrefix(ex.command, "curl ") {
			curls++
		}
	}
	if curls < 4 {
		t.Fatalf("README.md shows %d curl examples with answers, want at least 4", curls)
	}
	h := startHost(t, exampleConfig(t))
	for _, ex := range examples {
		command := strings.ReplaceAll(ex.command, "localhost:5008", h.addr)
		command = strings.Replace(command, "bin/switchboard ", hostBin+" ", 1)
		cmd := exec.Command("bash", "-c", command)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "SB_PLUGIN_DIR="+pluginDir)
		out, err := cmd.Output()
		if err != nil {
			t.Errorf("README line %d: `%s`: %v", ex.line, ex.command, err)
			continue
		}
		if got, want := maskDurations(strings.TrimSpace(string(out))), maskDurations(ex.want); got != want {
			t.Errorf("README line %d: `%s` printed\n%s\nREADME shows\n%s", ex.line, ex.command, got, want)
		}
	}
}

// TestDocsShowRoutingEnvironment keeps docs/configuration.md's list of the
// variables rules can use identical to what the router provides.
func TestDocsShowRoutingEnvironment(t *testing.T) {
	binaries(t)
	doc, err := os.ReadFile(filepath.Join(repoRoot, "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), strings.TrimSpace(routing.EnvDoc())) {
		t.Error("docs/configuration.md does not contain routing.EnvDoc(): regenerate its \"What rules can use\" section from core/routing/testdata/envdoc.golden")
	}
}

// processState is the state letter of /proc/<pid>/stat ("R", "S", "T"...),
// or "" when the process is gone.
func processState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// pid (comm) state ...: comm may hold spaces, so read after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return ""
	}
	return string(b[i+2])
}
