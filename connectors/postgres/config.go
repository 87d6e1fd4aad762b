package postgres

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// Defaults for keys absent from the block.
const (
	defaultMaxConns         = 4
	defaultConnectTimeout   = 5 * time.Second
	defaultStatementTimeout = 30 * time.Second
	defaultMaxPageSize      = 5000
	maxMaxPageSize          = 50000
)

// fileConfig is the connector's YAML block as written.
type fileConfig struct {
	DSN              string                 `yaml:"dsn"`
	DSNEnv           string                 `yaml:"dsn_env"`
	Table            string                 `yaml:"table"`
	Columns          columnsConfig          `yaml:"columns"`
	Fields           map[string]fieldConfig `yaml:"fields"`
	Queries          queriesConfig          `yaml:"queries"`
	CompanyColumns   companyColumnsConfig   `yaml:"company_columns"`
	MaxConns         int                    `yaml:"max_conns"`
	ConnectTimeout   conf.Duration          `yaml:"connect_timeout"`
	StatementTimeout conf.Duration          `yaml:"statement_timeout"`
	MaxPageSize      int                    `yaml:"max_page_size"`
	LogCall          *logCallConfig         `yaml:"log_call"`
	CreateContact    *createContactConfig   `yaml:"create_contact"`
}

// fieldConfig is one entry of fields: as written: conf's column and type,
// and whether the column holds several values in one text (lookups by
// key split it on commas and semicolons).
type fieldConfig struct {
	conf.FieldConfig `yaml:",inline"`
	Multi            bool `yaml:"multi"`
}

// columnsConfig maps a contact's attributes to columns: of the table, or
// of the rows the lookup and list_contacts queries return.
type columnsConfig struct {
	conf.ContactColumns `yaml:",inline"`
	UpdatedAt           string        `yaml:"updated_at"`
	PhoneKey            conf.NameList `yaml:"phone_key"`
}

// companyColumnsConfig maps a company's attributes to the columns of the
// rows the list_companies query returns.
type companyColumnsConfig struct {
	ID        string        `yaml:"id"`
	Name      string        `yaml:"name"`
	Phones    conf.NameList `yaml:"phones"`
	Emails    conf.NameList `yaml:"emails"`
	Website   string        `yaml:"website"`
	Owner     string        `yaml:"owner"`
	UpdatedAt string        `yaml:"updated_at"`
}

func (c companyColumnsConfig) empty() bool {
	return c.ID == "" && c.Name == "" && len(c.Phones) == 0 && len(c.Emails) == 0 &&
		c.Website == "" && c.Owner == "" && c.UpdatedAt == ""
}

// queriesConfig holds operator-written SQL with named parameters.
type queriesConfig struct {
	Lookup        string `yaml:"lookup"`
	ListContacts  string `yaml:"list_contacts"`
	ListCompanies string `yaml:"list_companies"`
}

func (q queriesConfig) empty() bool {
	return q.Lookup == "" && q.ListContacts == "" && q.ListCompanies == ""
}

// colRef is one configured column and where it sits in the block.
type colRef struct {
	name string // the column's name, exactly as written
	path string // "columns.phones.1"
}

func (c colRef) set() bool { return c.name != "" }

// fieldSpec is one validated extra field.
type fieldSpec struct {
	name  string
	col   colRef
	typ   conf.FieldType // conf.FieldAsIs keeps the database's own type
	multi bool           // several values in one text, for lookups by key
}

// contactCols is the validated contact mapping.
type contactCols struct {
	id, firstName, lastName, name, company, companyID, owner, jobTitle, updatedAt colRef
	phones, emails, phoneKey                                                      []colRef
	fields                                                                        []fieldSpec // sorted by name
}

// companyCols is the validated company mapping (queries mode).
type companyCols struct {
	id, name, website, owner, updatedAt colRef
	phones, emails                      []colRef
}

// namedQuery is one operator-written query with the named parameters it
// uses.
type namedQuery struct {
	key    string // "lookup", "list_contacts", "list_companies"
	path   string // "queries.lookup"
	sql    string
	params map[string]bool
}

func (q *namedQuery) uses(name string) bool { return q != nil && q.params[name] }

