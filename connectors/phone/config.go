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
	// NationalMatch is the rule for national matches: SameCountry (the
	// default) or AnyCountry. Check fills in the default.
	NationalMatch NationalMatch `yaml:"national_match"`
}

// Check upper-cases the region, lower-cases national_match (SameCountry
// when empty) and reports what is wrong: the region must be one NewParser
// knows.
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
	switch m := NationalMatch(strings.ToLower(strings.TrimSpace(string(c.NationalMatch)))); m {
	case "":
		c.NationalMatch = SameCountry
	case SameCountry, AnyCountry:
		c.NationalMatch = m
	default:
		ps.Addf("national_match", "must be %s (a number written without its country code meets only callers of the default region's country) or %s (it meets callers of any country with the same national digits), got %q",
			SameCountry, AnyCountry, string(c.NationalMatch))
	}
	return ps
}
