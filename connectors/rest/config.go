package rest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// Defaults for keys absent from the block.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxRetries  = 2
	DefaultMaxWait     = 30 * time.Second
	DefaultMaxLimit    = 100
	DefaultLookupLimit = 10
	// CompanyNamesRefresh is how long the company names read for
	// company_names: companies are kept before they are read again.
	CompanyNamesRefresh = 5 * time.Minute

	defaultRemainingHeader = "X-Ratelimit-Remaining"
	defaultResetHeader     = "X-Ratelimit-Reset"
	maxMaxRetries          = 10
	maxLookupRequests      = 10
)

// fileConfig is the connector's YAML block as written.
type fileConfig struct {
	BaseURL    string            `yaml:"base_url"`
	Timeout    conf.Duration     `yaml:"timeout"`
	MaxRetries *int              `yaml:"max_retries"`
	Headers    map[string]string `yaml:"headers"`
	Auth       authConfig        `yaml:"auth"`
	RateLimit  rateLimitConfig   `yaml:"rate_limit"`
	Lookup     []lookupConfig    `yaml:"lookup"`
	// LookupByKey maps a field to the requests that search it (keys.go).
	LookupByKey map[string][]lookupConfig `yaml:"lookup_by_key"`
	Contacts    *listConfig               `yaml:"contacts"`
	Companies   *listConfig               `yaml:"companies"`
}

// authConfig names one way to authenticate.
type authConfig struct {
	APIKey *apiKeyConfig `yaml:"api_key"`
	Basic  *basicConfig  `yaml:"basic"`
	Bearer *bearerConfig `yaml:"bearer"`
	OAuth2 *oauth2Config `yaml:"oauth2"`
}

type apiKeyConfig struct {
	Header string      `yaml:"header"`
	Query  string      `yaml:"query"`
	Value  conf.Secret `yaml:"value"`
}

type basicConfig struct {
	Username string      `yaml:"username"`
	Password conf.Secret `yaml:"password"`
}

type bearerConfig struct {
	Token conf.Secret `yaml:"token"`
}

type oauth2Config struct {
	TokenURL     string      `yaml:"token_url"`
	ClientID     string      `yaml:"client_id"`
	ClientSecret conf.Secret `yaml:"client_secret"`
	Scopes       []string    `yaml:"scopes"`
	RefreshToken conf.Secret `yaml:"refresh_token"`
}

// rateLimitConfig says how the API announces its limits.
type rateLimitConfig struct {
	RemainingHeader string        `yaml:"remaining_header"`
	ResetHeader     string        `yaml:"reset_header"`
	Reset           string        `yaml:"reset"`
	MaxWait         conf.Duration `yaml:"max_wait"`
}

// requestConfig is one HTTP request, its parts templates.
type requestConfig struct {
	Method  string            `yaml:"method"`
	Path    string            `yaml:"path"`
	Query   map[string]string `yaml:"query"`
	Headers map[string]string `yaml:"headers"`
	Body    string            `yaml:"body"`
}

// lookupConfig is one search request of lookup:.
type lookupConfig struct {
	requestConfig `yaml:",inline"`
	Kind          string         `yaml:"kind"`
	Results       string         `yaml:"results"`
	Map           *mappingConfig `yaml:"map"`
	Fetch         bool           `yaml:"fetch"`
}

// listConfig is contacts: or companies:.
type listConfig struct {
	requestConfig `yaml:",inline"`
	Results       string        `yaml:"results"`
	Paging        pagingConfig  `yaml:"paging"`
	UpdatedSince  string        `yaml:"updated_since"`
	Map           mappingConfig `yaml:"map"`
	Get           *getConfig    `yaml:"get"`
	CompanyNames  string        `yaml:"company_names"`
}

// getConfig reads one record by id (lookup's fetch).
type getConfig struct {
	requestConfig `yaml:",inline"`
	Result        string `yaml:"result"`
}

type pagingConfig struct {
	Style      string `yaml:"style"`
	Next       string `yaml:"next"`
	Param      string `yaml:"param"`
	LimitParam string `yaml:"limit_param"`
	MaxLimit   int    `yaml:"max_limit"`
	FirstPage  *int   `yaml:"first_page"`
}

