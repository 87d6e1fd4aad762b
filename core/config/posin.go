package config

import yaml "go.yaml.in/yaml/v3"

// PosIn is the position of a line and column (1-based; 0 when unknown)
// inside the text of the scalar setting at path ("cards.rows.1.text"),
// for problems found in templates. It falls back to PosOf(path).
func (c *Config) PosIn(path string, line, col int) Position {
	pos := c.PosOf(path)
	ref, ok := c.index[path]
	n := deref(ref.value)
	if !ok || n == nil || n.Kind != yaml.ScalarNode || line < 1 {
		return pos
	}
	switch {
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		// The text starts on the line after | or >, indented past the key.
		pos.Line = n.Line + line
		if ref.key != nil && col > 0 {
			pos.Col = ref.key.Column + 2 + col - 1
		}
	case line == 1 && col > 0:
		pos.Col = n.Column + col - 1
		if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 {
			pos.Col++
		}
	case line > 1:
		pos.Line = n.Line + line - 1
		pos.Col = max(col, 1)
	}
	return pos
}
