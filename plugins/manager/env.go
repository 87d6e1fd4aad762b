package manager

import (
	"bytes"
	"maps"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"github.com/hashicorp/go-hclog"
	"go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/plugins/internal/wire"
)

// baseEnv names the host environment variables every plugin gets when
// they are set: what a process needs to run (find programs, a home and a
// temporary directory, the locale and time zone). Nothing else of the
// host's environment reaches a plugin (it holds the host's secrets, such
// as HIPCALL_TOKEN) unless the spec names it: see Spec.PassEnv.
var baseEnv = []string{"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TZ"}

// windowsEnv is what a Windows process needs besides baseEnv.
var windowsEnv = []string{"SYSTEMROOT", "WINDIR", "SYSTEMDRIVE", "TEMP", "TMP",
	"USERPROFILE", "APPDATA", "LOCALAPPDATA", "PATHEXT", "COMSPEC"}

// envNameRE is the shape of an environment variable's name.
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// env is the plugin's environment: baseEnv and the variables passEnv
// names, taken from the host's environment where set; the plugin log level
// (the host's own); then spec.Env, later entries winning. go-plugin adds
// its own protocol variables (the magic cookie, PLUGIN_PROTOCOL_VERSIONS,
// the client certificate) and describe adds the socket directory.
func (m *Manager) env(spec Spec) []string {
	names := append([]string(nil), baseEnv...)
	if runtime.GOOS == "windows" {
		names = append(names, windowsEnv...)
	}
	names = append(names, passEnv(spec)...)
	var env []string
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	if lvl := m.log.GetLevel(); lvl != hclog.NoLevel {
		env = append(env, wire.LogLevelEnv+"="+lvl.String())
	}
	return append(env, spec.Env...)
}

// passEnv names the host environment variables the plugin reads itself:
// spec.PassEnv, and the value of every top-level setting of the
// connector's block whose key ends in "_env" (the PostgreSQL connector's
// dsn_env: CRM_DSN names the variable holding its DSN, which the plugin
// reads). A value that is not a variable name is ignored here: the
// connector reports it when configured.
func passEnv(spec Spec) []string {
	names := append([]string(nil), spec.PassEnv...)
	if !bytes.Contains(spec.Config, []byte("_env")) {
		return names
	}
	var block map[string]any
	if err := yaml.Unmarshal(spec.Config, &block); err != nil {
		return names // the plugin reports a malformed block
	}
	for _, k := range slices.Sorted(maps.Keys(block)) {
		if s, ok := block[k].(string); ok && strings.HasSuffix(k, "_env") && envNameRE.MatchString(s) {
			names = append(names, s)
		}
	}
	return names
}