// mappingConfig maps a JSON record to a contact or a company with gjson
// paths.
type mappingConfig struct {
	ID        string                 `yaml:"id"`
	FirstName string                 `yaml:"first_name"`
	LastName  string                 `yaml:"last_name"`
	Name      string                 `yaml:"name"`
	Company   string                 `yaml:"company"`
	CompanyID string                 `yaml:"company_id"`
	Owner     string                 `yaml:"owner"`
	JobTitle  string                 `yaml:"job_title"`
	Website   string                 `yaml:"website"`
	Phones    map[string]string      `yaml:"phones"`
	Emails    conf.NameList          `yaml:"emails"`
	UpdatedAt string                 `yaml:"updated_at"`
	Fields    map[string]fieldConfig `yaml:"fields"`
}

type fieldConfig struct {
	Path string `yaml:"path"`
	Type string `yaml:"type"`
}

// Kinds of records.
const (
	kindContact = "contact"
	kindCompany = "company"
)

// Paging styles.
const (
	pageCursor = "cursor"
	pageLink   = "link"
	pageOffset = "offset"
	pagePage   = "page"
	pageNone   = "none"
)

// settings is a validated configuration; it never changes once built.
type settings struct {
	baseURL    *url.URL
	timeout    time.Duration
	maxRetries int
	headers    map[string]string
	auth       authSettings
	rate       rateSettings
	lookups    []*lookupSettings
	// keyLookups are the requests of each field of lookup_by_key.
	keyLookups map[string][]*lookupSettings
	contacts   *listSettings
	companies  *listSettings
	parser     *phone.Parser
}

type authSettings struct {
	kind        string // "", api_key, basic, bearer, oauth2
	header      string
	query       string
	value       string
	username    string
	password    string
	tokenURL    string
	clientID    string
	secret      string
	scopes      []string
	refresh     string
	description string // for messages: "the API key in header x-api-token"
}

type rateSettings struct {
	remaining string
	reset     string
	resetMode string // auto, seconds, unix
	maxWait   time.Duration
}

type request struct {
	path     string // for messages: "lookup.0"
	method   string
	pathT    *template.Template
	query    map[string]*template.Template
	headers  map[string]*template.Template
	body     *template.Template
	rawPath  string
	hasQuery bool
}

type lookupSettings struct {
	req     *request
	kind    string
	results string
	mapping *mapping
	fetch   bool
}

type listSettings struct {
	kind         string
	req          *request
	results      string
	paging       pagingSettings
	updatedSince string
	mapping      *mapping
	get          *request
	getResult    string
	companyNames bool
}

type pagingSettings struct {
	style      string
	next       string
	param      string
	limitParam string
	maxLimit   int
	firstPage  int
}

// capabilities are what the configuration lets the connector do.
func (s *settings) capabilities() []connectors.Capability {
	var caps []connectors.Capability
	if len(s.lookups) > 0 {
		caps = append(caps, connectors.CapLookup)
	}
	if len(s.keyLookups) > 0 {
		caps = append(caps, connectors.CapLookupByKey)
	}
	if s.contacts != nil {
		caps = append(caps, connectors.CapListContacts)
	}
	if s.companies != nil {
		caps = append(caps, connectors.CapListCompanies)
	}
	if (s.contacts != nil || s.companies != nil) &&
		(s.contacts == nil || s.contacts.updatedSince != "") && (s.companies == nil || s.companies.updatedSince != "") {
		caps = append(caps, connectors.CapChangedSince)
	}
	return caps
}

// problems collects the problems of a block.
type problems struct{ list connectors.Problems }

func (p *problems) add(path, format string, args ...any) {
	p.list = append(p.list, conf.Problemf(path, format, args...))
}

