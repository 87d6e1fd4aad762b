package conf

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Decode decodes a connector's YAML block strictly into into, which
// must be a non-nil pointer (usually to a struct already holding the
// defaults: keys absent from the block leave their fields untouched).
//
// It reports every problem at once, in document order: each unknown key
// (with a "did you mean" suggestion when a known key is close), each value
// of the wrong type, and a syntax error if the block is not YAML. Each
// problem's Path is the dotted path of the offending node inside the block
// ("columns.phones.1", sequence indexes counting from 0), never a line
// number: the host maps paths to file:line:col in its own file.
//
// Struct fields are matched by their `yaml` tags the way go.yaml.in/yaml/v3
// matches them (",inline" structs and maps included). Types that decode
// themselves (yaml.Unmarshaler, encoding.TextUnmarshaler) are not checked
// for unknown keys; to report a bad value with its path they should return
// a *yaml.TypeError whose lines read "line N: message".
//
// A nil or empty result means the block was decoded completely.
func Decode(data []byte, into any) connectors.Problems {
	rv := reflect.ValueOf(into)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() {
		return connectors.Problems{{Message: fmt.Sprintf(
			"connector bug: conf.Decode needs a non-nil pointer, got %T; report this to the connector's author", into)}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return connectors.Problems{syntaxProblem(err)}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil
		}
		root = root.Content[0]
	}
	if root.Kind == 0 { // empty document
		return nil
	}

	w := &walker{}
	w.walk(root, "", rv.Type().Elem())
	problems := w.problems

	if err := root.Decode(into); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, line := range te.Errors {
				problems = append(problems, w.typeProblem(line))
			}
		} else {
			problems = append(problems, located{}.problem(
				"the block could not be decoded: "+strings.TrimPrefix(err.Error(), "yaml: ")))
		}
	}
	sort.SliceStable(problems, func(i, j int) bool {
		if problems[i].line != problems[j].line {
			return problems[i].line < problems[j].line
		}
		return problems[i].col < problems[j].col
	})
	out := make(connectors.Problems, len(problems))
	for i, p := range problems {
		out[i] = p.Problem
	}
	return out
}

// Problemf builds a connectors.Problem for the node at path (see JoinPath) with a
// formatted message, which should say what is wrong and what to do.
func Problemf(path, format string, args ...any) connectors.Problem {
	return connectors.Problem{Path: path, Message: fmt.Sprintf(format, args...)}
}

