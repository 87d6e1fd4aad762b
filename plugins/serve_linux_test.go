//go:build linux

package plugins

import (
	"testing"

	"github.com/switchboard-hq/switchboard/plugins/internal/plugintest"
)

// TestPluginDoesNotOutliveItsHost: a plugin started by a plain go-plugin
// host (hostMain, which sets no parent-death signal of its own) goes when
// that host is SIGKILLed, through the plugin side's parent watcher.
func TestPluginDoesNotOutliveItsHost(t *testing.T) {
	plugintest.AssertPluginDiesWithHost(t, hostModeEnv+"="+plugintest.FakePlugin())
}
