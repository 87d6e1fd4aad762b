package lenient

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrDuplicateKey reports a JSON object that holds the same member name
// twice, as compared by FoldKey ({"caller":"1","Caller":"2"}, or
// {"caller":"1","caller":"2"}). Such a body is ambiguous: which value a
// reader takes is an accident of its implementation, so the request
// readers refuse it instead of picking one. Test with errors.Is; the
// error is a *DuplicateKeyError.
var ErrDuplicateKey = errors.New("a JSON object holds the same key twice")

// ProblemDuplicateKey is how the request readers name the problem in
// their log lines (problem=duplicate_key on the Smart IVR and Ringostat
// lines, reason=duplicate_key on the webhook's).
const ProblemDuplicateKey = "duplicate_key"

// DuplicateKeyError says where a duplicate key is.
type DuplicateKeyError struct {
	// Path is the object holding the key, from the top of the document
	// ("data", "data.call_flow[2]", `params["x y"]`); "" for the
	// top-level object.
	Path string
	// First and Second are the two names as written (decoded), in
	// document order; they differ at most in case.
	First, Second string
}

func (e *DuplicateKeyError) Error() string {
	where := "the top-level JSON object"
	if e.Path != "" {
		where = "the JSON object at " + clip(e.Path)
	}
	spell := ""
	if e.First != e.Second {
		spell = fmt.Sprintf(" (written %s and %s)", quote(e.First), quote(e.Second))
	}
	return fmt.Sprintf("%s holds the key %s twice%s: keys are compared case-insensitively, and a body with a repeated key is ambiguous",
		where, quote(e.Second), spell)
}

// Is makes errors.Is(err, ErrDuplicateKey) hold.
func (e *DuplicateKeyError) Is(target error) bool { return target == ErrDuplicateKey }

// maxShown bounds a name or a path quoted in an error (they come from
// the request).
const maxShown = 64

func clip(s string) string {
	if len(s) <= maxShown {
		return s
	}
	i := maxShown
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

func quote(s string) string { return strconv.Quote(clip(s)) }

// FoldKey is the form in which two member (or parameter) names are
// compared: names with the same FoldKey are the same name. It lower-cases
// (so "CALLER", "Caller" and "caller" are one name) and also folds what
// Unicode case folding equates (the Kelvin sign K with k, ſ with s), so
// that it equates at least what strings.EqualFold, strings.ToLower and
// encoding/json's field matching equate.
func FoldKey(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

// foldRune is one representative of the runes equal to r under
// unicode.ToLower and simple case folding: the lower case of the
// smallest rune of the folding orbit of r's lower case.
func foldRune(r rune) rune {
	r = unicode.ToLower(r)
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return unicode.ToLower(least)
}

// maxDepth bounds the nesting DuplicateKeys follows (encoding/json
// refuses more than 10000 levels anyway).
const maxDepth = 10000

// frame is an object or a list DuplicateKeys is inside.
type frame struct {
	object  bool
	wantKey bool              // object: the next token is a key or '}'
	key     string            // object: the member being read, as written
	index   int               // list: the element being read
	seen    map[string]string // object: folded name → name as written
}

// DuplicateKeys returns a *DuplicateKeyError (errors.Is ErrDuplicateKey)
// for the first object, in document order, that holds two members whose
// names have the same FoldKey; nil when there is none. Every object of
// the document is checked, however deeply nested. It reads one JSON
// value from data; check that data is valid JSON first (json.Unmarshal):
// for invalid JSON it reports only a duplicate found before the error.
func DuplicateKeys(data []byte) error {
	if flatWithoutDuplicates(data) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // numbers are not converted (1e400 is no error)
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				if !valueDone(stack) {
					return nil
				}
				continue
			}
			name, ok := tok.(string)
			if !ok {
				return nil
			}
			folded := FoldKey(name)
			if top.seen == nil {
				top.seen = make(map[string]string, 8)
			}
			if first, dup := top.seen[folded]; dup {
				return &DuplicateKeyError{Path: path(stack[:len(stack)-1]), First: first, Second: name}
			}
			top.seen[folded] = name
			top.key, top.wantKey = name, false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) >= maxDepth {
				return nil
			}
			stack = append(stack, &frame{object: tok == json.Delim('{'), wantKey: true})
			continue
		case json.Delim(']'):
			if top == nil || top.object {
				return nil
			}
			stack = stack[:len(stack)-1]
		}
		if !valueDone(stack) {
			return nil
		}
	}
}

