package speeddial

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/directory"
)

// fakeDir: order 12345 is Ada's (mobile and office numbers), 55555 is
// held by two records, 777 by a record without a usable number, 999
// hangs until the deadline.
type fakeDir struct{}

func (fakeDir) LookupKey(ctx context.Context, key, value string) directory.Result {
	if key != "order" {
		return directory.Result{Errors: []directory.SourceError{{Source: "x", Err: context.Canceled}}}
	}
	ada := connectors.Match{Kind: connectors.MatchKey, Contact: &connectors.Contact{ID: "C001", FirstName: "Ada",
		Phones: []connectors.Phone{{Raw: "020 4520 5757", Label: "Office"}, {Raw: "07911 123456", Label: "Mobile"}},
		Fields: map[string]any{"courier": "3508"}}}
	switch value {
	case "12345":
		return directory.Result{Found: true, Match: &ada, Matches: []connectors.Match{ada}, Source: "orders"}
	case "55555":
		return directory.Result{Ambiguous: true, Matches: []connectors.Match{ada, ada}}
	case "777":
		m := connectors.Match{Kind: connectors.MatchKey, Contact: &connectors.Contact{ID: "C9", Phones: []connectors.Phone{{Raw: "call me"}}}}
		return directory.Result{Found: true, Match: &m, Matches: []connectors.Match{m}}
	case "999":
		<-ctx.Done()
		return directory.Result{Errors: []directory.SourceError{{Source: "orders", Err: ctx.Err()}}}
	case "500":
		return directory.Result{Errors: []directory.SourceError{{Source: "orders", Err: context.DeadlineExceeded}}}
	}
	return directory.Result{}
}

func newHandler(t *testing.T, change func(*Options)) http.Handler {
	t.Helper()
	p, err := phone.NewParser("GB")
	if err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.Enabled, c.Key, c.Phone, c.Deadline = true, "order", "Mobile", 100_000_000
	o := Options{Config: c, Directory: fakeDir{}, Parser: p}
	if change != nil {
		change(&o)
	}
	m, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return m.Handler
}

func TestSpeedDial(t *testing.T) {
	allowCourier := func(o *Options) {
		o.Env = func(res directory.Result) map[string]any {
			return map[string]any{"record": map[string]any{"fields": res.Match.Contact.Fields}}
		}
		o.Allow = func(env map[string]any) (bool, error) {
			fields := env["record"].(map[string]any)["fields"].(map[string]any)
			return fields["courier"] == "3508" && env["user_id"] == int64(3508), nil
		}
	}
	for _, tc := range []struct {
		name   string
		change func(*Options)
		body   string
		status int
		want   string // destination, or a fragment of the error
	}{
		{"a known code: the mobile", nil, `{"number":"12345","user_id":3508,"uuid":"u","speed_dial_id":5,"timestamp":1774611216}`, 200, "447911123456"},
		{"the first E.164 number without a label", func(o *Options) { o.Config.Phone = "" }, `{"number":"12345","user_id":1}`, 200, "442045205757"},
		{"a code as a JSON number", nil, `{"number":12345,"user_id":"3508"}`, 200, "447911123456"},
		{"an unknown code", nil, `{"number":"424242","user_id":3508}`, 404, "no record has this code"},
		{"a code held by two records", nil, `{"number":"55555","user_id":3508}`, 404, "matches 2 records"},
		{"a record without a usable number", nil, `{"number":"777","user_id":3508}`, 404, "no number that reads as E.164"},
		{"letters in the code", nil, `{"number":"12a45","user_id":3508}`, 400, "must be 1 to 20 digits"},
		{"too long", nil, `{"number":"` + strings.Repeat("1", 21) + `"}`, 400, "must be 1 to 20 digits"},
		{"no number", nil, `{"user_id":3508}`, 400, "is missing"},
		{"not JSON", nil, `{"number":`, 400, "not valid JSON"},
		{"not an object", nil, `[1]`, 400, "not a JSON object"},
		{"a duplicate key", nil, `{"number":"12345","Number":"777"}`, 400, "twice"},
		{"the CRM cannot be asked", nil, `{"number":"500"}`, 503, "try again"},
		{"allowed for its courier", allowCourier, `{"number":"12345","user_id":3508}`, 200, "447911123456"},
		{"refused for another user", allowCourier, `{"number":"12345","user_id":4000}`, 403, "may not call this code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHandler(t, tc.change)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/hipcall/speed-dial", strings.NewReader(tc.body)))
			var out map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatalf("answer %s is not JSON", rec.Body.String())
			}
			got := out["destination"]
			if tc.status != 200 {
				got = out["error"]
			}
			if rec.Code != tc.status || !strings.Contains(got, tc.want) || (tc.status == 200 && got != tc.want) {
				t.Errorf("%d %s, want %d %q", rec.Code, rec.Body.String(), tc.status, tc.want)
			}
		})
	}
}

func TestDeadline(t *testing.T) {
	h := newHandler(t, func(o *Options) { o.Config.Deadline = 20_000_000 })
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(`{"number":"999"}`)))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "in time") {
		t.Errorf("past the deadline: %d %s", rec.Code, rec.Body.String())
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{"+447700900123": "+44*******123", "905061234567": "90*******567", "+1234": "+****", "": ""} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}
