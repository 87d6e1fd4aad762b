package config

import (
	"reflect"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/connectors/conf"
)

// YAML short tags the decoder looks at.
const (
	tagStr   = "!!str"
	tagInt   = "!!int"
	tagFloat = "!!float"
	tagBool  = "!!bool"
	tagNull  = "!!null"
	tagMerge = "!!merge"
)

// maxAliasDepth bounds alias chains and nesting walked through aliases.
const maxAliasDepth = 100

var (
	durationType = reflect.TypeFor[time.Duration]()
	positionType = reflect.TypeFor[Position]()
	nodePtrType  = reflect.TypeFor[*yaml.Node]()
)

// nodeRef is a mapping entry (key and value) or a sequence item (value
// only).
type nodeRef struct {
	key, value *yaml.Node
}

// nodeIndex maps dotted paths ("connectors.0.timeout") to their nodes.
type nodeIndex map[string]nodeRef

// defaulter is implemented by list elements that have defaults of their own.
type defaulter interface{ applyDefaults() }

// decoder decodes a yaml.Node tree into the configuration structs,
// strictly: every unknown key, duplicate key and mistyped value becomes a
// problem, and decoding goes on so that all of them are found at once.
type decoder struct {
	file     string
	baseDir  string // relative paths are resolved against it
	problems *Problems
	index    nodeIndex
	// failed holds scalars whose environment references could not be
	// resolved; they are left out (already reported).
	failed map[*yaml.Node]bool
	// bad holds the paths that had a problem, so that validation does not
	// pile follow-on problems onto them.
	bad map[string]bool
	// mayBeEmpty holds the scalars written as ${NAME:}: a secret there may
	// be empty (the interpolator's).
	mayBeEmpty map[*yaml.Node]bool
	// secretsSeen holds the collections of connector blocks emptySecrets
	// has checked (aliases lead to one several times).
	secretsSeen map[*yaml.Node]bool
}

func newDecoder(file string, problems *Problems, failed map[*yaml.Node]bool) *decoder {
	return &decoder{
		file:     file,
		problems: problems,
		index:    nodeIndex{},
		failed:   failed,
		bad:      map[string]bool{},
	}
}

// nodePos is the position of n in file.
func nodePos(file string, n *yaml.Node) Position {
	return Position{File: file, Line: max(n.Line, 1), Col: max(n.Column, 1)}
}

// refPos is where a problem with an entry's value points: at the value
// when it is a scalar, a flow collection or an alias, else (a block
// collection, or nothing) at the key.
func refPos(file string, ref nodeRef) Position {
	v := ref.value
	if ref.key == nil || (v != nil && (v.Kind == yaml.AliasNode ||
		(v.Kind == yaml.ScalarNode && !isNull(v)) ||
		(v.Kind != yaml.ScalarNode && v.Style&yaml.FlowStyle != 0))) {
		return nodePos(file, v)
	}
	return nodePos(file, ref.key)
}

// failf records a problem with the value at path and marks the path bad.
func (d *decoder) failf(path string, n *yaml.Node, format string, args ...any) {
	d.bad[path] = true
	pos := nodePos(d.file, n)
	if ref, ok := d.index[path]; ok {
		pos = refPos(d.file, ref)
	}
	d.problems.Addf(pos, format, args...)
}

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxAliasDepth; i++ {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is absent or an explicit null (an empty value).
func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == tagNull)
}

// describe says what a node is, for messages. Scalar values are quoted
// unless secret.
func describe(n *yaml.Node, secret bool) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if secret {
			return "a value"
		}
		switch n.ShortTag() {
		case tagStr:
			return strconv.Quote(n.Value)
		case tagNull:
			return "nothing"
		default:
			return n.Value
		}
	default:
		return "something else"
	}
}

// describe says what n is, without its value when path may hold a secret
// (basic_auth, or a key that looks secret).
func (d *decoder) describe(path string, n *yaml.Node) string {
	secret := strings.Contains(path, "basic_auth")
	for _, seg := range strings.Split(path, ".") {
		secret = secret || looksSecret(seg)
	}
	return describe(n, secret)
}

