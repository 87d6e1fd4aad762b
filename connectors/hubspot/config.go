package hubspot

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// Defaults for keys absent from the block.
const (
	DefaultBaseURL         = "https://api.hubapi.com"
	DefaultTimeout         = 10 * time.Second
	DefaultMaxRetries      = 3
	DefaultPageSize        = 100
	DefaultRequestsPer10s  = 100
	DefaultSearchPerSecond = 5

	// MaxPageSize is HubSpot's cap on a list page.
	MaxPageSize = 100

	// The highest rate limits accepted: far above HubSpot's, for services
	// that speak its API with other limits (and for benchmarks).
	maxRequestsPer10s  = 100_000
	maxSearchPerSecond = 10_000
)

// fileConfig is the connector's YAML block as written.
type fileConfig struct {
	BaseURL    string        `yaml:"base_url"`
	Token      string        `yaml:"token"`
	Timeout    conf.Duration `yaml:"timeout"`
	MaxRetries int           `yaml:"max_retries"`
	PageSize   int           `yaml:"page_size"`
	// ChangePollInterval is the least time between two changed-since
	// searches of one object type (see changes.go).
	ChangePollInterval conf.Duration `yaml:"change_poll_interval"`
	// SearchLag is how long HubSpot's search may take to show a change.
	SearchLag     conf.Duration          `yaml:"search_lag"`
	RateLimit     rateLimitConfig        `yaml:"rate_limit"`
	Fields        map[string]fieldConfig `yaml:"fields"`
	CompanyFields map[string]fieldConfig `yaml:"company_fields"`
	// LogCall and CreateContact turn the writes on (write.go).
	LogCall       logCallConfig       `yaml:"log_call"`
	CreateContact createContactConfig `yaml:"create_contact"`
}

// logCallConfig is the log_call block.
type logCallConfig struct {
	Enabled bool `yaml:"enabled"`
	// KeyProperty is the custom call property (single-line text) that
	// holds each log's idempotency key.
	KeyProperty string `yaml:"key_property"`
}

// createContactConfig is the create_contact block.
type createContactConfig struct {
	Enabled bool `yaml:"enabled"`
}

// rateLimitConfig is the client-side rate limit.
type rateLimitConfig struct {
	RequestsPer10s  int `yaml:"requests_per_10s"`
	SearchPerSecond int `yaml:"search_per_second"`
	// ChangeSearchPerSecond is the share of SearchPerSecond changed-since
	// searches may use.
	ChangeSearchPerSecond int `yaml:"change_search_per_second"`
}

// fieldConfig maps one HubSpot property to an extra field.
type fieldConfig struct {
	Property string `yaml:"property"`
	Type     string `yaml:"type"`
	// Multi: the property holds several values in one text, separated by
	// commas or semicolons (lookups by key search each, keys.go).
	Multi bool `yaml:"multi"`
}

// settings is a validated configuration. It never changes once built.
type settings struct {
	baseURL         string
	host            string // host:port of baseURL, for messages
	token           string
	timeout         time.Duration
	maxRetries      int
	pageSize        int
	requestsPer10s  int
	searchPerSecond int
	// changed-since lists (changes.go)
	changePollInterval    time.Duration
	searchLag             time.Duration
	changeSearchPerSecond int
	fields                []conf.Field    // contacts, sorted by name; Source is the property
	companyFields         []conf.Field    // companies, sorted by name
	multi                 map[string]bool // "fields.x" or "company_fields.x": declared multi
	parser                *phone.Parser
	// writes (write.go)
	logCall       bool
	keyProperty   string
	createContact bool
}

// capabilities are what the configuration lets the connector do.
func (s *settings) capabilities() []connectors.Capability {
	caps := []connectors.Capability{connectors.CapLookup, connectors.CapListContacts, connectors.CapListCompanies,
		connectors.CapChangedSince, connectors.CapLookupByKey}
	if s.logCall {
		caps = append(caps, connectors.CapLogCall)
	}
	if s.createContact {
		caps = append(caps, connectors.CapCreateContact)
	}
	return caps
}

// propertyRE is what a HubSpot property's internal name looks like.
var propertyRE = regexp.MustCompile(`^[a-z0-9_]+$`)