// parseConfig decodes and validates the block. It does not contact the API.
func parseConfig(req *connectors.ConfigureRequest) (*settings, connectors.Problems) {
	fc := fileConfig{Timeout: conf.Duration(DefaultTimeout)}
	ps := &problems{list: conf.Decode(req.Config, &fc)}
	if len(ps.list) > 0 {
		return nil, ps.list
	}
	s := &settings{timeout: fc.Timeout.Std(), maxRetries: DefaultMaxRetries, headers: map[string]string{}}

	base := strings.TrimSpace(fc.BaseURL)
	switch u, err := url.Parse(base); {
	case base == "":
		ps.add("base_url", "missing base_url: the API's root URL, like https://api.pipedrive.com or https://api.hubapi.com")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		ps.add("base_url", "base_url %q is not an absolute http(s) URL, like https://api.pipedrive.com", fc.BaseURL)
	case u.RawQuery != "" || u.Fragment != "":
		ps.add("base_url", "base_url must not have a query or a fragment: put query parameters in each request's query:")
	default:
		u.Path = strings.TrimRight(u.Path, "/")
		s.baseURL = u
	}
	if s.timeout <= 0 {
		ps.add("timeout", "timeout must be above 0, like 10s: it limits each HTTP request")
	}
	if fc.MaxRetries != nil {
		s.maxRetries = *fc.MaxRetries
		if s.maxRetries < 0 || s.maxRetries > maxMaxRetries {
			ps.add("max_retries", "max_retries must be between 0 and %d, got %d", maxMaxRetries, s.maxRetries)
		}
	}
	for name, v := range fc.Headers {
		if !validHeaderName(name) {
			ps.add(conf.JoinPath("headers", name), "%q is not an HTTP header name", name)
		}
		s.headers[http.CanonicalHeaderKey(name)] = v
	}
	s.auth = parseAuth(ps, fc.Auth)
	s.rate = parseRate(ps, fc.RateLimit)

	if fc.Contacts != nil {
		s.contacts = parseList(ps, "contacts", kindContact, fc.Contacts)
	}
	if fc.Companies != nil {
		s.companies = parseList(ps, "companies", kindCompany, fc.Companies)
		if s.companies != nil && s.companies.companyNames {
			ps.add("companies.company_names", "company_names belongs in contacts: (it fills a contact's company name from the companies list)")
		}
	}
	if s.contacts != nil && s.contacts.companyNames && fc.Companies == nil {
		ps.add("contacts.company_names", "company_names: companies needs a companies: block to read the names from")
	}
	if len(fc.Lookup) > maxLookupRequests {
		ps.add("lookup", "at most %d lookup requests, got %d", maxLookupRequests, len(fc.Lookup))
	}
	for i := range fc.Lookup {
		if l := parseLookup(ps, conf.JoinPath("lookup", i), &fc.Lookup[i], fc.Contacts, fc.Companies); l != nil {
			s.lookups = append(s.lookups, l)
		}
	}
	s.keyLookups = parseKeyLookups(ps, fc.LookupByKey, fc.Contacts, fc.Companies)
	if len(fc.Lookup) == 0 && fc.Contacts == nil && fc.Companies == nil {
		ps.add("", "the block names no request: add lookup: (for mode: live), contacts: and/or companies: (for mode: index)")
	}

	if p, err := phone.NewParser(req.DefaultRegion); err != nil {
		ps.add("", "default phone region: %v (set phone.default_region in the host configuration)", err)
	} else {
		s.parser = p
	}
	if len(ps.list) > 0 {
		return nil, ps.list
	}
	return s, nil
}

func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", r) {
			return false
		}
	}
	return true
}

func parseAuth(ps *problems, a authConfig) authSettings {
	var set []string
	if a.APIKey != nil {
		set = append(set, "api_key")
	}
	if a.Basic != nil {
		set = append(set, "basic")
	}
	if a.Bearer != nil {
		set = append(set, "bearer")
	}
	if a.OAuth2 != nil {
		set = append(set, "oauth2")
	}
	if len(set) > 1 {
		ps.add("auth", "auth names %s: give exactly one of api_key, basic, bearer, oauth2", strings.Join(set, " and "))
		return authSettings{}
	}
	var s authSettings
	switch {
	case a.APIKey != nil:
		k := a.APIKey
		s.kind, s.header, s.query, s.value = "api_key", strings.TrimSpace(k.Header), strings.TrimSpace(k.Query), k.Value.Reveal()
		switch {
		case (s.header == "") == (s.query == ""):
			ps.add("auth.api_key", "give exactly one of header: (the header's name, like x-api-token) and query: (the query parameter's name, like api_token)")
		case s.header != "" && !validHeaderName(s.header):
			ps.add("auth.api_key.header", "%q is not an HTTP header name", s.header)
		case s.header != "":
			s.description = "the API key in header " + s.header
		default:
			s.description = "the API key in query parameter " + s.query
		}
		if s.value == "" {
			ps.add("auth.api_key.value", "missing value: the API key, like value: ${API_TOKEN}")
		}
	case a.Basic != nil:
		s.kind, s.username, s.password = "basic", a.Basic.Username, a.Basic.Password.Reveal()
		if s.username == "" {
			ps.add("auth.basic.username", "missing username")
		}
		if s.password == "" {
			ps.add("auth.basic.password", "missing password, like password: ${API_PASSWORD}")
		}
		s.description = "the username and password (auth.basic)"
	case a.Bearer != nil:
		s.kind, s.value = "bearer", a.Bearer.Token.Reveal()
		if s.value == "" {
			ps.add("auth.bearer.token", "missing token, like token: ${API_TOKEN}")
		} else if strings.ContainsAny(s.value, " \t\r\n") {
			ps.add("auth.bearer.token", "the token contains spaces or line breaks: paste the token alone (check the environment variable)")
		}
		s.description = "the bearer token (auth.bearer.token)"
	case a.OAuth2 != nil:
		o := a.OAuth2
		s.kind, s.tokenURL, s.clientID, s.secret, s.scopes, s.refresh =
			"oauth2", strings.TrimSpace(o.TokenURL), o.ClientID, o.ClientSecret.Reveal(), o.Scopes, o.RefreshToken.Reveal()
		if u, err := url.Parse(s.tokenURL); s.tokenURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			ps.add("auth.oauth2.token_url", "token_url must be the absolute http(s) URL of the OAuth2 token endpoint, like https://oauth.pipedrive.com/oauth/token")
		}
		if s.clientID == "" {
			ps.add("auth.oauth2.client_id", "missing client_id: the OAuth2 client (app) id")
		}
		if s.secret == "" {
			ps.add("auth.oauth2.client_secret", "missing client_secret, like client_secret: ${OAUTH_CLIENT_SECRET}")
		}
		if s.refresh != "" {
			s.description = "the OAuth2 refresh token and client (auth.oauth2)"
		} else {
			s.description = "the OAuth2 client credentials (auth.oauth2)"
		}
	}
	return s
}

