package postgres

import (
	"strings"

	"github.com/jackc/pgx/v5"
	"go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
)

// logCallConfig is the log_call: block as written: a table with mapped
// columns, or the operator's SQL.
type logCallConfig struct {
	Table       string         `yaml:"table"`
	Columns     logCallColumns `yaml:"columns"`
	IDColumn    string         `yaml:"id_column"`
	SQL         string         `yaml:"sql"`
	ExistingSQL string         `yaml:"existing_sql"`
}

// logCallColumns maps the fields of a logged call to the columns of
// log_call.table. Each key is also the field's @parameter in log_call.sql.
type logCallColumns struct {
	Key          string `yaml:"key"`
	ContactID    string `yaml:"contact_id"`
	CompanyID    string `yaml:"company_id"`
	CallID       string `yaml:"call_id"`
	Direction    string `yaml:"direction"`
	From         string `yaml:"from"`
	To           string `yaml:"to"`
	StartedAt    string `yaml:"started_at"`
	AnsweredAt   string `yaml:"answered_at"`
	EndedAt      string `yaml:"ended_at"`
	TalkSeconds  string `yaml:"talk_seconds"`
	Outcome      string `yaml:"outcome"`
	AgentID      string `yaml:"agent_id"`
	AgentName    string `yaml:"agent_name"`
	OwnerID      string `yaml:"owner_id"`
	RecordingURL string `yaml:"recording_url"`
	Title        string `yaml:"title"`
	Body         string `yaml:"body"`
}

// byField lists the columns as written, parallel to logParams.
func (c *logCallColumns) byField() []string {
	return []string{c.Key, c.ContactID, c.CompanyID, c.CallID, c.Direction, c.From, c.To,
		c.StartedAt, c.AnsweredAt, c.EndedAt, c.TalkSeconds, c.Outcome, c.AgentID, c.AgentName,
		c.OwnerID, c.RecordingURL, c.Title, c.Body}
}

// createContactConfig is the create_contact: block as written: empty to
// insert into the contacts table, or the operator's SQL.
type createContactConfig struct {
	SQL string `yaml:"sql"`
}

// The named parameters of the writes' SQL.
const (
	paramKey         = "key"
	paramContactID   = "contact_id"
	paramCompanyID   = "company_id"
	paramStartedAt   = "started_at"
	paramAnsweredAt  = "answered_at"
	paramEndedAt     = "ended_at"
	paramTalkSeconds = "talk_seconds"
	paramPhone       = "phone"
	paramFirstName   = "first_name"
	paramLastName    = "last_name"
	paramOwnerID     = "owner_id"
	// paramFullName is the connector's own, for a name: column; the
	// operator's SQL cannot use it.
	paramFullName = "full_name"
)

var (
	// logParams are the fields of a logged call: the keys of
	// log_call.columns and the parameters of log_call.sql, in the order
	// the connector writes them.
	logParams = []string{paramKey, paramContactID, paramCompanyID, "call_id", "direction", "from", "to",
		paramStartedAt, paramAnsweredAt, paramEndedAt, paramTalkSeconds, "outcome", "agent_id", "agent_name",
		paramOwnerID, "recording_url", "title", "body"}
	// contactParams are the parameters of create_contact.sql.
	contactParams = []string{paramPhone, paramFirstName, paramLastName, paramCompanyID, paramOwnerID, paramKey}
)

// logColumn is one field of a logged call mapped to a column.
type logColumn struct {
	param string // the field, which is also its parameter ("started_at")
	col   colRef
}

// logCallSettings is a validated log_call block.
type logCallSettings struct {
	// Table mode: the table, its mapped columns (the key's first), the
	// key column and the column whose value is the log's id.
	table     pgx.Identifier
	tableName string
	cols      []logColumn
	key, id   colRef

	// SQL mode: the operator's INSERT and the SELECT that finds a key
	// logged before.
	insert, existing *namedQuery

	// contact and company say whether a log can name a contact and a
	// company (the column is mapped, or the SQL uses the parameter).
	contact, company bool
}