// parseConfig decodes and validates the block. It does not contact HubSpot.
func parseConfig(req *connectors.ConfigureRequest) (*settings, []connectors.Problem) {
	fc := fileConfig{
		BaseURL:    DefaultBaseURL,
		Timeout:    conf.Duration(DefaultTimeout),
		MaxRetries: DefaultMaxRetries,
		PageSize:   DefaultPageSize,
		RateLimit: rateLimitConfig{RequestsPer10s: DefaultRequestsPer10s, SearchPerSecond: DefaultSearchPerSecond,
			ChangeSearchPerSecond: DefaultChangeSearchPerSecond},
		ChangePollInterval: conf.Duration(DefaultChangePollInterval),
		SearchLag:          conf.Duration(DefaultSearchLag),
		LogCall:            logCallConfig{KeyProperty: DefaultKeyProperty},
	}
	problems := conf.Decode(req.Config, &fc)
	add := func(path, format string, args ...any) {
		problems = append(problems, conf.Problemf(path, format, args...))
	}
	s := &settings{
		baseURL:         strings.TrimRight(strings.TrimSpace(fc.BaseURL), "/"),
		token:           fc.Token,
		timeout:         fc.Timeout.Std(),
		maxRetries:      fc.MaxRetries,
		pageSize:        fc.PageSize,
		requestsPer10s:  fc.RateLimit.RequestsPer10s,
		searchPerSecond: fc.RateLimit.SearchPerSecond,

		changePollInterval:    fc.ChangePollInterval.Std(),
		searchLag:             fc.SearchLag.Std(),
		changeSearchPerSecond: fc.RateLimit.ChangeSearchPerSecond,

		logCall:       fc.LogCall.Enabled,
		keyProperty:   strings.TrimSpace(fc.LogCall.KeyProperty),
		createContact: fc.CreateContact.Enabled,
	}

	if u, err := url.Parse(s.baseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("base_url", "base_url %q is not an absolute http(s) URL: use %s (the default) or your proxy's URL", fc.BaseURL, DefaultBaseURL)
	} else {
		s.host = u.Host
		if u.Port() == "" {
			s.host += map[string]string{"http": ":80", "https": ":443"}[u.Scheme]
		}
		if u.RawQuery != "" || u.Fragment != "" {
			add("base_url", "base_url must not have a query or fragment: use the API's root, like %s", DefaultBaseURL)
		}
	}
	switch {
	case strings.TrimSpace(fc.Token) == "":
		add("token", "missing token: set token: to a HubSpot private app token with the crm.objects.contacts.read and "+
			"crm.objects.companies.read scopes, e.g. token: ${HUBSPOT_TOKEN} to keep it out of the file")
	case strings.ContainsAny(fc.Token, " \t\r\n"):
		add("token", "the token contains spaces or line breaks: paste the private app token alone (check the environment variable)")
	}
	if s.timeout <= 0 {
		add("timeout", "timeout must be above 0, like 10s: it limits each HTTP request to HubSpot")
	}
	if s.maxRetries < 0 || s.maxRetries > 10 {
		add("max_retries", "max_retries must be between 0 and 10, got %d", s.maxRetries)
	}
	if s.pageSize < 1 || s.pageSize > MaxPageSize {
		add("page_size", "page_size must be between 1 and %d (HubSpot's cap on a list page), got %d", MaxPageSize, s.pageSize)
	}
	if s.requestsPer10s < 1 || s.requestsPer10s > maxRequestsPer10s {
		add("rate_limit.requests_per_10s", "requests_per_10s must be between 1 and %d, got %d: use your HubSpot tier's limit "+
			"(100 for Free and Starter, 190 for Professional and Enterprise)", maxRequestsPer10s, s.requestsPer10s)
	}
	if s.searchPerSecond < 1 || s.searchPerSecond > maxSearchPerSecond {
		add("rate_limit.search_per_second", "search_per_second must be between 1 and %d, got %d: HubSpot allows 5",
			maxSearchPerSecond, s.searchPerSecond)
	}
	if s.changeSearchPerSecond < 1 || (s.searchPerSecond >= 1 && s.changeSearchPerSecond > s.searchPerSecond) {
		add("rate_limit.change_search_per_second", "change_search_per_second must be between 1 and search_per_second (%d), got %d: "+
			"it is the share of the search limit that polling for changed records may use, the rest is left to live lookups",
			s.searchPerSecond, s.changeSearchPerSecond)
	}
	if s.changePollInterval < minChangePollInterval || s.changePollInterval > maxChangePollInterval {
		add("change_poll_interval", "change_poll_interval must be between %s and %s, got %s: it is the least time between two "+
			"searches for changed contacts (and for changed companies); a change reaches the host within it plus HubSpot's search lag",
			minChangePollInterval, maxChangePollInterval, s.changePollInterval)
	}
	if s.searchLag < 0 || s.searchLag > maxSearchLag {
		add("search_lag", "search_lag must be between 0s and %s, got %s: how long HubSpot's search takes to show a change (a few seconds)",
			maxSearchLag, s.searchLag)
	}
	switch kp := s.keyProperty; {
	case !propertyRE.MatchString(kp):
		add("log_call.key_property", "key_property %q is not a HubSpot internal property name (lower case letters, digits and _): "+
			"create a single-line text call property in HubSpot (Settings > Properties > Call properties) and give its internal name, "+
			"or leave key_property out to use %s", fc.LogCall.KeyProperty, DefaultKeyProperty)
	case strings.HasPrefix(kp, "hs_") || kp == propOwner:
		add("log_call.key_property", "key_property %q is one of HubSpot's own call properties, which hold the call's details: "+
			"create a custom single-line text call property for the key (like %s) and name it here", kp, DefaultKeyProperty)
	}
	var fieldProblems []connectors.Problem
	s.fields, fieldProblems = parseFields("fields", fc.Fields)
	problems = append(problems, fieldProblems...)
	s.companyFields, fieldProblems = parseFields("company_fields", fc.CompanyFields)
	problems = append(problems, fieldProblems...)
	s.multi = map[string]bool{}
	for base, fields := range map[string]map[string]fieldConfig{"fields": fc.Fields, "company_fields": fc.CompanyFields} {
		for name, f := range fields {
			if f.Multi {
				s.multi[base+"."+name] = true
			}
		}
	}

	if p, err := phone.NewParser(req.DefaultRegion); err != nil {
		problems = append(problems, conf.Problemf("",
			"default phone region: %v (set phone.default_region in the host configuration)", err))
	} else {
		s.parser = p
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return s, nil
}

// parseFields validates a fields block; base is its path ("fields").
func parseFields(base string, in map[string]fieldConfig) ([]conf.Field, []connectors.Problem) {
	fields := make(map[string]conf.FieldConfig, len(in))
	for name, f := range in {
		fields[name] = conf.FieldConfig{Source: f.Property, Type: f.Type}
	}
	return conf.ParseFields(base, fields, conf.FieldRules{
		Key: "property", Missing: "the HubSpot property's internal name", Default: conf.FieldString,
		Check: func(property string) error {
			if !propertyRE.MatchString(property) {
				return fmt.Errorf("property %q is not a HubSpot internal property name (lower case letters, digits and _): "+
					"find it in HubSpot under Settings > Properties > the property > internal name", property)
			}
			return nil
		},
	})
}