// JoinPath joins YAML keys (strings) and sequence indexes (ints) into the
// dotted path connectors.Problem.Path uses; empty strings are skipped, so
// JoinPath("", "columns", "phones", 1) is "columns.phones.1".
func JoinPath(elems ...any) string {
	var b strings.Builder
	for _, e := range elems {
		s := fmt.Sprint(e)
		if s == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

// Suggest returns the candidate closest to word (a likely typo of it:
// differing in case, separators or by a couple of edits), or "" when none
// is close enough to suggest.
func Suggest(word string, candidates []string) string {
	norm := func(s string) string {
		return strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(s))
	}
	w := norm(word)
	best, bestDist := "", -1
	for _, c := range candidates {
		if c == word {
			continue
		}
		d := editDistance(w, norm(c))
		limit := 1
		if n := utf8.RuneCountInString(w); n >= 8 {
			limit = 3
		} else if n >= 4 {
			limit = 2
		}
		if d <= limit && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// Duration is a time.Duration that reads "2s", "500ms", "1m30s" or a bare 0
// from YAML (go.yaml.in/yaml/v3 rejects bare numbers for time.Duration),
// reporting a bad value as a *yaml.TypeError so that Decode locates it.
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		if n.Value == "0" {
			*d = 0
			return nil
		}
		if v, err := time.ParseDuration(n.Value); err == nil {
			*d = Duration(v)
			return nil
		}
	}
	return &yaml.TypeError{Errors: []string{fmt.Sprintf(
		"line %d: expected a duration like 2s, 500ms or 1m30s (0 turns it off), got %s", n.Line, describeNode(n))}}
}

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats d like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// located is a node of the block with its path and the Go type it decodes
// into (nil when unknown).
type located struct {
	node  *yaml.Node
	path  string
	typ   reflect.Type
	isKey bool
}

// positioned is a problem with the position used to sort problems into
// document order.
type positioned struct {
	connectors.Problem
	line, col int
}

func (l located) problem(msg string) positioned {
	p := positioned{Problem: connectors.Problem{Path: l.path, Message: msg}}
	if l.node != nil {
		p.line, p.col = l.node.Line, l.node.Column
	}
	return p
}

// walker visits the node tree alongside the Go type it decodes into,
// recording every node's path and every unknown key.
type walker struct {
	nodes    []located
	problems []positioned
	depth    int
}

// maxWalkDepth bounds recursion through aliases and very deep documents.
const maxWalkDepth = 100

var (
	unmarshalerType     = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	durationType        = reflect.TypeFor[time.Duration]()
	timeType            = reflect.TypeFor[time.Time]()
	ourDurationType     = reflect.TypeFor[Duration]()
)

func (w *walker) walk(n *yaml.Node, path string, t reflect.Type) {
	if n == nil || w.depth > maxWalkDepth {
		return
	}
	w.depth++
	defer func() { w.depth-- }()

	w.nodes = append(w.nodes, located{node: n, path: path, typ: t})
	if n.Kind == yaml.AliasNode {
		w.walk(n.Alias, path, t)
		return
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || decodesItself(t) {
		w.walkUntyped(n, path)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind == yaml.MappingNode {
			w.walkStruct(n, path, t)
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			w.walkPairs(n, path, func(string) (reflect.Type, bool) { return t.Elem(), true })
		}
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode {
			for i, c := range n.Content {
				w.walk(c, JoinPath(path, i), t.Elem())
			}
		}
	default:
		w.walkUntyped(n, path)
	}
}

// walkUntyped records the paths below n without checking keys.
func (w *walker) walkUntyped(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.MappingNode:
		w.walkPairs(n, path, func(string) (reflect.Type, bool) { return nil, true })
	case yaml.SequenceNode:
		for i, c := range n.Content {
			w.walk(c, JoinPath(path, i), nil)
		}
	}
}

func (w *walker) walkStruct(n *yaml.Node, path string, t reflect.Type) {
	fields, keys, inlineMap := structKeys(t)
	w.walkPairs(n, path, func(key string) (reflect.Type, bool) {
		if ft, ok := fields[key]; ok {
			return ft, true
		}
		if inlineMap != nil {
			return inlineMap.Elem(), true
		}
		return nil, false
	}, keys...)
}

// walkPairs walks a mapping's values; lookup gives the type of a key's
// value, or false for an unknown key (reported against known).
func (w *walker) walkPairs(n *yaml.Node, path string, lookup func(string) (reflect.Type, bool), known ...string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
			// A merge key: the merged mappings belong to this one.
			if typ, ok := lookup("<<"); ok && typ == nil {
				w.walk(v, path, nil)
				continue
			}
			merged := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				merged = v.Content
			}
			for _, m := range merged {
				for m != nil && m.Kind == yaml.AliasNode {
					m = m.Alias
				}
				if m != nil && m.Kind == yaml.MappingNode && w.depth <= maxWalkDepth {
					w.depth++
					w.walkPairs(m, path, lookup, known...)
					w.depth--
				}
			}
			continue
		}
		key := k.Value
		p := JoinPath(path, key)
		w.nodes = append(w.nodes, located{node: k, path: p, isKey: true})
		typ, ok := lookup(key)
		if !ok {
			msg := fmt.Sprintf("unknown key %q", key)
			if s := Suggest(key, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else if len(known) > 0 {
				msg += "; the keys allowed here are: " + strings.Join(known, ", ")
			}
			w.problems = append(w.problems, located{node: k, path: p}.problem(msg))
			continue
		}
		w.walk(v, p, typ)
	}
}

// decodesItself reports whether values of t are decoded by their own code
// rather than field by field.
func decodesItself(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Implements(unmarshalerType) || pt.Implements(unmarshalerType) ||
		t.Implements(textUnmarshalerType) || pt.Implements(textUnmarshalerType)
}

// structKeys lists the YAML keys of struct t as go.yaml.in/yaml/v3 reads
// them: the key's value type by key, the keys in field order, and the
// ",inline" map's type if there is one.
func structKeys(t reflect.Type) (fields map[string]reflect.Type, keys []string, inlineMap reflect.Type) {
	fields = map[string]reflect.Type{}
	var collect func(t reflect.Type, depth int)
	collect = func(t reflect.Type, depth int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.PkgPath != "" && !f.Anonymous {
				continue // unexported
			}
			tag := f.Tag.Get("yaml")
			if tag == "" && !strings.Contains(string(f.Tag), ":") {
				tag = string(f.Tag)
			}
			if tag == "-" {
				continue
			}
			name, flags, _ := strings.Cut(tag, ",")
			if strings.Contains(","+flags+",", ",inline,") {
				ft := f.Type
				for ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				switch {
				case ft.Kind() == reflect.Map:
					inlineMap = ft
				case ft.Kind() == reflect.Struct && depth < 10:
					collect(ft, depth+1)
				}
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			if _, dup := fields[name]; !dup {
				keys = append(keys, name)
			}
			fields[name] = f.Type
		}
	}
	collect(t, 0)
	return fields, keys, inlineMap
}

var (
	lineRE      = regexp.MustCompile(`^line (\d+): (.*)$`)
	unmarshalRE = regexp.MustCompile("^cannot unmarshal (\\S+)(?: `(.*)`)? into (.+)$")
	duplicateRE = regexp.MustCompile(`^mapping key "(.*)" already defined at line \d+$`)
)