// settings is a validated configuration. It never changes once built.
type settings struct {
	dsn       string // secret: never logged, redacted from errors
	dsnSource string // "dsn" or "dsn_env CRM_DSN", for messages
	poolCfg   *pgxpool.Config

	table     pgx.Identifier // table mode; nil in queries mode
	tableName string         // as written, for messages
	contacts  contactCols
	companies companyCols

	lookup, listContacts, listCompanies *namedQuery // queries mode

	// The writes (write_config.go); nil when not configured.
	logCall       *logCallSettings
	createContact *createContactSettings

	maxConns         int32
	connectTimeout   time.Duration
	statementTimeout time.Duration
	maxPage          int

	parser *phone.Parser
}

// tableMode reports whether the connector reads a table it builds SQL for.
func (s *settings) tableMode() bool { return s.table != nil }

// capabilities are what the configuration lets the connector do.
func (s *settings) capabilities() []connectors.Capability {
	var caps []connectors.Capability
	add := func(ok bool, c connectors.Capability) {
		if ok {
			caps = append(caps, c)
		}
	}
	if s.tableMode() {
		add(len(s.contacts.phoneKey) > 0, connectors.CapLookup)
		add(true, connectors.CapLookupByKey)
		add(true, connectors.CapListContacts)
		add(s.contacts.companyID.set(), connectors.CapListCompanies)
		add(s.contacts.updatedAt.set(), connectors.CapChangedSince)
		return append(caps, s.writeCapabilities()...)
	}
	add(s.lookup != nil, connectors.CapLookup)
	add(s.listContacts != nil, connectors.CapListContacts)
	add(s.listCompanies != nil, connectors.CapListCompanies)
	since := s.listContacts != nil || s.listCompanies != nil
	for _, q := range []*namedQuery{s.listContacts, s.listCompanies} {
		if q != nil && !q.uses(paramChangedSince) {
			since = false
		}
	}
	add(since, connectors.CapChangedSince)
	return append(caps, s.writeCapabilities()...)
}

// writeCapabilities are the writes the configuration enables.
func (s *settings) writeCapabilities() []connectors.Capability {
	var caps []connectors.Capability
	if s.logCall != nil {
		caps = append(caps, connectors.CapLogCall)
	}
	if s.createContact != nil {
		caps = append(caps, connectors.CapCreateContact)
	}
	return caps
}

// Named parameters the queries may use.
const (
	paramE164         = "e164"
	paramNational     = "national"
	paramRaw          = "raw"
	paramLimit        = "limit"
	paramAfter        = "after"
	paramChangedSince = "changed_since"
)