func parseRate(ps *problems, r rateLimitConfig) rateSettings {
	s := rateSettings{
		remaining: http.CanonicalHeaderKey(strings.TrimSpace(r.RemainingHeader)),
		reset:     http.CanonicalHeaderKey(strings.TrimSpace(r.ResetHeader)),
		resetMode: strings.TrimSpace(r.Reset),
		maxWait:   r.MaxWait.Std(),
	}
	if s.remaining == "" {
		s.remaining = defaultRemainingHeader
	} else if !validHeaderName(s.remaining) {
		ps.add("rate_limit.remaining_header", "%q is not an HTTP header name", r.RemainingHeader)
	}
	if s.reset == "" {
		s.reset = defaultResetHeader
	} else if !validHeaderName(s.reset) {
		ps.add("rate_limit.reset_header", "%q is not an HTTP header name", r.ResetHeader)
	}
	if s.resetMode == "" {
		s.resetMode = "auto"
	}
	if !slices.Contains([]string{"auto", "seconds", "unix"}, s.resetMode) {
		ps.add("rate_limit.reset", "reset must be seconds (the header counts seconds to wait), unix (it is a Unix time) or auto (a value above 10^9 is a Unix time), got %q", r.Reset)
	}
	if r.MaxWait == 0 {
		s.maxWait = DefaultMaxWait
	} else if s.maxWait < 0 || s.maxWait > time.Hour {
		ps.add("rate_limit.max_wait", "max_wait must be between 0s and 1h, got %s", s.maxWait)
	}
	return s
}

func parseRequest(ps *problems, path string, rc requestConfig, defaultMethod string) *request {
	r := &request{path: path, method: strings.ToUpper(strings.TrimSpace(rc.Method)), rawPath: rc.Path,
		query: map[string]*template.Template{}, headers: map[string]*template.Template{}, hasQuery: len(rc.Query) > 0}
	if r.method == "" {
		r.method = defaultMethod
	}
	if !slices.Contains([]string{http.MethodGet, http.MethodPost}, r.method) {
		ps.add(conf.JoinPath(path, "method"), "method must be GET or POST (the connector only reads), got %q", rc.Method)
	}
	if strings.TrimSpace(rc.Path) == "" {
		ps.add(conf.JoinPath(path, "path"), "missing path: the request's path below base_url, like /api/v2/persons")
	} else if !strings.HasPrefix(rc.Path, "/") {
		ps.add(conf.JoinPath(path, "path"), "path %q must start with / (it is appended to base_url)", rc.Path)
	} else if strings.ContainsAny(rc.Path, "?#") {
		ps.add(conf.JoinPath(path, "path"), "path must not hold a query string: put parameters in query:")
	}
	r.pathT = parseTemplate(ps, conf.JoinPath(path, "path"), rc.Path)
	for k, v := range rc.Query {
		if strings.TrimSpace(k) == "" {
			ps.add(conf.JoinPath(path, "query"), "empty query parameter name")
		}
		r.query[k] = parseTemplate(ps, conf.JoinPath(path, "query", k), v)
	}
	for k, v := range rc.Headers {
		if !validHeaderName(k) {
			ps.add(conf.JoinPath(path, "headers", k), "%q is not an HTTP header name", k)
		}
		r.headers[http.CanonicalHeaderKey(k)] = parseTemplate(ps, conf.JoinPath(path, "headers", k), v)
	}
	if rc.Body != "" {
		if r.method == http.MethodGet {
			ps.add(conf.JoinPath(path, "body"), "a GET request has no body: set method: POST, or move the values to query:")
		}
		r.body = parseTemplate(ps, conf.JoinPath(path, "body"), rc.Body)
	}
	return r
}

