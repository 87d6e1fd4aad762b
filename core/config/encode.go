package config

import (
	"github.com/switchboard-hq/switchboard/connectors/conf"

	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// maxCopyNodes bounds the nodes a copy may expand aliases into (a guard
// against "billion laughs" documents).
const maxCopyNodes = 100_000

var (
	secretType = reflect.TypeFor[conf.Secret]()
	// errTooLarge reports an alias expansion beyond maxCopyNodes.
	errTooLarge = errors.New("the YAML expands to too many nodes through aliases; use fewer anchors and aliases")
)

// secretKeyWords mark a connector setting as secret when its key contains
// one of them (ignoring case).
var secretKeyWords = []string{"password", "passwd", "secret", "token", "dsn", "api_key", "key", "credential"}

// looksSecret reports whether a connector setting's key names a secret.
func looksSecret(key string) bool {
	key = strings.ToLower(key)
	for _, w := range secretKeyWords {
		if strings.Contains(key, w) {
			return true
		}
	}
	return false
}

// Redacted returns the effective configuration (defaults applied, paths
// resolved, environment references substituted) as YAML, with every Secret
// and every connector setting whose key looks secret (password, secret,
// token, dsn, api_key, key) shown as [redacted]. It is what
// `switchboard validate -print` shows.
func (c *Config) Redacted() ([]byte, error) {
	n, err := encodeValue(reflect.ValueOf(c).Elem(), &copier{redact: true})
	if err != nil {
		return nil, fmt.Errorf("print config: %w", err)
	}
	return marshalNode(n)
}

// ConfigYAML returns the connector's own block as a YAML document, with
// environment references resolved (and aliases expanded, comments
// dropped), for the plugin's Configure. An absent block is "{}".
func (c *Connector) ConfigYAML() ([]byte, error) {
	if n := deref(c.Config); n == nil || isNull(n) {
		return []byte("{}\n"), nil
	}
	n, err := (&copier{}).copy(c.Config, false)
	if err != nil {
		return nil, fmt.Errorf("connector %q config: %w", c.Name, err)
	}
	return marshalNode(n)
}

// ConfigPos maps a dotted path inside the connector's block
// ("columns.phones.1", as in connectors.Problem) to the position of
// that value in the file. A path that does not exist falls back to its
// nearest existing ancestor; the empty path, and a missing block, give the
// position of the config: key (or of the connector entry).
func (c *Connector) ConfigPos(path string) Position {
	best := c.configKey
	if !best.IsValid() {
		best = c.Pos
	}
	n := deref(c.Config)
	if n == nil || path == "" {
		return best
	}
	file := best.File
	for _, seg := range strings.Split(path, ".") {
		ref, ok := child(n, seg)
		if !ok {
			break
		}
		best = refPos(file, ref)
		n = deref(ref.value)
	}
	return best
}

// child finds a key's entry in a mapping (looking into merge keys too) or
// an index's item in a sequence.
func child(n *yaml.Node, seg string) (nodeRef, bool) {
	n = deref(n)
	if n == nil {
		return nodeRef{}, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode && k.ShortTag() == tagMerge {
				merges = append(merges, n.Content[i+1])
				continue
			}
			if k.Kind == yaml.ScalarNode && k.Value == seg {
				return nodeRef{key: k, value: n.Content[i+1]}, true
			}
		}
		for _, m := range merges {
			m = deref(m)
			if m != nil && m.Kind == yaml.SequenceNode {
				for _, item := range m.Content {
					if ref, ok := child(item, seg); ok {
						return ref, true
					}
				}
				continue
			}
			if ref, ok := child(m, seg); ok {
				return ref, true
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(n.Content) {
			return nodeRef{value: n.Content[i]}, true
		}
	}
	return nodeRef{}, false
}

// copier deep-copies nodes, expanding aliases and dropping anchors and
// comments, and optionally redacting secret-looking settings.
type copier struct {
	redact bool
	nodes  int
}

// copy copies n; secret says n sits under a secret-looking key.
func (cp *copier) copy(n *yaml.Node, secret bool) (*yaml.Node, error) {
	n = deref(n)
	if cp.nodes++; cp.nodes > maxCopyNodes {
		return nil, errTooLarge
	}
	out := &yaml.Node{Kind: n.Kind, Style: n.Style, Tag: n.Tag, Value: n.Value}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if cp.redact && secretSetting(n.Content[i].Value) && allowedEmpty(n.Content[i+1]) {
				// An empty secret allowed by ${NAME:} is left out, as the
				// host's unset secrets are: written empty, it would not load.
				continue
			}
			k, err := cp.copy(n.Content[i], false)
			if err != nil {
				return nil, err
			}
			v, err := cp.copy(n.Content[i+1], secret || (cp.redact && looksSecret(n.Content[i].Value)))
			if err != nil {
				return nil, err
			}
			out.Content = append(out.Content, k, v)
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, item := range n.Content {
			c, err := cp.copy(item, secret)
			if err != nil {
				return nil, err
			}
			out.Content = append(out.Content, c)
		}
	case yaml.ScalarNode:
		if secret && cp.redact && n.Value != "" && !isNull(n) {
			out.Value, out.Tag, out.Style = conf.RedactedText, tagStr, 0
		}
	}
	return out, nil
}

// allowedEmpty reports whether a connector setting's value is an empty
// scalar (which decoding let through only because it was written
// ${NAME:}).
func allowedEmpty(v *yaml.Node) bool {
	v = deref(v)
	return v != nil && (v.Kind == yaml.ScalarNode || v.Kind == 0) && emptyScalar(v)
}

// encodeValue builds the YAML of a configuration value, following the yaml
// tags of its structs.
func encodeValue(v reflect.Value, cp *copier) (*yaml.Node, error) {
	scalar := func(tag, value string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
	}
	switch {
	case v.Type() == durationType:
		return scalar(tagStr, conf.FormatDuration(time.Duration(v.Int()))), nil
	case v.Type() == secretType:
		return scalar(tagStr, conf.Secret(v.String()).String()), nil
	case v.Type() == nodePtrType:
		if n := deref(v.Interface().(*yaml.Node)); n != nil && !isNull(n) {
			return cp.copy(n, false)
		}
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle}, nil
	}
	switch v.Kind() {
	case reflect.Struct:
		out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		fields, names := structFields(v.Type())
		for _, name := range names {
			fv := v.FieldByIndex(fields[name].index)
			if fv.Kind() == reflect.Pointer && fv.Type() != nodePtrType {
				if fv.IsNil() {
					continue // an optional section that is not set
				}
				fv = fv.Elem()
			}
			if fv.Type() == secretType && fv.String() == "" {
				continue // an unset secret is left out: written empty, it would not load
			}
			val, err := encodeValue(fv, cp)
			if err != nil {
				return nil, err
			}
			out.Content = append(out.Content, scalar(tagStr, name), val)
		}
		return out, nil
	case reflect.Slice:
		out := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if v.Len() == 0 {
			out.Style = yaml.FlowStyle
		}
		for i := range v.Len() {
			val, err := encodeValue(v.Index(i), cp)
			if err != nil {
				return nil, err
			}
			out.Content = append(out.Content, val)
		}
		return out, nil
	case reflect.Map:
		// Keys sorted, so that the output is stable; an empty map is {}.
		out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		if v.Len() == 0 {
			out.Style = yaml.FlowStyle
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			val, err := encodeValue(v.MapIndex(k), cp)
			if err != nil {
				return nil, err
			}
			out.Content = append(out.Content, scalar(tagStr, k.String()), val)
		}
		return out, nil
	case reflect.String:
		return scalar(tagStr, v.String()), nil
	case reflect.Bool:
		return scalar(tagBool, strconv.FormatBool(v.Bool())), nil
	default:
		if v.CanInt() {
			return scalar(tagInt, strconv.FormatInt(v.Int(), 10)), nil
		}
		if v.CanFloat() {
			return scalar(tagFloat, strconv.FormatFloat(v.Float(), 'g', -1, 64)), nil
		}
		return nil, fmt.Errorf("cannot print a %s", v.Type())
	}
}

// marshalNode writes n as a YAML document indented by two spaces.
func marshalNode(n *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, fmt.Errorf("encode YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode YAML: %w", err)
	}
	return buf.Bytes(), nil
}
