package hipcall

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateCardRows(t *testing.T) {
	str := func(s string) *string { return &s }
	id := int64(7)
	tests := []struct {
		name    string
		rows    []Row
		problem string // substring of the only problem; "" for valid
	}{
		{"title", []Row{Title("Acme Ltd")}, ""},
		{"title with link", []Row{Title("Acme Ltd").WithLink("https://crm/acme")}, ""},
		{"shortText full", []Row{ShortText("Owner", "Jane").WithLink("https://x").WithApps("app://i", "app://a")}, ""},
		{"shortText without label", []Row{ShortText("", "Jane")}, ""},
		{"user", []Row{User("Owner", 7)}, ""},
		{"all three", []Row{Title("A"), ShortText("L", "T"), User("U", 1)}, ""},
		{"empty card", nil, "card: must have at least one row"},
		{"unknown type", []Row{{Type: "image", Text: str("x")}}, `card[0].type: unknown row type "image"`},
		{"missing type", []Row{{Text: str("x")}}, "card[0].type: can't be blank"},
		{"title without text", []Row{{Type: RowTitle}}, "card[0].text: can't be blank"},
		{"title blank text", []Row{Title("  ")}, "card[0].text: can't be blank"},
		{"title with label", []Row{{Type: RowTitle, Text: str("A"), Label: str("L")}}, "card[0].label: unexpected key for a title row"},
		{"title with apps", []Row{Title("A").WithApps("i", "")}, "card[0].ios: unexpected key for a title row"},
		{"shortText without text", []Row{{Type: RowShortText, Label: str("L")}}, "card[0].text: can't be blank"},
		{"shortText with user_id", []Row{{Type: RowShortText, Text: str("T"), UserID: &id}}, "card[0].user_id: unexpected key for a shortText row"},
		{"user without label", []Row{{Type: RowUser, UserID: &id}}, "card[0].label: can't be blank"},
		{"user without user_id", []Row{{Type: RowUser, Label: str("L")}}, "card[0].user_id: can't be blank"},
		{"user with text", []Row{{Type: RowUser, Label: str("L"), UserID: &id, Text: str("T")}}, "card[0].text: unexpected key for a user row"},
		{"user with link", []Row{User("L", 1).WithLink("https://x")}, "card[0].link: unexpected key for a user row"},
		{"second row bad", []Row{Title("A"), {Type: RowUser}}, "card[1].label: can't be blank"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateCard(tt.rows)
			if tt.problem == "" {
				if err != nil {
					t.Fatalf("ValidateCard: %v, want nil", err)
				}
				return
			}
			var ce *CardError
			if !errors.As(err, &ce) {
				t.Fatalf("ValidateCard = %v, want a *CardError", err)
			}
			if !containsProblem(ce.Problems, tt.problem) {
				t.Errorf("problems %q do not include %q", ce.Problems, tt.problem)
			}
		})
	}
}

func TestValidateCardJSON(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		problems []string // substrings, all expected; none for valid
	}{
		{"title", `{"card":[{"type":"title","text":"A","link":"https://x"}]}`, nil},
		{"optional key null is fine", `{"card":[{"type":"title","text":"A","link":null}]}`, nil},
		{"shortText every key", `{"card":[{"type":"shortText","text":"T","label":"L","link":"l","ios":"i","android":"a"}]}`, nil},
		{"user", `{"card":[{"type":"user","label":"Owner","user_id":12}]}`, nil},
		{"extra key null on title", `{"card":[{"type":"title","text":"A","label":null}]}`, []string{"card[0].label: unexpected key"}},
		{"extra key null on shortText", `{"card":[{"type":"shortText","text":"A","user_id":null}]}`, []string{"card[0].user_id: unexpected key"}},
		{"extra key null on user", `{"card":[{"type":"user","label":"L","user_id":1,"link":null}]}`, []string{"card[0].link: unexpected key"}},
		{"made-up key", `{"card":[{"type":"title","text":"A","color":"red"}]}`, []string{"card[0].color: unexpected key"}},
		{"required null", `{"card":[{"type":"user","label":null,"user_id":null}]}`, []string{"card[0].label: can't be blank", "card[0].user_id: can't be blank"}},
		{"user_id not integer", `{"card":[{"type":"user","label":"L","user_id":"12"}]}`, []string{"card[0].user_id: must be an integer"}},
		{"user_id fraction", `{"card":[{"type":"user","label":"L","user_id":1.5}]}`, []string{"card[0].user_id: must be an integer"}},
		{"text not string", `{"card":[{"type":"title","text":5}]}`, []string{"card[0].text: must be a string"}},
		{"type not string", `{"card":[{"type":1}]}`, []string{"card[0].type: is invalid"}},
		{"row not object", `{"card":["title"]}`, []string{"card[0]: must be an object"}},
		{"card missing", `{}`, []string{"card: can't be blank"}},
		{"card not list", `{"card":{"type":"title"}}`, []string{"card: must be a list of rows"}},
		{"card empty", `{"card":[]}`, []string{"card: must have at least one row"}},
		{"extra top-level key", `{"card":[{"type":"title","text":"A"}],"call":"x"}`, []string{"call: unexpected field"}},
		{"not an object", `[1]`, []string{"body: must be a JSON object"}},
		{"several rows, several problems", `{"card":[{"type":"title"},{"type":"x"}]}`, []string{"card[0].text: can't be blank", `card[1].type: unknown row type "x"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateCardJSON([]byte(tt.body))
			if len(tt.problems) == 0 {
				if err != nil {
					t.Fatalf("ValidateCardJSON: %v, want nil", err)
				}
				return
			}
			var ce *CardError
			if !errors.As(err, &ce) {
				t.Fatalf("ValidateCardJSON = %v, want a *CardError", err)
			}
			if len(ce.Problems) != len(tt.problems) {
				t.Errorf("got %d problems %q, want %d", len(ce.Problems), ce.Problems, len(tt.problems))
			}
			for _, p := range tt.problems {
				if !containsProblem(ce.Problems, p) {
					t.Errorf("problems %q do not include %q", ce.Problems, p)
				}
			}
		})
	}
}

func TestRowMarshalsOnlySetKeys(t *testing.T) {
	tests := []struct {
		row  Row
		want string
	}{
		{Title("A"), `{"type":"title","text":"A"}`},
		{Title("A").WithLink("l"), `{"type":"title","text":"A","link":"l"}`},
		{ShortText("L", "T").WithApps("i", "a"), `{"type":"shortText","text":"T","label":"L","ios":"i","android":"a"}`},
		{User("Owner", 9), `{"type":"user","label":"Owner","user_id":9}`},
	}
	for _, tt := range tests {
		got, err := jsonMarshal(tt.row)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("marshal %+v = %s, want %s", tt.row, got, tt.want)
		}
	}
}

func containsProblem(problems []string, want string) bool {
	for _, p := range problems {
		if strings.Contains(p, want) {
			return true
		}
	}
	return false
}