func (l *logCallSettings) tableMode() bool { return l.insert == nil }

// createContactSettings is a validated create_contact block.
type createContactSettings struct {
	// insert is the operator's INSERT; nil inserts into the contacts
	// table (table mode).
	insert *namedQuery
}

// parseWrites validates log_call: and create_contact:. A key written
// with nothing under it (create_contact: and a comment) counts as
// written, empty.
func (s *settings) parseWrites(data []byte, fc fileConfig) []connectors.Problem {
	written := topKeys(data)
	var problems []connectors.Problem
	if lc := fc.LogCall; lc != nil || written["log_call"] {
		if lc == nil {
			lc = &logCallConfig{}
		}
		problems = append(problems, s.parseLogCall(lc)...)
	}
	if cc := fc.CreateContact; cc != nil || written["create_contact"] {
		if cc == nil {
			cc = &createContactConfig{}
		}
		problems = append(problems, s.parseCreateContact(cc, strings.TrimSpace(fc.Table) != "")...)
	}
	return problems
}

// topKeys are the keys of the block's top-level mapping, those with a
// null value included; nil when the block is not a mapping (conf.Decode
// reports that).
func topKeys(data []byte) map[string]bool {
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil
	}
	keys := make(map[string]bool, len(m))
	for k := range m {
		keys[k] = true
	}
	return keys
}

// parseLogCall validates the log_call block.
func (s *settings) parseLogCall(lc *logCallConfig) []connectors.Problem {
	var problems []connectors.Problem
	add := func(path, format string, args ...any) {
		problems = append(problems, conf.Problemf(path, format, args...))
	}
	l := &logCallSettings{}
	table := strings.TrimSpace(lc.Table)
	cols := lc.Columns.byField()
	anyColumn := false
	for _, c := range cols {
		anyColumn = anyColumn || c != ""
	}
	sqlSet := strings.TrimSpace(lc.SQL) != ""
	existingSet := strings.TrimSpace(lc.ExistingSQL) != ""
	idColumn := strings.TrimSpace(lc.IDColumn)

	switch {
	case sqlSet && (table != "" || anyColumn):
		add("log_call.sql", "set either table: with columns: (the connector writes the INSERT) or sql: with existing_sql: "+
			"(you write them), not both: remove one")
	case sqlSet:
		l.insert = writeQuery("log_call.sql", lc.SQL, logParams, &problems)
		if !l.insert.uses(paramKey) {
			add("log_call.sql", "log_call.sql must use @key: store it in a column with a unique index and insert nothing "+
				"when it is there, as in INSERT INTO activity (ext_key, ...) VALUES (@key, ...) ON CONFLICT (ext_key) DO NOTHING RETURNING id, "+
				"so that a retried log is not written twice")
		}
		l.contact, l.company = l.insert.uses(paramContactID), l.insert.uses(paramCompanyID)
		if !l.contact && !l.company {
			add("log_call.sql", "log_call.sql uses neither @contact_id nor @company_id: it cannot attach the call "+
				"to the contact or company it is logged against")
		}
		if !existingSet {
			add("log_call.existing_sql", "missing log_call.existing_sql: the query that finds the id of a log by its key "+
				"when sql inserted nothing (a retry), as in SELECT id FROM activity WHERE ext_key = @key")
		} else {
			l.existing = writeQuery("log_call.existing_sql", lc.ExistingSQL, logParams, &problems)
			if !l.existing.uses(paramKey) {
				add("log_call.existing_sql", "log_call.existing_sql must find the log by @key, as in SELECT id FROM activity WHERE ext_key = @key")
			}
		}
		if idColumn != "" {
			add("log_call.id_column", "id_column is for table: mode; with sql: the log's id is the first column sql returns: remove it")
		}
	case table == "" && !anyColumn && !existingSet && idColumn == "":
		add("log_call", "log_call needs table: and columns: (the connector writes the INSERT) or sql: and existing_sql: "+
			"(you write them); remove log_call to log no calls")
	default:
		if table == "" {
			add("log_call.table", "missing log_call.table: name the table calls are logged into (table or schema.table)")
		} else if id, err := parseTableName(table); err != nil {
			add("log_call.table", "%v", err)
		} else {
			l.table, l.tableName = id, table
		}
		if existingSet {
			add("log_call.existing_sql", "existing_sql goes with sql:; with table: the connector finds a key logged before "+
				"in the key column itself: remove it")
		}
		mappedBy := map[string]string{} // column → the path mapping it
		for i, field := range logParams {
			col := colRef{name: strings.TrimSpace(cols[i]), path: "log_call.columns." + field}
			switch {
			case cols[i] == "":
				continue
			case !col.set():
				add(col.path, "empty column name: remove the entry or name a column")
				continue
			case mappedBy[col.name] != "":
				add(col.path, "column %q is already mapped by %s: a column holds one field; map this one to another column or remove it",
					col.name, mappedBy[col.name])
				continue
			}
			mappedBy[col.name] = col.path
			l.cols = append(l.cols, logColumn{param: field, col: col})
			switch field {
			case paramKey:
				l.key = col
			case paramContactID:
				l.contact = true
			case paramCompanyID:
				l.company = true
			}
		}
		if !l.key.set() {
			add("log_call.columns.key", "missing log_call.columns.key: name the column that stores each log's key "+
				"(the phone system's call id and the action's name), with a unique index on it, so that a retried log is recognised")
		}
		if !l.contact && !l.company {
			add("log_call.columns", "map contact_id or company_id (or both): the columns holding the contact or company "+
				"the call is logged against")
		}
		l.id = l.key
		if idColumn != "" {
			l.id = colRef{name: idColumn, path: "log_call.id_column"}
		}
	}
	s.logCall = l
	return problems
}

