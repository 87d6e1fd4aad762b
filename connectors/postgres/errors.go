package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"

	"github.com/switchboard-hq/switchboard/connectors"
)

// cancelDeadlineDelay is how long after a context ends the connector waits
// for the server to confirm the cancel request before it drops the
// connection.
const cancelDeadlineDelay = 500 * time.Millisecond

// cancelOnContextDone makes a cancelled or expired request context stop
// the statement on the server (a cancel request), not only in the client,
// so that a caller's deadline also frees the database.
func cancelOnContextDone(c *pgconn.PgConn) ctxwatch.Handler {
	return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: cancelDeadlineDelay}
}

// PostgreSQL error codes the connector explains
// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const (
	codeInvalidPassword       = "28P01"
	codeInvalidAuthorization  = "28000"
	codeInvalidCatalogName    = "3D000"
	codeInvalidSchemaName     = "3F000"
	codeUndefinedTable        = "42P01"
	codeUndefinedColumn       = "42703"
	codeUndefinedFunction     = "42883"
	codeInsufficientPrivilege = "42501"
	codeSyntaxError           = "42601"
	codeQueryCanceled         = "57014"
	codeTooManyConnections    = "53300"
)

// classify turns an error from pgx into a classified connector error that
// says what is wrong and what to do, with the DSN's secrets removed.
func (s *settings) classify(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	var ce *connectors.Error
	if errors.As(err, &ce) {
		return err
	}
	mk := func(class connectors.Class, format string, args ...any) error {
		return &connectors.Error{Class: class, Op: op, Message: redact(fmt.Sprintf(format, args...), s.dsn)}
	}
	if cerr := ctx.Err(); cerr != nil {
		// The caller's deadline or cancellation, whatever pgx made of it.
		what := "was cancelled"
		if errors.Is(cerr, context.DeadlineExceeded) {
			what = "ran out of time (the caller's deadline passed)"
		}
		return &connectors.Error{Class: connectors.ClassUnavailable, Op: op,
			Message: "the PostgreSQL query " + what, Err: cerr}
	}
	where := s.where()
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		user, db := s.userAndDatabase()
		switch pgErr.Code {
		case codeInvalidPassword, codeInvalidAuthorization:
			return mk(connectors.ClassUnauthorized, "PostgreSQL at %s refused user %q: %s; fix the user and password in the connection string (%s) or the server's pg_hba.conf",
				where, user, pgErr.Message, s.dsnSource)
		case codeInvalidCatalogName:
			return mk(connectors.ClassBadConfig, "database %q does not exist on %s: create it, or fix the database name in the connection string (%s)",
				db, where, s.dsnSource)
		case codeInvalidSchemaName:
			return mk(connectors.ClassBadConfig, "%s in database %q: create the schema or fix the name", pgErr.Message, db)
		case codeUndefinedTable:
			return mk(connectors.ClassBadConfig, "%s in database %q on %s: create it, or fix table: in the connector's config "+
				"(a table outside the search path is written schema.table)", pgErr.Message, db, where)
		case codeUndefinedColumn:
			return mk(connectors.ClassBadConfig, "%s in %s: fix the column names in the connector's config (or the query)",
				pgErr.Message, s.source())
		case codeInsufficientPrivilege:
			return mk(connectors.ClassUnauthorized, "%s: user %q may not read %s; GRANT SELECT on it to %s",
				pgErr.Message, user, s.source(), user)
		case codeSyntaxError, codeUndefinedFunction:
			return mk(connectors.ClassBadConfig, "PostgreSQL cannot run the %s SQL: %s; fix the query in the connector's config",
				op, pgErr.Message)
		case codeQueryCanceled:
			return mk(connectors.ClassUnavailable, "PostgreSQL cancelled the query: %s (the statement_timeout is %s)",
				pgErr.Message, s.statementTimeout)
		case codeTooManyConnections:
			return mk(connectors.ClassUnavailable, "PostgreSQL at %s has no free connections: %s; lower max_conns or raise the server's max_connections",
				where, pgErr.Message)
		}
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), strings.HasPrefix(pgErr.Code, "57"), strings.HasPrefix(pgErr.Code, "53"):
			return mk(connectors.ClassUnavailable, "PostgreSQL at %s: %s (SQLSTATE %s)", where, pgErr.Message, pgErr.Code)
		case strings.HasPrefix(pgErr.Code, "22"):
			return mk(connectors.ClassInvalidRequest, "PostgreSQL rejected a value: %s (SQLSTATE %s)", pgErr.Message, pgErr.Code)
		case strings.HasPrefix(pgErr.Code, "42"):
			return mk(connectors.ClassBadConfig, "PostgreSQL cannot run the %s SQL: %s (SQLSTATE %s); fix the connector's config",
				op, pgErr.Message, pgErr.Code)
		}
		return mk(connectors.ClassUnavailable, "PostgreSQL at %s: %s (SQLSTATE %s)", where, pgErr.Message, pgErr.Code)
	}
	var netErr net.Error
	var connErr *pgconn.ConnectError
	switch {
	case errors.As(err, &connErr), errors.As(err, &netErr), pgconn.Timeout(err):
		return mk(connectors.ClassUnavailable, "cannot reach PostgreSQL at %s: %s; check that the server runs and "+
			"that host and port in the connection string (%s) are right", where, rootCause(err), s.dsnSource)
	}
	return mk(connectors.ClassUnavailable, "PostgreSQL at %s: %v", where, err)
}

// rootCause is the innermost message of err, which for connection errors
// is the useful part ("connection refused").
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// where is host:port of the server, for messages.
func (s *settings) where() string {
	if s.poolCfg == nil {
		return "the configured server"
	}
	cc := s.poolCfg.ConnConfig
	host := cc.Host
	if strings.HasPrefix(host, "/") {
		return fmt.Sprintf("%s (unix socket, port %d)", host, cc.Port)
	}
	return net.JoinHostPort(host, fmt.Sprint(cc.Port))
}

// userAndDatabase are the login user and database, for messages.
func (s *settings) userAndDatabase() (string, string) {
	if s.poolCfg == nil {
		return "", ""
	}
	return s.poolCfg.ConnConfig.User, s.poolCfg.ConnConfig.Database
}

// source names what the connector reads, for messages.
func (s *settings) source() string {
	if s.tableMode() {
		return "table " + s.tableName
	}
	return "the configured queries"
}
