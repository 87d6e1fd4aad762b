package main

// End-to-end test of the operator console (issue 15) in a real browser:
// headless Chromium, driven by chromedp, against the real host serving
// the Smart IVR, the webhook and the after-call journal, with the fake
// Hipcall behind it.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/switchboard-hq/switchboard/core/callview"
	"github.com/switchboard-hq/switchboard/core/fakehipcall"
)

// consoleRouting sends gold-tier customers (Ada, C001) to 1093 by a named
// rule, so that the console has a rule to explain.
const consoleRouting = `routing:
  default:
    hipcall: "1000"
  rules:
    - name: gold-tier
      when: found && record.tier == "gold"
      to:
        hipcall: "1093"
`

// xssCaller is a caller "number" that would run if the console inserted it
// as HTML.
const xssCaller = `<script>window.__xss=1</script>`

// ringRow is a row of the Calls page's ring table, as the browser shows it.
type ringRow struct {
	ID          string `json:"id"`
	Outcome     string `json:"outcome"`
	FrontEnd    string `json:"frontEnd"`
	Caller      string `json:"caller"`
	Rule        string `json:"rule"`
	Destination string `json:"destination"`
	Href        string `json:"href"`
}

const ringRowsJS = `Array.from(document.querySelectorAll("tr[data-ring-id]")).map(r => ({
	id: r.dataset.ringId, outcome: r.dataset.outcome, frontEnd: r.dataset.frontEnd,
	caller: r.querySelector(".caller").textContent, rule: r.cells[5].textContent.trim(),
	destination: r.cells[6].textContent.trim(), href: r.querySelector("a").getAttribute("href")}))`

