package connectortest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/example"
)

// brokenEnv names the variant TestBrokenConnectorChild runs the suite on.
const brokenEnv = "CONNECTORTEST_BROKEN"

// broken is the example connector with one bug (or none), chosen by name.
type broken struct {
	connectors.Connector
	bug string

	mu      sync.Mutex
	stalled chan struct{} // non-nil while the backend "hangs"
}

// stall makes LookupByPhone and the List calls wait until release.
func (b *broken) stall() (release func()) {
	ch := make(chan struct{})
	b.mu.Lock()
	b.stalled = ch
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		b.stalled = nil
		b.mu.Unlock()
		close(ch)
	}
}

// wait blocks while the backend is stalled: until released, or until ctx
// ends unless the bug is to ignore it.
func (b *broken) wait(ctx context.Context) error {
	b.mu.Lock()
	ch := b.stalled
	b.mu.Unlock()
	if ch == nil {
		return nil
	}
	if b.bug == "ignores_context" {
		<-ch
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *broken) Describe(ctx context.Context, req *connectors.DescribeRequest) (*connectors.DescribeResponse, error) {
	d, err := b.Connector.Describe(ctx, req)
	if err == nil && b.bug == "protocol" {
		d.ProtocolVersion = connectors.ProtocolVersion + 1
	}
	return d, err
}

func (b *broken) Configure(ctx context.Context, req *connectors.ConfigureRequest) (*connectors.ConfigureResponse, error) {
	resp, err := b.Connector.Configure(ctx, req)
	if err == nil && b.bug == "lax_config" {
		resp.Problems = nil
	}
	return resp, err
}

func (b *broken) LookupByPhone(ctx context.Context, req *connectors.LookupRequest) (*connectors.LookupResponse, error) {
	if err := b.wait(ctx); err != nil {
		return nil, err
	}
	switch b.bug {
	case "panic":
		panic("boom")
	case "ignores_limit":
		req.Limit = 0
	}
	resp, err := b.Connector.LookupByPhone(ctx, req)
	if err == nil && b.bug == "national_kind" {
		for i := range resp.Matches {
			resp.Matches[i].Kind = connectors.MatchNational
		}
	}
	return resp, err
}

func (b *broken) ListContacts(ctx context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	if err := b.wait(ctx); err != nil {
		return nil, err
	}
	switch b.bug {
	case "accepts_any_cursor":
		if strings.HasPrefix(req.Cursor, "!!") {
			req.Cursor = ""
		}
	case "ignores_changed_since":
		req.ChangedSince = req.ChangedSince.AddDate(-100, 0, 0)
	}
	resp, err := b.Connector.ListContacts(ctx, req)
	if err == nil && b.bug == "gap" && resp.NextCursor != "" && len(resp.Contacts) > 1 {
		resp.Contacts = resp.Contacts[:len(resp.Contacts)-1]
	}
	return resp, err
}

func (b *broken) ListCompanies(ctx context.Context, req *connectors.ListRequest) (*connectors.ListCompaniesResponse, error) {
	if err := b.wait(ctx); err != nil {
		return nil, err
	}
	return b.Connector.ListCompanies(ctx, req)
}

// suiteFor is the example connector's suite with the bug; one connector
// value serves every New call so that Stall can reach the one in use.
// Only the check that must catch the bug runs, to keep the test fast.
func suiteFor(bug string) Suite {
	var (
		mu      sync.Mutex
		current *broken
	)
	return Suite{
		New: func() connectors.Connector {
			mu.Lock()
			defer mu.Unlock()
			current = &broken{Connector: example.New(nil), bug: bug}
			return current
		},
		Fixture:    exampleFixture,
		BadConfigs: []BadConfig{{Name: "missing_path", Config: []byte("{}\n"), Path: "path"}},
		Stall: func(t testing.TB, _ []byte) func() {
			mu.Lock()
			defer mu.Unlock()
			return current.stall()
		},
		only: checkFor[bug],
	}
}

// checkFor names the check that must catch each bug. Without a bug only
// the stalled-backend check runs, as a control: connectors/example's own
// test runs the whole suite on the correct connector.
var checkFor = map[string]string{
	"":                      "deadlines",
	"protocol":              "describe",
	"lax_config":            "config",
	"panic":                 "lookup",
	"ignores_limit":         "lookup",
	"national_kind":         "lookup",
	"gap":                   "list",
	"accepts_any_cursor":    "list",
	"ignores_changed_since": "changed_since",
	"ignores_context":       "deadlines",
}

// TestSuiteFindsBugs runs the suite, in a child process, against the
// example connector with one bug each, and checks that it fails saying
// what is wrong; and once without a bug, to show that a connector that
// honours its context passes the stalled-backend check.
func TestSuiteFindsBugs(t *testing.T) {
	tests := []struct {
		bug  string
		want string // "" = the suite passes
	}{
		{"", ""},
		{"protocol", "protocol version 3, want 2"},
		{"lax_config", `want one at path "conformance_unknown_key"`},
		{"panic", "plugin_bug"},
		{"ignores_limit", "2 matches; want 1"},
		{"national_kind", `kind "national"; want "exact"`},
		{"gap", "missing (a gap in paging?)"},
		{"accepts_any_cursor", "with a cursor it never issued"},
		{"ignores_changed_since", "changed since"},
		{"ignores_context", "still running the call"},
	}
	for _, tt := range tests {
		name := tt.bug
		if name == "" {
			name = "none"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenConnectorChild$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), brokenEnv+"="+name)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("the suite failed the correct connector: %v\n%s", err, tail(out))
			case tt.want == "":
				return
			case err == nil:
				t.Fatalf("the suite passed a connector with the bug %q:\n%s", tt.bug, tail(out))
			case !errors.As(err, &exit):
				t.Fatalf("run the child: %v", err)
			case !strings.Contains(string(out), tt.want):
				t.Errorf("the suite failed, but without saying %q:\n%s", tt.want, tail(out))
			}
		})
	}
}

// TestBrokenConnectorChild is TestSuiteFindsBugs's child: it runs the
// suite on the variant named in the environment, and is skipped otherwise.
func TestBrokenConnectorChild(t *testing.T) {
	bug, ok := os.LookupEnv(brokenEnv)
	if !ok {
		t.Skip("run by TestSuiteFindsBugs")
	}
	if bug == "none" {
		bug = ""
	}
	Run(t, suiteFor(bug))
}

// tail keeps the suite's own lines of a child's output (not go-plugin's
// debug log).
func tail(out []byte) string {
	var keep []string
	for _, l := range strings.Split(string(out), "\n") {
		if !strings.Contains(l, "[DEBUG]") && strings.TrimSpace(l) != "" {
			keep = append(keep, l)
		}
	}
	if len(keep) > 80 {
		keep = keep[len(keep)-80:]
	}
	return strings.Join(keep, "\n")
}

// exampleFixture writes the records as the example connector's JSON file
// (as connectors/example's own test does).
func exampleFixture(t testing.TB, data *Records) []byte {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"companies": data.Companies, "contacts": data.Contacts})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "crm.json")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return []byte(fmt.Sprintf("path: %q\n", path))
}
