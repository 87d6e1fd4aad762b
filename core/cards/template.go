package cards

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"
)

// TemplateError is a problem with one card template: it does not parse,
// fails when rendered against the sample record, or renders a row Hipcall
// would refuse.
type TemplateError struct {
	// Path names the template: "title.text", "rows.1.label",
	// "user_row.label", "unknown_caller.title.text".
	Path string
	// Line and Col locate the problem inside the template text (1-based);
	// 0 when unknown.
	Line, Col int
	// Message says what is wrong.
	Message string
}

func (e TemplateError) Error() string {
	at := e.Path
	if e.Line > 0 {
		at += ":" + strconv.Itoa(e.Line)
		if e.Col > 0 {
			at += ":" + strconv.Itoa(e.Col)
		}
	}
	return at + ": " + e.Message
}

// TemplateErrors lists every problem found in the card templates.
type TemplateErrors struct {
	List []TemplateError
}

func (e *TemplateErrors) Error() string {
	msgs := make([]string, len(e.List))
	for i, te := range e.List {
		msgs[i] = te.Error()
	}
	return "card templates: " + strings.Join(msgs, "; ")
}

// noValue is what text/template prints for a missing map key; a card shows
// nothing instead.
const noValue = "<no value>"

// tmpl is one compiled template; a nil t renders "".
type tmpl struct {
	path string
	src  string
	t    *template.Template
}

// templateErrRE splits text/template's messages: "template: NAME:LINE: msg"
// (parse) or "template: NAME:LINE:COL: executing ... msg" (exec).
var templateErrRE = regexp.MustCompile(`^template: [^:]*:(\d+):(?:(\d+):)? ?(.*)$`)

// quotedRE finds the first quoted word of a message (function "mony").
var quotedRE = regexp.MustCompile(`"([^"]+)"`)

// compile parses src as the template at path; an empty src gives an empty
// template.
func compile(path, src string, errs *[]TemplateError) tmpl {
	t := tmpl{path: path, src: src}
	if strings.TrimSpace(src) == "" {
		return t
	}
	parsed, err := template.New(path).Funcs(funcs).Option("missingkey=zero").Parse(src)
	if err != nil {
		*errs = append(*errs, templateError(path, src, err))
		return t
	}
	t.t = parsed
	return t
}

// render executes the template over data.
func (t tmpl) render(data map[string]any) (string, error) {
	if t.t == nil {
		return "", nil
	}
	var b strings.Builder
	if err := t.t.Execute(&b, data); err != nil {
		return "", err
	}
	return strings.TrimSpace(strings.ReplaceAll(b.String(), noValue, "")), nil
}

// templateError turns a text/template error into a TemplateError with the
// line and, where it can be found, the column in src.
func templateError(path, src string, err error) TemplateError {
	msg := err.Error()
	te := TemplateError{Path: path, Message: msg}
	m := templateErrRE.FindStringSubmatch(msg)
	if m == nil {
		return te
	}
	te.Line, _ = strconv.Atoi(m[1])
	te.Col, _ = strconv.Atoi(m[2])
	te.Message = m[3]
	if te.Col == 0 {
		te.Col = findColumn(src, te.Line, te.Message)
	} else {
		te.Col++ // text/template's exec columns are 0-based
	}
	return te
}

// findColumn guesses where on line (1-based) the problem is: at the first
// quoted word of the message, else at the first action.
func findColumn(src string, line int, msg string) int {
	lines := strings.Split(src, "\n")
	if line < 1 || line > len(lines) {
		return 0
	}
	l := lines[line-1]
	if q := quotedRE.FindStringSubmatch(msg); q != nil {
		if i := strings.Index(l, q[1]); i >= 0 {
			return len([]rune(l[:i])) + 1
		}
	}
	if i := strings.Index(l, "{{"); i >= 0 {
		return len([]rune(l[:i])) + 1
	}
	return 0
}

// execError is a render failure with its template's path, for logs.
func execError(t tmpl, err error) error {
	te := templateError(t.path, t.src, err)
	return fmt.Errorf("%s", te.Error())
}