// TestE2EConsoleBrowser drives the console in headless Chromium: rings
// appear on the Calls page live, without a reload, and a caller holding
// markup shows as text and runs nothing; a failed post-call step is
// retried from its call's page once the fault is gone and becomes done,
// and Retry pressed again on a stale page only says there is nothing to
// do; Why explains a number typed and submitted with Enter, naming the
// rule; Tab from the top of a page reaches the skip link and then the
// navigation; the failed step is listed on the Actions page; Data quality
// diagnoses the sample data on demand; Sync shows a run made by the CLI;
// no page scrolls sideways at 200% zoom. Each page is saved as a full-page PNG under
// bench-results/screenshots.
func TestE2EConsoleBrowser(t *testing.T) {
	t.Parallel()
	start := time.Now()
	b := newBrowser(t) // skips without a browser, before building anything

	fake := fakehipcall.NewServer(fakehipcall.Options{Token: apiToken, RateLimit: fakehipcall.Unlimited})
	t.Cleanup(fake.Close)
	// short-grace: a short answered call from Grace (known). Its summary
	// comment is done; its short-call tag (5617) fails for good, Hipcall
	// not knowing the tag (404), until the tag exists.
	fake.AddCall(map[string]any{"uuid": "short-grace", "direction": "inbound"})
	body := strings.Replace(cardsConfig("info", afterCallActions, afterCallOwners),
		"routing:\n  default:\n    hipcall: \"1000\"\n", consoleRouting, 1)
	if !strings.Contains(body, "gold-tier") {
		t.Fatal("cardsConfig's routing section changed: the gold-tier rule was not put in")
	}
	cfg := writeConfig(t, t.TempDir(), "console.yaml", body)
	h := startHost(t, cfg, "HIPCALL_BASE_URL="+fake.URL(), "HIPCALL_TOKEN="+apiToken, "WEBHOOK_TOKEN="+webhookToken)
	t.Logf("browser and host up after %s", time.Since(start).Round(time.Millisecond))

	// 1. Calls: rings arrive live, without a reload.
	calls := b.ctx
	b.do(calls, "open the Calls page",
		chromedp.Navigate(h.adminURL("/console")),
		chromedp.WaitVisible(chromedp.CSS(`#live[data-state="live"]`)))
	if n := eval[int](b, calls, `document.querySelectorAll("tr[data-ring-id]").length`); n != 0 {
		t.Fatalf("%d rings before any call", n)
	}
	// A mark on this document: a reload would lose it.
	eval[chromedp.Void](b, calls, `window.__samePage = true`)
	rings := []struct{ caller, uuid, ext string }{
		{numAda, "ring-ada", "1093"},
		{numUnknown, "", "1000"},
		{xssCaller, "", "1000"},
		{numGrace, "short-grace", "1093"}, // Grace is gold too
	}
	for i, r := range rings {
		req, _ := json.Marshal(map[string]string{"caller": r.caller, "uuid": r.uuid})
		if code, ext := h.ivr(string(req)); code != http.StatusOK || ext != r.ext {
			t.Fatalf("smart-ivr %s: %d %q, want 200 %q", req, code, ext, r.ext)
		}
		b.waitFor(calls, fmt.Sprintf("ring %d (%s) shown live", i+1, r.caller),
			fmt.Sprintf(`document.querySelectorAll("tr[data-ring-id]").length >= %d`, i+1))
	}
	b.do(calls, "the known caller's row",
		chromedp.WaitVisible(chromedp.CSS(`tr[data-ring-id][data-outcome="found"][data-front-end="smart_ivr"]`)))
	if !eval[bool](b, calls, `window.__samePage === true`) {
		t.Fatal("the Calls page was reloaded: the rings did not arrive live")
	}
	if state := eval[string](b, calls, `document.getElementById("live").dataset.state`); state != "live" {
		t.Errorf("#live is %q after the rings, want live", state)
	}
	rows := eval[[]ringRow](b, calls, ringRowsJS)
	byCaller := map[string]ringRow{}
	for _, r := range rows {
		byCaller[r.Caller] = r
	}
	if len(rows) != 4 || rows[0].Caller != numGrace || rows[3].Caller != numAda {
		t.Errorf("ring rows %+v: want 4, newest (Grace) first", rows)
	}
	if r := byCaller[numAda]; r.Outcome != "found" || r.FrontEnd != "smart_ivr" || r.Rule != "gold-tier" || r.Destination != "1093" {
		t.Errorf("Ada's ring row %+v: want found by smart_ivr, rule gold-tier, 1093", r)
	}
	if r := byCaller[numUnknown]; r.Outcome != "unknown" || r.Destination != "1000" {
		t.Errorf("the unknown caller's ring row %+v: want unknown, 1000", r)
	}
	xss, ok := byCaller[xssCaller]
	if !ok {
		t.Fatalf("no ring row shows the caller %q as text; rows %+v", xssCaller, rows)
	}
	if !strings.Contains(xss.Caller, "<script>") || xss.Outcome != "invalid" {
		t.Errorf("the markup caller's row %+v: want its text to hold <script>, outcome invalid", xss)
	}
	checkNoScriptRan := func(where string) {
		t.Helper()
		if got := eval[string](b, calls, `typeof window.__xss`); got != "undefined" {
			t.Errorf("%s: window.__xss is %s: the caller's markup ran", where, got)
		}
		if n := eval[int](b, calls, `document.querySelectorAll("main script").length`); n != 0 {
			t.Errorf("%s: %d script elements in the page's content", where, n)
		}
	}
	checkNoScriptRan("Calls page")
	// The ring's own page shows the caller as sent, as text.
	b.do(calls, "open the markup caller's ring page",
		chromedp.Navigate(h.adminURL(xss.Href)),
		chromedp.WaitVisible(chromedp.ID("ring-"+xss.ID)))
	if got := eval[string](b, calls, `document.querySelector("#ring-`+xss.ID+` dd.caller").textContent`); got != xssCaller {
		t.Errorf("the ring page shows the caller as %q, want the text %q", got, xssCaller)
	}
	checkNoScriptRan("ring page")
	t.Logf("1. live rings checked after %s", time.Since(start).Round(time.Millisecond))

	// 2. A failed post-call step, retried from its call's page.
	if code := h.hook("/hipcall/webhook/"+webhookToken, hangup("short-grace", numGrace, 10, "contact", 0)); code != 200 {
		t.Fatalf("hangup answered %d", code)
	}
	stepOf := func(action string) (callview.Step, string) {
		resp, err := http.Get(h.adminURL("/console/call/short-grace?format=json"))
		if err != nil {
			return callview.Step{}, err.Error()
		}
		var page struct {
			Call *callview.Call `json:"call"`
		}
		raw := readAll(resp)
		if err := json.Unmarshal([]byte(raw), &page); err != nil || page.Call == nil {
			return callview.Step{}, fmt.Sprintf("call page JSON: %v: %s", err, raw)
		}
		for _, s := range page.Call.Steps {
			if s.Action == action {
				return s, fmt.Sprintf("%s: %+v", action, s)
			}
		}
		return callview.Step{}, fmt.Sprintf("no %s step in %s", action, raw)
	}
	var tag callview.Step
	eventually(t, 30*time.Second, func() (bool, string) {
		s, why := stepOf("short-call")
		tag = s
		summary, _ := stepOf("summary")
		return s.State == callview.StateFailed && summary.State == callview.StateDone, why
	})
	job := strconv.FormatInt(tag.JobID, 10)
	// The Actions page lists it, with its Retry button, among every
	// call's dead steps.
	b.do(calls, "open the Actions page",
		chromedp.Navigate(h.adminURL("/console/actions")),
		chromedp.WaitVisible(chromedp.CSS(`#action-`+job+`[data-state="failed"]`)),
		chromedp.WaitVisible(chromedp.ID("retry-"+job)))
	if got := eval[string](b, calls, `document.getElementById("action-`+job+`").innerText`); !strings.Contains(got, "short-grace") || !strings.Contains(got, "404") {
		t.Errorf("the Actions page's row for the failed step: %q, want its call and Hipcall's 404", got)
	}
	b.screenshot(calls, "actions")
	callURL := h.adminURL("/console/call/short-grace")
	b.do(calls, "open the call's page with its failed step",
		chromedp.Navigate(callURL),
		chromedp.WaitVisible(chromedp.CSS(`#step-`+job+`[data-state="failed"]`)),
		chromedp.WaitVisible(chromedp.ID("retry-"+job)),
		chromedp.WaitVisible(chromedp.ID("decision-hipcall")))
	if got := eval[string](b, calls, `document.querySelector("#step-`+job+`").textContent`); !strings.Contains(got, "404") {
		t.Errorf("the failed step's row does not show Hipcall's 404: %q", got)
	}
	// A second tab shows the same page: its Retry button is pressed again
	// once the step is done.
	stale := b.newTab("tab 2")
	b.do(stale, "open the call's page in a second tab",
		chromedp.Navigate(callURL),
		chromedp.WaitVisible(chromedp.ID("retry-"+job)))

	fake.AddTag(5617, "short call") // the fault is gone
	resp, err := chromedp.RunResponse(calls, chromedp.Click(chromedp.ID("retry-"+job)))
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("Retry: %v, status %v\npage: %s", err, resp, b.pageText(calls))
	}
	b.do(calls, "the flash after Retry", chromedp.WaitVisible(chromedp.ID("flash")))
	if got := eval[string](b, calls, `document.getElementById("flash").textContent`); !strings.Contains(got, "step "+job+" retried") {
		t.Errorf("the flash after Retry says %q", got)
	}
	eventually(t, 30*time.Second, func() (bool, string) {
		s, why := stepOf("short-call")
		return s.State == callview.StateDone, why
	})
	b.do(calls, "the step shows done after a reload",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#step-`+job+`[data-state="done"]`)))
	if n := eval[int](b, calls, `document.querySelectorAll("#retry-`+job+`, #resolve-`+job+`").length`); n != 0 {
		t.Errorf("a done step still offers %d Retry/Resolve buttons", n)
	}
	if tags := fake.Tags("short-grace"); len(tags) != 1 || tags[0].ID != 5617 {
		t.Errorf("short-grace's tags %+v, want 5617 once", tags)
	}
	b.screenshot(calls, "call")

	// Retry pressed again, on the stale page: a message, nothing done.
	resp, err = chromedp.RunResponse(stale, chromedp.Click(chromedp.ID("retry-"+job)))
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("Retry pressed again: %v, status %v\npage: %s", err, resp, b.pageText(stale))
	}
	b.do(stale, "the flash after the second Retry", chromedp.WaitVisible(chromedp.ID("flash")))
	if got := eval[string](b, stale, `document.getElementById("flash").textContent`); !strings.Contains(got, "nothing to do") || !strings.Contains(got, "done") {
		t.Errorf("the flash after Retry pressed again says %q, want nothing to do, the step being done", got)
	}
	if n := eval[int](b, stale, `document.querySelectorAll("#error").length`); n != 0 {
		t.Errorf("Retry pressed again shows an error page: %s", b.pageText(stale))
	}
	if tags := fake.Tags("short-grace"); len(tags) != 1 {
		t.Errorf("short-grace has %d tags after Retry pressed twice, want 1", len(tags))
	}
	t.Logf("2. retry checked after %s", time.Since(start).Round(time.Millisecond))

	// 3. Why: a number typed and submitted with Enter.
	b.do(calls, "explain a number on the Why page",
		chromedp.Navigate(h.adminURL("/console/why")),
		chromedp.WaitVisible(chromedp.ID("why-number")),
		chromedp.SendKeys(chromedp.ID("why-number"), numAda+kb.Enter),
		chromedp.WaitVisible(chromedp.ID("decision-hipcall")),
		chromedp.WaitVisible(chromedp.ID("explained-now")))
	if loc := eval[string](b, calls, `location.search`); !strings.Contains(loc, "number=%2B442045205757") {
		t.Errorf("the Why page's address after Enter: %q, want the number in its query", loc)
	}
	decision := eval[string](b, calls, `document.getElementById("decision-hipcall").innerText`)
	for _, want := range []string{"hipcall: 1093", "gold-tier", "matched: 1093"} {
		if !strings.Contains(decision, want) {
			t.Errorf("#decision-hipcall lacks %q:\n%s", want, decision)
		}
	}
	if got := eval[string](b, calls, `document.querySelector("#lookup").innerText`); !strings.Contains(got, "Ada Lovelace") {
		t.Errorf("the Why page's lookup does not name Ada Lovelace:\n%s", got)
	}
	b.screenshot(calls, "why")
	t.Logf("3. why checked after %s", time.Since(start).Round(time.Millisecond))

	// 4. Connectors, and the keyboard: Tab from the top reaches the skip
	// link, then the brand, then the first navigation link; the skip link
	// moves the focus to the content.
	b.do(calls, "open the Connectors page",
		chromedp.Navigate(h.adminURL("/console/connectors")),
		chromedp.WaitVisible(chromedp.CSS(`#connector-customers[data-ready="true"]`)))
	b.screenshot(calls, "connectors")
	focused := func() string {
		return eval[string](b, calls, `(e => e.id || e.className || e.tagName)(document.activeElement)`)
	}
	var order []string
	for range 3 {
		b.do(calls, "press Tab", chromedp.KeyEvent(kb.Tab))
		order = append(order, focused())
	}
	// The brand link has neither id nor class: it shows as A.
	if strings.Join(order, " ") != "skip A nav-calls" {
		t.Errorf("Tab from the top focuses %q, want the skip link, the brand link, #nav-calls", order)
	}
	b.do(calls, "reload the Connectors page", chromedp.Reload(),
		chromedp.WaitVisible(chromedp.ID("connectors")))
	b.do(calls, "press Tab", chromedp.KeyEvent(kb.Tab))
	if got := focused(); got != "skip" {
		t.Errorf("Tab from the top focuses %q, want the skip link", got)
	} else if left := eval[float64](b, calls, `document.activeElement.getBoundingClientRect().left`); left < 0 {
		t.Errorf("the focused skip link is off screen (left %v)", left)
	}
	b.do(calls, "press Enter on the skip link", chromedp.KeyEvent(kb.Enter))
	if got := focused(); got != "main" {
		t.Errorf("the skip link moved the focus to %q, want #main", got)
	}

	// Sync: a run made by `switchboard sync` in another process shows,
	// with what it created in Hipcall.
	if code, stdout, stderr := runCLI(t, []string{"SB_PORT=0", "HIPCALL_BASE_URL=" + fake.URL(), "HIPCALL_TOKEN=" + apiToken, "WEBHOOK_TOKEN=" + webhookToken},
		"sync", "-config", cfg); code != 0 {
		t.Fatalf("switchboard sync: exit %d\n%s\n%s", code, stdout, stderr)
	}
	b.do(calls, "open the Sync page and its run",
		chromedp.Navigate(h.adminURL("/console/sync")),
		chromedp.WaitVisible(chromedp.CSS(`#sync-runs tr[data-status="done"]`)),
		chromedp.Click(chromedp.CSS(`#sync-runs tr[data-status="done"] a`)),
		chromedp.WaitVisible(chromedp.ID("run-changes")))
	if got := eval[string](b, calls, `document.getElementById("run-changes").innerText`); !strings.Contains(got, "contacts C001") || !strings.Contains(got, "created") {
		t.Errorf("the sync run's changes:\n%s", got)
	}
	if got := eval[string](b, calls, `document.getElementById("sync-run").innerText`); !strings.Contains(got, "contacts") || !strings.Contains(got, "created") {
		t.Errorf("the sync run's counts:\n%s", got)
	}
	b.screenshot(calls, "sync")

	// Data quality: diagnosed on demand; the page reloads itself until the
	// report is there. The sample's "call me maybe" was dropped by the CSV
	// plugin (its log), and C007 and C008 share a number within one
	// company (Shared Office Ltd, known by name in this configuration).
	b.do(calls, "diagnose on the Data quality page",
		chromedp.Navigate(h.adminURL("/console/quality")),
		chromedp.WaitVisible(chromedp.ID("quality-run")),
		chromedp.Click(chromedp.ID("quality-run")),
		chromedp.WaitVisible(chromedp.ID("quality-report")))
	if got := eval[string](b, calls, `document.getElementById("unreadable").innerText`); !strings.Contains(got, "call me maybe") || !strings.Contains(got, "customers.csv:11") {
		t.Errorf("the unreadable numbers on the Data quality page:\n%s", got)
	}
	if got := eval[string](b, calls, `document.getElementById("shared").innerText`); !strings.Contains(got, "+442079460999") || !strings.Contains(got, "shared office ltd") {
		t.Errorf("the shared numbers on the Data quality page:\n%s", got)
	}
	b.screenshot(calls, "quality")

	// The Calls page, with its journal call, last.
	b.do(calls, "open the Calls page again",
		chromedp.Navigate(h.adminURL("/console")),
		chromedp.WaitVisible(chromedp.CSS(`#live[data-state="live"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#journal-calls tr[data-call-uuid="short-grace"]`)))
	b.screenshot(calls, "calls")
	t.Logf("4. keyboard and connectors checked after %s", time.Since(start).Round(time.Millisecond))

	// The number filter, typed and submitted with Enter, keeps to the
	// unknown caller's rings, live too: a ring of Ada's and then one of
	// the unknown caller's are made; once the second is shown, the first
	// (sent before it on the same stream) was left out.
	b.do(calls, "filter the Calls page by number",
		chromedp.SendKeys(chromedp.ID("f-number"), numUnknown+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`#live[data-state="live"]`)),
		chromedp.WaitVisible(chromedp.ID("f-clear")))
	if loc := eval[string](b, calls, `location.search`); !strings.Contains(loc, "number=%2B447700900999") {
		t.Errorf("the Calls page's address after filtering: %q", loc)
	}
	if rows := eval[[]ringRow](b, calls, ringRowsJS); len(rows) != 1 || rows[0].Caller != numUnknown {
		t.Errorf("filtered by %s, the Calls page shows %+v", numUnknown, rows)
	}
	eval[chromedp.Void](b, calls, `window.__samePage = true`)
	for _, caller := range []string{numAda, numUnknown} {
		if code, _ := h.ivr(`{"caller":"` + caller + `"}`); code != http.StatusOK {
			t.Fatalf("smart-ivr %s: %d", caller, code)
		}
	}
	b.waitFor(calls, "the unknown caller's second ring shown live under the filter",
		`document.querySelectorAll("tr[data-ring-id]").length >= 2`)
	if rows := eval[[]ringRow](b, calls, ringRowsJS); len(rows) != 2 || rows[0].Caller != numUnknown || rows[1].Caller != numUnknown {
		t.Errorf("filtered by %s, after a ring of each caller the page shows %+v", numUnknown, rows)
	}
	if !eval[bool](b, calls, `window.__samePage === true`) {
		t.Error("the filtered Calls page was reloaded: the ring did not arrive live")
	}

	// 200% zoom: a 1280-pixel window zoomed twice lays pages out in 640
	// CSS pixels. No page may then scroll sideways as a whole (wide tables
	// scroll inside their own box).
	b.do(calls, "zoom to 200%", chromedp.EmulateViewport(640, 900))
	for _, page := range []string{"/console", "/console/actions", "/console/why?number=" + url.QueryEscape(numAda), "/console/sync",
		"/console/connectors", "/console/quality", "/console/call/short-grace"} {
		b.do(calls, "open "+page+" at 200%", chromedp.Navigate(h.adminURL(page)), chromedp.WaitVisible(chromedp.ID("main")))
		if over := eval[float64](b, calls, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); over > 1 {
			t.Errorf("%s at 200%% zoom is %v CSS pixels wider than the window", page, over)
		}
	}
	b.screenshot(calls, "call-200pct")

	for _, line := range b.consoleLines() {
		t.Logf("browser console: %s", line)
		if strings.Contains(line, ": exception: ") {
			t.Errorf("the page threw: %s", line)
		}
	}
}
