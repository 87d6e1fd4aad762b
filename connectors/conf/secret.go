package conf

import "encoding/json"

// RedactedText replaces secret values in every output.
const RedactedText = "[redacted]"

// Secret is a configuration value that must not be printed (a token, a
// password): String,
// GoString, MarshalJSON and MarshalYAML all give "[redacted]" (or "" for an
// empty secret). Call Reveal where the value is really needed.
type Secret string

// Reveal returns the secret value itself.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]", or "" when the secret is empty.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return RedactedText
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return `conf.Secret("` + s.String() + `")` }

// MarshalJSON encodes the secret as "[redacted]" (or "").
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalYAML encodes the secret as "[redacted]" (or "").
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalText encodes the secret as "[redacted]" (or ""), for encoders that
// use encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
