package config

import (
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/cards"
	"github.com/switchboard-hq/switchboard/core/crmsync"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/logging"
	"github.com/switchboard-hq/switchboard/core/webhook"
	"github.com/switchboard-hq/switchboard/plugins/manager"

	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/core/routing"
)

// DefaultFile is the configuration file's default name.
const DefaultFile = "switchboard.yaml"

// Limits and defaults that other packages may want to quote.
const (
	// MaxBodyBytesLimit is the largest allowed server.max_body_bytes.
	MaxBodyBytesLimit = 10 << 20
	// MaxSmartIVRDeadline is the largest allowed hipcall.smart_ivr.deadline:
	// Hipcall waits 3s for an answer.
	MaxSmartIVRDeadline = 2500 * time.Millisecond
)

// Config is the host's whole configuration.
type Config struct {
	Server     ServerConfig     `yaml:"server"`
	Log        logging.Config   `yaml:"log"`
	Phone      phone.Config     `yaml:"phone"`
	Plugins    manager.Config   `yaml:"plugins"`
	Connectors []Connector      `yaml:"connectors"`
	Directory  directory.Config `yaml:"directory"`
	Hipcall    HipcallConfig    `yaml:"hipcall"`
	// Routing is owned by core/routing: its type, and its checks in
	// routing.New (run by the host, and so by `switchboard validate`).
	Routing routing.Config `yaml:"routing"`
	// Ringostat configures Ringostat's call routing endpoint (ringostat.go).
	Ringostat RingostatConfig `yaml:"ringostat"`
	// Cards configures Insight Cards pushed on webhooks (core/cards).
	Cards cards.Config `yaml:"cards"`
	// Sync configures the CRM → Hipcall sync (core/crmsync).
	Sync crmsync.Config `yaml:"sync"`

	// File is the name the configuration was loaded under, as used in
	// positions.
	File string `yaml:"-"`
	// BaseDir is the directory relative paths were resolved against (the
	// configuration file's directory).
	BaseDir string `yaml:"-"`

	// index maps dotted paths ("connectors.0.timeout") to their nodes.
	index nodeIndex
}

// ServerConfig is the HTTP server's configuration.
type ServerConfig struct {
	// Listen is the host:port to listen on.
	Listen            string        `yaml:"listen"`
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	ReadTimeout       time.Duration `yaml:"read_timeout"`
	WriteTimeout      time.Duration `yaml:"write_timeout"`
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	// MaxBodyBytes caps request bodies (1 byte to 10 MiB).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// ShutdownTimeout bounds the graceful shutdown.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// Pos is where the section starts (or, when it is left out, the
	// nearest thing that is there).
	Pos Position `yaml:"-"`
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
	SmartIVR SmartIVRConfig `yaml:"smart_ivr"`
	// API is how to reach Hipcall's REST API (core/hipcall).
	API hipcall.APIConfig `yaml:"api"`
	// Webhook is the endpoint Hipcall's webhooks are sent to (core/webhook).
	Webhook webhook.Config `yaml:"webhook"`
	// Pos is where the section starts (or, when it is left out, the
	// nearest thing that is there).
	Pos Position `yaml:"-"`
}

// SmartIVRConfig configures the Smart IVR web service endpoint.
type SmartIVRConfig struct {
	Enabled bool `yaml:"enabled"`
	// Path is the HTTP path, starting with "/".
	Path string `yaml:"path"`
	// Deadline is the time allowed for an answer, at most 2.5s.
	Deadline time.Duration `yaml:"deadline"`
	// BasicAuth is nil unless a username and password are set.
	BasicAuth *BasicAuth `yaml:"basic_auth"`
	// Pos is where the section starts (or, when it is left out, the
	// nearest thing that is there).
	Pos Position `yaml:"-"`
}

// BasicAuth is an HTTP basic authentication pair. Both are set or neither
// (then SmartIVRConfig.BasicAuth is nil).
type BasicAuth = conf.BasicAuth

// Default returns the configuration with every default applied and nothing
// else: no connectors, no default region, no default extension.
func Default() *Config {
	return &Config{
		Server: ServerConfig{
			Listen:            "127.0.0.1:5008",
			ReadHeaderTimeout: 2 * time.Second,
			ReadTimeout:       5 * time.Second,
			WriteTimeout:      5 * time.Second,
			IdleTimeout:       60 * time.Second,
			MaxBodyBytes:      64 << 10,
			ShutdownTimeout:   10 * time.Second,
		},
		Log:       logging.DefaultConfig(),
		Plugins:   manager.DefaultConfig(),
		Directory: directory.DefaultConfig(),
		Hipcall: HipcallConfig{SmartIVR: SmartIVRConfig{
			Enabled:  true,
			Path:     "/hipcall/smart-ivr",
			Deadline: 1500 * time.Millisecond,
		}, API: hipcall.DefaultAPIConfig(), Webhook: webhook.DefaultConfig()},
		Cards:     cards.DefaultConfig(),
		Ringostat: defaultRingostat(),
		Sync:      crmsync.DefaultConfig(),
	}
}

// applyDefaults fills a new connectors: entry before it is decoded.
func (c *Connector) applyDefaults() { c.SourceConfig = directory.DefaultSourceConfig() }