// valueDone moves past a value just read; it reports false when that
// value was the whole document.
func valueDone(stack []*frame) bool {
	if len(stack) == 0 {
		return false
	}
	top := stack[len(stack)-1]
	if top.object {
		top.wantKey = true
	} else {
		top.index++
	}
	return true
}

// path writes where the innermost of stack's frames is.
func path(stack []*frame) string {
	var b strings.Builder
	for _, f := range stack {
		switch {
		case !f.object:
			fmt.Fprintf(&b, "[%d]", f.index)
		case simpleName(f.key):
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		default:
			fmt.Fprintf(&b, "[%s]", quote(f.key))
		}
	}
	return b.String()
}

// simpleName reports whether a name can be written bare in a path.
func simpleName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r != '_' && r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// flatKeysMax is the most keys flatWithoutDuplicates compares.
const flatKeysMax = 16

// flatWithoutDuplicates is DuplicateKeys' fast path for the bodies the
// ring endpoints get (a Smart IVR request is one flat object of four
// keys): without allocating, it reports true when data is a single
// object of at most flatKeysMax members whose names are ASCII without
// escapes, whose values are strings or bare literals, and no two of whose
// names are equal ignoring ASCII case. Anything else, a duplicate
// included, is left to the tokenizer, which also words the error.
func flatWithoutDuplicates(data []byte) bool {
	var m flatMembers
	return m.read(data)
}

// flatMembers are the members of a flat object (see flatWithoutDuplicates),
// names and raw values as slices of the data read.
type flatMembers struct {
	n      int
	keys   [flatKeysMax][]byte
	values [flatKeysMax][]byte
}

// read reads data's members; false when data is not such an object (or
// holds a name twice). It does not check that the values are valid JSON.
func (m *flatMembers) read(data []byte) bool {
	m.n = 0
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return skipSpace(data, i+1) == len(data)
	}
	for {
		if i >= len(data) || data[i] != '"' || m.n == flatKeysMax {
			return false
		}
		end := i + 1
		for end < len(data) && data[end] != '"' {
			if c := data[end]; c == '\\' || c >= utf8.RuneSelf || c < 0x20 {
				return false
			}
			end++
		}
		if end >= len(data) {
			return false
		}
		key := data[i+1 : end]
		for _, k := range m.keys[:m.n] {
			if bytes.EqualFold(k, key) {
				return false
			}
		}
		m.keys[m.n] = key
		i = skipSpace(data, end+1)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		start := skipSpace(data, i+1)
		if i = skipValue(data, start); i < 0 {
			return false
		}
		m.values[m.n] = data[start:i]
		m.n++
		i = skipSpace(data, i)
		switch {
		case i < len(data) && data[i] == ',':
			i = skipSpace(data, i+1)
		case i < len(data) && data[i] == '}':
			return skipSpace(data, i+1) == len(data)
		default:
			return false
		}
	}
}

// skipValue returns the index after the string or bare literal (number,
// true, false, null) at data[i], or -1 for anything else (an object, an
// array, the end).
func skipValue(data []byte, i int) int {
	if i >= len(data) {
		return -1
	}
	if data[i] == '"' {
		for j := i + 1; j < len(data); j++ {
			switch data[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
		return -1
	}
	j := i
	for j < len(data) && (data[j] >= '0' && data[j] <= '9' || data[j] >= 'a' && data[j] <= 'z' || data[j] >= 'A' && data[j] <= 'Z' ||
		data[j] == '+' || data[j] == '-' || data[j] == '.') {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// skipSpace returns the index of the first byte at or after i that is
// not JSON white space.
func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}
