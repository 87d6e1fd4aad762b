package main

// Benchmarks of the CSV connector as the host uses it: the real plugin
// binary, launched and called through plugins/manager over gRPC. `make
// bench` runs them:
//
//	go test -run '^$' -bench CSVFreshness1M -benchtime=10x ./cmd/switchboard-connector-csv

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/switchboard-hq/switchboard/cmd/internal/pluginbench"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pluginbench.RemoveBuilds()
	os.Exit(code)
}

const rows = 1_000_000

// row is the i-th synthetic contact's line, its number n (national).
func row(i int, n string) string {
	return fmt.Sprintf("%d,First%d,Last%d,Company %d,CO-%d,%s,c%d@example.com\n", i, i, i, i/10, i/10, n, i)
}

// national is pluginbench.Number(i) in national form, as a CRM export
// writes it.
func national(i int) string {
	n := pluginbench.Number(i)
	return "0" + n[3:7] + " " + n[7:]
}

const blockTemplate = `path: %q
reload_interval: 1s
columns:
  id: id
  first_name: first_name
  last_name: last_name
  company: company
  company_id: company_id
  phones: [phone]
  emails: [email]
`

// BenchmarkCSVFreshness1M is the time from an edit of a 1,000,000-row CSV
// file (one contact's number changed in place, the file replaced by a
// rename as an export does) to the host's index answering the new number:
// the real plugin with reload_interval: 1s, a directory in mode index
// polling it every second (pluginbench.Freshness).
func BenchmarkCSVFreshness1M(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "contacts.csv")
	var buf bytes.Buffer
	buf.WriteString("id,first_name,last_name,company,company_id,phone,email\n")
	offsets := make([]int, rows+2) // where row i starts
	for i := 1; i <= rows; i++ {
		offsets[i] = buf.Len()
		buf.WriteString(row(i, national(i)))
	}
	offsets[rows+1] = buf.Len()
	data := buf.Bytes()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	c := pluginbench.StartPlugin(b, ".", "csv", []byte(fmt.Sprintf(blockTemplate, path)))
	pluginbench.Freshness(b, c, func(op int) string {
		i := 1 + op*7919%rows // spread over the file
		number := fmt.Sprintf("+4478%08d", i)
		next := make([]byte, 0, len(data)+8)
		next = append(next, data[:offsets[i]]...)
		next = append(next, row(i, "0"+number[3:7]+" "+number[7:])...)
		next = append(next, data[offsets[i+1]:]...)
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, next, 0o644); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			b.Fatal(err)
		}
		return number
	})
}