// decode decodes n into v. A missing or null node leaves v as it is, which
// is how defaults survive.
func (d *decoder) decode(path string, n *yaml.Node, v reflect.Value) {
	n = deref(n)
	if n == nil {
		return
	}
	if d.failed[n] {
		d.bad[path] = true
		return
	}
	switch {
	case v.Type() == durationType:
		d.duration(path, n, v)
	case v.Type() == secretType:
		d.secret(path, n, v)
	case v.Kind() == reflect.Struct:
		d.structure(path, n, v)
	case v.Kind() == reflect.Slice:
		d.list(path, n, v)
	case v.Kind() == reflect.Map && v.Type().Key().Kind() == reflect.String:
		d.dict(path, n, v)
	case v.Kind() == reflect.String:
		d.str(path, n, v)
	case v.CanInt():
		d.integer(path, n, v)
	case v.CanFloat():
		d.number(path, n, v)
	case v.Kind() == reflect.Bool:
		d.boolean(path, n, v)
	case v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Struct:
		if isNull(n) {
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(path, n, v.Elem())
	default:
		panic("config: no decoder for " + v.Type().String())
	}
}

// fillPositions sets the positions of every section that was left out of
// the file (and so never decoded) to the nearest position there is.
func (d *decoder) fillPositions(path string, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			d.fillPositions(path, v.Elem())
		}
	case reflect.Slice:
		for i := range v.Len() {
			d.fillPositions(join(path, strconv.Itoa(i)), v.Index(i))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			sf, f := v.Type().Field(i), v.Field(i)
			if !sf.IsExported() || sf.Type != positionType || f.Interface().(Position).IsValid() {
				continue
			}
			if key := sf.Tag.Get("pos"); key != "" {
				f.Set(reflect.ValueOf(d.index.pos(d.file, join(path, key))))
			} else if sf.Name == "Pos" {
				f.Set(reflect.ValueOf(d.index.pos(d.file, path)))
			}
		}
		fields, names := structFields(v.Type())
		for _, name := range names {
			if f := fields[name]; !f.raw {
				d.fillPositions(join(path, name), v.FieldByIndex(f.index))
			}
		}
	}
}

// field is one key of a configuration struct.
type field struct {
	index []int // for reflect.Value.FieldByIndex
	raw   bool  // keeps the *yaml.Node as it is
}

// structFields lists the YAML keys of t, in declaration order. The keys of
// a struct field tagged `yaml:",inline"` count as t's own: that is how a
// section is composed of parts that different packages own (a connectors:
// entry holds the plugin's launch settings and the directory's source
// settings).
func structFields(t reflect.Type) (map[string]field, []string) {
	fields := map[string]field{}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Tag.Get("yaml") == ",inline" && f.Type.Kind() == reflect.Struct {
			inner, innerNames := structFields(f.Type)
			for _, name := range innerNames {
				fields[name] = field{index: append([]int{i}, inner[name].index...), raw: inner[name].raw}
			}
			names = append(names, innerNames...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		name := f.Tag.Get("yaml")
		raw := false
		if name == "-" || name == "" {
			name = f.Tag.Get("raw")
			raw = name != "" && f.Type == nodePtrType
			if !raw {
				continue
			}
		}
		fields[name] = field{index: []int{i}, raw: raw}
		names = append(names, name)
	}
	return fields, names
}

// structure decodes a mapping into a struct.
func (d *decoder) structure(path string, n *yaml.Node, v reflect.Value) {
	self := nodePos(d.file, n)
	if f := v.FieldByName("Pos"); f.IsValid() && f.Type() == positionType {
		f.Set(reflect.ValueOf(self))
	}
	if isNull(n) {
		return
	}
	fields, names := structFields(v.Type())
	short, hasShort := listShorthand(v.Type(), fields, names)
	if hasShort && n.Kind == yaml.SequenceNode {
		// A bare list stands for the field tagged shorthand:"list".
		child := join(path, short)
		d.index[child] = nodeRef{value: n}
		d.decode(child, n, v.FieldByIndex(fields[short].index))
		return
	}
	if n.Kind != yaml.MappingNode {
		what := "a mapping of settings"
		if hasShort {
			what = "a list (its " + short + ") or " + what
		}
		d.failf(path, n, "%s must be %s, got %s", display(path), what, d.describe(path, n))
		return
	}
	for _, p := range d.pairs(path, n) {
		name := p.key.Value
		f, ok := fields[name]
		if !ok {
			d.unknownKey(path, p.key, names)
			continue
		}
		child := join(path, name)
		d.index[child] = p
		if f.raw {
			d.raw(child, p, v.FieldByIndex(f.index))
			continue
		}
		d.decode(child, p.value, v.FieldByIndex(f.index))
	}
	// Position fields tagged pos:"key" point at that key's value.
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		key := sf.Tag.Get("pos")
		if key == "" || sf.Type != positionType {
			continue
		}
		pos := self
		if ref, ok := d.index[join(path, key)]; ok {
			pos = refPos(d.file, ref)
		}
		v.Field(i).Set(reflect.ValueOf(pos))
	}
	if c, ok := v.Addr().Interface().(*Connector); ok {
		c.configKey = c.Pos
		if ref, ok := d.index[join(path, "config")]; ok {
			c.configKey = nodePos(d.file, ref.key)
		}
	}
}

