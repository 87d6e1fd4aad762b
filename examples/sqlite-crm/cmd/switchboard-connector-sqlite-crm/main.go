// Command switchboard-connector-sqlite-crm is the sqlite-crm connector
// plugin: copy it into the host's plugin directory.
package main

import (
	sqlitecrm "example.com/sqlite-crm"

	"github.com/switchboard-hq/switchboard/plugins"
)

func main() { plugins.Serve(sqlitecrm.New) }
