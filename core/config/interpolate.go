package config

import (
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// interpolator replaces ${VAR} and ${VAR:default} in scalar values (never
// in keys) and turns $${ into a literal ${.
type interpolator struct {
	file     string
	lookup   func(string) (string, bool)
	problems *Problems
	// failed collects the scalars with an unresolved reference.
	failed map[*yaml.Node]bool
	// mayBeEmpty collects the scalars written as one reference with an
	// explicitly empty default (${NAME:}): the operator's way to say a
	// secret may be left unset, which turns its setting off.
	mayBeEmpty map[*yaml.Node]bool
	seen       map[*yaml.Node]bool
}

func newInterpolator(file string, lookup func(string) (string, bool), problems *Problems) *interpolator {
	return &interpolator{
		file:       file,
		lookup:     lookup,
		problems:   problems,
		failed:     map[*yaml.Node]bool{},
		mayBeEmpty: map[*yaml.Node]bool{},
		seen:       map[*yaml.Node]bool{},
	}
}

// walk interpolates every scalar value under n. Aliases are skipped: their
// anchors are interpolated where they are defined.
func (in *interpolator) walk(n *yaml.Node) {
	if n == nil || in.seen[n] {
		return
	}
	in.seen[n] = true
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			in.walk(c)
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			in.walk(n.Content[i])
		}
	case yaml.ScalarNode:
		in.scalar(n)
	}
}

// scalar interpolates one value. A plain (unquoted, untagged) value is
// re-resolved afterwards, so that ${SIZE} may become a number; quoting keeps
// it a string.
func (in *interpolator) scalar(n *yaml.Node) {
	if !strings.Contains(n.Value, "$") {
		return
	}
	if v := strings.TrimSpace(n.Value); strings.HasPrefix(v, "${") && strings.HasSuffix(v, ":}") && strings.Count(v, "${") == 1 {
		in.mayBeEmpty[n] = true
	}
	out, errs := expand(n.Value, in.lookup)
	if len(errs) > 0 {
		in.failed[n] = true
		for _, msg := range errs {
			in.problems.Addf(nodePos(in.file, n), "%s", msg)
		}
		return
	}
	if out == n.Value {
		return
	}
	n.Value = out
	const explicit = yaml.TaggedStyle | yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle |
		yaml.LiteralStyle | yaml.FoldedStyle
	if n.Style&explicit == 0 {
		n.Tag = ""
		n.Tag = n.ShortTag()
	}
}

// expand resolves the references in s. It returns a message for each
// reference it could not resolve.
func expand(s string, lookup func(string) (string, bool)) (string, []string) {
	var b strings.Builder
	var errs []string
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			b.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				errs = append(errs, "unterminated ${ in value: close it with }, or write $${ for a literal ${")
				return s, errs
			}
			ref := s[i+2 : i+2+end]
			i += end + 3
			name, def, hasDef := strings.Cut(ref, ":")
			if !validEnvName(name) {
				errs = append(errs, "invalid environment variable name "+strconv.Quote(name)+" in ${...}: use letters, "+
					"digits and _, not starting with a digit (or write $${ for a literal ${)")
				continue
			}
			if val, ok := lookup(name); ok {
				b.WriteString(val)
			} else if hasDef {
				b.WriteString(def)
			} else {
				errs = append(errs, "missing environment variable "+name+" (set it, or write ${"+name+":default})")
			}
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String(), errs
}

// validEnvName reports whether name is a usable variable name.
func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
