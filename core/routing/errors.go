package routing

import (
	"errors"
	"fmt"
	"strings"

	"github.com/expr-lang/expr/file"
)

// Fields a RuleError can name.
const (
	FieldName             = "name"
	FieldWhen             = "when"
	FieldExtension        = "extension"
	FieldExtensionExpr    = "extension_expr"
	FieldDefaultExtension = "default_extension"
	FieldRingostat        = "ringostat"
	FieldRingostatExpr    = "ringostat_expr"
	FieldRingostatDefault = "ringostat_default"
)

// MaxExtensionLen is the longest extension accepted. Hipcall extensions
// are short strings; anything longer is a mistake in a rule or a record.
const MaxExtensionLen = 64

// RuleError is one problem with the routing configuration.
type RuleError struct {
	// Index is the rule's position in Options.Rules, or -1 for a problem
	// with Options.DefaultExtension or Options.RingostatDefault.
	Index int
	// Name is the rule's name as configured ("" if missing).
	Name string
	// Field is the offending field: "name", "when", "extension",
	// "extension_expr", "ringostat", "ringostat_expr" or (Index -1)
	// "default_extension" or "ringostat_default".
	Field string
	// Message says what is wrong and what to do; for an expression it is
	// expr's own message with its position.
	Message string
	// Line and Column locate the problem inside the expression (both
	// 1-based); 0 when not about a position in an expression.
	Line, Column int
	// Snippet is expr's picture of the offending expression line with a
	// caret under the problem; "" when not about an expression.
	Snippet string
}

func (e RuleError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("routing.%s: %s", e.Field, e.Message)
	}
	if e.Name == "" {
		return fmt.Sprintf("routing.rules[%d]: %s: %s", e.Index, e.Field, e.Message)
	}
	return fmt.Sprintf("routing.rules[%d] (%q): %s: %s", e.Index, e.Name, e.Field, e.Message)
}

// RuleErrors is the error New returns: every problem found, not just the
// first, in rule order.
type RuleErrors struct {
	Errors []RuleError
}

func (e *RuleErrors) Error() string {
	var b strings.Builder
	if len(e.Errors) == 1 {
		b.WriteString("routing: 1 problem in the routing configuration; fix it and reload:")
	} else {
		fmt.Fprintf(&b, "routing: %d problems in the routing configuration; fix them and reload:", len(e.Errors))
	}
	for _, re := range e.Errors {
		b.WriteString("\n  ")
		b.WriteString(re.Error())
	}
	return b.String()
}

// CheckExtension reports whether ext is a usable destination: non-empty, at
// most MaxExtensionLen characters, and only [0-9A-Za-z*#+_-].
func CheckExtension(ext string) error {
	if ext == "" {
		return errors.New("extension is empty: set it to an extension number such as \"100\"")
	}
	if len(ext) > MaxExtensionLen {
		return fmt.Errorf("extension %.20q... is %d characters long: use at most %d", ext, len(ext), MaxExtensionLen)
	}
	for i := 0; i < len(ext); i++ {
		if !extensionChar(ext[i]) {
			return fmt.Errorf("extension %q has %q at position %d: use only digits, letters and * # + _ -", ext, ext[i], i+1)
		}
	}
	return nil
}

func extensionChar(c byte) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		return true
	}
	switch c {
	case '*', '#', '+', '_', '-':
		return true
	}
	return false
}

// exprError turns a compile error from expr into a RuleError, keeping
// expr's message and position and adding a hint where one helps.
func exprError(index int, name, field string, err error) RuleError {
	re := RuleError{Index: index, Name: name, Field: field, Message: err.Error()}
	var fe *file.Error
	if errors.As(err, &fe) {
		re.Message = fe.Message
		if fe.Snippet != "" {
			re.Line, re.Column = fe.Line, fe.Column+1
			re.Message = fmt.Sprintf("%s (%d:%d)", fe.Message, re.Line, re.Column)
			re.Snippet = strings.TrimPrefix(fe.Snippet, "\n")
		}
	}
	switch {
	case strings.Contains(err.Error(), `Operator("matches")`):
		re.Message += "; `matches` is expr's regex operator: write $env.matches or candidates for the candidate count"
	case strings.HasPrefix(re.Message, "unknown name"):
		re.Message += "; see the variables listed by `lookup -explain` (routing.EnvDoc)"
	}
	return re
}
