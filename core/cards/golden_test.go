package cards

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

var update = flag.Bool("update", false, "rewrite the .golden files from the current output")

// goldenCase is a testdata/*.yaml file: the templates, what the lookup
// found, and the webhook that triggered the card.
type goldenCase struct {
	Card          specYAML     `yaml:"card"`
	UserRow       *userRowYAML `yaml:"user_row"`
	UnknownCaller *specYAML    `yaml:"unknown_caller"`
	Ambiguous     *specYAML    `yaml:"ambiguous"`
	// Lookup is found, ambiguous or not_found.
	Lookup     string     `yaml:"lookup"`
	Candidates int        `yaml:"candidates"`
	Record     recordYAML `yaml:"record"`
	// Call is the webhook body, as YAML (JSON is YAML).
	Call map[string]any `yaml:"call"`
}

type specYAML struct {
	Title struct {
		Text string `yaml:"text"`
		Link string `yaml:"link"`
	} `yaml:"title"`
	Rows []struct {
		Label string `yaml:"label"`
		Text  string `yaml:"text"`
		Link  string `yaml:"link"`
	} `yaml:"rows"`
}

func (s specYAML) spec() Spec {
	out := Spec{Title: TitleSpec{Text: s.Title.Text, Link: s.Title.Link}}
	for _, r := range s.Rows {
		out.Rows = append(out.Rows, RowSpec{Label: r.Label, Text: r.Text, Link: r.Link})
	}
	return out
}

type userRowYAML struct {
	Label  string           `yaml:"label"`
	Owners map[string]int64 `yaml:"owners"`
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

// goldenOutput is what a .golden file holds.
type goldenOutput struct {
	Kind Kind `json:"kind"`
	// Body is the request body PushCard would send, or null for no card.
	Body     json.RawMessage `json:"body"`
	Problems []string        `json:"problems,omitempty"`
}

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
			got := renderGolden(t, gc, parser)
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./core/cards -run Golden -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", file, golden, got, want)
			}
		})
	}
}

func renderGolden(t *testing.T, gc goldenCase, parser *phone.Parser) []byte {
	t.Helper()
	opts := Options{Card: gc.Card.spec()}
	if gc.UserRow != nil {
		opts.UserRow = &UserRowSpec{Label: gc.UserRow.Label, Owners: gc.UserRow.Owners}
	}
	if gc.UnknownCaller != nil {
		s := gc.UnknownCaller.spec()
		opts.UnknownCaller = &s
	}
	if gc.Ambiguous != nil {
		s := gc.Ambiguous.spec()
		opts.Ambiguous = &s
	}
	b, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	body, err := json.Marshal(gc.Call)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := webhook.Parse(body)
	if err != nil || ev.Call == nil {
		t.Fatalf("call: %v", err)
	}
	n, err := parser.ParseCaller(ev.Call.CustomerNumber())
	if err != nil {
		t.Fatalf("number %q: %v", ev.Call.CustomerNumber(), err)
	}
	res := directory.Result{Query: n, Via: directory.ViaIndex, Source: "customers"}
	switch gc.Lookup {
	case "found":
		m := gc.Record.match(n)
		res.Found, res.Match, res.Matches = true, &m, []connectors.Match{m}
	case "ambiguous":
		res.Ambiguous = true
		for i := range gc.Candidates {
			m := gc.Record.match(n)
			m.Contact.ID += string(rune('a' + i))
			res.Matches = append(res.Matches, m)
		}
	case "not_found":
		res.Via = directory.ViaNone
	default:
		t.Fatalf("lookup %q: want found, ambiguous or not_found", gc.Lookup)
	}
	card := b.Build(res, ev.Call)
	out := goldenOutput{Kind: card.Kind, Problems: card.Problems, Body: json.RawMessage("null")}
	if card.Rows != nil {
		if err := hipcall.ValidateCard(card.Rows); err != nil {
			t.Errorf("the card would be refused: %v", err)
		}
		// Exactly the body PushCard sends.
		raw, err := json.Marshal(map[string][]hipcall.Row{"card": card.Rows})
		if err != nil {
			t.Fatal(err)
		}
		out.Body = raw
	}
	got, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(got, '\n')
}
