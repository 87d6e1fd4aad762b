package aftercall

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"github.com/switchboard-hq/switchboard/core/cards"
)

// noValue is what text/template prints for a missing map key; a comment
// shows nothing instead.
const noValue = "<no value>"

// tmpl is one compiled template; a nil t renders "".
type tmpl struct {
	t *template.Template
}

// parseTemplate compiles src, the template at path (its name in messages),
// with the card helpers and missing keys as zero values.
func parseTemplate(path, src string) (tmpl, error) {
	if strings.TrimSpace(src) == "" {
		return tmpl{}, nil
	}
	t, err := template.New(path).Funcs(cards.Funcs()).Option("missingkey=zero").Parse(src)
	if err != nil {
		return tmpl{}, errors.New(templateMessage(err))
	}
	return tmpl{t: t}, nil
}

// render executes the template over data: the text trimmed, with "\r\n"
// made "\n" (Hipcall's comments take Markdown with "\n" line breaks).
func (t tmpl) render(data map[string]any) (string, error) {
	if t.t == nil {
		return "", nil
	}
	var b strings.Builder
	if err := t.t.Execute(&b, data); err != nil {
		return "", errors.New(templateMessage(err))
	}
	s := strings.ReplaceAll(b.String(), noValue, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.TrimSpace(s), nil
}

// templateErrRE splits text/template's messages: "template: NAME:LINE: msg"
// (parse) or "template: NAME:LINE:COL: executing ... msg" (exec).
var templateErrRE = regexp.MustCompile(`^template: [^:]*:(\d+):(?:(\d+):)? ?(.*)$`)

// templateMessage rewrites a text/template error without the template's
// name (the problem's path says which template), with the line and, for
// run-time errors, the column inside the template: "line 2, column 5:
// executing ... wrong type for value".
func templateMessage(err error) string {
	msg := err.Error()
	m := templateErrRE.FindStringSubmatch(msg)
	if m == nil {
		return strings.TrimPrefix(msg, "template: ")
	}
	at := "line " + m[1]
	if m[2] != "" {
		col, _ := strconv.Atoi(m[2])
		at += fmt.Sprintf(", column %d", col+1) // text/template's exec columns are 0-based
	}
	return at + ": " + m[3]
}
