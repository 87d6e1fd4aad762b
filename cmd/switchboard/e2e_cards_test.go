package main

// End-to-end tests of webhook intake and Insight Cards: the real host and
// CSV plugin, and the fake Hipcall (core/fakehipcall) in this
// process on 127.0.0.1, its URL given to the host through the config.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/core/fakehipcall"
	"github.com/switchboard-hq/switchboard/core/hipcall"
)

const (
	cardsRoute   = "POST /calls/{uuid}/cards"
	apiToken     = "e2e-hipcall-api-token"
	webhookToken = "e2e-webhook-token-0123456789"
	numAda       = "+442045205757" // C001, owner u-17, balance 4250
	numGrace     = "00441614960000"
	numUnknown   = "+447700900999"
	numShared    = "+442079460999" // two records
)

// cardsConfig is a host over the sample CSV with webhooks and cards on;
// webhookExtra is indented under hipcall.webhook, cards is the whole cards
// section.
func cardsConfig(logLevel, webhookExtra, cards string) string {
	return `
server:
  listen: "127.0.0.1:${SB_PORT}"
  shutdown_timeout: 5s
log:
  level: ` + logLevel + `
phone:
  default_region: GB
plugins:
  dir: ${SB_PLUGIN_DIR}
connectors:
  - name: customers
    plugin: csv
    config:
      path: {{root}}/configs/sample/customers.csv
      columns:
        id: CustomerID
        first_name: FirstName
        last_name: LastName
        company: Company
        phones: [Phone, Mobile]
        owner: Owner
      fields:
        balance: {column: Balance, type: number}
        tier: {column: Tier}
routing:
  default:
    hipcall: "1000"
hipcall:
  api:
    base_url: ${HIPCALL_BASE_URL}
    token: ${HIPCALL_TOKEN}
    rate_limit_per_minute: 0
  webhook:
    enabled: true
    token: ${WEBHOOK_TOKEN}
` + webhookExtra + cards
}

const cardTemplates = `
cards:
  enabled: true
  push_deadline: 5s
  title:
    text: "{{ .record.name }}"
  rows:
    - label: Company
      text: "{{ .record.company }}"
    - label: Balance
      text: '{{ money .record.balance "GBP" }}'
  user_row:
    label: Account manager
    owners: {u-17: 42}
`

// cardsHost starts a fake Hipcall and a host posting cards to it.
func cardsHost(t *testing.T, cfg string) (*hostProc, *fakehipcall.Server) {
	t.Helper()
	fake := fakehipcall.NewServer(fakehipcall.Options{Token: apiToken, RateLimit: fakehipcall.Unlimited})
	t.Cleanup(fake.Close)
	path := writeConfig(t, t.TempDir(), "cards.yaml", cfg)
	h := startHost(t, path, "HIPCALL_BASE_URL="+fake.URL(), "HIPCALL_TOKEN="+apiToken, "WEBHOOK_TOKEN="+webhookToken)
	return h, fake
}

