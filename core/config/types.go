package config

// The sections of the configuration file. Each section's type, defaults and
// checks belong to the package that uses it (see check.go); this file only
// says which section is where.

import (
	yaml "go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/aftercall"
	"github.com/switchboard-hq/switchboard/core/cards"
	"github.com/switchboard-hq/switchboard/core/crmsync"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/extmgmt"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/journal"
	"github.com/switchboard-hq/switchboard/core/logging"
	"github.com/switchboard-hq/switchboard/core/ringostat"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/server"
	"github.com/switchboard-hq/switchboard/core/smartivr"
	"github.com/switchboard-hq/switchboard/core/speeddial"
	"github.com/switchboard-hq/switchboard/core/webhook"
	"github.com/switchboard-hq/switchboard/plugins/manager"
)

// DefaultFile is the configuration file's default name.
const DefaultFile = "switchboard.yaml"

// Config is the host's whole configuration.
type Config struct {
	Server     server.Config    `yaml:"server"`
	Log        logging.Config   `yaml:"log"`
	Phone      phone.Config     `yaml:"phone"`
	Plugins    manager.Config   `yaml:"plugins"`
	Connectors []Connector      `yaml:"connectors"`
	Directory  directory.Config `yaml:"directory"`
	Hipcall    HipcallConfig    `yaml:"hipcall"`
	// Routing is owned by core/routing: its type, and its checks in
	// routing.New (run by the host, and so by `switchboard validate`).
	Routing routing.Config `yaml:"routing"`
	// Ringostat configures Ringostat's call routing endpoint (core/ringostat).
	Ringostat ringostat.Config `yaml:"ringostat"`
	// Cards configures Insight Cards pushed on webhooks (core/cards).
	Cards cards.Config `yaml:"cards"`
	// Sync configures the CRM → Hipcall sync (core/crmsync).
	Sync crmsync.Config `yaml:"sync"`
	// Journal is where webhook events and the work they cause are kept
	// (core/journal).
	Journal journal.Config `yaml:"journal"`

	// File is the name the configuration was loaded under, as used in
	// positions.
	File string `yaml:"-"`
	// BaseDir is the directory relative paths were resolved against (the
	// configuration file's directory).
	BaseDir string `yaml:"-"`

	// index maps dotted paths ("connectors.0.timeout") to their nodes.
	index nodeIndex
}

// Connector is one entry of connectors:, composed of the parts its owners
// check: the plugin to launch (plugins/manager), how the directory asks it
// (core/directory), and the connector's own block (its plugin). Lookups
// try connectors in list order.
type Connector struct {
	// Name is unique, [a-z0-9_-]+ (core/host checks the list).
	Name                   string `yaml:"name"`
	manager.LaunchConfig   `yaml:",inline"`
	directory.SourceConfig `yaml:",inline"`
	// Config is the connector's own block, environment references already
	// resolved, or nil when absent. See ConfigYAML and ConfigPos.
	Config *yaml.Node `yaml:"-" raw:"config"`

	// Pos is where the entry starts.
	Pos Position `yaml:"-"`
	// configKey is the position of the "config:" key (or Pos).
	configKey Position `yaml:"-"`
}

// HipcallConfig is the Hipcall integration's configuration.
type HipcallConfig struct {
	// SmartIVR is Hipcall's Smart IVR endpoint (core/smartivr).
	SmartIVR smartivr.Config `yaml:"smart_ivr"`
	// API is how to reach Hipcall's REST API (core/hipcall).
	API hipcall.APIConfig `yaml:"api"`
	// Webhook is the endpoint Hipcall's webhooks are sent to (core/webhook).
	Webhook webhook.Config `yaml:"webhook"`
	// AfterCall is what is done in Hipcall when a call ends (core/aftercall).
	AfterCall aftercall.Config `yaml:"after_call"`
	// ExternalManagement answers Hipcall's External Management steps with
	// a flow (core/extmgmt).
	ExternalManagement extmgmt.Config `yaml:"external_management"`
	// SpeedDial answers Hipcall's Speed Dial web service (core/speeddial).
	SpeedDial speeddial.Config `yaml:"speed_dial"`
}

// Default returns the configuration with every default applied and nothing
// else: no connectors, no default region, no default extension.
func Default() *Config {
	return &Config{
		Server:    server.DefaultConfig(),
		Log:       logging.DefaultConfig(),
		Plugins:   manager.DefaultConfig(),
		Directory: directory.DefaultConfig(),
		Hipcall: HipcallConfig{SmartIVR: smartivr.DefaultConfig(), API: hipcall.DefaultAPIConfig(), Webhook: webhook.DefaultConfig(),
			AfterCall: aftercall.DefaultConfig(), ExternalManagement: extmgmt.DefaultConfig(), SpeedDial: speeddial.DefaultConfig()},
		Cards:     cards.DefaultConfig(),
		Ringostat: ringostat.DefaultConfig(),
		Sync:      crmsync.DefaultConfig(),
		Journal:   journal.DefaultConfig(),
	}
}

// applyDefaults fills a new connectors: entry before it is decoded.
func (c *Connector) applyDefaults() { c.SourceConfig = directory.DefaultSourceConfig() }
