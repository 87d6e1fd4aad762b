package phone

import (
	"strings"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Suffix matching compares the last N digits, N from MinSuffixDigits to
// MaxSuffixDigits: fewer would match strangers, more than a national number
// has would never match.
const (
	MinSuffixDigits = 6
	MaxSuffixDigits = 15
)

// Config is the host's phone section: how callers' numbers are read.
type Config struct {
	// DefaultRegion is the ISO 3166 alpha-2 region ("GB") of numbers
	// written without a country code. Required.
	DefaultRegion string `yaml:"default_region"`
	// SuffixMatchDigits turns on matching on the last N digits; 0 is off.
	SuffixMatchDigits int `yaml:"suffix_match_digits"`
}

// Check upper-cases the region and reports what is wrong: the region must
// be one NewParser knows.
func (c *Config) Check() connectors.Problems {
	var ps connectors.Problems
	c.DefaultRegion = strings.ToUpper(strings.TrimSpace(c.DefaultRegion))
	if c.DefaultRegion == "" {
		ps.Addf("default_region", "is required: set it to the ISO 3166 code of the country most callers dial from, such as GB")
	} else if len(c.DefaultRegion) != 2 || strings.Trim(c.DefaultRegion, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		ps.Addf("default_region", "must be a two-letter ISO 3166 code such as GB, got %q", c.DefaultRegion)
	} else if _, err := NewParser(c.DefaultRegion); err != nil {
		ps.Addf("default_region", "%s", strings.TrimPrefix(err.Error(), "phone: "))
	}
	if d := c.SuffixMatchDigits; d != 0 && (d < MinSuffixDigits || d > MaxSuffixDigits) {
		ps.Addf("suffix_match_digits", "must be 0 (off) or from %d to %d, got %d", MinSuffixDigits, MaxSuffixDigits, d)
	}
	return ps
}