// parseCreateContact validates the create_contact block. tableMode: the
// connector reads a table (rather than queries).
func (s *settings) parseCreateContact(cc *createContactConfig, tableMode bool) []connectors.Problem {
	var problems []connectors.Problem
	add := func(path, format string, args ...any) {
		problems = append(problems, conf.Problemf(path, format, args...))
	}
	c := &createContactSettings{}
	if strings.TrimSpace(cc.SQL) != "" {
		c.insert = writeQuery("create_contact.sql", cc.SQL, contactParams, &problems)
		if !c.insert.uses(paramPhone) {
			add("create_contact.sql", "create_contact.sql must use @phone: store the number (E.164, +442045205757) "+
				"where the lookup finds it, or the new contact cannot be found and a retry would create it again")
		}
	}
	switch {
	case tableMode && len(s.contacts.phoneKey) == 0:
		add("create_contact", "create_contact needs columns.phone_key: the connector looks a number up there before it "+
			"creates a contact (so that a retry, or a number someone else added, makes no second one) and stores the new "+
			"contact's number there")
	case !tableMode && s.lookup == nil:
		add("create_contact", "create_contact needs queries.lookup: the connector looks a number up before it creates "+
			"a contact, so that a retry, or a number someone else added, makes no second one")
	}
	if !tableMode && c.insert == nil {
		add("create_contact.sql", "missing create_contact.sql: with queries: there is no table the connector could insert "+
			"into; write the INSERT, returning the new contact's id, as in "+
			"INSERT INTO people (name, phone) VALUES (@first_name || ' ' || @last_name, @phone) RETURNING id")
	}
	s.createContact = c
	return problems
}

// writeQuery reads a write's SQL at path, adding a problem for a named
// parameter outside allowed.
func writeQuery(path, sql string, allowed []string, problems *[]connectors.Problem) *namedQuery {
	q := &namedQuery{key: path, path: path, sql: sql}
	var unknown string
	q.params, unknown = namedParams(sql, allowed)
	if unknown != "" {
		*problems = append(*problems, conf.Problemf(path, "unknown parameter @%s: %s may use %s", unknown, path, paramsText(allowed)))
	}
	return q
}