// listShorthand is the key of t's field tagged `shorthand:"list"`, a list
// that may be written alone for the whole struct (routing.holidays: `tr:
// ["2026-01-01"]` is `tr: {dates: ["2026-01-01"]}`).
func listShorthand(t reflect.Type, fields map[string]field, names []string) (string, bool) {
	for _, name := range names {
		f := fields[name]
		if sf := t.FieldByIndex(f.index); !f.raw && sf.Tag.Get("shorthand") == "list" && sf.Type.Kind() == reflect.Slice {
			return name, true
		}
	}
	return "", false
}

// pairs lists a mapping's entries, reporting duplicate and non-scalar keys
// and expanding merge keys (<<), whose entries explicit ones override.
func (d *decoder) pairs(path string, n *yaml.Node) []nodeRef {
	seen := map[string]*yaml.Node{}
	var out, merged []nodeRef
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == tagMerge {
			merged = append(merged, d.mergePairs(path, val, 0)...)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.problems.Addf(nodePos(d.file, k), "keys in %s must be plain names, not %s", display(path), describe(k, false))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.problems.Addf(nodePos(d.file, k), "duplicate key %q in %s (first defined at %s); keep only one of them",
				k.Value, display(path), nodePos(d.file, first))
			continue
		}
		seen[k.Value] = k
		out = append(out, nodeRef{key: k, value: val})
	}
	for _, p := range merged {
		if _, ok := seen[p.key.Value]; !ok {
			seen[p.key.Value] = p.key
			out = append(out, p)
		}
	}
	return out
}

// mergePairs lists the entries a merge key (<<) brings in.
func (d *decoder) mergePairs(path string, n *yaml.Node, depth int) []nodeRef {
	n = deref(n)
	switch {
	case n.Kind == yaml.MappingNode:
		return d.pairs(path, n)
	case n.Kind == yaml.SequenceNode && depth == 0:
		var out []nodeRef
		for _, item := range n.Content {
			out = append(out, d.mergePairs(path, item, depth+1)...)
		}
		return out
	default:
		d.problems.Addf(nodePos(d.file, n), "the merge key << in %s takes a mapping or a list of mappings, got %s",
			display(path), d.describe(path, n))
		return nil
	}
}

// unknownKey reports a key the schema does not have.
func (d *decoder) unknownKey(path string, k *yaml.Node, known []string) {
	where := "at the top level"
	if path != "" {
		where = "in " + display(path)
	}
	if s := suggest(k.Value, known); s != "" {
		// The key meant is probably s: its absence is no news.
		d.bad[join(path, s)] = true
		d.problems.Addf(nodePos(d.file, k), "unknown key %q %s (did you mean %q?)", k.Value, where, s)
		return
	}
	d.problems.Addf(nodePos(d.file, k), "unknown key %q %s (known keys: %s)", k.Value, where, strings.Join(known, ", "))
}

// raw keeps a connector's own block as a node.
func (d *decoder) raw(path string, p nodeRef, v reflect.Value) {
	n := deref(p.value)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		what := "a mapping"
		if strings.HasPrefix(path, "connectors.") && strings.HasSuffix(path, ".config") {
			what += " (the connector's own settings)"
		}
		d.failf(path, n, "%s must be %s, got %s", display(path), what, d.describe(path, n))
		return
	}
	d.duplicates(path, n, 0)
	d.emptySecrets(path, n, 0)
	v.Set(reflect.ValueOf(n))
}

// emptySecrets reports every scalar in a connector's block whose key
// names a secret (secretSetting) and that is written but empty after
// interpolation: "", blanks, or a null (~, null, nothing) — most often a
// ${NAME} whose variable is set to "". The plugin would otherwise get an
// empty password or token, and a plugin that takes empty as "no
// authentication" would fail open, as the host's own secrets may not
// (secret). ${NAME:}, an explicitly empty default, allows it on purpose.
func (d *decoder) emptySecrets(path string, n *yaml.Node, depth int) {
	n = deref(n) // an alias (a merge key's too) is checked where it leads, once
	if n == nil || depth > maxAliasDepth || d.secretsSeen[n] {
		return
	}
	if d.secretsSeen == nil {
		d.secretsSeen = map[*yaml.Node]bool{}
	}
	d.secretsSeen[n] = true
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			child := join(path, k.Value)
			if k.Kind == yaml.ScalarNode && k.ShortTag() != tagMerge && secretSetting(k.Value) &&
				allowedEmpty(v) && !d.failed[deref(v)] && !d.mayBeEmpty[v] && !d.mayBeEmpty[deref(v)] {
				d.problems.Addf(refPos(d.file, nodeRef{key: k, value: v}),
					"%s is written but empty: a secret must have a value (an environment variable set to \"\" counts as empty). "+
						"Set it (or the variable it names), or write ${NAME:} to allow an empty value on purpose", display(child))
				continue
			}
			d.emptySecrets(child, v, depth+1)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			d.emptySecrets(join(path, strconv.Itoa(i)), item, depth+1)
		}
	}
}

