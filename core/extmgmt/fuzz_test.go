package extmgmt

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzRequest: whatever Hipcall (or anyone) sends, the endpoint answers
// 200 with a valid seq ending in connect, gather or hangup, and a
// question's variable reads back as its position.
func FuzzRequest(f *testing.F) {
	for _, s := range []string{
		req(ada, "u1", nil), req(ada, "u1", map[string]string{"ask_pin__1": adaPIN}), req(stranger, "u2", map[string]string{"ask_account__2": "1"}),
		`{"caller":"x","data":{"ask_pin__1":1234}}`, `{"caller":1,"data":null,"call_flow":null}`, `{"caller":"a","data":{"a__9":"1"}}`,
		`{"CALLER":"` + ada + `","Data":{"ask_pin__1":"1234"}}`, `null`, `{"caller":"` + ada + `","caller":"x"}`,
	} {
		f.Add(s)
	}
	fx := &fixture{dir: &fakeDir{}}
	cfg := pinFlow()
	flow, ps := Compile(cfg, fx.dir, fakeRules{}, []string{"account", "crm_id", "pin"})
	if len(ps) > 0 {
		f.Fatal(ps)
	}
	m, err := New(Options{Config: cfg, Flow: flow})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		if strings.Contains(body, slowCaller) {
			return // waits for the deadline
		}
		rec := httptest.NewRecorder()
		m.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(body)))
		var ans answerBody
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &ans) != nil || ans.Version != "1" || len(ans.Seq) == 0 {
			t.Fatalf("%q: %d %s", body, rec.Code, rec.Body.String())
		}
		switch last := ans.Seq[len(ans.Seq)-1]; last.Action {
		case "connect", "hangup":
		case "gather":
			name, _ := last.Args["variable_name"].(string)
			if step, try, ok := position(name); !ok || variable(step, try) != name {
				t.Fatalf("%q: gather variable %q does not read back", body, name)
			}
		default:
			t.Fatalf("%q: the seq ends with %s", body, last.Action)
		}
	})
}