// webhookClient posts webhooks over keep-alive connections.
var webhookClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// hook posts a webhook body to path (relative to the host) and returns the
// status.
func (h *hostProc) hook(path, body string) int {
	h.t.Helper()
	resp, err := webhookClient.Post(h.url(path), "application/json", strings.NewReader(body))
	if err != nil {
		h.t.Fatalf("POST %s: %v", path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func callEvent(event, uuid, direction, caller, callee string) string {
	return fmt.Sprintf(`{"event":%q,"data":{"uuid":%q,"direction":%q,"caller_number":%q,"callee_number":%q,"started_at":"2026-03-25T10:39:51Z","answered_at":null}}`,
		event, uuid, direction, caller, callee)
}

// cardRequests counts the card requests the fake got for a call.
func cardRequests(fake *fakehipcall.Server, uuid string) []fakehipcall.RecordedRequest {
	var out []fakehipcall.RecordedRequest
	for _, r := range fake.Requests() {
		if r.Route == cardsRoute && r.Path == "/calls/"+uuid+"/cards" {
			out = append(out, r)
		}
	}
	return out
}

func rowsJSON(rows []hipcall.Row) string {
	b, _ := json.Marshal(rows)
	return string(b)
}

func TestE2ECards(t *testing.T) {
	t.Parallel()
	h, fake := cardsHost(t, cardsConfig("debug", "", cardTemplates+`
  unknown_caller:
    title:
      text: "Unknown caller {{ .caller }}"
`))
	hookPath := "/hipcall/webhook/" + webhookToken
	waitCards := func(uuid string, n int) [][]hipcall.Row {
		t.Helper()
		eventually(t, 10*time.Second, func() (bool, string) {
			got := len(fake.Cards(uuid))
			return got >= n, fmt.Sprintf("%d cards for %s, want %d", got, uuid, n)
		})
		return fake.Cards(uuid)
	}
	waitMetric := func(name, label string, want float64) {
		t.Helper()
		eventually(t, 10*time.Second, func() (bool, string) {
			got := h.metric(name, label)
			return got == want, fmt.Sprintf("%s{%s} = %v, want %v", name, label, got, want)
		})
	}

	t.Run("inbound call_init", func(t *testing.T) {
		if code := h.hook(hookPath, callEvent("call_init", "in-1", "inbound", numAda, "+442045200000")); code != 200 {
			t.Fatalf("status %d", code)
		}
		cards := waitCards("in-1", 1)
		want := `[{"type":"title","text":"Ada Lovelace"},{"type":"shortText","text":"Analytical Engines Ltd","label":"Company"},` +
			`{"type":"shortText","text":"£4,250.00","label":"Balance"},{"type":"user","label":"Account manager","user_id":42}]`
		if len(cards) != 1 || rowsJSON(cards[0]) != want {
			t.Errorf("cards %s, want exactly one: %s", rowsJSON(slices.Concat(cards...)), want)
		}
		if fake.ShownCard("in-1") == nil {
			t.Error("the card is not on the agent's screen")
		}
	})

	t.Run("outbound call_init: the callee is the customer", func(t *testing.T) {
		h.hook(hookPath, callEvent("call_init", "out-1", "outbound", "+442045200000", numGrace))
		cards := waitCards("out-1", 1)
		if len(cards) != 1 || *cards[0][0].Text != "Grace Hopper" || len(cards[0]) != 3 {
			t.Errorf("cards %s, want Grace Hopper's, without a user row (u-21 is not mapped)", rowsJSON(slices.Concat(cards...)))
		}
	})

	t.Run("duplicate webhook: still one card", func(t *testing.T) {
		before := h.metric("switchboard_webhook_deduplicated_total")
		body := callEvent("call_init", "dup-1", "inbound", numAda, "")
		for range 3 {
			if code := h.hook(hookPath, body); code != 200 {
				t.Fatalf("status %d", code)
			}
		}
		waitCards("dup-1", 1)
		waitMetric("switchboard_webhook_deduplicated_total", "", before+2)
		if n := len(fake.Cards("dup-1")); n != 1 {
			t.Errorf("%d cards, want 1", n)
		}
	})

	t.Run("internal call: no card", func(t *testing.T) {
		h.hook(hookPath, callEvent("call_init", "int-1", "internal", "1001", "1002"))
		waitMetric("switchboard_cards_skipped_total", `reason="internal"`, 1)
		if n := len(cardRequests(fake, "int-1")); n != 0 {
			t.Errorf("%d card requests for an internal call", n)
		}
	})

	t.Run("unknown caller: the fallback card", func(t *testing.T) {
		h.hook(hookPath, callEvent("call_init", "unk-1", "inbound", numUnknown, ""))
		cards := waitCards("unk-1", 1)
		if len(cards) != 1 || rowsJSON(cards[0]) != `[{"type":"title","text":"Unknown caller +447700900999"}]` {
			t.Errorf("cards %s", rowsJSON(slices.Concat(cards...)))
		}
	})

	t.Run("ambiguous caller: no card configured", func(t *testing.T) {
		h.hook(hookPath, callEvent("call_init", "amb-1", "inbound", numShared, ""))
		waitMetric("switchboard_cards_skipped_total", `reason="ambiguous"`, 1)
		if n := len(cardRequests(fake, "amb-1")); n != 0 {
			t.Errorf("%d card requests", n)
		}
	})

	t.Run("Hipcall 500, 500, 201: one card", func(t *testing.T) {
		fake.Fail(cardsRoute, 500, 500)
		h.hook(hookPath, callEvent("call_init", "retry-1", "inbound", numAda, ""))
		waitCards("retry-1", 1)
		if n := len(cardRequests(fake, "retry-1")); n != 3 {
			t.Errorf("%d requests, want 3", n)
		}
		if n := len(fake.Cards("retry-1")); n != 1 {
			t.Errorf("%d cards, want 1", n)
		}
	})

	t.Run("422: not retried, logged with Hipcall's message", func(t *testing.T) {
		fake.Script(cardsRoute, fakehipcall.Fault{Status: 422, Body: `{"errors":{"card":["call is not ringing any more"]}}`})
		h.hook(hookPath, callEvent("call_init", "rej-1", "inbound", numAda, ""))
		waitMetric("switchboard_cards_failed_total", `reason="rejected"`, 1)
		if n := len(cardRequests(fake, "rej-1")); n != 1 {
			t.Errorf("%d requests, want 1 (no retry)", n)
		}
		eventually(t, 5*time.Second, func() (bool, string) {
			return strings.Contains(h.logs.String(), "call is not ringing any more"), "Hipcall's message not in the log"
		})
	})

	t.Run("429 with Retry-After is honoured", func(t *testing.T) {
		fake.TooManyRequests(cardsRoute, "1")
		h.hook(hookPath, callEvent("call_init", "rl-1", "inbound", numAda, ""))
		waitCards("rl-1", 1)
		reqs := cardRequests(fake, "rl-1")
		if len(reqs) != 2 {
			t.Fatalf("%d requests, want 2", len(reqs))
		}
		if gap := reqs[1].At.Sub(reqs[0].At); gap < 900*time.Millisecond {
			t.Errorf("retried %s after the 429, want after Retry-After: 1 (s)", gap)
		}
	})

	t.Run("hangup abandons a slow push", func(t *testing.T) {
		fake.Delay(cardsRoute, 1, 8*time.Second)
		h.hook(hookPath, callEvent("call_init", "hang-1", "inbound", numAda, ""))
		eventually(t, 5*time.Second, func() (bool, string) { return len(cardRequests(fake, "hang-1")) == 1, "push not started" })
		h.hook(hookPath, callEvent("call_hangup", "hang-1", "inbound", numAda, ""))
		waitMetric("switchboard_cards_failed_total", `reason="abandoned"`, 1)
	})

	t.Run("legacy call::init, query token", func(t *testing.T) {
		body := `{"event_type":"call::init","uuid":"leg-1","direction":"inbound","caller_number":"` + numAda + `"}`
		if code := h.hook("/hipcall/webhook?token="+webhookToken, body); code != 200 {
			t.Fatalf("status %d", code)
		}
		waitCards("leg-1", 1)
	})

	t.Run("any event is answered 200; bad requests are not", func(t *testing.T) {
		for body, want := range map[string]int{
			`{"event":"voicemail_left","data":{"id":1}}`:                  200,
			`{"event":"contact_create","data":{"id":"7","name":null}}`:    200,
			`{"event":"call_bridged","data":{"uuid":"in-1","user_id":7}}`: 200,
			`not json`: 400,
		} {
			if code := h.hook(hookPath, body); code != want {
				t.Errorf("%s → %d, want %d", body, code, want)
			}
		}
		for _, path := range []string{"/hipcall/webhook", "/hipcall/webhook/wrong-token-0123456789", "/hipcall/webhook?token=nope"} {
			if code := h.hook(path, callEvent("call_init", "auth-1", "inbound", numAda, "")); code != http.StatusUnauthorized {
				t.Errorf("%s → %d, want 401", path, code)
			}
		}
		if h.metric("switchboard_webhook_events_total", `event="unknown"`) < 1 {
			t.Error("unknown event not counted")
		}
	})

	h.logsHide(webhookToken, apiToken)
}

func TestE2ECardsUnknownCallerNone(t *testing.T) {
	t.Parallel()
	h, fake := cardsHost(t, cardsConfig("info", "", cardTemplates+"  unknown_caller: null\n"))
	h.hook("/hipcall/webhook/"+webhookToken, callEvent("call_init", "none-1", "inbound", numUnknown, ""))
	eventually(t, 10*time.Second, func() (bool, string) {
		n := h.metric("switchboard_cards_skipped_total", `reason="unknown_caller"`)
		return n == 1, fmt.Sprintf("skipped{unknown_caller} = %v", n)
	})
	if n := len(cardRequests(fake, "none-1")); n != 0 {
		t.Errorf("%d card requests for an unknown caller without a fallback card", n)
	}
}

// TestE2EWebhookBurst sends 5,000 webhooks (a tenth of them repeats) as fast
// as 8 clients can: every answer is a 200 within 100 ms at the 99th
// percentile, and every event is accounted for: pushed + deduplicated +
// dropped == sent, from /metrics and from the fake's cards. It is not
// parallel: other tests of this package would share its two cores.
func TestE2EWebhookBurst(t *testing.T) {
	h, fake := cardsHost(t, cardsConfig("info", "    queue_size: 2000\n", cardTemplates))
	const (
		sent    = 5000
		clients = 8
	)
	numbers := []string{numAda, numGrace, "+447700900123", "+12025550142", "+902125551234"}
	bodies := make([]string, sent)
	uuids := map[string]bool{}
	for i := range sent {
		n := i
		if i%10 == 9 {
			n = i - 5 // a repeat of an earlier event
		}
		uuid := fmt.Sprintf("burst-%05d", n)
		uuids[uuid] = true
		bodies[i] = callEvent("call_init", uuid, "inbound", numbers[n%len(numbers)], "+442045200000")
	}
	url := h.url("/hipcall/webhook/" + webhookToken)
	latencies := make([]time.Duration, sent)
	codes := make([]int, sent)
	var wg sync.WaitGroup
	next := make(chan int)
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t0 := time.Now()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(bodies[i]))
				req.Header.Set("Content-Type", "application/json")
				resp, err := webhookClient.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					codes[i] = resp.StatusCode
				}
				cancel()
				latencies[i] = time.Since(t0)
			}
		}()
	}
	for i := range sent {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)

	for i, c := range codes {
		if c != 200 {
			t.Fatalf("webhook %d answered %d, want 200", i, c)
		}
	}
	slices.Sort(latencies)
	p50, p99 := latencies[sent/2], latencies[sent*99/100]
	t.Logf("burst of %d webhooks from %d clients in %s: answer p50 %s, p99 %s, max %s (seen by this race-instrumented client)",
		sent, clients, elapsed.Round(time.Millisecond), p50.Round(time.Microsecond), p99.Round(time.Microsecond), latencies[sent-1].Round(time.Microsecond))
	// The host's own answer times, from its histogram: at least 99% within
	// 100 ms. (The client above runs under the race detector on a shared
	// machine, so its view adds its own scheduling delays; the loopback
	// benchmark, cmd/switchboard-bench -webhooks, measures from outside.)
	// Every answer waits for the journal's commit (SQLite, group
	// commit), and this test shares the machine with the rest of the
	// suite: the bound is 100 ms, a regression check; the figures are
	// make bench's.
	within := h.metric("switchboard_http_request_seconds_bucket", `endpoint="webhook"`, `le="0.1"`)
	total := h.metric("switchboard_http_request_seconds_count", `endpoint="webhook"`)
	t.Logf("host: %.2f%% of %v answers within 100 ms", 100*within/total, total)
	if total != sent || within < 0.99*total {
		t.Errorf("host answered %v of %v webhooks within 100 ms, want at least 99%% of %d", within, total, sent)
	}
	if p99 > time.Second {
		t.Errorf("answer p99 seen by the client %s: the host stalled", p99)
	}

	var pushed, dedup, dropped float64
	eventually(t, 60*time.Second, func() (bool, string) {
		pushed = h.metric("switchboard_cards_pushed_total")
		dedup = h.metric("switchboard_webhook_deduplicated_total")
		dropped = h.metric("switchboard_webhook_dropped_total")
		return pushed+dedup+dropped == sent, fmt.Sprintf("pushed %v + deduplicated %v + dropped %v != %d sent", pushed, dedup, dropped, sent)
	})
	if dedup != sent/10 {
		t.Errorf("deduplicated %v, want %d", dedup, sent/10)
	}
	if failed, skipped := h.metric("switchboard_cards_failed_total"), h.metric("switchboard_cards_skipped_total"); failed+skipped != 0 {
		t.Errorf("failed %v, skipped %v; want none", failed, skipped)
	}
	cards := 0
	for uuid := range uuids {
		cards += len(fake.Cards(uuid))
	}
	if float64(cards) != pushed {
		t.Errorf("the fake holds %d cards, /metrics says %v pushed", cards, pushed)
	}
	if lat := h.metric("switchboard_cards_latency_seconds_count"); lat != pushed {
		t.Errorf("latency histogram has %v samples, want %v", lat, pushed)
	}
	t.Logf("pushed %v, deduplicated %v, dropped %v; all accounted for %s after the first webhook", pushed, dedup, dropped, time.Since(start).Round(time.Millisecond))
}

