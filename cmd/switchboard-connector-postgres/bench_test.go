package main

// Benchmarks of the PostgreSQL connector as the host uses it: the real
// plugin binary, launched and called through plugins/manager over gRPC,
// against a real PostgreSQL (pgtest). `make bench` runs them:
//
//	go test -run '^$' -bench . -benchtime=2s ./cmd/switchboard-connector-postgres

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-hq/switchboard/cmd/internal/pluginbench"
	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/connectors/postgres/pgtest"
	"github.com/switchboard-hq/switchboard/core/directory"
)

func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	pluginbench.RemoveBuilds()
	os.Exit(code)
}

const (
	lookupRows = 1_000_000
	indexRows  = 100_000
)

// contactsSQL fills a contacts table with n rows by generate_series, the
// number in phone (national format) and phone_e164 (the phone_key): row i
// holds pluginbench.Number(i), stored as "07900 000001".
func contactsSQL(n int) []string {
	return []string{
		`CREATE TABLE contacts (id bigint PRIMARY KEY, first_name text, last_name text, company_id bigint, company text,
			phone text, phone_e164 text NOT NULL, email text, updated_at timestamptz NOT NULL)`,
		fmt.Sprintf(`INSERT INTO contacts
			SELECT i, 'First' || i, 'Last' || i, i / 10, 'Company ' || (i / 10),
			       '079' || substr(lpad(i::text, 8, '0'), 1, 2) || ' ' || substr(lpad(i::text, 8, '0'), 3),
			       '+4479' || lpad(i::text, 8, '0'), 'c' || i || '@example.com',
			       timestamptz '2024-01-01' + i * interval '1 second'
			FROM generate_series(1, %d) AS i`, n),
		`CREATE INDEX contacts_phone_e164 ON contacts (phone_e164)`,
		`ANALYZE contacts`,
	}
}

const blockTemplate = `dsn: %q
table: contacts
columns:
  id: id
  first_name: first_name
  last_name: last_name
  company: company
  phones: [phone]
  emails: [email]
  updated_at: updated_at
  phone_key: phone_e164
`

var (
	setupMu   sync.Mutex
	databases = map[int]string{} // rows → DSN
)

// database returns the DSN of a database holding rows synthetic contacts,
// created once per test binary (the server, and it, go at exit).
func database(b *testing.B, rows int) string {
	b.Helper()
	setupMu.Lock()
	defer setupMu.Unlock()
	if dsn, ok := databases[rows]; ok {
		return dsn
	}
	s := pgtest.Shared(b)
	ctx := context.Background()
	name := fmt.Sprintf("bench_%d", rows)
	admin, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		b.Fatal(err)
	}
	dsn := s.DSN(name)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	start := time.Now()
	for _, stmt := range contactsSQL(rows) {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			b.Fatalf("%s: %v", stmt, err)
		}
	}
	b.Logf("generated %d contacts with an indexed phone_key in %v", rows, time.Since(start).Round(time.Millisecond))
	databases[rows] = dsn
	return dsn
}

// plugin starts the real plugin binary for a database through a manager,
// as the host does; both go when the benchmark ends.
func plugin(b *testing.B, dsn string) connectors.Connector {
	b.Helper()
	return pluginbench.StartPlugin(b, ".", "postgres", []byte(fmt.Sprintf(blockTemplate, dsn)))
}

// BenchmarkPostgresLookupLive1M is one live LookupByPhone, host to plugin
// process to PostgreSQL and back, over 1,000,000 contacts with an indexed
// phone_key column: the latency of a ring served by mode: live.
func BenchmarkPostgresLookupLive1M(b *testing.B) {
	pluginbench.BenchLookups(b, plugin(b, database(b, lookupRows)), lookupRows)
}

// BenchmarkPostgresLookupLive1MParallel is the same under concurrent
// rings (GOMAXPROCS callers; the connector's pool holds 4 connections).
func BenchmarkPostgresLookupLive1MParallel(b *testing.B) {
	body := pluginbench.ParallelLookups(b, plugin(b, database(b, lookupRows)), lookupRows)
	b.RunParallel(func(pb *testing.PB) { body(pb.Next) })
}

// BenchmarkPostgresIndexBuild100k builds the host's index
// (directory.BuildIndex) from the plugin's ListContacts over 100,000
// contacts: the start-up and refresh cost of mode: index.
func BenchmarkPostgresIndexBuild100k(b *testing.B) {
	c := plugin(b, database(b, indexRows))
	parser, err := phone.NewParser("GB")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		ix, err := directory.BuildIndex(context.Background(), c, directory.IndexOptions{Parser: parser})
		if err != nil {
			b.Fatal(err)
		}
		if ix.Len() != indexRows || ix.Phones() != indexRows {
			b.Fatalf("index of %d records, %d phones; want %d", ix.Len(), ix.Phones(), indexRows)
		}
	}
	b.ReportMetric(float64(indexRows), "records")
}

// BenchmarkPostgresFreshness1M is the time from a committed UPDATE of a
// contact's number in PostgreSQL to the host's index answering the new
// number: the real plugin over 1,000,000 contacts with updated_at mapped,
// a directory in mode index polling it every second (connectors[].poll:
// 1s), refresh far away so that no rebuild can help. One op is one change;
// the mean and the worst are reported.
func BenchmarkPostgresFreshness1M(b *testing.B) {
	dsn := database(b, lookupRows)
	c := plugin(b, dsn)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	pluginbench.Freshness(b, c, func(i int) string {
		id := 1 + i*7919%lookupRows // spread over the table
		number := fmt.Sprintf("+4478%08d", id)
		if _, err := conn.Exec(ctx, `UPDATE contacts SET phone = $1, phone_e164 = $1, updated_at = now() WHERE id = $2`, number, id); err != nil {
			b.Fatal(err)
		}
		return number
	})
}
