package directory

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/connectors/sdk"
)

// Keys (issue 16): besides its number, a caller can be found by a value
// keyed on the phone (an account number, an order number) or checked by
// one (a PIN). A connectors: entry names the fields that may be used:
//
//	connectors:
//	  - name: customers
//	    plugin: csv
//	    keys:
//	      account: account_no              # short form: just the field
//	      order: {field: order_ref}
//	      email: {field: email}            # a standard field: id, email, external_id
//	      pin: {field: pin_hash, hash: sha256}
//	      pin2: {field: pin_hmac, hash: hmac-sha256, secret: "${PIN_KEY}"}
//
// Values are compared as the contract says (connectors.KeyLookuper):
// trimmed, ignoring letter case, a field holding several values (a list,
// or a text with values separated by "," or ";") matching when one does.
//
// A hashed key is a secret (a PIN): the CRM stores, and the directory
// compares, only its hash, never the value keyed. Key.Stored is the
// stored form; the directory strips a hashed key's field from every record
// it returns and never logs a hashed key's value. See Key.Stored for how
// to fill such a field.

// Hash says how a key's values are stored in the CRM.
type Hash string

// Hashes a key may name.
const (
	// HashNone: the value is stored as it is keyed (an account number).
	HashNone Hash = ""
	// HashSHA256: the CRM stores "sha256:" and the lower-case hex
	// SHA-256 of the trimmed value.
	HashSHA256 Hash = "sha256"
	// HashHMACSHA256: the CRM stores "hmac-sha256:" and the lower-case
	// hex HMAC-SHA256 of the trimmed value under Key.Secret: a short PIN
	// cannot be found from its stored form by trying every PIN without the
	// secret.
	HashHMACSHA256 Hash = "hmac-sha256"
)

// Key is one key a source's records may be found by.
type Key struct {
	// Name is how lookups name the key ([a-z0-9_]+); several sources may
	// configure the same name, each over a field of its own.
	Name string
	// Field is the record field holding the key's values: the name of a
	// Contact.Fields or Company.Fields entry, or one of the standard "id",
	// "email" and "external_id" (sdk.StandardKeyField: the record's id,
	// any of its e-mail addresses, its "external_id" field when it has
	// one, else its id).
	Field string
	// Hash says how the values are stored (HashNone: as keyed).
	Hash Hash
	// Secret is the HMAC key of HashHMACSHA256 (nothing else has one).
	Secret conf.Secret
}

// ErrUnknownKey is wrapped by the error of a lookup or a verification by
// a key that no source configures.
var ErrUnknownKey = errors.New("no connector configures this key; add it to a connector's keys: (see docs/configuration.md)")

// keyName is what a key's name may be.
var keyName = regexp.MustCompile(`^[a-z0-9_]+$`)

// Hashed reports whether the key's values are secrets stored hashed.
func (k *Key) Hashed() bool { return k.Hash != HashNone }

// Stored is the form in which the CRM stores value under k, and in which
// the directory compares it: value trimmed of spaces, then for HashSHA256
// "sha256:" followed by the lower-case hex SHA-256 of its bytes, and for
// HashHMACSHA256 "hmac-sha256:" followed by the lower-case hex
// HMAC-SHA256 of its bytes keyed with Secret. Letter case is kept before
// hashing (a PIN of digits has none); the hex digits may be stored in
// either case.
//
// Filling a CRM field for a hashed key (PIN 1234), in a shell:
//
//	printf 'sha256:%s\n' "$(printf '%s' 1234 | sha256sum | cut -d' ' -f1)"
//	printf 'hmac-sha256:%s\n' "$(printf '%s' 1234 | openssl dgst -sha256 -hmac "$PIN_KEY" -r | cut -d' ' -f1)"
//
// in PostgreSQL (HMAC with the pgcrypto extension):
//
//	UPDATE customers SET pin_hash = 'sha256:' || encode(sha256(convert_to(trim(pin), 'UTF8')), 'hex');
//	UPDATE customers SET pin_hmac = 'hmac-sha256:' || encode(hmac(trim(pin), :'pin_key', 'sha256'), 'hex');
//
// and in Go, Stored itself (see the example), or:
//
//	sum := sha256.Sum256([]byte(strings.TrimSpace(pin)))
//	stored := "sha256:" + hex.EncodeToString(sum[:])
//	mac := hmac.New(sha256.New, []byte(secret))
//	mac.Write([]byte(strings.TrimSpace(pin)))
//	storedHMAC := "hmac-sha256:" + hex.EncodeToString(mac.Sum(nil))
func (k *Key) Stored(value string) string {
	value = strings.TrimSpace(value)
	switch k.Hash {
	case HashSHA256:
		sum := sha256.Sum256([]byte(value))
		return string(HashSHA256) + ":" + hex.EncodeToString(sum[:])
	case HashHMACSHA256:
		mac := hmac.New(sha256.New, []byte(k.Secret.Reveal()))
		mac.Write([]byte(value))
		return string(HashHMACSHA256) + ":" + hex.EncodeToString(mac.Sum(nil))
	}
	return value
}