// TestE2EValidateCardTemplates: template mistakes are reported by validate
// at the template's file:line:col, and so is a card Hipcall would refuse.
func TestE2EValidateCardTemplates(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, t.TempDir(), "cards.yaml", cardsConfig("info", "", `
cards:
  enabled: true
  title:
    text: "{{ .record.nmae }}"
  rows:
    - label: Balance
      text: '{{ mony .record.balance "USD" }}'
    - label: Tier
      text: |
        Tier:
          {{ .record.tier | uper }}
`))
	cli(t, []string{"SB_PORT=0", "HIPCALL_BASE_URL=http://127.0.0.1:1/api/v3", "HIPCALL_TOKEN=x", "WEBHOOK_TOKEN=" + webhookToken},
		"validate", "-config", cfg).mustExit(exitUsage).stderrHas(
		`cards.yaml:41:11: cards.title.text: Hipcall would refuse the card rendered for a sample record: card[0].text: can't be blank`,
		`cards.yaml:44:17: cards.rows.0.text: function "mony" not defined`,
		`cards.yaml:48:29: cards.rows.1.text: function "uper" not defined`,
	)
}

func TestE2ELookupCard(t *testing.T) {
	t.Parallel()
	r := cli(t, nil, "lookup", "-config", exampleConfig(t), "-card", "020 4520 5757").mustExit(0)
	var body struct {
		Card []hipcall.Row `json:"card"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &body); err != nil {
		t.Fatalf("output is not the card's JSON body: %v\n%s", err, r.stdout)
	}
	if err := hipcall.ValidateCard(body.Card); err != nil || *body.Card[0].Text != "Ada Lovelace" {
		t.Errorf("card %s: %v", r.stdout, err)
	}
	r.stdoutHas("£4,250.00", `"user_id": 42`) // the balance and the owner's user row
	cli(t, nil, "lookup", "-config", exampleConfig(t), "-card", "+447700900999").exits(0).stdoutHas("Unknown caller +447700900999")
}

func TestE2EFakeHipcallCommand(t *testing.T) {
	t.Parallel()
	hostBin, _ := binaries(t)
	cli(t, nil, "fake-hipcall", "-listen", "0.0.0.0:0").exits(exitUsage).stderrHas("loopback") // not a loopback address
	cmd := exec.Command(hostBin, "fake-hipcall", "-listen", "127.0.0.1:0", "-token", "local-token")
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var base string
	eventually(t, 10*time.Second, func() (bool, string) {
		m := regexp.MustCompile(`base_url: (\S+)`).FindStringSubmatch(stderr.String())
		if m != nil {
			base = m[1]
		}
		return m != nil, "no base URL printed: " + stderr.String()
	})
	client, err := hipcall.New(hipcall.Options{BaseURL: base, Token: "local-token"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.PushCard(context.Background(), "trial-1", []hipcall.Row{hipcall.Title("Ada Lovelace")}); err != nil {
		t.Fatalf("PushCard: %v", err)
	}
	eventually(t, 5*time.Second, func() (bool, string) {
		return strings.Contains(stdout.String(), "card for call trial-1: 201 Created") && strings.Contains(stdout.String(), "Ada Lovelace"),
			"card not printed: " + stdout.String()
	})
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("fake-hipcall did not stop cleanly on SIGTERM: %v", err)
	}
}
