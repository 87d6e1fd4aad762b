package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-hq/switchboard/connectors"
)

// TestMalformedDSNHidesPassword: a connection string pgx cannot parse is
// reported with pgx's reason and the form it was read in, never with the
// string itself nor any part of its password, however malformed (pgx's
// own masking misses an unterminated quote, or spaces around '=').
func TestMalformedDSNHidesPassword(t *testing.T) {
	for _, tc := range []struct {
		name, dsn string
		secrets   []string // none may appear
		want      []string // all must appear: what to fix
	}{
		{"stray quote", `host=db password=s3cr3t' port=x`, []string{"s3cr3t"}, []string{"invalid port", "key=value form"}},
		{"unterminated quote", `host=db password='s3cr3t port=5432`, []string{"s3cr3t"},
			[]string{"unterminated quoted string", "key=value form"}},
		{"unterminated quote with a space", `host=db password='my s3cr3t port=x`, []string{"s3cr3t", "my s3cr3t"},
			[]string{"unterminated quoted string"}},
		{"spaces around =", `host=db password = s3cr3t port=x`, []string{"s3cr3t"}, []string{"invalid port"}},
		{"quoted with a space", `host=db password='my s3cr3t' port=x`, []string{"s3cr3t"}, []string{"invalid port"}},
		{"escaped quote", `host=db password='it\'s-s3cr3t' port=x`, []string{"s3cr3t", `it\'s`, "it's"}, []string{"invalid port"}},
		{"upper-case key", `host=db PASSWORD=s3cr3t port=x`, []string{"s3cr3t"}, []string{"invalid port"}},
		{"ssl password", `host=db sslpassword=s3cr3t sslmode=bogus`, []string{"s3cr3t"}, []string{"sslmode is invalid"}},
		{"bad connect_timeout", `host=db password=s3cr3t connect_timeout=x`, []string{"s3cr3t"}, []string{"invalid connect_timeout"}},
		{"URL, bad port", `postgres://u:s3cr3t@db:x/crm`, []string{"s3cr3t"}, []string{"invalid port", "URL form"}},
		{"URL, space in password", `postgres://u:my s3cr3t@db/crm`, []string{"s3cr3t"}, []string{"spaces", "URL form"}},
		{"URL, bad escape", `postgres://u:s3cr3t%zz@db/crm`, []string{"s3cr3t"}, []string{"percent-encoded", "URL form"}},
		{"URL, raw @ in password", `postgres://u:p@ss-s3cr3t@db/crm?sslmode=bogus`, []string{"s3cr3t", "p@ss"}, []string{"sslmode is invalid"}},
		{"URL, encoded password", `postgresql://u:s3%2Fcr3t@db:x/crm`, []string{"s3%2Fcr3t", "s3/cr3t"}, []string{"invalid port"}},
		{"URL, password in the query", `postgres://u@db/crm?password=s3cr3t&sslmode=bogus`, []string{"s3cr3t"}, []string{"sslmode is invalid"}},
		{"URL, bad connect_timeout", `postgres://u:s3cr3t@db/crm?connect_timeout=x`, []string{"s3cr3t"}, []string{"invalid connect_timeout"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := pgxpool.ParseConfig(tc.dsn); err == nil {
				t.Fatalf("pgx parses %q: the case tests nothing", tc.dsn)
			}
			_, problems := parseConfig(&connectors.ConfigureRequest{
				Config: []byte(fmt.Sprintf("dsn: %q\ntable: t\ncolumns: {id: id}\n", tc.dsn)), DefaultRegion: "GB"})
			var msg string
			for _, p := range problems {
				if p.Path == "dsn" {
					msg = p.Message
				}
			}
			if msg == "" {
				t.Fatalf("no problem at dsn: %+v", problems)
			}
			if strings.Contains(msg, tc.dsn) {
				t.Errorf("the message holds the connection string: %s", msg)
			}
			for _, s := range tc.secrets {
				if strings.Contains(msg, s) {
					t.Errorf("the message holds %q: %s", s, msg)
				}
			}
			for _, w := range append(tc.want, "cannot be read", "fix it") {
				if !strings.Contains(msg, w) {
					t.Errorf("the message lacks %q: %s", w, msg)
				}
			}
		})
	}
}

// TestRedact: redact masks the DSN, its secrets in every spelling, and
// whatever looks like a password in the message, whatever the DSN.
func TestRedact(t *testing.T) {
	for _, tc := range []struct{ dsn, msg, secret string }{
		{"postgres://u:s3cret@h/db", "failed: postgres://u:s3cret@h/db said s3cret", "s3cret"},
		{"postgres://u:p%40ss@h/db", "password p@ss and p%40ss", "p@ss"},
		{"host=h user=u password=hunter22 dbname=d", "bad password=hunter22", "hunter22"},
		{"host=h password='my hunter22", "cannot parse `host=h password=xxxxx hunter22`", "hunter22"},
		{"host=h password = 'hunter22'", "value hunter22 refused", "hunter22"},
		{"", "cannot parse `host=h password='my hunter22 port=1`", "hunter22"},
		{"", "cannot parse `host=h PassWord = hunter22 port=1`", "hunter22"},
		{"", "cannot parse `sslpassword=hunter22`", "hunter22"},
		{"", `parse "postgres://u:hunter22@h:x/db": invalid port`, "hunter22"},
		{"", `parse "postgresql://u:p@ss-hunter22@h/db"`, "hunter22"},
		{"", `cannot parse postgres://u@h/db?sslmode=x&password=hunter22`, "hunter22"},
	} {
		got := redact(tc.msg, tc.dsn)
		if strings.Contains(got, tc.secret) {
			t.Errorf("redact(%q, %q) = %q still holds %q", tc.msg, tc.dsn, got, tc.secret)
		}
		if !strings.Contains(got, mask) {
			t.Errorf("redact(%q) = %q shows no redaction", tc.msg, got)
		}
	}
	// Text without secrets is left alone.
	for _, msg := range []string{"invalid port", `database "crm" does not exist`, "fix the user and password in the connection string (dsn_env CRM_DSN)"} {
		if got := redact(msg, "host=h password=hunter22"); got != msg {
			t.Errorf("redact(%q) = %q", msg, got)
		}
	}
}

// TestClassifyRedacts: an error built from a connection failure never
// shows the DSN's password, even when the underlying error holds the
// connection string.
func TestClassifyRedacts(t *testing.T) {
	for _, dsn := range []string{
		"postgres://crm:s3cret-pw@127.0.0.1:1/crm",
		"host=127.0.0.1 port=1 user=crm password='s3cret-pw with spaces'",
	} {
		s := &settings{dsn: dsn, dsnSource: "dsn"}
		// A real connection failure (nothing listens on port 1).
		_, refused := pgconn.Connect(context.Background(), dsn+map[bool]string{true: "?connect_timeout=2", false: " connect_timeout=2"}[isURLForm(dsn)])
		var ce *pgconn.ConnectError
		if !errors.As(refused, &ce) {
			t.Fatalf("connecting to port 1: %v, want a ConnectError", refused)
		}
		for _, cause := range []error{
			fmt.Errorf("dial using %s: connection refused", dsn),
			refused,
			errors.New("odd failure with password=s3cret-pw inside"),
		} {
			err := s.classify(context.Background(), "Check", fmt.Errorf("%w (dsn %s)", cause, dsn))
			if err == nil || strings.Contains(err.Error(), "s3cret-pw") || strings.Contains(err.Error(), dsn) {
				t.Errorf("classify(%q): %v", dsn, err)
			}
		}
	}
}