// check says what is wrong with k, for New.
func (k *Key) check() error {
	switch {
	case !keyName.MatchString(k.Name):
		return fmt.Errorf("key name %q may hold only a-z, 0-9 and _", k.Name)
	case strings.TrimSpace(k.Field) == "":
		return fmt.Errorf("key %q names no field", k.Name)
	case k.Hash != HashNone && k.Hash != HashSHA256 && k.Hash != HashHMACSHA256:
		return fmt.Errorf("key %q: unknown hash %q; use %q, %q or none", k.Name, k.Hash, HashSHA256, HashHMACSHA256)
	case k.Hash == HashHMACSHA256 && k.Secret == "":
		return fmt.Errorf("key %q: hash %s needs a secret", k.Name, k.Hash)
	case k.Hash != HashHMACSHA256 && k.Secret != "":
		return fmt.Errorf("key %q: a secret is only used by hash %s", k.Name, HashHMACSHA256)
	case k.Hashed() && sdk.StandardKeyField(k.Field):
		return fmt.Errorf("key %q: a hashed key must name a field of its own, not the standard %q (its field is stripped from every record returned)", k.Name, k.Field)
	}
	return nil
}

// normKey is the form in which key values are compared: the contract's
// rule, as connectors/sdk implements it for every connector (trimmed, case
// folded as strings.EqualFold folds).
func normKey(s string) string { return sdk.KeyFold(s) }

// contactKeyValues returns the normalised values c holds in field (the
// contract's rule: sdk.ContactKey, sdk.KeyValues).
func contactKeyValues(c *connectors.Contact, field string) []string {
	v, ok := sdk.ContactKey(c, field)
	if !ok {
		return nil
	}
	return sdk.KeyValues(v)
}

// companyKeyValues is contactKeyValues for a company.
func companyKeyValues(c *connectors.Company, field string) []string {
	v, ok := sdk.CompanyKey(c, field)
	if !ok {
		return nil
	}
	return sdk.KeyValues(v)
}

// matchKeyValues is contactKeyValues for a match's record.
func matchKeyValues(m *connectors.Match, field string) []string {
	if m.Contact != nil {
		return contactKeyValues(m.Contact, field)
	}
	if m.Company != nil {
		return companyKeyValues(m.Company, field)
	}
	return nil
}

// stripFields returns fields without the named entries: fields itself
// when it has none of them, else a copy (fields may be shared with the
// connector).
func stripFields(fields map[string]any, names []string) map[string]any {
	has := false
	for _, n := range names {
		if _, ok := fields[n]; ok {
			has = true
			break
		}
	}
	if !has {
		return fields
	}
	out := make(map[string]any, len(fields))
	for k, v := range fields {
		if !slices.Contains(names, k) {
			out[k] = v
		}
	}
	return out
}

// stripContact returns c, or a copy of it without the named fields.
func stripContact(c *connectors.Contact, names []string) *connectors.Contact {
	if len(names) == 0 {
		return c
	}
	f := stripFields(c.Fields, names)
	if len(f) == len(c.Fields) {
		return c
	}
	cp := *c
	cp.Fields = f
	return &cp
}

