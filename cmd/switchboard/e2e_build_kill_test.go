package main

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildKillRows is the size of the generated CSV: large enough that its
// first listing takes a good part of a second even on a fast machine, so
// the test sees the build under way and stops the plugin inside it.
const buildKillRows = 400_000

// TestE2EPluginKilledMidFirstBuild SIGKILLs the CSV plugin in the middle of
// the first listing of a large file in index mode (listed-only: the plugin
// streams the file while it scans it). Nothing half-listed is served: rings
// get the default while the index is not built, the supervisor restarts
// the plugin, the build starts again from the first page, and the index
// then holds every row once and routes the file's last row.
func TestE2EPluginKilledMidFirstBuild(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	numbers := writeManagerCSV(t, filepath.Join(dir, "big.csv"), buildKillRows)
	cfg := writeConfig(t, dir, "cfg.yaml", strings.Replace(sampleCSVConfig("index", managerRouting),
		"{{root}}/configs/sample/customers.csv", filepath.Join(dir, "big.csv"), 1))
	h := launchHost(t, cfg)

	// Wait until the build has listed something, then freeze the plugin
	// (SIGSTOP) so that the listing cannot end while the test looks.
	var pid int
	eventually(t, 30*time.Second, func() (bool, string) {
		code, body := h.readyz()
		if code == http.StatusOK {
			t.Fatalf("the first build of %d rows ended before the test could stop the plugin in it; raise buildKillRows", buildKillRows)
		}
		if !strings.Contains(body, "records listed") || strings.Contains(body, "building: 0 records") {
			return false, body
		}
		pids := h.pluginPIDs()
		if len(pids) != 1 {
			return false, fmt.Sprintf("children %v", pids)
		}
		pid = pids[0]
		return syscall.Kill(pid, syscall.SIGSTOP) == nil, "stopping the plugin"
	})
	eventually(t, 5*time.Second, func() (bool, string) {
		st := processState(pid)
		return st == "T", "plugin state " + st
	})
	code, body := h.readyz()
	if code == http.StatusOK || !strings.Contains(body, "records listed") {
		t.Fatalf("with the plugin stopped mid-listing, /readyz = %d %q; want 503 with the build's progress", code, body)
	}
	t.Logf("stopped the plugin mid-listing: %s", strings.TrimSpace(body))

	// A ring while the build cannot go on gets the default at once.
	last := numbers[len(numbers)-1]
	ring := fmt.Sprintf(`{"caller":%q}`, last)
	if code, ext := h.ivr(ring); code != 200 || ext != extDefault {
		t.Errorf("ring during the build: %d %q, want 200 %q", code, ext, extDefault)
	}

	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	eventually(t, 20*time.Second, func() (bool, string) {
		now := h.pluginPIDs()
		return len(now) == 1 && now[0] != pid, fmt.Sprintf("children %v", now)
	})
	h.waitReady(90 * time.Second)
	t.Logf("ready %s after the kill", time.Since(killed).Round(time.Millisecond))

	// Every row's contact once, and the one company they all name.
	if n := h.metric("switchboard_index_records", `source="customers"`); n != buildKillRows+1 {
		t.Errorf("index holds %v records after the rebuild, want %d contacts and 1 company (each once)", n, buildKillRows)
	}
	if h.metric("switchboard_index_build_errors_total", `source="customers"`) < 1 {
		t.Error("the cut listing was not counted as a failed build")
	}
	for _, i := range []int{0, len(numbers) / 2, len(numbers) - 1} {
		if code, ext := h.ivr(fmt.Sprintf(`{"caller":%q}`, numbers[i])); code != 200 || ext != managerExt(i) {
			t.Errorf("row %d (%s) after the rebuild: %d %q, want 200 %q", i, numbers[i], code, ext, managerExt(i))
		}
	}
}

// managerExt is the ManagerExt of generated row i.
func managerExt(i int) string { return fmt.Sprint(2000 + i%5000) }

// writeManagerCSV writes n rows in the sample file's columns, each with a
// distinct London number (every other one written as a national number)
// and a manager extension, and returns the numbers as Hipcall sends them.
func writeManagerCSV(t *testing.T, path string, n int) []string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := csv.NewWriter(f)
	w.Write([]string{"CustomerID", "FirstName", "LastName", "Company", "Phone", "Mobile", "Balance", "ManagerExt", "ManagerPhone"})
	numbers := make([]string, n)
	for i := range n {
		national := fmt.Sprintf("20%08d", 30000000+i)
		numbers[i] = "+44" + national
		stored := numbers[i]
		if i%2 == 1 {
			stored = "0" + national[:2] + " " + national[2:6] + " " + national[6:]
		}
		w.Write([]string{fmt.Sprintf("C%07d", i), "First", fmt.Sprint("Last", i), "Acme", stored, "", "0", managerExt(i), ""})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return numbers
}
