package crmsync

import (
	"github.com/switchboard-hq/switchboard/core/store"
	"reflect"
	"testing"
	"time"
)

func TestConfigCheck(t *testing.T) {
	cases := []struct {
		name string
		edit func(c *Config)
		want []string // "path: message"
	}{
		{"defaults", func(*Config) {}, nil},
		{"interval and concurrency", func(c *Config) { c.Interval, c.Concurrency = 5*time.Second, 0 }, []string{
			"interval: must be 0 (no scheduled sync) or at least 10s, got 5s",
			"concurrency: must be from 1 to 16, got 0 (Hipcall's rate limit is the bottleneck: 2 is plenty)",
		}},
		{"enumerations", func(c *Config) { c.OnMissing, c.Store.Driver = "delete", "mysql" }, []string{
			`on_missing: must be one of report, ignore, got "delete"`,
			`store.driver: must be one of sqlite, postgres, got "mysql"`,
		}},
		{"sqlite without a path", func(c *Config) { c.Store.Path = " " },
			[]string{`store.path: must not be empty: leave it out for "switchboard-state.db" next to the configuration file`}},
		{"postgres without a dsn", func(c *Config) { c.Store.Driver = "Postgres" }, []string{
			"store.dsn: is required with driver postgres: a connection string such as ${SWITCHBOARD_STATE_DSN} (postgres://user:password@host:5432/db)",
		}},
		{"owners", func(c *Config) { c.Owners = map[string]string{"u-17": "seventeen", "u-18": "18"} },
			[]string{`owners.u-17: must be a Hipcall user id (a whole number above 0), got "seventeen"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			var got []string
			for _, p := range c.Check() {
				got = append(got, p.Path+": "+p.Message)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Check() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestConfigOptions(t *testing.T) {
	c := DefaultConfig()
	c.OnMissing, c.Source = " IGNORE ", " crm "
	c.Owners = map[string]string{"u-17": "42"}
	c.Contacts.Fields = map[string]string{"job_title": ""}
	if ps := c.Check(); len(ps) > 0 {
		t.Fatalf("Check: %v", ps)
	}
	o := c.Options()
	if o.OnMissing != OnMissingIgnore || c.Source != "crm" || o.Concurrency != DefaultConcurrency ||
		!reflect.DeepEqual(o.Owners, map[string]int64{"u-17": 42}) || !o.Companies.Enabled || o.Contacts.Fields["job_title"] != "" {
		t.Errorf("Options() = %+v", o)
	}
	if s := c.Store.StoreOptions(); s.Driver != "sqlite" || s.Path != store.DefaultSQLiteFile {
		t.Errorf("StoreOptions() = %+v", s)
	}
}
