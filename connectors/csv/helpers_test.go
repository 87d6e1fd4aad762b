package csv

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
)

// logBuffer collects log output; safe for the poller goroutine.
type logBuffer struct {
	connectortest.SyncBuffer
}

// lines returns the logged lines that contain substr.
func (b *logBuffer) lines(substr string) []string {
	var out []string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}

// harness is a connector under test with its directory and log.
type harness struct {
	t   *testing.T
	c   *Connector
	dir string
	log *logBuffer
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	logs := &logBuffer{}
	logger := hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Debug, DisableTime: true})
	h := &harness{t: t, c: newConnector(logger), dir: t.TempDir(), log: logs}
	t.Cleanup(h.c.Close)
	return h
}

// write writes a file in the harness directory.
func (h *harness) write(name string, data []byte) string {
	h.t.Helper()
	path := filepath.Join(h.dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		h.t.Fatal(err)
	}
	return path
}

// rewrite replaces a file atomically (write + rename), as editors and
// exports do, so that the poller never reads half a file.
func (h *harness) rewrite(name string, data []byte) {
	h.t.Helper()
	tmp := h.write(name+".tmp", data)
	if err := os.Rename(tmp, filepath.Join(h.dir, name)); err != nil {
		h.t.Fatal(err)
	}
}

// configure runs Configure with the block and region GB.
func (h *harness) configure(block string) (*connectors.ConfigureResponse, error) {
	h.t.Helper()
	return h.c.Configure(context.Background(), &connectors.ConfigureRequest{
		Config: []byte(block), DefaultRegion: "GB", BaseDir: h.dir,
	})
}

// mustConfigure runs Configure and fails the test on any problem.
func (h *harness) mustConfigure(block string) {
	h.t.Helper()
	resp, err := h.configure(block)
	if err != nil {
		h.t.Fatalf("Configure: %v", err)
	}
	if len(resp.Problems) > 0 {
		h.t.Fatalf("Configure problems: %+v", resp.Problems)
	}
}

// allContacts pages through every contact with the given page size.
func (h *harness) allContacts(pageSize int, since time.Time) []connectors.Contact {
	h.t.Helper()
	var out []connectors.Contact
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10000 {
			h.t.Fatal("paging does not end")
		}
		resp, err := h.c.ListContacts(context.Background(), &connectors.ListRequest{Cursor: cursor, PageSize: pageSize, ChangedSince: since})
		if err != nil {
			h.t.Fatalf("ListContacts: %v", err)
		}
		out = append(out, resp.Contacts...)
		if resp.NextCursor == "" {
			return out
		}
		cursor = resp.NextCursor
	}
}

// lookup looks a number up by E164 and National.
func (h *harness) lookup(e164, national string) []connectors.Match {
	h.t.Helper()
	resp, err := h.c.LookupByPhone(context.Background(), &connectors.LookupRequest{E164: e164, National: national})
	if err != nil {
		h.t.Fatalf("LookupByPhone(%s, %s): %v", e164, national, err)
	}
	return resp.Matches
}

// ids lists the IDs of contacts.
func ids(cs []connectors.Contact) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// matchIDs lists "id/kind" for matches.
func matchIDs(ms []connectors.Match) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Contact.ID + "/" + string(m.Kind)
	}
	return out
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	connectortest.Eventually(t, 10*time.Second, what, cond)
}

// block builds a config block for file name with the standard columns.
func block(name string, extra ...string) string {
	b := "path: " + name + "\nreload_interval: 0\n" + `columns:
  id: CustomerID
  first_name: FirstName
  last_name: LastName
  company: Company
  company_id: CompanyID
  phones: [Phone, Mobile]
  emails: [Email]
  owner: Owner
`
	for _, e := range extra {
		b += e + "\n"
	}
	return b
}

const stdHeader = "CustomerID,FirstName,LastName,Company,CompanyID,Phone,Mobile,Email,Owner\n"

// zeroTime is "no ChangedSince".
var zeroTime time.Time

// removeFile deletes a file.
func removeFile(path string) error { return os.Remove(path) }