var (
	lookupParams = []string{paramE164, paramNational, paramRaw, paramLimit}
	listParams   = []string{paramAfter, paramLimit, paramChangedSince}
)

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// parseConfig decodes and validates the block without connecting.
func parseConfig(req *connectors.ConfigureRequest) (*settings, []connectors.Problem) {
	fc := fileConfig{
		MaxConns:         defaultMaxConns,
		ConnectTimeout:   conf.Duration(defaultConnectTimeout),
		StatementTimeout: conf.Duration(defaultStatementTimeout),
		MaxPageSize:      defaultMaxPageSize,
	}
	problems := conf.Decode(req.Config, &fc)
	add := func(path, format string, args ...any) {
		problems = append(problems, conf.Problemf(path, format, args...))
	}
	s := &settings{
		maxConns:         int32(fc.MaxConns),
		connectTimeout:   fc.ConnectTimeout.Std(),
		statementTimeout: fc.StatementTimeout.Std(),
		maxPage:          fc.MaxPageSize,
	}

	// Where to connect.
	dsn, dsnPath := "", ""
	switch {
	case fc.DSN != "" && fc.DSNEnv != "":
		add("dsn_env", "set either dsn or dsn_env, not both: remove one")
	case fc.DSN != "":
		dsn, dsnPath, s.dsnSource = fc.DSN, "dsn", "dsn"
	case fc.DSNEnv != "":
		dsnPath, s.dsnSource = "dsn_env", "dsn_env "+fc.DSNEnv
		if !envNameRE.MatchString(fc.DSNEnv) {
			add("dsn_env", "%q is not an environment variable name: name the variable holding the DSN (e.g. CRM_DSN)", fc.DSNEnv)
		} else if v, ok := os.LookupEnv(fc.DSNEnv); !ok || strings.TrimSpace(v) == "" {
			add("dsn_env", "environment variable %s is not set (or empty): export it with the DSN "+
				"(postgres://user:password@host:5432/database) in the environment switchboard runs in", fc.DSNEnv)
		} else {
			dsn = v
		}
	default:
		add("", "missing dsn: set dsn_env to the environment variable holding the connection string "+
			"(recommended, it keeps the password out of the file) or dsn to the string itself "+
			"(postgres://user:password@host:5432/database)")
	}
	if dsn != "" {
		s.dsn = dsn
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			// Never the string itself: it holds the password.
			add(dsnPath, "the connection string from %s cannot be read, %s (the string is not shown: it holds the password); fix it, written as "+
				"postgres://user:password@host:5432/database?sslmode=disable (percent-encode special characters in the password) "+
				"or as key=value pairs (quote a value with spaces or quotes in single quotes, escaping ' and \\ with \\)",
				s.dsnSource, dsnParseProblem(err, dsn))
		} else {
			s.poolCfg = cfg
		}
	}

	if fc.MaxConns < 1 || fc.MaxConns > 100 {
		add("max_conns", "max_conns must be between 1 and 100 (the connections this connector may hold open), got %d", fc.MaxConns)
	}
	if s.connectTimeout <= 0 {
		add("connect_timeout", "connect_timeout must be above 0 (e.g. 5s)")
	}
	if s.statementTimeout < 0 {
		add("statement_timeout", "statement_timeout must not be negative: use 0 for no server-side limit, or a duration like 30s")
	}
	if fc.MaxPageSize < 1 || fc.MaxPageSize > maxMaxPageSize {
		add("max_page_size", "max_page_size must be between 1 and %d, got %d", maxMaxPageSize, fc.MaxPageSize)
	}

	// What to read: a table, or queries.
	tableSet := strings.TrimSpace(fc.Table) != ""
	switch {
	case tableSet && !fc.Queries.empty():
		add("queries", "set either table (the connector writes the SQL) or queries (you write it), not both: remove one")
	case tableSet:
		s.tableName = strings.TrimSpace(fc.Table)
		id, err := parseTableName(s.tableName)
		if err != nil {
			add("table", "%v", err)
		} else {
			s.table = id
		}
		if !fc.CompanyColumns.empty() {
			add("company_columns", "company_columns maps the rows of queries.list_companies; with table: companies "+
				"come from columns.company_id and columns.company: remove company_columns")
		}
	case fc.Queries.empty():
		add("", "nothing to read: set table: (with columns:) to read a table, or queries: "+
			"(lookup, list_contacts, list_companies) to run your own SQL")
	default:
		for _, q := range []struct {
			key, sql string
			params   []string
			dst      **namedQuery
		}{
			{"lookup", fc.Queries.Lookup, lookupParams, &s.lookup},
			{"list_contacts", fc.Queries.ListContacts, listParams, &s.listContacts},
			{"list_companies", fc.Queries.ListCompanies, listParams, &s.listCompanies},
		} {
			if strings.TrimSpace(q.sql) == "" {
				continue
			}
			nq, msgs := parseQuery(q.key, q.sql, q.params)
			for _, m := range msgs {
				add(nq.path, "%s", m)
			}
			*q.dst = nq
		}
	}

	problems = append(problems, s.parseContactColumns(fc, tableSet)...)
	if s.listCompanies != nil {
		problems = append(problems, s.parseCompanyColumns(fc.CompanyColumns)...)
	} else if !tableSet && !fc.CompanyColumns.empty() {
		add("company_columns", "company_columns maps the rows of queries.list_companies, which is not set: "+
			"add the query or remove company_columns")
	}

	problems = append(problems, s.parseWrites(req.Config, fc)...)

	if req.DefaultRegion == "" {
		add("", "no default phone region: set phone.default_region in the host configuration (e.g. GB)")
	} else if p, err := phone.NewParser(req.DefaultRegion); err != nil {
		add("", "default phone region: %v", err)
	} else {
		s.parser = p
	}
	if len(problems) > 0 {
		return nil, problems
	}
	s.tunePool()
	return s, nil
}

