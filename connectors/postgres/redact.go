package postgres

import (
	"errors"
	"net/url"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// mask replaces a secret in a message.
const mask = "xxxxx"

// dsnParseProblem is why pgx could not read dsn, without the connection
// string and with every secret of it removed: which form the string
// seemed to be in and pgx's reason ("in its key=value form: invalid
// port"). pgx masks passwords in its own
// text only on a best-effort basis (an unterminated quote defeats it), so
// the connection string is left out of the message altogether.
func dsnParseProblem(err error, dsn string) string {
	reason := err.Error()
	var pce *pgconn.ParseConfigError
	if errors.As(err, &pce) {
		bare := *pce
		bare.ConnString = "" // the reason alone: "cannot parse ``: invalid port"
		reason = bare.Error()
		reason = strings.TrimPrefix(reason, "cannot parse ``: ")
	}
	form := "key=value form"
	if isURLForm(dsn) {
		form = "URL form"
	}
	return "in its " + form + ": " + redact(reason, dsn)
}

// isURLForm reports whether dsn is written as a URL rather than key=value
// pairs (pgx's own test).
func isURLForm(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// redact removes the DSN and its secrets from msg: the whole string, the
// passwords written in it (URL userinfo and query, key=value password and
// sslpassword, quoted or not, in every spelling), then anything in msg
// that looks like a password=value or a URL password. It is the second
// line of defence after never putting the DSN in a message, and it
// prefers a mangled message to a leaked secret.
func redact(msg, dsn string) string {
	if dsn != "" {
		msg = strings.ReplaceAll(msg, dsn, mask)
		for _, sec := range dsnSecrets(dsn) {
			msg = strings.ReplaceAll(msg, sec, mask)
		}
	}
	return scrubSecrets(msg)
}

// secretKeys are the connection parameters whose values are secret.
var secretKeys = []string{"password", "sslpassword"}

func isSecretKey(k string) bool {
	for _, s := range secretKeys {
		if strings.EqualFold(strings.TrimSpace(k), s) {
			return true
		}
	}
	return false
}

// dsnSecrets lists the secret values written in dsn, longest first (so
// that a value containing another is masked whole), each as written and
// decoded. It reads malformed strings too: an unterminated quoted value
// runs to the end, as in libpq.
func dsnSecrets(dsn string) []string {
	var found []string
	add := func(v string) {
		if v == "" {
			return
		}
		found = append(found, v, url.QueryEscape(v), url.PathEscape(v))
		if d, err := url.PathUnescape(v); err == nil {
			found = append(found, d)
		}
		if d, err := url.QueryUnescape(v); err == nil {
			found = append(found, d)
		}
		// A value with spaces may reach a message cut at one.
		for _, w := range strings.Fields(v) {
			if len(w) >= 4 {
				found = append(found, w)
			}
		}
	}
	if isURLForm(dsn) || strings.Contains(dsn, "://") {
		rest := dsn[strings.Index(dsn, "://")+3:]
		query := ""
		if i := strings.IndexByte(rest, '?'); i >= 0 {
			rest, query = rest[:i], rest[i+1:]
		}
		// The userinfo ends at the last '@' (a password may hold a raw
		// '@' in a malformed URL); the password follows its first ':'.
		if at := strings.LastIndexByte(rest, '@'); at >= 0 {
			if _, pw, ok := strings.Cut(rest[:at], ":"); ok {
				add(pw)
			}
		}
		for _, kv := range strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' }) {
			k, v, _ := strings.Cut(kv, "=")
			if dk, err := url.QueryUnescape(k); err == nil {
				k = dk
			}
			if isSecretKey(k) {
				add(v)
			}
		}
	}
	for _, kv := range keywordValues(dsn) {
		if isSecretKey(kv[0]) {
			add(kv[1])
			add(kv[2])
		}
	}
	// Longest first: "s3cr3t" must not be masked inside "s3cr3t-2" first,
	// leaving "-2".
	for i := 1; i < len(found); i++ {
		for j := i; j > 0 && len(found[j]) > len(found[j-1]); j-- {
			found[j], found[j-1] = found[j-1], found[j]
		}
	}
	return found
}

// keywordValues splits a key=value connection string as libpq does,
// tolerating errors: spaces around '=', values in single quotes with
// backslash escapes, an unterminated quote running to the end. Each entry
// is key, value as written (quotes included), value unescaped.
func keywordValues(s string) [][3]string {
	var out [][3]string
	i := 0
	skip := func() {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
	}
	for {
		skip()
		if i >= len(s) {
			return out
		}
		start := i
		for i < len(s) && s[i] != '=' && !isSpace(s[i]) {
			i++
		}
		key := s[start:i]
		skip()
		if i >= len(s) || s[i] != '=' {
			continue // a word without a value
		}
		i++
		skip()
		vstart := i
		var val strings.Builder
		if i < len(s) && s[i] == '\'' {
			i++
			for i < len(s) && s[i] != '\'' {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val.WriteByte(s[i])
				i++
			}
			if i < len(s) {
				i++ // the closing quote
			}
		} else {
			for i < len(s) && !isSpace(s[i]) {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val.WriteByte(s[i])
				i++
			}
		}
		out = append(out, [3]string{key, s[vstart:i], val.String()})
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

var (
	// password=value, sslpassword = 'value', ...: the value quoted (to its
	// closing quote, or to the end when there is none) or a word.
	secretKVRE = regexp.MustCompile(`(?i)\b((?:ssl)?password)\s*=\s*(?:'(?:[^'\\]|\\.)*'?|[^\s'][^\s]*)`)
	// scheme://user:password@ — up to the last '@' of the word.
	urlPasswordRE = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]*):[^\s]*@`)
)

// scrubSecrets masks what looks like a secret in msg, whatever the DSN:
// password=... and sslpassword=... values (quoted or not) and URL
// userinfo passwords.
func scrubSecrets(msg string) string {
	msg = secretKVRE.ReplaceAllString(msg, "${1}="+mask)
	return urlPasswordRE.ReplaceAllString(msg, "${1}:"+mask+"@")
}
