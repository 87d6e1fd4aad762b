package routing

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// Target is a decision point: a phone-system front end that asks the rules
// where a call goes (Hipcall's Smart IVR, Ringostat's routing webhook). The
// router knows nothing of any particular phone system: each front end
// registers its Target, and every rule names its destination per target
// (`to`, `to_expr`), as does routing.default.
type Target struct {
	// Name keys the target's destinations in rules and in routing.default,
	// and labels its metrics ("hipcall", "ringostat"): [a-z0-9_]+.
	Name string
	// Check validates a destination, as configured or as an expression
	// yielded it, and returns it normalised. Required.
	Check func(dest string) (string, error)
	// DefaultRequired makes routing.default.<name> mandatory: the target
	// always answers a destination.
	DefaultRequired bool
	// WithoutDefault says, in a decision's reason, what happens to a call no
	// rule routes when no default is configured (only read when
	// DefaultRequired is false).
	WithoutDefault string
}

// toText turns what a destination expression yielded into text: a string
// (spaces trimmed), or a whole number written out in full (a CRM field
// holding 447700900017 reaches rules as the float64 4.47700900017e+11).
func toText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		if x != math.Trunc(x) || math.Abs(x) >= 1e16 {
			return "", fmt.Errorf("yielded %v: a number must be a whole number", x)
		}
		return strconv.FormatInt(int64(x), 10), nil
	case nil:
		return "", errors.New("yielded nil: the record has no such value")
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return strings.TrimSpace(rv.String()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10), nil
	case reflect.Float32:
		return toText(rv.Float())
	}
	return "", fmt.Errorf("yielded %T: it must yield a string or a whole number", v)
}

// textType reports whether an expression of static type t may yield a
// destination: a string, a number, or a type only known at run time.
func textType(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Interface, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}