// emptyScalar reports whether a scalar is empty or null as written or
// interpolated: "", blanks, ~, null, Null, NULL, or no value at all.
func emptyScalar(n *yaml.Node) bool {
	if isNull(n) {
		return true
	}
	switch strings.TrimSpace(n.Value) {
	case "", "~", "null", "Null", "NULL":
		return true
	}
	return false
}

// secretSetting reports whether a connector setting's key names a value
// that must not be empty: looksSecret's words, less the bare "key", which
// also names columns and properties ("phone_key", log_call's "key",
// "key_property") whose empty value may be meant. Keys ending in _env
// ("dsn_env") name an environment variable, not the secret: the plugin
// reads and checks the variable itself.
func secretSetting(key string) bool {
	k := strings.ToLower(key)
	if !looksSecret(k) || strings.HasSuffix(k, "_env") {
		return false
	}
	for _, w := range secretKeyWords {
		if w != "key" && strings.Contains(k, w) {
			return true
		}
	}
	return strings.Contains(k, "apikey") || strings.Contains(k, "private_key") || strings.Contains(k, "access_key")
}

// duplicates reports keys written twice anywhere in a connector's block:
// the schema is the plugin's business, but a duplicate is a YAML mistake
// best reported with its real position.
func (d *decoder) duplicates(path string, n *yaml.Node, depth int) {
	if n == nil || depth > maxAliasDepth {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode && k.ShortTag() != tagMerge {
				if first, dup := seen[k.Value]; dup {
					d.problems.Addf(nodePos(d.file, k), "duplicate key %q in %s (first defined at %s); keep only one of them",
						k.Value, display(path), nodePos(d.file, first))
				} else {
					seen[k.Value] = k
				}
			}
			d.duplicates(join(path, k.Value), n.Content[i+1], depth+1)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			d.duplicates(join(path, strconv.Itoa(i)), item, depth+1)
		}
	}
}

// dict decodes a mapping with keys of the owner's choosing (routing's
// targets, for instance) into a map; the owner checks the keys.
func (d *decoder) dict(path string, n *yaml.Node, v reflect.Value) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.failf(path, n, "%s must be a mapping (key: value), got %s", display(path), d.describe(path, n))
		return
	}
	out := reflect.MakeMap(v.Type())
	for _, p := range d.pairs(path, n) {
		child := join(path, p.key.Value)
		d.index[child] = p
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(child, p.value, elem)
		out.SetMapIndex(reflect.ValueOf(p.key.Value).Convert(v.Type().Key()), elem)
	}
	v.Set(out)
}

// list decodes a sequence into a slice.
func (d *decoder) list(path string, n *yaml.Node, v reflect.Value) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.failf(path, n, "%s must be a list (one \"- \" entry per item), got %s", display(path), d.describe(path, n))
		return
	}
	out := reflect.MakeSlice(v.Type(), 0, len(n.Content))
	for i, item := range n.Content {
		elem := reflect.New(v.Type().Elem()).Elem()
		if df, ok := elem.Addr().Interface().(defaulter); ok {
			df.applyDefaults()
		}
		child := join(path, strconv.Itoa(i))
		d.index[child] = nodeRef{value: item}
		d.decode(child, item, elem)
		out = reflect.Append(out, elem)
	}
	v.Set(out)
}

// str decodes any scalar as its text, so that extension: 100 is "100". It
// never quotes the value in messages: it may be a secret.
func (d *decoder) str(path string, n *yaml.Node, v reflect.Value) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.ScalarNode {
		d.failf(path, n, "%s must be a single value, got %s", display(path), d.describe(path, n))
		return
	}
	v.SetString(n.Value)
}

