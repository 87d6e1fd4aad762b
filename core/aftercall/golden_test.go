package aftercall

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

// goldenCase is a testdata/*.yaml file: the section, the clock, what the
// lookup found, and the call_hangup that ended the call.
type goldenCase struct {
	AfterCall Config `yaml:"after_call"`
	// Now is the planning clock; UTCOffsetHours the zone templates see.
	Now            time.Time        `yaml:"now"`
	UTCOffsetHours int              `yaml:"utc_offset_hours"`
	Owners         map[string]int64 `yaml:"owners"`
	Links          struct {
		ContactID int64 `yaml:"contact_id"`
		CompanyID int64 `yaml:"company_id"`
	} `yaml:"links"`
	// Lookup is found, ambiguous or not_found.
	Lookup string     `yaml:"lookup"`
	Record recordYAML `yaml:"record"`
	// Call is the webhook's data object, as YAML (JSON is YAML).
	Call map[string]any `yaml:"call"`
}

type recordYAML struct {
	Type      string         `yaml:"type"`
	ID        string         `yaml:"id"`
	FirstName string         `yaml:"first_name"`
	LastName  string         `yaml:"last_name"`
	Company   string         `yaml:"company"`
	CompanyID string         `yaml:"company_id"`
	Owner     string         `yaml:"owner"`
	Emails    []string       `yaml:"emails"`
	Fields    map[string]any `yaml:"fields"`
}

// match is the record as a connector delivers it: numbers are float64.
func (r recordYAML) match(n phone.Number) connectors.Match {
	fields := map[string]any{}
	for k, v := range r.Fields {
		if i, ok := v.(int); ok {
			v = float64(i)
		}
		fields[k] = v
	}
	p := connectors.Phone{Raw: n.Raw, E164: n.E164}
	if r.Type == "company" {
		return connectors.Match{Kind: connectors.MatchExact, Phone: p, Company: &connectors.Company{
			ID: r.ID, Name: r.Company, OwnerID: r.Owner, Emails: r.Emails, Phones: []connectors.Phone{p}, Fields: fields}}
	}
	return connectors.Match{Kind: connectors.MatchExact, Phone: p, Contact: &connectors.Contact{
		ID: r.ID, FirstName: r.FirstName, LastName: r.LastName, CompanyName: r.Company, CompanyID: r.CompanyID,
		OwnerID: r.Owner, Emails: r.Emails, Phones: []connectors.Phone{p}, Fields: fields}}
}

// goldenEval is one action's outcome in a .golden file.
type goldenEval struct {
	Action  string       `json:"action"`
	Kind    Kind         `json:"kind"`
	Matched bool         `json:"matched"`
	Skipped string       `json:"skipped,omitempty"`
	Error   string       `json:"error,omitempty"`
	Steps   []goldenStep `json:"steps,omitempty"`
}

type goldenStep struct {
	Key  string `json:"key"`
	Step Step   `json:"step"`
}

// TestGolden plans each testdata/*.yaml case and compares the rendered
// steps with its .golden file (go test -run TestGolden -update rewrites
// them).
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	parser, err := phone.NewParser("GB")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var gc goldenCase
			dec := yaml.NewDecoder(bytes.NewReader(raw))
			dec.KnownFields(true)
			if err := dec.Decode(&gc); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			got := planGolden(t, gc, parser)
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./core/aftercall -run TestGolden -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", file, golden, got, want)
			}
		})
	}
}

func planGolden(t *testing.T, gc goldenCase, parser *phone.Parser) []byte {
	t.Helper()
	a, err := New(gc.AfterCall, Options{
		Owners:   gc.Owners,
		Now:      fixedClock(gc.Now),
		Location: time.FixedZone("case", gc.UTCOffsetHours*3600),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	body, err := json.Marshal(map[string]any{"event": "call_hangup", "data": gc.Call})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := webhook.Parse(body)
	if err != nil || ev.Call == nil {
		t.Fatalf("call: %v", err)
	}
	var res directory.Result
	if number := ev.Call.CustomerNumber(); number != "" {
		n, err := parser.ParseCaller(number)
		if err != nil {
			t.Fatalf("number %q: %v", number, err)
		}
		res = directory.Result{Query: n, Via: directory.ViaIndex, Source: "crm"}
		switch gc.Lookup {
		case "found":
			m := gc.Record.match(n)
			res.Found, res.Match, res.Matches = true, &m, []connectors.Match{m}
		case "ambiguous":
			m := gc.Record.match(n)
			other := gc.Record.match(n)
			other.Contact.ID += "-2"
			res.Ambiguous, res.Matches = true, []connectors.Match{m, other}
		case "not_found":
			res.Via = directory.ViaNone
		default:
			t.Fatalf("lookup %q: want found, ambiguous or not_found", gc.Lookup)
		}
	}
	var out []goldenEval
	for _, ev := range a.Explain(ev.Call, res, Links{ContactID: gc.Links.ContactID, CompanyID: gc.Links.CompanyID}) {
		ge := goldenEval{Action: ev.Action, Kind: ev.Kind, Matched: ev.Matched, Skipped: ev.Skipped}
		if ev.Err != nil {
			ge.Error = ev.Err.Error()
		}
		for _, s := range ev.Steps {
			ge.Steps = append(ge.Steps, goldenStep{Key: s.Key(), Step: s})
		}
		out = append(out, ge)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