// parseTableName reads "table" or "schema.table".
func parseTableName(name string) (pgx.Identifier, error) {
	parts := strings.Split(name, ".")
	if len(parts) > 2 {
		return nil, fmt.Errorf("table %q has more than one dot: write table or schema.table", name)
	}
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			return nil, fmt.Errorf("table %q has an empty part: write table or schema.table", name)
		}
	}
	return pgx.Identifier(parts), nil
}

// parseQuery finds the named parameters sql uses, with pgx's own lexer
// (the one that will rewrite it), and checks them against allowed.
func parseQuery(key, sql string, allowed []string) (*namedQuery, []string) {
	q := &namedQuery{key: key, path: "queries." + key, sql: sql}
	var msgs []string
	var unknown string
	q.params, unknown = namedParams(sql, allowed)
	if unknown != "" {
		msgs = append(msgs, fmt.Sprintf("unknown parameter @%s: the %s query may use %s", unknown, key, paramsText(allowed)))
	}
	if key != "lookup" {
		for _, need := range []string{paramAfter, paramLimit} {
			if !q.params[need] {
				msgs = append(msgs, fmt.Sprintf("the %s query must use @%s: page by id, as in "+
					"SELECT ... WHERE id > @after ORDER BY id LIMIT @limit", key, need))
			}
		}
	} else if !q.params[paramE164] && !q.params[paramNational] && !q.params[paramRaw] {
		msgs = append(msgs, "the lookup query uses none of @e164, @national, @raw: it cannot look the caller up "+
			"(e.g. SELECT ... WHERE phone_e164 = @e164 LIMIT @limit)")
	}
	return q, msgs
}

// namedParams finds the named parameters sql uses, with pgx's own lexer
// (the one that will rewrite it): the set of those in allowed, and the
// name of one that is not ("" when none).
func namedParams(sql string, allowed []string) (map[string]bool, string) {
	params := map[string]bool{}
	// Each allowed name gets a distinct sentinel; the rewritten arguments
	// then say which names the query uses, and nil marks a name not
	// allowed.
	sentinels := pgx.NamedArgs{}
	for _, name := range allowed {
		sentinels[name] = name
	}
	_, args, _ := sentinels.RewriteQuery(context.Background(), nil, sql, nil)
	unknown := false
	for _, a := range args {
		if name, ok := a.(string); ok {
			params[name] = true
		} else {
			unknown = true
		}
	}
	if !unknown {
		return params, ""
	}
	// Strict rewriting with only the used names names an unknown one.
	used := pgx.StrictNamedArgs{}
	for name := range params {
		used[name] = name
	}
	_, _, err := used.RewriteQuery(context.Background(), nil, sql, nil)
	name := "?"
	if err != nil {
		if f := strings.Fields(err.Error()); len(f) > 1 {
			name = f[1]
		}
	}
	return params, name
}

// paramsText lists parameter names for messages: "@e164, @national".
func paramsText(names []string) string { return "@" + strings.Join(names, ", @") }

