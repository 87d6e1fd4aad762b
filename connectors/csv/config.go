package csv

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// defaultReloadInterval is how often the file is polled when
// reload_interval is absent.
const defaultReloadInterval = 2 * time.Second

// defaultMaxShrink is the share of records a reload may lose before it is
// held, when max_shrink is absent.
const defaultMaxShrink = 0.5

// fileConfig is the connector's YAML block as written.
type fileConfig struct {
	Path           string                      `yaml:"path"`
	Delimiter      string                      `yaml:"delimiter"`
	Encoding       string                      `yaml:"encoding"`
	Header         bool                        `yaml:"header"`
	Strict         bool                        `yaml:"strict"`
	ReloadInterval conf.Duration               `yaml:"reload_interval"`
	MaxShrink      float64                     `yaml:"max_shrink"`
	Columns        conf.ContactColumns         `yaml:"columns"`
	Fields         map[string]conf.FieldConfig `yaml:"fields"`
}

// columnRef is one configured column reference and where it sits in the
// block (for problems).
type columnRef struct {
	ref  string // header name, or 1-based number without a header
	path string // "columns.phones.1"
}

// fieldSpec is one validated extra field.
type fieldSpec struct {
	name string
	col  columnRef
	typ  conf.FieldType
}

// settings is a validated configuration. It never changes once built.
type settings struct {
	path    string // as written, for messages ("customers.csv")
	absPath string
	baseDir string
	delim   rune
	encName string
	enc     encoding.Encoding // nil for UTF-8
	header  bool
	strict  bool
	reload  time.Duration
	// maxShrink is the share of the served records a reload may lose;
	// a reload that loses more is held (reload.go). 1 turns the guard off.
	maxShrink float64
	parser    *phone.Parser
	region    string
	id        columnRef
	single    map[role]columnRef // optional single-column attributes
	phones    []columnRef
	emails    []columnRef
	fields    []fieldSpec // sorted by name
}

// role names a single-column contact attribute.
type role string

const (
	roleFirstName role = "first_name"
	roleLastName  role = "last_name"
	roleName      role = "name"
	roleCompany   role = "company"
	roleCompanyID role = "company_id"
	roleOwner     role = "owner"
	roleJobTitle  role = "job_title"
)

// encodingInfo is one supported file encoding.
type encodingInfo struct {
	name string
	enc  encoding.Encoding // nil: UTF-8, read as is (BOM stripped)
}

var encodingList = []encodingInfo{
	{"utf-8", nil},
	{"utf-16", unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)},
	{"utf-16le", unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)},
	{"utf-16be", unicode.UTF16(unicode.BigEndian, unicode.UseBOM)},
	{"windows-1252", charmap.Windows1252},
	{"windows-1254", charmap.Windows1254},
	{"iso-8859-1", charmap.ISO8859_1},
	{"iso-8859-9", charmap.ISO8859_9},
}

// encodingAliases are other names for the encodings above.
var encodingAliases = map[string]string{
	"utf8": "utf-8", "unicode": "utf-16", "cp1252": "windows-1252", "cp1254": "windows-1254",
	"latin1": "iso-8859-1", "latin5": "iso-8859-9", "turkish": "iso-8859-9",
}

// lookupEncoding finds an encoding by name, ignoring case, "-" and "_".
func lookupEncoding(name string) (encodingInfo, bool) {
	norm := func(s string) string {
		return strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToLower(s))
	}
	n := norm(name)
	for alias, canon := range encodingAliases {
		if norm(alias) == n {
			n = norm(canon)
		}
	}
	for _, e := range encodingList {
		if norm(e.name) == n {
			return e, true
		}
	}
	return encodingInfo{}, false
}

func encodingNames() []string {
	names := make([]string, len(encodingList))
	for i, e := range encodingList {
		names[i] = e.name
	}
	return names
}