// stripCompany returns c, or a copy of it without the named fields.
func stripCompany(c *connectors.Company, names []string) *connectors.Company {
	if len(names) == 0 {
		return c
	}
	f := stripFields(c.Fields, names)
	if len(f) == len(c.Fields) {
		return c
	}
	cp := *c
	cp.Fields = f
	return &cp
}

// stripMatch strips the named fields from a match's record.
func stripMatch(m *connectors.Match, names []string) {
	if m.Contact != nil {
		m.Contact = stripContact(m.Contact, names)
	}
	if m.Company != nil {
		m.Company = stripCompany(m.Company, names)
	}
}

// hashedFields lists the fields of keys' hashed keys (no standard field
// can be one).
func hashedFields(keys []Key) []string {
	var out []string
	for i := range keys {
		if keys[i].Hashed() && !slices.Contains(out, keys[i].Field) {
			out = append(out, keys[i].Field)
		}
	}
	return out
}

// ParseKeys reads a connectors: entry's keys: block (a mapping of key
// names to a field name, or to {field, hash, secret}) and reports every
// problem with a path below "keys".
func ParseKeys(n *yaml.Node) ([]Key, connectors.Problems) {
	var (
		ps   connectors.Problems
		keys []Key
	)
	n = derefNode(n)
	if nullNode(n) {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		ps.Addf("keys", "must be a mapping of key names to record fields (account: account_no)")
		return nil, ps
	}
	for _, p := range nodePairs(n, 0) {
		name := p[0].Value
		path := "keys." + name
		k := Key{Name: name}
		if !keyName.MatchString(name) {
			ps.Addf(path, "is not a usable key name: a key name may hold only lower-case letters a-z, digits and _ (flows and `switchboard lookup -key` name keys by it)")
		}
		v := derefNode(p[1])
		switch {
		case nullNode(v):
			ps.Addf(path, "must name the record field holding the key (account: account_no), or be a mapping with field, hash and secret")
			continue
		case v.Kind == yaml.ScalarNode:
			k.Field = strings.TrimSpace(v.Value)
		case v.Kind == yaml.MappingNode:
			if !parseKeySpec(&ps, path, v, &k) {
				continue
			}
		default:
			ps.Addf(path, "must name the record field holding the key (account: account_no), or be a mapping with field, hash and secret, not a list")
			continue
		}
		if k.Field == "" {
			ps.Addf(path+".field", "is empty: name the record field holding the key (a name in the connector's fields, or id, email or external_id)")
			continue
		}
		if k.Hashed() && sdk.StandardKeyField(k.Field) {
			ps.Addf(path+".field", "is %q, a standard field: a hashed key must name a field of its own, such as pin_hash (the directory strips that field from every record it returns)", k.Field)
			continue
		}
		if keyName.MatchString(name) {
			keys = append(keys, k)
		}
	}
	return keys, ps
}

// parseKeySpec reads a key's long form into k; false if it is unusable.
func parseKeySpec(ps *connectors.Problems, path string, n *yaml.Node, k *Key) bool {
	ok, secretAt := true, false
	for _, p := range nodePairs(n, 0) {
		name, v := p[0].Value, derefNode(p[1])
		if !nullNode(v) && v.Kind != yaml.ScalarNode {
			ps.Addf(path+"."+name, "must be a single value")
			ok = false
			continue
		}
		value := ""
		if !nullNode(v) {
			value = strings.TrimSpace(v.Value)
		}
		switch name {
		case "field":
			k.Field = value
		case "hash":
			switch h := Hash(strings.ToLower(value)); h {
			case HashNone, HashSHA256, HashHMACSHA256:
				k.Hash = h
			default:
				msg := fmt.Sprintf("must be %s or %s (or left out: the value is stored as keyed), got %q", HashSHA256, HashHMACSHA256, value)
				if s := conf.Closest(string(h), []string{string(HashSHA256), string(HashHMACSHA256)}); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				ps.Addf(path+".hash", "%s", msg)
				ok = false
			}
		case "secret":
			secretAt = true
			if !nullNode(v) {
				k.Secret = conf.Secret(v.Value)
			}
		default:
			known := []string{"field", "hash", "secret"}
			msg := fmt.Sprintf("is not a setting of a key (known: %s)", strings.Join(known, ", "))
			if s := conf.Closest(name, known); s != "" {
				msg = fmt.Sprintf("is not a setting of a key (did you mean %q?)", s)
			}
			ps.Addf(path+"."+name, "%s", msg)
			ok = false
		}
	}
	if !ok {
		return false
	}
	switch {
	case k.Hash == HashHMACSHA256 && strings.TrimSpace(k.Secret.Reveal()) == "":
		ps.Addf(path+".secret", "is required by hash: %s: the secret the stored values were made with, such as ${PIN_KEY}", HashHMACSHA256)
		return false
	case k.Hash != HashHMACSHA256 && secretAt:
		ps.Addf(path+".secret", "is only used by hash: %s; remove it, or set the hash the stored values were made with", HashHMACSHA256)
		return false
	}
	return true
}