// parseContactColumns validates columns: and fields:.
func (s *settings) parseContactColumns(fc fileConfig, tableMode bool) []connectors.Problem {
	var problems []connectors.Problem
	add := func(path, format string, args ...any) {
		problems = append(problems, conf.Problemf(path, format, args...))
	}
	c := &s.contacts
	ref := func(col conf.Column) colRef { return colRef{name: col.Name, path: col.Path} }
	refs := func(cols []conf.Column) []colRef {
		var out []colRef
		for _, col := range cols {
			out = append(out, ref(col))
		}
		return out
	}
	cols, colProblems := fc.Columns.Map("columns", nil)
	needsContacts := tableMode || s.lookup != nil || s.listContacts != nil
	c.id = ref(cols.ID)
	if !c.id.set() && needsContacts {
		add("columns.id", "missing columns.id: name the column holding each contact's unique id (e.g. id: id)")
	}
	problems = append(problems, colProblems...)
	c.firstName = ref(cols.FirstName)
	c.lastName = ref(cols.LastName)
	c.name = ref(cols.Name)
	c.company = ref(cols.Company)
	c.companyID = ref(cols.CompanyID)
	c.owner = ref(cols.Owner)
	c.jobTitle = ref(cols.JobTitle)
	c.updatedAt = ref(conf.Column{Name: strings.TrimSpace(fc.Columns.UpdatedAt), Path: "columns.updated_at"})
	c.phones = refs(cols.Phones)
	c.emails = refs(cols.Emails)
	phoneKey, keyProblems := conf.ColumnList("columns.phone_key", fc.Columns.PhoneKey, nil)
	problems = append(problems, keyProblems...)
	c.phoneKey = refs(phoneKey)
	if !tableMode && len(c.phoneKey) > 0 {
		add("columns.phone_key", "phone_key is for table: mode; with queries: your lookup query finds the numbers "+
			"(WHERE phone_e164 = @e164): remove phone_key")
	}

	written := make(map[string]conf.FieldConfig, len(fc.Fields))
	for name, f := range fc.Fields {
		written[name] = f.FieldConfig
		if f.Multi && !tableMode {
			add(conf.JoinPath("fields", name, "multi"), "multi is for lookups by key, which the connector makes in table: mode only: remove it")
		}
	}
	fields, fieldProblems := conf.ParseFields("fields", written, conf.FieldRules{
		Key: "column", Missing: "the column holding it", Default: conf.FieldAsIs,
	})
	problems = append(problems, fieldProblems...)
	for _, f := range fields {
		c.fields = append(c.fields, fieldSpec{name: f.Name, col: colRef{name: f.Source, path: f.Path + ".column"}, typ: f.Type,
			multi: fc.Fields[f.Name].Multi})
	}
	return problems
}

// parseCompanyColumns validates company_columns: (queries mode).
func (s *settings) parseCompanyColumns(cc companyColumnsConfig) []connectors.Problem {
	var problems []connectors.Problem
	ref := func(path, name string) colRef { return colRef{name: strings.TrimSpace(name), path: path} }
	list := func(path string, names conf.NameList) []colRef {
		cols, more := conf.ColumnList(path, names, nil)
		problems = append(problems, more...)
		var out []colRef
		for _, col := range cols {
			out = append(out, colRef{name: col.Name, path: col.Path})
		}
		return out
	}
	c := &s.companies
	c.id = ref("company_columns.id", cc.ID)
	if !c.id.set() {
		problems = append(problems, conf.Problemf("company_columns.id",
			"missing company_columns.id: name the column of the list_companies query holding each company's id"))
	}
	c.name = ref("company_columns.name", cc.Name)
	c.website = ref("company_columns.website", cc.Website)
	c.owner = ref("company_columns.owner", cc.Owner)
	c.updatedAt = ref("company_columns.updated_at", cc.UpdatedAt)
	c.phones = list("company_columns.phones", cc.Phones)
	c.emails = list("company_columns.emails", cc.Emails)
	return problems
}

// tunePool applies the block's pool settings to the parsed DSN.
func (s *settings) tunePool() {
	if s.poolCfg == nil {
		return
	}
	cfg := s.poolCfg
	cfg.MaxConns = s.maxConns
	cfg.MinConns = 0 // connections open on first use and stay idle in the pool
	cfg.HealthCheckPeriod = 30 * time.Second
	cc := cfg.ConnConfig
	cc.ConnectTimeout = s.connectTimeout
	if cc.RuntimeParams == nil {
		cc.RuntimeParams = map[string]string{}
	}
	if _, ok := cc.RuntimeParams["application_name"]; !ok {
		cc.RuntimeParams["application_name"] = "switchboard-connector-postgres"
	}
	if _, ok := cc.RuntimeParams["statement_timeout"]; !ok {
		cc.RuntimeParams["statement_timeout"] = fmt.Sprint(s.statementTimeout.Milliseconds())
	}
	cc.BuildContextWatcherHandler = cancelOnContextDone
}
