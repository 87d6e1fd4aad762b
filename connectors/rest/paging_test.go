package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
)

// pagedAPI serves 10 companies at /c in the paging style asked: link (a
// Link header), offset (start, limit) or page (page, per_page, from 1).
func pagedAPI(t *testing.T) string {
	all := make([]map[string]any, 10)
	for i := range all {
		all[i] = map[string]any{"id": i + 1, "name": fmt.Sprintf("Company %d", i+1)}
	}
	write := func(w http.ResponseWriter, from, n int) {
		to := min(from+n, len(all))
		from = min(from, to)
		_ = json.NewEncoder(w).Encode(map[string]any{"items": all[from:to]})
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		atoi := func(k string) int { n, _ := strconv.Atoi(q.Get(k)); return n }
		switch r.URL.Path {
		case "/link":
			from, n := atoi("from"), 3
			if from+n < len(all) {
				w.Header().Set("Link", fmt.Sprintf(`</link?from=%d>; rel="next", </link?from=0>; rel="first"`, from+n))
			}
			write(w, from, n)
		case "/offset":
			write(w, atoi("start"), atoi("limit"))
		case "/page":
			write(w, (atoi("page")-1)*atoi("per_page"), atoi("per_page"))
		}
	}))
	t.Cleanup(hs.Close)
	return hs.URL
}

func TestPagingStyles(t *testing.T) {
	url := pagedAPI(t)
	for style, paging := range map[string]string{
		"link":   "{style: link}",
		"offset": "{style: offset, param: start, limit_param: limit, max_limit: 4}",
		"page":   "{style: page, param: page, limit_param: per_page, max_limit: 5}",
	} {
		t.Run(style, func(t *testing.T) {
			block := fmt.Sprintf("base_url: %s\ncompanies: {path: /%s, results: items, paging: %s, map: {id: id, name: name}}\n", url, style, paging)
			c := configured(t, []byte(block), nil)
			var ids []string
			cursor := ""
			for pages := 0; pages < 20; pages++ {
				resp, err := c.ListCompanies(ctx(t), &connectors.ListRequest{Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				for _, co := range resp.Companies {
					ids = append(ids, co.ID)
				}
				if cursor = resp.NextCursor; cursor == "" {
					break
				}
			}
			if fmt.Sprint(ids) != "[1 2 3 4 5 6 7 8 9 10]" {
				t.Errorf("listed %v; want 1 to 10 once each", ids)
			}
		})
	}
}

// TestProblemPaths: Configure reports every problem of a block, each at
// its YAML path.
func TestProblemPaths(t *testing.T) {
	block := `
base_url: ftp://x
timeout: 0s
auth: {api_key: {header: x-api-token}}
rate_limit: {reset: minutes}
lookup:
  - {path: search, query: {term: "{{last 3 .Nope}}"}, results: "a..b", kind: person}
contacts:
  path: /p
  results: data
  paging: {style: cursor, limit_param: limit}
  map: {id: id, name: name, phones: {work: "phones.#(value"}, fields: {tier: {path: tier, type: money}}}
`
	resp, err := New(nil).Configure(ctx(t), &connectors.ConfigureRequest{Config: []byte(block), DefaultRegion: "GB"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, p := range resp.Problems {
		got[p.Path] = true
	}
	for _, want := range []string{"base_url", "timeout", "auth.api_key.value", "rate_limit.reset", "lookup.0.path",
		"lookup.0.query.term", "lookup.0.results", "lookup.0.kind", "contacts.paging.next", "contacts.paging.param",
		"contacts.map.phones.work", "contacts.map.fields.tier.type"} {
		if !got[want] {
			t.Errorf("no problem at %s; got:\n%v", want, resp.Problems)
		}
	}
}
