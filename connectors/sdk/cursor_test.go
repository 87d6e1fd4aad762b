package sdk_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/sdk"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		name  string
		after int64
		state string
	}{
		{"zero", 0, ""},
		{"positive", 42, ""},
		{"negative", -7, ""},
		{"max", 1<<63 - 1, ""},
		{"min", -1 << 63, ""},
		{"state", 9, "since=2024-03-01T09:00:00Z"},
	} {
		t.Run("int64/"+tt.name, func(t *testing.T) {
			pos, err := sdk.DecodeCursor[int64]("ListContacts", sdk.EncodeCursor(tt.after, tt.state))
			if err != nil || pos.First || pos.After != tt.after || pos.State != tt.state {
				t.Errorf("got %+v, %v; want After %d State %q", pos, err, tt.after, tt.state)
			}
		})
	}
	for _, after := range []string{"", "1001", "a/b c", "Ünïcödé", `{"v":1}`} {
		t.Run("string/"+after, func(t *testing.T) {
			cur := sdk.EncodeCursor(after, "x")
			if strings.ContainsAny(cur, "+/=") {
				t.Errorf("cursor %q is not URL-safe", cur)
			}
			pos, err := sdk.DecodeCursor[string]("ListContacts", cur)
			if err != nil || pos.First || pos.After != after || pos.State != "x" {
				t.Errorf("got %+v, %v; want After %q", pos, err, after)
			}
		})
	}
}

func TestCursorFirstPage(t *testing.T) {
	pos, err := sdk.DecodeCursor[int64]("ListContacts", "")
	if err != nil || !pos.First || pos.After != 0 || pos.State != "" {
		t.Errorf("empty cursor: got %+v, %v; want the first page", pos, err)
	}
}

func TestCursorRejected(t *testing.T) {
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, tt := range []struct {
		name, cursor, why string
	}{
		{"garbage", "!!not-a-cursor!!", "not one this connector issued"},
		{"padded base64", base64.URLEncoding.EncodeToString([]byte(`{"v":1,"i":1}`)), "not one this connector issued"},
		{"not JSON", b64("1001"), "not one this connector issued"},
		{"unknown field", b64(`{"v":1,"i":1,"y":2}`), "not one this connector issued"},
		{"trailing data", b64(`{"v":1,"i":1}{}`), "not one this connector issued"},
		{"other version", b64(`{"v":2,"i":1}`), "cursor format 2"},
		{"no key", b64(`{"v":1}`), "does not hold an integer key"},
		{"text key", sdk.EncodeCursor("42", ""), "does not hold an integer key"},
		{"both keys", b64(`{"v":1,"i":1,"s":"1"}`), "does not hold an integer key"},
		{"fraction", b64(`{"v":1,"i":1.5}`), "not one this connector issued"},
		{"too big", b64(`{"v":1,"i":9223372036854775808}`), "not one this connector issued"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sdk.DecodeCursor[int64]("ListContacts", tt.cursor)
			if connectors.ClassOf(err) != connectors.ClassInvalidRequest || !strings.Contains(err.Error(), tt.why) ||
				!strings.Contains(err.Error(), "ListContacts") || !strings.Contains(err.Error(), "start over") {
				t.Errorf("got %v; want an invalid_request error of ListContacts saying %q", err, tt.why)
			}
		})
	}
	if _, err := sdk.DecodeCursor[string]("ListCompanies", sdk.EncodeCursor(int64(42), "")); connectors.ClassOf(err) != connectors.ClassInvalidRequest ||
		!strings.Contains(err.Error(), "does not hold a text key") {
		t.Errorf("integer cursor as text: got %v", err)
	}
}

func TestPageSize(t *testing.T) {
	for _, tt := range []struct{ asked, want int }{{0, sdk.DefaultPageSize}, {-3, sdk.DefaultPageSize}, {1, 1}, {500, 500}, {5000, sdk.MaxPageSize}} {
		if got := sdk.PageSize(&connectors.ListRequest{PageSize: tt.asked}); got != tt.want {
			t.Errorf("PageSize(%d) = %d; want %d", tt.asked, got, tt.want)
		}
	}
}

func TestNextPage(t *testing.T) {
	id := func(n int64) int64 { return n }
	for _, tt := range []struct {
		name     string
		rows     []int64
		size     int
		want     []int64
		wantNext bool
	}{
		{"empty", nil, 2, nil, false},
		{"short", []int64{1}, 2, []int64{1}, false},
		{"exactly full", []int64{1, 2}, 2, []int64{1, 2}, false},
		{"one more", []int64{1, 2, 3}, 2, []int64{1, 2}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			page, next := sdk.NextPage(tt.rows, tt.size, id, "s")
			if len(page) != len(tt.want) || (next != "") != tt.wantNext {
				t.Fatalf("got %v, %q; want %v, a cursor: %v", page, next, tt.want, tt.wantNext)
			}
			if next != "" {
				pos, err := sdk.DecodeCursor[int64]("ListContacts", next)
				if err != nil || pos.After != page[len(page)-1] || pos.State != "s" {
					t.Errorf("next cursor decodes to %+v, %v; want After %d", pos, err, page[len(page)-1])
				}
			}
		})
	}
}

func TestPage(t *testing.T) {
	table := []string{"a", "b", "c", "d", "e"}
	fetch := func(after string, limit int) ([]string, error) {
		var rows []string
		for _, id := range table {
			if id > after && len(rows) < limit {
				rows = append(rows, id)
			}
		}
		return rows, nil
	}
	key := func(s string) string { return s }
	var all []string
	cursor := ""
	for range 10 {
		page, next, err := sdk.Page("ListContacts", &connectors.ListRequest{Cursor: cursor, PageSize: 2}, key, fetch)
		if err != nil || len(page) > 2 {
			t.Fatalf("page %v, %v", page, err)
		}
		all = append(all, page...)
		if cursor = next; cursor == "" {
			break
		}
	}
	if strings.Join(all, "") != "abcde" {
		t.Errorf("paged %v", all)
	}
	if _, _, err := sdk.Page("ListContacts", &connectors.ListRequest{Cursor: "junk"}, key, fetch); connectors.ClassOf(err) != connectors.ClassInvalidRequest {
		t.Errorf("bad cursor: %v", err)
	}
	boom := errors.New("boom")
	if _, _, err := sdk.Page("ListContacts", &connectors.ListRequest{}, key, func(string, int) ([]string, error) { return nil, boom }); err != boom {
		t.Errorf("fetch error: %v", err)
	}
}