func parseList(ps *problems, path, kind string, lc *listConfig) *listSettings {
	before := len(ps.list)
	l := &listSettings{kind: kind, req: parseRequest(ps, path, lc.requestConfig, http.MethodGet),
		results: strings.TrimSpace(lc.Results), updatedSince: strings.TrimSpace(lc.UpdatedSince)}
	checkPath(ps, conf.JoinPath(path, "results"), l.results, true, "the path to the array of records in the answer, like data (or @this for a bare array)")
	l.paging = parsePaging(ps, conf.JoinPath(path, "paging"), lc.Paging)
	if _, ok := lc.Query[l.updatedSince]; ok && l.updatedSince != "" {
		ps.add(conf.JoinPath(path, "updated_since"), "query: already sets %q: leave it out of query:, the connector sets it", l.updatedSince)
	}
	l.mapping = parseMapping(ps, conf.JoinPath(path, "map"), kind, &lc.Map)
	if lc.Get != nil {
		l.get = parseRequest(ps, conf.JoinPath(path, "get"), lc.Get.requestConfig, http.MethodGet)
		l.getResult = strings.TrimSpace(lc.Get.Result)
		if l.getResult == "" {
			l.getResult = "@this"
		}
		checkPath(ps, conf.JoinPath(path, "get", "result"), l.getResult, true, "the path to the record in the answer, like data")
	}
	switch strings.TrimSpace(lc.CompanyNames) {
	case "":
	case "companies":
		l.companyNames = true
	default:
		ps.add(conf.JoinPath(path, "company_names"), "company_names must be companies (fill the company name from the companies list by company_id), got %q", lc.CompanyNames)
	}
	if l.companyNames && lc.Map.CompanyID == "" {
		ps.add(conf.JoinPath(path, "map", "company_id"), "company_names: companies needs map.company_id to find a contact's company")
	}
	if len(ps.list) > before {
		return nil
	}
	return l
}

func parsePaging(ps *problems, path string, pc pagingConfig) pagingSettings {
	p := pagingSettings{style: strings.TrimSpace(pc.Style), next: strings.TrimSpace(pc.Next), param: strings.TrimSpace(pc.Param),
		limitParam: strings.TrimSpace(pc.LimitParam), maxLimit: pc.MaxLimit, firstPage: 1}
	if pc.FirstPage != nil {
		p.firstPage = *pc.FirstPage
	}
	if p.maxLimit == 0 {
		p.maxLimit = DefaultMaxLimit
	}
	styles := []string{pageCursor, pageLink, pageOffset, pagePage, pageNone}
	if p.style == "" {
		ps.add(conf.JoinPath(path, "style"), "missing style: one of %s", strings.Join(styles, ", "))
		return p
	}
	if !slices.Contains(styles, p.style) {
		msg := fmt.Sprintf("unknown paging style %q", pc.Style)
		if sug := conf.Suggest(p.style, styles); sug != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", sug)
		}
		ps.add(conf.JoinPath(path, "style"), "%s: use one of %s", msg, strings.Join(styles, ", "))
		return p
	}
	if p.maxLimit < 1 || p.maxLimit > 10000 {
		ps.add(conf.JoinPath(path, "max_limit"), "max_limit must be between 1 and 10000 (the largest page the API gives), got %d", p.maxLimit)
	}
	if p.limitParam == "" && p.style != pageNone && p.style != pageLink {
		ps.add(conf.JoinPath(path, "limit_param"), "missing limit_param: the query parameter that sets the page size, like limit")
	}
	switch p.style {
	case pageCursor:
		checkPath(ps, conf.JoinPath(path, "next"), p.next, true, "the path to the next page's cursor in the answer, like additional_data.next_cursor")
		if p.param == "" {
			ps.add(conf.JoinPath(path, "param"), "missing param: the query parameter the cursor is sent in, like cursor")
		}
	case pageOffset, pagePage:
		if p.param == "" {
			ps.add(conf.JoinPath(path, "param"), "missing param: the query parameter the %s is sent in", p.style)
		}
	}
	if p.next != "" && p.style != pageCursor {
		ps.add(conf.JoinPath(path, "next"), "next is for style: cursor only")
	}
	if pc.FirstPage != nil && p.style != pagePage {
		ps.add(conf.JoinPath(path, "first_page"), "first_page is for style: page only")
	}
	return p
}

