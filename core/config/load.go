package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// Load reads the configuration file at path, resolving environment
// references with the process environment and relative paths against the
// file's directory. Problems with the file's content come back as a
// *Problems listing all of them.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w (check the path and its permissions)", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return LoadBytes(path, data, filepath.Dir(abs), os.LookupEnv)
}

// LoadBytes loads a configuration from data. name is the file name used in
// positions, baseDir the directory relative paths are resolved against, and
// env looks up environment variables (nil means os.LookupEnv). Problems
// come back as a *Problems listing all of them, sorted by position.
func LoadBytes(name string, data []byte, baseDir string, env func(string) (string, bool)) (*Config, error) {
	if env == nil {
		env = os.LookupEnv
	}
	problems := &Problems{}
	root := parse(name, data, problems)
	if err := problems.Err(); err != nil {
		return nil, err
	}

	if !isNull(root) && root.Kind != yaml.MappingNode {
		problems.Addf(nodePos(name, root), "the configuration must be a mapping of sections "+
			"(server:, connectors:, routing:, ...), got %s", describe(root, false))
		return nil, problems.Err()
	}

	in := newInterpolator(name, env, problems)
	in.walk(root)

	cfg := Default()
	cfg.File, cfg.BaseDir = name, baseDir
	d := newDecoder(name, problems, in.failed)
	d.baseDir, d.mayBeEmpty = baseDir, in.mayBeEmpty
	d.index[""] = nodeRef{value: root}
	d.decode("", root, reflect.ValueOf(cfg).Elem())
	d.fillPositions("", reflect.ValueOf(cfg).Elem())
	cfg.index = d.index
	d.check("", reflect.ValueOf(cfg).Elem()) // the sections' owners (check.go)

	if err := problems.Err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// PosOf returns the position of a setting by its dotted path
// ("phone.default_region", "connectors.0.plugin"): its value when it was
// written, else the section that lacks it, else the start of the file.
func (c *Config) PosOf(path string) Position {
	return c.index.pos(c.File, path)
}

// parse reads the single YAML document in data. An empty document gives a
// null node. Syntax errors are added to problems.
func parse(name string, data []byte, problems *Problems) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF):
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tagNull, Line: 1, Column: 1}
	case err != nil:
		problems.List = append(problems.List, syntaxProblem(name, data, err))
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		problems.List = append(problems.List, syntaxProblem(name, data, err))
	default:
		pos := nodePos(name, &extra)
		if len(extra.Content) > 0 {
			pos = nodePos(name, extra.Content[0])
		}
		problems.Addf(pos, "a second YAML document starts here; the configuration is one document, "+
			"so remove the --- line and merge the sections")
	}
	if len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tagNull, Line: 1, Column: 1}
	}
	return doc.Content[0]
}

var (
	// yamlErrRE splits a yaml.v3 syntax error into its line and message.
	yamlErrRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)
	// unknownAnchorRE matches yaml.v3's error for an undefined alias.
	unknownAnchorRE = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)
)

// Limits on the search for a syntax error's exact position.
const (
	maxSearchBytes  = 64 << 10
	maxSearchLines  = 5000
	maxSearchParses = 1000
)

// syntaxProblem turns a yaml.v3 syntax error into a positioned problem.
// yaml.v3 reports only a line, and for some errors the line of the
// enclosing construct, so the position is found by parsing ever longer
// prefixes of the file: the first prefix that fails the same way ends at
// the offending character.
func syntaxProblem(name string, data []byte, err error) Problem {
	msg, line := err.Error(), 0
	if m := yamlErrRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	lines := strings.Split(string(data), "\n")
	line = min(max(line, 1), len(lines))
	col := firstNonBlank(lines[line-1])
	if len(data) <= maxSearchBytes && len(lines) <= maxSearchLines {
		if l, c, ok := locate(lines, msg); ok {
			line, col = l, c
		}
	}
	return Problem{
		Pos:     Position{File: name, Line: line, Col: col},
		Message: "invalid YAML: " + msg + syntaxHint(msg, lines[line-1]),
	}
}

// locate finds the line and column at which the text first fails to parse
// with msg. (yaml.v3 may report the offending line, the line before it, the
// start of the enclosing construct or the end of the file.)
func locate(lines []string, msg string) (line, col int, ok bool) {
	var prefix strings.Builder
	budget := maxSearchParses
	for i := 0; i < len(lines) && budget > 0; i++ {
		l := lines[i]
		start := prefix.Len()
		prefix.WriteString(l)
		budget--
		if parseMessage(prefix.String()+"\n") != msg {
			prefix.WriteByte('\n')
			continue
		}
		done := prefix.String()[:start]
		col := 0
		for off, r := range l {
			col++
			if budget--; budget < 0 {
				break
			}
			if parseMessage(done+l[:off+utf8.RuneLen(r)]+"\n") == msg {
				return i + 1, refineColumn(l, col, msg), true
			}
		}
		return i + 1, firstNonBlank(l), true
	}
	return 0, 0, false
}

// refineColumn moves a column found by prefix search onto the character
// the message is about, where that is clear.
func refineColumn(l string, col int, msg string) int {
	runes := []rune(l)
	if strings.Contains(msg, "cannot start any token") {
		for i := 0; i < col && i < len(runes); i++ {
			if runes[i] == '\t' {
				return i + 1
			}
		}
	}
	if m := unknownAnchorRE.FindStringSubmatch(msg); m != nil {
		if i := strings.Index(l, "*"+m[1]); i >= 0 {
			return utf8.RuneCountInString(l[:i]) + 1
		}
	}
	return col
}

// parseMessage parses every document in s and returns the first syntax
// error's message without its line, or "".
func parseMessage(s string) string {
	dec := yaml.NewDecoder(strings.NewReader(s))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return ""
		}
		if err != nil {
			if m := yamlErrRE.FindStringSubmatch(err.Error()); m != nil {
				return m[2]
			}
			return err.Error()
		}
	}
}

// firstNonBlank is the 1-based column of the first non-blank character.
func firstNonBlank(l string) int {
	return utf8.RuneCountInString(l) - utf8.RuneCountInString(strings.TrimLeft(l, " \t")) + 1
}

// syntaxHint suggests a fix for common syntax errors.
func syntaxHint(msg, line string) string {
	switch {
	case strings.Contains(msg, "cannot start any token") && strings.Contains(line, "\t"):
		return " (indent with spaces: YAML does not allow tabs)"
	case strings.Contains(msg, "cannot start any token"):
		return " (quote values that start with @ or `)"
	case strings.Contains(msg, "mapping values are not allowed"):
		return " (quote a value that contains \": \", or check the indentation)"
	case strings.Contains(msg, "did not find expected key"), strings.Contains(msg, "did not find expected '-'"):
		return " (check the indentation of this line)"
	case strings.Contains(msg, "found unexpected end of stream"):
		return " (a quote or bracket is not closed)"
	}
	return ""
}
