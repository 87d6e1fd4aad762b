package manager

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/go-plugin"

	"github.com/switchboard-hq/switchboard/plugins/internal/wire"
)

// TestPluginEnvironmentIsMinimal starts the fake plugin, which writes its
// environment to a file, and checks that the host's secrets stay in the
// host while what a process needs, and what the spec names, gets through.
func TestPluginEnvironmentIsMinimal(t *testing.T) {
	t.Setenv("HIPCALL_TOKEN", "hipcall-secret")
	t.Setenv("SECRET_X", "x-secret")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("TMPDIR", t.TempDir())
	t.Setenv("PASSED_X", "passed by PassEnv")
	t.Setenv("FAKE_TOKEN", "named by token_env")
	if os.Getenv("PATH") == "" {
		t.Setenv("PATH", "/usr/bin:/bin")
	}

	envFile := filepath.Join(t.TempDir(), "env")
	m := newManager(t, fastOptions())
	spec := Spec{
		Name: "env", Plugin: "fake",
		Config:  withConfig("env_file: " + envFile + "\ntoken_env: FAKE_TOKEN"),
		PassEnv: []string{"PASSED_X", "UNSET_X"},
		Env:     []string{"EXPLICIT_X=given", "HOME=/overridden"},
	}
	if _, err := m.Start(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	var names []string
	for _, kv := range strings.Split(string(raw), "\x00") {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
		names = append(names, k)
	}
	slices.Sort(names)
	t.Logf("plugin environment: %v", names)

	for _, secret := range []string{"HIPCALL_TOKEN", "SECRET_X", "UNSET_X"} {
		if v, ok := env[secret]; ok {
			t.Errorf("%s reached the plugin (%q)", secret, v)
		}
	}
	want := map[string]string{
		"PATH":                        os.Getenv("PATH"),
		"TMPDIR":                      os.Getenv("TMPDIR"),
		"HOME":                        "/overridden", // spec.Env wins
		"PASSED_X":                    "passed by PassEnv",
		"FAKE_TOKEN":                  "named by token_env",
		"EXPLICIT_X":                  "given",
		wire.Handshake.MagicCookieKey: wire.Handshake.MagicCookieValue,
	}
	for k, v := range want {
		if got, ok := env[k]; !ok || got != v {
			t.Errorf("plugin's %s = %q (set: %v), want %q", k, got, ok, v)
		}
	}
	for _, k := range []string{"PLUGIN_PROTOCOL_VERSIONS", plugin.EnvUnixSocketDir, wire.LogLevelEnv} {
		if env[k] == "" {
			t.Errorf("plugin's %s is not set", k)
		}
	}
}

func TestPassEnv(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want []string
	}{
		{"nothing", Spec{Config: []byte("dsn: postgres://x")}, nil},
		{"explicit", Spec{PassEnv: []string{"A"}}, []string{"A"}},
		{"from the block", Spec{PassEnv: []string{"A"}, Config: []byte("dsn_env: CRM_DSN\nother: 1\n")}, []string{"A", "CRM_DSN"}},
		{"not a name", Spec{Config: []byte("dsn_env: \"CRM DSN; x\"\n")}, nil},
		{"not a string", Spec{Config: []byte("dsn_env: [A]\n")}, nil},
		{"nested keys are not read", Spec{Config: []byte("x:\n  dsn_env: B\n")}, nil},
		{"malformed block", Spec{Config: []byte("dsn_env: [\n")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := passEnv(tt.spec); !slices.Equal(got, tt.want) {
				t.Errorf("passEnv = %q, want %q", got, tt.want)
			}
		})
	}
}