func parseLookup(ps *problems, path string, lc *lookupConfig, contacts, companies *listConfig) *lookupSettings {
	before := len(ps.list)
	l := &lookupSettings{req: parseRequest(ps, path, lc.requestConfig, http.MethodGet), kind: strings.TrimSpace(lc.Kind),
		results: strings.TrimSpace(lc.Results), fetch: lc.Fetch}
	if l.kind == "" {
		l.kind = kindContact
	}
	var list *listConfig
	switch l.kind {
	case kindContact:
		list = contacts
	case kindCompany:
		list = companies
	default:
		ps.add(conf.JoinPath(path, "kind"), "kind must be contact or company, got %q", lc.Kind)
	}
	checkPath(ps, conf.JoinPath(path, "results"), l.results, true, "the path to the array of records in the answer, like data.items")
	switch {
	case lc.Map != nil:
		l.mapping = parseMapping(ps, conf.JoinPath(path, "map"), l.kind, lc.Map)
	case list != nil:
		l.mapping = parseMapping(&problems{}, "", l.kind, &list.Map) // reported under contacts/companies
	default:
		ps.add(conf.JoinPath(path, "map"), "missing map: the field mapping of each result (or a %ss: block whose map: serves)", l.kind)
	}
	if l.fetch && (list == nil || list.Get == nil) {
		ps.add(conf.JoinPath(path, "fetch"), "fetch: true needs %ss.get: the request that reads one %s by {{.ID}}", l.kind, l.kind)
	}
	if len(ps.list) > before {
		return nil
	}
	return l
}

// checkPath reports a gjson path that is missing (when required) or
// malformed.
func checkPath(ps *problems, at, p string, required bool, what string) {
	if p == "" {
		if required {
			ps.add(at, "missing: %s", what)
		}
		return
	}
	if err := validPath(p); err != nil {
		ps.add(at, "%q is not a valid gjson path: %v", p, err)
	}
}

// validPath checks a gjson path's syntax: brackets, parentheses and quotes
// balanced, no empty component, no trailing escape, and the modifiers
// (@name) gjson and this package know.
func validPath(p string) error {
	if strings.TrimSpace(p) != p {
		return fmt.Errorf("it has spaces around it")
	}
	var stack []rune
	inQuote := false
	prevSep := true
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '\\' {
			if i+1 >= len(p) {
				return fmt.Errorf("it ends with a lone backslash")
			}
			i++
			prevSep = false
			continue
		}
		if inQuote {
			if c == '"' {
				inQuote = false
			}
			continue
		}
		switch c {
		case '"':
			inQuote = true
		case '[', '{', '(':
			stack = append(stack, rune(c))
		case ']', '}', ')':
			open := map[byte]rune{']': '[', '}': '{', ')': '('}[c]
			if len(stack) == 0 || stack[len(stack)-1] != open {
				return fmt.Errorf("an unbalanced %q at %d", c, i)
			}
			stack = stack[:len(stack)-1]
		case '.', '|':
			if len(stack) == 0 {
				if prevSep {
					return fmt.Errorf("an empty component before %q at %d", c, i)
				}
				prevSep = true
				continue
			}
		}
		prevSep = false
	}
	switch {
	case inQuote:
		return fmt.Errorf("an unterminated quote")
	case len(stack) > 0:
		return fmt.Errorf("an unclosed %q", stack[len(stack)-1])
	case prevSep:
		return fmt.Errorf("it ends with a separator")
	}
	for _, m := range modifierRE.FindAllStringSubmatch(p, -1) {
		if !slices.Contains(knownModifiers, m[1]) {
			return fmt.Errorf("unknown modifier @%s; use one of @%s", m[1], strings.Join(knownModifiers, ", @"))
		}
	}
	return nil
}
