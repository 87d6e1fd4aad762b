// Package config loads Switchboard's YAML configuration file
// (switchboard.yaml by default).
//
// Loading is strict and reports every problem at once, each as
// "file:line:col: message": unknown keys (with a "did you mean" suggestion),
// duplicate keys, values of the wrong type, missing required settings,
// invalid values and every missing environment variable.
//
// Scalar values may reference the environment as ${VAR} or ${VAR:default}
// (the default may be empty); $${ writes a literal ${. Substitution happens
// after parsing, so positions stay those of the file. An unquoted value is
// re-read after substitution (SIZE=10 makes "size: ${SIZE}" an integer);
// quote it ("${VAR}") to keep it a string.
//
// The package depends on nothing else in core. Connector blocks
// (connectors[].config) are kept as YAML for their plugin to validate; see
// Connector.ConfigYAML and Connector.ConfigPos.
package config
