// Command switchboard-connector-postgres is the PostgreSQL connector
// plugin; the host launches it (see connectors/postgres for its
// configuration).
package main

import (
	"github.com/switchboard-hq/switchboard/connectors/postgres"
	"github.com/switchboard-hq/switchboard/plugins"
)

func main() { plugins.Serve(postgres.New) }