// derefNode follows aliases.
func derefNode(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// nullNode reports whether n is absent or null.
func nullNode(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// nodePairs lists a mapping's key and value nodes, merge keys (<<)
// expanded, explicit entries winning.
func nodePairs(n *yaml.Node, depth int) [][2]*yaml.Node {
	var out, merged [][2]*yaml.Node
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			continue // the decoder reported it
		}
		if k.ShortTag() == "!!merge" {
			if depth > 10 {
				continue
			}
			src := derefNode(v)
			var maps []*yaml.Node
			switch {
			case src != nil && src.Kind == yaml.MappingNode:
				maps = []*yaml.Node{src}
			case src != nil && src.Kind == yaml.SequenceNode:
				for _, item := range src.Content {
					if item = derefNode(item); item != nil && item.Kind == yaml.MappingNode {
						maps = append(maps, item)
					}
				}
			}
			for _, m := range maps {
				merged = append(merged, nodePairs(m, depth+1)...)
			}
			continue
		}
		if seen[k.Value] {
			continue // a duplicate: the decoder reported it
		}
		seen[k.Value] = true
		out = append(out, [2]*yaml.Node{k, v})
	}
	for _, p := range merged {
		if !seen[p[0].Value] {
			seen[p[0].Value] = true
			out = append(out, p)
		}
	}
	return out
}

// checkKeys says what is wrong with a source's keys.
func checkKeys(keys []Key) error {
	seen := make(map[string]bool, len(keys))
	for i := range keys {
		if err := keys[i].check(); err != nil {
			return err
		}
		if seen[keys[i].Name] {
			return fmt.Errorf("key %q configured twice", keys[i].Name)
		}
		seen[keys[i].Name] = true
	}
	return nil
}

// describer is implemented by a connector that knows its description
// without a call (plugins/manager.Plugin: what it said at its launch).
type describer interface {
	Info() connectors.DescribeResponse
}

// keyNames lists keys' names, quoted.
func keyNames(keys []Key) string {
	names := make([]string, len(keys))
	for i := range keys {
		names[i] = strconv.Quote(keys[i].Name)
	}
	return strings.Join(names, ", ")
}

// liveKeys says why a live source's connector cannot be asked for keys,
// if it cannot: it must implement connectors.KeyLookuper and, if it can
// say so without a call, declare connectors.CapLookupByKey.
func liveKeys(c connectors.Connector, keys []Key) error {
	if _, ok := c.(connectors.KeyLookuper); !ok {
		return fmt.Errorf("mode live asks the connector for key(s) %s, and it cannot look records up by key: use mode: index "+
			"(the host indexes the keys from the records it lists) or remove the keys", keyNames(keys))
	}
	if d, ok := c.(describer); ok {
		return keysCapable(d.Info(), keys)
	}
	return nil
}

// keysCapable says why a connector so described cannot be asked for keys
// live, if it cannot.
func keysCapable(info connectors.DescribeResponse, keys []Key) error {
	if info.Has(connectors.CapLookupByKey) {
		return nil
	}
	return fmt.Errorf("mode live asks the connector for key(s) %s, and %s %s does not declare %s: use mode: index "+
		"(the host indexes the keys from the records it lists), a version of the connector that looks records up by key, or remove the keys",
		keyNames(keys), info.Name, info.Version, connectors.CapLookupByKey)
}