// secret decodes a secret-valued setting. A secret that is written but
// empty (an environment variable set to "", a null) is refused, never
// taken as "off": `token: ${SB_RINGOSTAT_TOKEN}` with the variable
// emptied by mistake would otherwise open the endpoint to anyone. To let
// a secret be unset on purpose, write ${NAME:} (an explicit empty
// default), or leave the key out.
func (d *decoder) secret(path string, n *yaml.Node, v reflect.Value) {
	if d.mayBeEmpty[n] && (isNull(n) || strings.TrimSpace(n.Value) == "") {
		return
	}
	if n.Kind != yaml.ScalarNode {
		d.str(path, n, v) // says it must be a single value
		return
	}
	switch strings.TrimSpace(n.Value) {
	case "", "~", "null", "Null", "NULL":
		d.failf(path, n, "%s is written but empty: a secret must have a value (an environment variable set to \"\" counts as empty). "+
			"Set it, or remove the key to turn the setting off (write ${NAME:} to allow an unset variable on purpose)", display(path))
		return
	}
	d.str(path, n, v)
}

// integer decodes a whole number.
func (d *decoder) integer(path string, n *yaml.Node, v reflect.Value) {
	if isNull(n) {
		return
	}
	var i int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != tagInt || n.Decode(&i) != nil {
		d.failf(path, n, "%s must be a whole number, got %s", display(path), d.describe(path, n))
		return
	}
	if v.OverflowInt(i) {
		d.failf(path, n, "%s is too large: %s", display(path), n.Value)
		return
	}
	v.SetInt(i)
}

// number decodes a number, whole or not ("0.5", "1").
func (d *decoder) number(path string, n *yaml.Node, v reflect.Value) {
	if isNull(n) {
		return
	}
	var f float64
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != tagFloat && n.ShortTag() != tagInt) || n.Decode(&f) != nil {
		d.failf(path, n, "%s must be a number, got %s", display(path), d.describe(path, n))
		return
	}
	v.SetFloat(f)
}

// boolean decodes true or false.
func (d *decoder) boolean(path string, n *yaml.Node, v reflect.Value) {
	if isNull(n) {
		return
	}
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != tagBool || n.Decode(&b) != nil {
		d.failf(path, n, "%s must be true or false, got %s", display(path), d.describe(path, n))
		return
	}
	v.SetBool(b)
}

// duration decodes a Go duration string ("300ms", "1m30s"). A bare number
// is refused (is 5 seconds or nanoseconds meant?) except 0.
func (d *decoder) duration(path string, n *yaml.Node, v reflect.Value) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.ScalarNode {
		d.failf(path, n, "%s must be a duration such as \"5s\", got %s", display(path), d.describe(path, n))
		return
	}
	switch n.ShortTag() {
	case tagInt, tagFloat:
		f, err := strconv.ParseFloat(n.Value, 64)
		if err == nil && f == 0 {
			v.SetInt(0)
			return
		}
		d.failf(path, n, "%s: %s is a bare number; add a unit, such as \"%sms\" or \"%ss\"",
			display(path), n.Value, n.Value, n.Value)
	case tagStr:
		dur, err := time.ParseDuration(strings.TrimSpace(n.Value))
		if err != nil {
			d.failf(path, n, "%s: invalid duration %q; write a number with a unit, such as \"300ms\", \"5s\" or \"1m\"",
				display(path), n.Value)
			return
		}
		if dur < 0 {
			d.failf(path, n, "%s must not be negative, got %s", display(path), n.Value)
			return
		}
		v.SetInt(int64(dur))
	default:
		d.failf(path, n, "%s must be a duration such as \"5s\", got %s", display(path), d.describe(path, n))
	}
}

// join appends a key to a dotted path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// parent is the dotted path one level up ("" at the top).
func parent(path string) string {
	i := strings.LastIndexByte(path, '.')
	if i < 0 {
		return ""
	}
	return path[:i]
}

// display writes a dotted path for people: "connectors[0].timeout".
func display(path string) string {
	if path == "" {
		return "the configuration"
	}
	var b strings.Builder
	for i, seg := range strings.Split(path, ".") {
		if _, err := strconv.Atoi(seg); err == nil {
			b.WriteString("[" + seg + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	return b.String()
}

// pos is the position a problem about path points at: the value when path
// is present, else the key of its nearest present ancestor (the section
// that lacks it), else the start of the file.
func (ix nodeIndex) pos(file, path string) Position {
	for p, exact := path, true; ; p, exact = parent(p), false {
		if ref, ok := ix[p]; ok {
			if exact || ref.key == nil {
				return refPos(file, ref)
			}
			return nodePos(file, ref.key)
		}
		if p == "" {
			return Position{File: file, Line: 1, Col: 1}
		}
	}
}

// suggest returns the known name closest to name, if close enough to be a
// likely typo (conf.Closest: the adapters' rule, so that host and plugin
// keys get the same hints).
func suggest(name string, known []string) string { return conf.Closest(name, known) }