// parseConfig decodes and validates the block. It does not touch the file.
func parseConfig(req *connectors.ConfigureRequest) (*settings, []connectors.Problem) {
	fc := fileConfig{
		Delimiter:      ",",
		Encoding:       "utf-8",
		Header:         true,
		ReloadInterval: conf.Duration(defaultReloadInterval),
		MaxShrink:      defaultMaxShrink,
	}
	problems := conf.Decode(req.Config, &fc)
	add := func(path, format string, args ...any) {
		problems = append(problems, conf.Problemf(path, format, args...))
	}
	s := &settings{
		path:      fc.Path,
		baseDir:   req.BaseDir,
		header:    fc.Header,
		strict:    fc.Strict,
		reload:    fc.ReloadInterval.Std(),
		maxShrink: fc.MaxShrink,
		single:    map[role]columnRef{},
		region:    req.DefaultRegion,
	}

	if strings.TrimSpace(fc.Path) == "" {
		add("path", "missing path: set path: to the CSV file (relative paths are resolved against the config file's directory)")
	} else {
		p := fc.Path
		if !filepath.IsAbs(p) {
			p = filepath.Join(req.BaseDir, p)
		}
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		s.absPath = p
	}

	if d, err := parseDelimiter(fc.Delimiter); err != nil {
		add("delimiter", "%v", err)
	} else {
		s.delim = d
	}

	if e, ok := lookupEncoding(fc.Encoding); ok {
		s.encName, s.enc = e.name, e.enc
	} else {
		msg := fmt.Sprintf("unknown encoding %q", fc.Encoding)
		if sug := conf.Suggest(fc.Encoding, encodingNames()); sug != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", sug)
		}
		add("encoding", "%s: use one of %s", msg, strings.Join(encodingNames(), ", "))
	}

	if s.reload < 0 {
		add("reload_interval", "reload_interval must not be negative: use 0 to never reload, or a duration like 2s")
	}

	if !(fc.MaxShrink > 0 && fc.MaxShrink <= 1) {
		add("max_shrink", "max_shrink must be above 0 and at most 1, got %v: it is the share of the records a reload may lose "+
			"before it is held (0.5: half); 1 turns the guard off", fc.MaxShrink)
	}

	// checkRef checks a column reference (trimmed, not empty).
	checkRef := func(value string) error {
		if !fc.Header {
			if n, err := strconv.Atoi(value); err != nil || n < 1 {
				return fmt.Errorf("column %q must be a column number (1 for the first column) because header: false; "+
					"set header: true to name columns by the header row", value)
			}
		}
		return nil
	}
	// The columns, by header name (or by 1-based column number with
	// header: false).
	cols, colProblems := fc.Columns.Map("columns", checkRef)
	if cols.ID.Set() {
		s.id = columnRef{ref: cols.ID.Name, path: cols.ID.Path}
	} else {
		add("columns.id", "missing columns.id: name the column holding each row's unique id (e.g. id: CustomerID)")
	}
	problems = append(problems, colProblems...)
	for _, c := range []struct {
		role role
		col  conf.Column
	}{
		{roleFirstName, cols.FirstName}, {roleLastName, cols.LastName}, {roleName, cols.Name},
		{roleCompany, cols.Company}, {roleCompanyID, cols.CompanyID},
		{roleOwner, cols.Owner}, {roleJobTitle, cols.JobTitle},
	} {
		if c.col.Set() {
			s.single[c.role] = columnRef{ref: c.col.Name, path: c.col.Path}
		}
	}
	for _, c := range cols.Phones {
		s.phones = append(s.phones, columnRef{ref: c.Name, path: c.Path})
	}
	for _, c := range cols.Emails {
		s.emails = append(s.emails, columnRef{ref: c.Name, path: c.Path})
	}

	fields, fieldProblems := conf.ParseFields("fields", fc.Fields, conf.FieldRules{
		Key: "column", Missing: "the column holding it", Default: conf.FieldString, Check: checkRef,
	})
	problems = append(problems, fieldProblems...)
	for _, f := range fields {
		s.fields = append(s.fields, fieldSpec{name: f.Name, col: columnRef{ref: f.Source, path: f.Path + ".column"}, typ: f.Type})
	}

	if req.DefaultRegion == "" {
		// The host always sends its region; a missing one is only worth a
		// problem if numbers are mapped at all.
		if len(s.phones) > 0 {
			problems = append(problems, conf.Problemf("",
				"no default phone region: set phone.default_region in the host configuration (e.g. GB)"))
		}
	} else if p, err := phone.NewParser(req.DefaultRegion); err != nil {
		problems = append(problems, conf.Problemf("", "default phone region: %v", err))
	} else {
		s.parser = p
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return s, nil
}

// parseDelimiter reads the delimiter setting: one character, with "\t"
// and "tab" accepted for a tab.
func parseDelimiter(d string) (rune, error) {
	switch strings.ToLower(d) {
	case "":
		return ',', nil
	case `\t`, "tab", "\t":
		return '\t', nil
	}
	r, size := utf8.DecodeRuneInString(d)
	switch {
	case size != len(d):
		return 0, fmt.Errorf("delimiter %q must be one character: use e.g. \",\", \";\", \"|\" or tab", d)
	case r == utf8.RuneError, r == '"', r == '\r', r == '\n':
		return 0, fmt.Errorf("delimiter %q cannot separate fields: use e.g. \",\", \";\", \"|\" or tab", d)
	}
	return r, nil
}
