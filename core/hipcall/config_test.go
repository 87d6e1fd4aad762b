package hipcall

import (
	"reflect"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/switchboard-hq/switchboard/connectors"
)

func TestAPIConfigCheck(t *testing.T) {
	cases := []struct {
		name string
		edit func(c *APIConfig)
		want []string // "path: message"
	}{
		{"defaults", func(*APIConfig) {}, nil},
		{"region in any case", func(c *APIConfig) { c.Region = " TR " }, nil},
		{"base url", func(c *APIConfig) { c.BaseURL = "use.hipcall.com/api/v3" },
			[]string{`base_url: must be an absolute http(s) URL such as "https://use.hipcall.com/api/v3", got "use.hipcall.com/api/v3"`}},
		{"base url without the API root", func(c *APIConfig) { c.BaseURL = "https://use.hipcall.com/" },
			[]string{`base_url: must end with /api/v3, Hipcall's API root, such as "https://use.hipcall.com/api/v3", got "https://use.hipcall.com/"`}},
		{"base url with a trailing slash", func(c *APIConfig) { c.BaseURL = "http://127.0.0.1:5009/api/v3/" }, nil},
		{"region", func(c *APIConfig) { c.Region = "europe" }, []string{`region: must be one of global, tr, got "europe"`}},
		{"https", func(c *APIConfig) { c.BaseURL = "https://use.hipcall.com/api/v3" }, nil},
		{"https on another port", func(c *APIConfig) { c.BaseURL = "https://hipcall.example:8443/api/v3" }, nil},
		{"http to Hipcall", func(c *APIConfig) { c.BaseURL = "http://use.hipcall.com/api/v3" },
			[]string{`base_url: ` + httpAdvice + `, such as "https://use.hipcall.com/api/v3", got "http://use.hipcall.com/api/v3"`}},
		{"HTTP in capitals", func(c *APIConfig) { c.BaseURL = "HTTP://use.hipcall.com.tr/api/v3" },
			[]string{`base_url: ` + httpAdvice + `, such as "https://use.hipcall.com/api/v3", got "http://use.hipcall.com.tr/api/v3"`}},
		{"http to a private address", func(c *APIConfig) { c.BaseURL = "http://10.0.0.5:8080/api/v3" },
			[]string{`base_url: ` + httpAdvice + `, such as "https://use.hipcall.com/api/v3", got "http://10.0.0.5:8080/api/v3"`}},
		{"http to a name that starts like loopback", func(c *APIConfig) { c.BaseURL = "http://127.0.0.1.example.com/api/v3" },
			[]string{`base_url: ` + httpAdvice + `, such as "https://use.hipcall.com/api/v3", got "http://127.0.0.1.example.com/api/v3"`}},
		{"http to localhost.example", func(c *APIConfig) { c.BaseURL = "http://localhost.example/api/v3" },
			[]string{`base_url: ` + httpAdvice + `, such as "https://use.hipcall.com/api/v3", got "http://localhost.example/api/v3"`}},
		{"http with a password shown redacted", func(c *APIConfig) { c.BaseURL = "http://u:pw-s3cret@hipcall.example/api/v3" },
			[]string{`base_url: ` + httpAdvice + `, such as "https://use.hipcall.com/api/v3", got "http://u:xxxxx@hipcall.example/api/v3"`}},
		{"http to 127.0.0.1", func(c *APIConfig) { c.BaseURL = "http://127.0.0.1:5009/api/v3" }, nil},
		{"http to 127.8.9.10", func(c *APIConfig) { c.BaseURL = "http://127.8.9.10/api/v3" }, nil},
		{"http to ::1", func(c *APIConfig) { c.BaseURL = "http://[::1]:5009/api/v3" }, nil},
		{"http to localhost", func(c *APIConfig) { c.BaseURL = "http://LocalHost:5009/api/v3" }, nil},
		{"rate and timeout", func(c *APIConfig) { c.RateLimitPerMinute, c.Timeout = -1, 0 }, []string{
			"rate_limit_per_minute: must be 0 (no client-side limit) or more, got -1 (Hipcall allows about 60 per minute)",
			`timeout: must be longer than 0, such as "5s"`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultAPIConfig()
			tc.edit(&c)
			if got := render(c.Check()); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Check() = %q, want %q", got, tc.want)
			}
		})
	}
	c := DefaultAPIConfig()
	c.Region = " TR "
	c.Check()
	if c.Region != RegionTurkey {
		t.Errorf("region not normalised: %q", c.Region)
	}
}

func TestAPIConfigOptions(t *testing.T) {
	c := APIConfig{Region: "tr", Token: "tok", RateLimitPerMinute: 30, Timeout: time.Second}
	o := c.Options()
	if o.Region != "tr" || o.Token != "tok" || o.Timeout != time.Second || o.RateLimit != rate.Every(2*time.Second) {
		t.Errorf("Options() = %+v", o)
	}
	c.RateLimitPerMinute = 0
	if o := c.Options(); o.RateLimit != rate.Inf {
		t.Errorf("no limit: RateLimit = %v, want Inf", o.RateLimit)
	}
	if (APIConfig{Token: "  "}).Configured() || !c.Configured() {
		t.Error("Configured is wrong")
	}
}

func TestUserIDs(t *testing.T) {
	var ps connectors.Problems
	got := UserIDs(&ps, "owners", map[string]string{"u-1": "42", "u-2": " 43 ", "u-3": "x", "u-4": "0", "": "5"})
	if want := map[string]int64{"u-1": 42, "u-2": 43}; !reflect.DeepEqual(got, want) {
		t.Errorf("UserIDs = %v, want %v", got, want)
	}
	want := []string{
		`owners: each key must be a CRM owner id such as "u-17"`,
		`owners.u-3: must be a Hipcall user id (a whole number above 0), got "x"`,
		"owners.u-4: must be a Hipcall user id (a whole number above 0), got 0",
	}
	if r := render(ps); !reflect.DeepEqual(r, want) {
		t.Errorf("problems = %q, want %q", r, want)
	}
}

func render(ps connectors.Problems) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Path+": "+p.Message)
	}
	return out
}
