package config

import (
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
	Server     ServerConfig    `yaml:"server"`
	Log        LogConfig       `yaml:"log"`
	Phone      PhoneConfig     `yaml:"phone"`
	Plugins    PluginsConfig   `yaml:"plugins"`
	Connectors []Connector     `yaml:"connectors"`
	Directory  DirectoryConfig `yaml:"directory"`
	Hipcall    HipcallConfig   `yaml:"hipcall"`
	// Routing is owned by core/routing: its type, and its checks in
	// routing.New (run by the host, and so by `switchboard validate`).
	Routing routing.Config `yaml:"routing"`
	// Ringostat configures Ringostat's call routing endpoint (ringostat.go).
	Ringostat RingostatConfig `yaml:"ringostat"`
	// Cards configures Insight Cards pushed on webhooks (cards.go).
	Cards CardsConfig `yaml:"cards"`
	// Sync configures the CRM → Hipcall sync (sync.go).
	Sync SyncConfig `yaml:"sync"`

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

// LogConfig is the logging configuration.
type LogConfig struct {
	// Level is one of trace, debug, info, warn, error.
	Level string `yaml:"level"`
	// Format is text or json.
	Format string `yaml:"format"`
	// Pos is where the section starts (or, when it is left out, the
	// nearest thing that is there).
	Pos Position `yaml:"-"`
}

// PhoneConfig is the phone-number handling configuration.
type PhoneConfig struct {
	// DefaultRegion is the ISO 3166 alpha-2 region ("GB") for numbers
	// without a country code, upper-cased. Only its shape is checked here.
	DefaultRegion string `yaml:"default_region"`
	// SuffixMatchDigits enables matching on the last N digits (6 to 15);
	// 0 turns it off.
	SuffixMatchDigits int `yaml:"suffix_match_digits"`

	// DefaultRegionPos is where default_region's value is.
	DefaultRegionPos Position `yaml:"-" pos:"default_region"`
	// Pos is where the section starts (or, when it is left out, the
	// nearest thing that is there).
	Pos Position `yaml:"-"`
}

// PluginsConfig is the plugin supervisor's configuration.
type PluginsConfig struct {
	// Dir is where plugin binaries live, resolved against Config.BaseDir.
	Dir               string        `yaml:"dir"`
	HealthInterval    time.Duration `yaml:"health_interval"`
	HealthTimeout     time.Duration `yaml:"health_timeout"`
	RestartBackoffMin time.Duration `yaml:"restart_backoff_min"`
	RestartBackoffMax time.Duration `yaml:"restart_backoff_max"`
	// Pos is where the section starts (or, when it is left out, the
	// nearest thing that is there).
	Pos Position `yaml:"-"`
}

// Mode says how the directory uses a connector.
type Mode string

// Connector modes.
const (
	// ModeIndex loads every record into the host's index and refreshes it.
	ModeIndex Mode = "index"
	// ModeLive asks the connector on every lookup.
	ModeLive Mode = "live"
)

// Connector is one entry of connectors:. Lookups try connectors in list
// order.
type Connector struct {
	// Name is unique, [a-z0-9_-]+.
	Name string `yaml:"name"`
	// Plugin is the plugin's name ("csv").
	Plugin string `yaml:"plugin"`
	// Path is an explicit plugin binary, resolved against Config.BaseDir;
	// empty means the plugin is found in plugins.dir.
	Path string `yaml:"path"`
	// SHA256 is the binary's expected checksum (64 lower-case hex digits),
	// or empty.
	SHA256 string `yaml:"sha256"`
	// Mode is index (the default) or live.
	Mode Mode `yaml:"mode"`
	// Timeout bounds each live call; it is less than directory.deadline.
	Timeout time.Duration `yaml:"timeout"`
	// Refresh is the index rebuild interval; 0 means never.
	Refresh time.Duration `yaml:"refresh"`
	// Reattach attaches to a plugin running in debug mode instead of
	// launching it (see reattach.go); nil normally.
	Reattach *Reattach `yaml:"reattach"`
	// Config is the connector's own block, environment references already
	// resolved, or nil when absent. See ConfigYAML and ConfigPos.
	Config *yaml.Node `yaml:"-" raw:"config"`

	// Pos is where the entry starts.
	Pos Position `yaml:"-"`
	// configKey is the position of the "config:" key (or Pos).
	configKey Position `yaml:"-"`
}

// DirectoryConfig is the lookup directory's configuration.
type DirectoryConfig struct {
	// Deadline bounds a whole lookup.
	Deadline time.Duration `yaml:"deadline"`
	Cache    CacheConfig   `yaml:"cache"`
	// Pos is where the section starts (or, when it is left out, the
	// nearest thing that is there).
	Pos Position `yaml:"-"`
}

// CacheConfig is the lookup cache's configuration.
type CacheConfig struct {
	// Size is the number of entries; 0 disables the cache.
	Size int `yaml:"size"`
	// PositiveTTL is how long a found answer is kept.
	PositiveTTL time.Duration `yaml:"positive_ttl"`
	// NegativeTTL is how long a not-found answer is kept; 0 keeps none.
	NegativeTTL time.Duration `yaml:"negative_ttl"`
	// Pos is where the section starts (or, when it is left out, the
	// nearest thing that is there).
	Pos Position `yaml:"-"`
}

// HipcallConfig is the Hipcall integration's configuration.
type HipcallConfig struct {
	SmartIVR SmartIVRConfig `yaml:"smart_ivr"`
	// API is how to reach Hipcall's REST API (hipcall_api.go).
	API HipcallAPIConfig `yaml:"api"`
	// Webhook is the endpoint Hipcall's webhooks are sent to (webhook.go).
	Webhook WebhookConfig `yaml:"webhook"`
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
type BasicAuth struct {
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
}

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
		Log: LogConfig{Level: "info", Format: "text"},
		Plugins: PluginsConfig{
			Dir:               "bin/plugins",
			HealthInterval:    5 * time.Second,
			HealthTimeout:     2 * time.Second,
			RestartBackoffMin: 200 * time.Millisecond,
			RestartBackoffMax: 30 * time.Second,
		},
		Directory: DirectoryConfig{
			Deadline: time.Second,
			Cache: CacheConfig{
				Size:        10000,
				PositiveTTL: time.Minute,
				NegativeTTL: 15 * time.Second,
			},
		},
		Hipcall: HipcallConfig{SmartIVR: SmartIVRConfig{
			Enabled:  true,
			Path:     "/hipcall/smart-ivr",
			Deadline: 1500 * time.Millisecond,
		}, API: defaultHipcallAPI(), Webhook: defaultWebhook()},
		Cards:     defaultCards(),
		Ringostat: defaultRingostat(),
		Sync:      defaultSync(),
	}
}

// applyDefaults fills a new connectors: entry before it is decoded.
func (c *Connector) applyDefaults() {
	c.Mode = ModeIndex
	c.Timeout = 300 * time.Millisecond
	c.Refresh = 5 * time.Minute
}
