package webhook

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors/conf"
)

func TestConfigCheck(t *testing.T) {
	cases := []struct {
		name string
		edit func(c *Config)
		want []string // "path: message"
	}{
		{"defaults", func(*Config) {}, nil},
		{"path", func(c *Config) { c.Path = "/hipcall/webhook/" },
			[]string{`path: must start with "/" and not end with one, such as "/hipcall/webhook", got "/hipcall/webhook/"`}},
		{"short token", func(c *Config) { c.Token = "short" },
			[]string{"token: is 5 characters: use at least 16 random characters (openssl rand -hex 16)"}},
		{"token characters", func(c *Config) { c.Token = conf.Secret(strings.Repeat("a", 16) + "/") },
			[]string{"token: may only contain letters, digits, -, ., _ and ~ (it travels in the URL): use openssl rand -hex 16"}},
		{"basic auth half", func(c *Config) { c.BasicAuth = &conf.BasicAuth{Username: "u"} },
			[]string{"basic_auth.password: is required when a username is set (set both, or neither)"}},
		{"allow_from", func(c *Config) { c.AllowFrom = []string{"10.0.0.0/8", "10.0.0.0/33", "hipcall.com"} }, []string{
			`allow_from.1: must be a network such as "203.0.113.0/24" or an address, got "10.0.0.0/33"`,
			`allow_from.2: must be a network such as "203.0.113.0/24" or an address, got "hipcall.com"`,
		}},
		{"limits", func(c *Config) { c.QueueSize, c.Workers, c.DedupWindow = 0, MaxWorkers+1, 25*time.Hour }, []string{
			"queue_size: must be from 1 to 1000000, got 0",
			"workers: must be from 1 to 256, got 257",
			`dedup_window: must be longer than 0 and at most 24h, such as "10m", got 25h`,
		}},
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

func TestConfigNormalisesAndBuildsOptions(t *testing.T) {
	c := DefaultConfig()
	c.Token = "0123456789abcdef"
	c.BasicAuth = &conf.BasicAuth{Username: "hipcall", Password: "pw"}
	c.AllowFrom = []string{" 203.0.113.7 ", "198.51.100.9/24", "2001:db8::1/64"}
	if ps := c.Check(); len(ps) > 0 {
		t.Fatalf("Check: %v", ps)
	}
	if want := []string{"203.0.113.7/32", "198.51.100.0/24", "2001:db8::/64"}; !reflect.DeepEqual(c.AllowFrom, want) {
		t.Errorf("AllowFrom = %q, want %q", c.AllowFrom, want)
	}
	o, err := c.Options()
	if err != nil {
		t.Fatal(err)
	}
	want := AuthOptions{Token: "0123456789abcdef", Username: "hipcall", Password: "pw", AllowFrom: []netip.Prefix{
		netip.MustParsePrefix("203.0.113.7/32"), netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("2001:db8::/64"),
	}}
	if !reflect.DeepEqual(o.Auth, want) || o.Path != DefaultPath || o.QueueSize != DefaultQueueSize || o.Workers != DefaultWorkers {
		t.Errorf("Options() = %+v", o)
	}
	empty := DefaultConfig()
	empty.BasicAuth = &conf.BasicAuth{}
	empty.Check()
	if empty.BasicAuth != nil || empty.HasAuth() {
		t.Errorf("an empty basic_auth pair is not dropped: %+v", empty.BasicAuth)
	}
}