// typeProblem turns one line of a *yaml.TypeError into a problem located
// at the node it is about.
func (w *walker) typeProblem(msg string) positioned {
	m := lineRE.FindStringSubmatch(msg)
	if m == nil {
		return located{}.problem(msg)
	}
	line, _ := strconv.Atoi(m[1])
	text := m[2]
	var onLine []located
	for _, l := range w.nodes {
		if l.node.Line == line {
			onLine = append(onLine, l)
		}
	}

	if d := duplicateRE.FindStringSubmatch(text); d != nil {
		for _, l := range onLine {
			if l.isKey && l.node.Value == d[1] {
				return l.problem(fmt.Sprintf("key %q appears twice in the same mapping: keep only one", d[1]))
			}
		}
	}
	if u := unmarshalRE.FindStringSubmatch(text); u != nil {
		tag, value, goType := u[1], u[2], u[3]
		l, ok := pickNode(onLine, tag, value)
		if !ok {
			return located{}.problem(fmt.Sprintf("line %d of the block: expected %s, got %s",
				line, wantFromName(goType), describeTagValue(tag, value)))
		}
		want := wantFromName(goType)
		if l.typ != nil {
			want = wantFromType(l.typ)
		}
		return l.problem(fmt.Sprintf("expected %s, got %s", want, describeNode(l.node)))
	}
	// A message from a type's own UnmarshalYAML: keep it, and locate it at
	// the (deepest) node on the line that decodes itself, else the deepest
	// value node there.
	var self, value *located
	for i := range onLine {
		l := &onLine[i]
		if l.isKey {
			continue
		}
		value = l
		if l.typ != nil && decodesItself(derefType(l.typ)) {
			self = l
		}
	}
	switch {
	case self != nil:
		return self.problem(text)
	case value != nil:
		return value.problem(text)
	case len(onLine) > 0:
		return onLine[0].problem(text)
	}
	return located{}.problem(fmt.Sprintf("line %d of the block: %s", line, text))
}

// pickNode chooses, among the nodes on the error's line, the one the error
// describes: its kind must fit the tag and its (possibly truncated) value
// the quoted value.
func pickNode(onLine []located, tag, value string) (located, bool) {
	var fits []located
	for _, l := range onLine {
		if l.isKey {
			continue
		}
		n := l.node
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		switch tag {
		case "!!seq":
			if n.Kind == yaml.SequenceNode {
				fits = append(fits, l)
			}
		case "!!map":
			if n.Kind == yaml.MappingNode {
				fits = append(fits, l)
			}
		default:
			if n.Kind == yaml.ScalarNode && truncated(n.Value) == value {
				fits = append(fits, l)
			}
		}
	}
	if len(fits) == 0 {
		return located{}, false
	}
	// Prefer the node whose Go type is known; the last such is the deepest.
	for i := len(fits) - 1; i >= 0; i-- {
		if fits[i].typ != nil {
			return fits[i], true
		}
	}
	return fits[len(fits)-1], true
}

// truncated shortens a value the way go.yaml.in/yaml/v3 does in its errors.
func truncated(v string) string {
	if len(v) > 10 {
		return v[:7] + "..."
	}
	return v
}

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func wantFromType(t reflect.Type) string {
	t = derefType(t)
	switch t {
	case durationType, ourDurationType:
		return "a duration like 2s, 500ms or 1m30s"
	case timeType:
		return "a timestamp like 2024-03-01T09:30:00Z"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a text value"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping of keys to values"
	}
	return "a value of type " + t.String()
}

// wantFromName is wantFromType for when only the type's name is known.
func wantFromName(goType string) string {
	switch {
	case goType == "time.Duration":
		return wantFromType(durationType)
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["):
		return "a mapping of keys to values"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int"):
		return "a whole number"
	case strings.HasPrefix(goType, "uint"):
		return "a whole number, 0 or more"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "string":
		return "a text value"
	}
	return "a value of type " + goType
}

// describeNode says what a node holds, for "got ..." in messages.
func describeNode(n *yaml.Node) string {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	return describeTagValue(n.ShortTag(), n.Value)
}

func describeTagValue(tag, value string) string {
	switch tag {
	case "!!seq":
		return "a list"
	case "!!map":
		return "a mapping"
	case "!!null":
		return "nothing (null)"
	case "!!str":
		return strconv.Quote(value)
	}
	return value
}

// syntaxProblem turns a YAML syntax error into a problem for the whole
// block. The line number yaml reports counts from the block's first line.
func syntaxProblem(err error) connectors.Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		msg = fmt.Sprintf("%s (line %s of the block)", m[2], m[1])
	}
	return connectors.Problem{Message: "the block is not valid YAML: " + msg + "; fix the syntax (indentation, quotes, colons)"}
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
