package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/smartivr"
)

// TestRoutingHolidaysLocated loads routing.holidays from a file, a holiday
// file relative to it included, and places the problems routing.New finds
// with the lists and the time helpers at their file:line:col.
func TestRoutingHolidaysLocated(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "holidays"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "holidays", "office.txt"),
		[]byte("# office closures\n2026-08-14\n2026-08-31  # trailing comment\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const doc = `phone: {default_region: TR}
routing:
  default: {hipcall: "100"}
  holidays:
    tr: ["2026-01-01", "2026-02-30"]
    office:
      file: holidays/office.txt
    lost:
      file: holidays/lost.txt
  rules:
    - name: closed
      when: 'holiday("office", "Europe/Istanbul") || !in_hours("Mon-Fry 09:00-18:00", "Europe/Istanbul")'
      to: {hipcall: "900"}
    - name: typo
      when: holiday("tr", "Europe/Istanbl") || holiday("trr")
      to: {hipcall: "901"}
`
	path := filepath.Join(dir, "switchboard.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got, want := cfg.Routing.Holidays["office"].File, filepath.Join(dir, "holidays", "office.txt"); got != want {
		t.Errorf("holidays.office.file = %q, want %q (relative to the configuration file)", got, want)
	}
	if got := cfg.Routing.Holidays["tr"].Dates; len(got) != 2 || got[1] != "2026-02-30" {
		t.Errorf("holidays.tr (a bare list) = %q, want its dates", got)
	}

	_, err = routing.New(routing.Options{Config: cfg.Routing, Targets: []routing.Target{smartivr.Target()}})
	var ps connectors.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("routing.New = %v, want problems", err)
	}
	var lines []string
	for _, p := range cfg.Locate("routing", ps) {
		lines = append(lines, strings.TrimPrefix(p.String(), dir+string(filepath.Separator)))
	}
	got := strings.Join(lines, "\n")
	for _, want := range []string{
		`switchboard.yaml:5:24: routing.holidays.tr.dates[1] "2026-02-30" is not a date`,
		`switchboard.yaml:9:13: routing.holidays.lost.file: cannot read the holiday file`,
		`switchboard.yaml:12:13: routing.rules[0].when: in_hours: unknown day "Fry": write Mon, Tue, Wed, Thu, Fri, Sat or Sun (1:56)`,
		`switchboard.yaml:15:13: routing.rules[1].when: holiday: unknown time zone "Europe/Istanbl": write an IANA zone name such as "Europe/Istanbul", or "" for the host's zone (1:15)`,
		`switchboard.yaml:15:13: routing.rules[1].when: holiday: no holiday list "trr" in routing.holidays (known: lost, office, tr) (1:44)`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if len(lines) != 5 {
		t.Errorf("got %d problems, want 5:\n%s", len(lines), got)
	}
}
