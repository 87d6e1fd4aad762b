package main

// End-to-end tests of the front ends that look records up by key (issue
// 16): Hipcall's External Management flows and its Speed Dial, against
// the real host and the real CSV plugin over the sample customers (Ada,
// C001: PIN 1234, account 100001, orders 50017 and 50018; Grace, C003:
// PIN 4321).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// keyFrontsConfig serves the sample customers in mode with their keys,
// External Management (the PIN and account flow) and Speed Dial.
func keyFrontsConfig(mode string) string {
	return strings.Replace(sampleCSVConfig(mode, managerRouting+`hipcall:
  smart_ivr:
    enabled: false
  external_management:
    enabled: true
    default: "1000"
    deadline: 700ms
    max_requests: 6
    steps:
      start:
        then:
          - when: found
            goto: ask_pin
          - goto: ask_account
      ask_pin:
        gather: {ask: "https://audio.example/pin.wav", min_digits: 4, max_digits: 4, tries: 2}
        verify: pin
        then:
          - when: verified
            connect: rules
          - retry: true
        on_fail: {connect: "1001"}
      ask_account:
        gather: {ask: "https://audio.example/account.wav", min_digits: 6, max_digits: 8, tries: 2}
        find: account
        then:
          - when: keyed
            connect: rules
          - retry: true
  speed_dial:
    enabled: true
    key: order
    deadline: 700ms
`), `        manager_phone: {column: ManagerPhone}
`, `        manager_phone: {column: ManagerPhone}
        account_no: {column: AccountNo}
        orders: {column: Orders}
        pin_hash: {column: PinHash}
    keys:
      account: account_no
      order: orders
      pin: {field: pin_hash, hash: sha256}
`, 1)
}

// emStep posts one External Management request and returns its answer's
// seq in one line ("gather:ask_pin__1", "connect:1093"), failing on
// anything that is not a valid answer.
func (h *hostProc) emStep(caller, uuid string, data map[string]string) (string, error) {
	body, _ := json.Marshal(map[string]any{"caller": caller, "callee": "442039000000", "uuid": uuid, "direction": "inbound",
		"external_manager_id": 99, "call_flow": []map[string]any{{"action": "init"}}, "data": data})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second) // Hipcall's limit
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.url("/hipcall/external-management"), strings.NewReader(string(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var ans struct {
		Version string `json:"version"`
		Seq     []struct {
			Action string         `json:"action"`
			Args   map[string]any `json:"args"`
		} `json:"seq"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &ans) != nil || ans.Version != "1" || len(ans.Seq) == 0 {
		return "", fmt.Errorf("not a valid answer: %d %s", resp.StatusCode, raw)
	}
	var parts []string
	for _, a := range ans.Seq {
		switch a.Action {
		case "gather":
			parts = append(parts, fmt.Sprint("gather:", a.Args["variable_name"]))
		case "connect":
			parts = append(parts, fmt.Sprint("connect:", a.Args["destination"]))
		default:
			parts = append(parts, a.Action)
		}
	}
	return strings.Join(parts, " "), nil
}

// speedDial posts a code and returns the status and the destination or
// error.
func (h *hostProc) speedDial(body string) (int, string) {
	resp, err := http.Post(h.url("/hipcall/speed-dial"), "application/json", strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var out map[string]string
	raw, _ := io.ReadAll(resp.Body)
	if json.Unmarshal(raw, &out) != nil {
		return resp.StatusCode, "not JSON: " + string(raw)
	}
	if resp.StatusCode == http.StatusOK {
		return resp.StatusCode, out["destination"]
	}
	return resp.StatusCode, out["error"]
}

func TestE2EExternalManagement(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"index", "live"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := startHost(t, writeConfig(t, t.TempDir(), "em.yaml", keyFrontsConfig(mode)))
			type step struct {
				data map[string]string
				want string
			}
			for _, tc := range []struct {
				name, caller string
				steps        []step
			}{
				{"right PIN: the account manager", numAda, []step{{nil, "gather:ask_pin__1"}, {map[string]string{"ask_pin__1": "1234"}, "connect:1093"}}},
				{"another customer's PIN is wrong", numAda, []step{{map[string]string{"ask_pin__1": "4321"}, "gather:ask_pin__2"}}},
				{"wrong twice: the general queue", numAda, []step{
					{map[string]string{"ask_pin__1": "0000"}, "gather:ask_pin__2"},
					{map[string]string{"ask_pin__2": "1111"}, "connect:1001"}}},
				{"no input, then right", numAda, []step{
					{map[string]string{"ask_pin__1": ""}, "gather:ask_pin__2"},
					{map[string]string{"ask_pin__2": "1234"}, "connect:1093"}}},
				{"the empty-data loop ends connected", numAda, []step{
					{map[string]string{}, "gather:ask_pin__1"}, {map[string]string{}, "gather:ask_pin__2"},
					{map[string]string{}, "connect:1001"}}},
				{"an unknown caller keys Ada's account", numUnknown, []step{
					{nil, "gather:ask_account__1"}, {map[string]string{"ask_account__1": "100001"}, "connect:1093"}}},
				{"an unknown account, twice: the default", numUnknown, []step{
					{map[string]string{"ask_account__1": "999999"}, "gather:ask_account__2"},
					{map[string]string{"ask_account__2": "888888"}, "connect:1000"}}},
			} {
				uuid := strings.ReplaceAll(tc.name, " ", "-")
				for i, s := range tc.steps {
					got, err := h.emStep(tc.caller, uuid, s.data)
					if err != nil || got != s.want {
						t.Fatalf("%s, step %d: %q, %v; want %q", tc.name, i+1, got, err, s.want)
					}
				}
			}
			// Hipcall calling again and again on one call: capped.
			for i := range 8 {
				got, err := h.emStep(numAda, "looping", map[string]string{})
				if err != nil {
					t.Fatal(err)
				}
				if i >= 6 && got != "connect:1000" {
					t.Fatalf("request %d beyond max_requests answered %q", i+1, got)
				}
			}
			// The PIN never reaches the log.
			if strings.Contains(h.logs.String(), `"1234"`) || strings.Contains(h.logs.String(), "=1234") {
				t.Error("a keyed PIN is in the host's log")
			}

			// The plugin killed mid-flow: every request still gets a valid
			// answer; a right PIN connects again once it is back.
			rightPIN := func() (bool, string) {
				got, err := h.emStep(numAda, fmt.Sprintf("healthy-%d", time.Now().UnixNano()), map[string]string{"ask_pin__1": "1234"})
				return err == nil && got == "connect:1093", fmt.Sprintf("%q, %v", got, err)
			}
			sent, back := h.killPluginUnderLoad(rightPIN, func(i int) (bool, string) {
				data := map[string]string{}
				switch i % 3 {
				case 1:
					data["ask_pin__1"] = "1234"
				case 2:
					data["ask_account__1"] = "100001"
				}
				got, err := h.emStep([]string{numAda, numUnknown}[i%2], fmt.Sprintf("kill-%d", i), data)
				return err == nil, fmt.Sprintf("%q, %v", got, err)
			})
			t.Logf("%s: %d steps answered during the kill; a right PIN connected again %s after it", mode, sent, back.Round(time.Millisecond))
		})
	}
}

// TestE2EExternalManagementDeadline: a plugin that stops answering (live
// mode, SIGSTOP) makes every step connect the default within the
// connector's timeout (200ms here) and always within the flow's deadline
// (700ms), far below Hipcall's 15 s, rather than asking a caller the CRM
// cannot place for a PIN it cannot check.
func TestE2EExternalManagementDeadline(t *testing.T) {
	t.Parallel()
	h := startHost(t, writeConfig(t, t.TempDir(), "em.yaml", keyFrontsConfig("live")))
	pids := h.pluginPIDs()
	if len(pids) != 1 {
		t.Fatalf("plugins %v", pids)
	}
	if err := syscall.Kill(pids[0], syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pids[0], syscall.SIGCONT) })
	for _, data := range []map[string]string{nil, {"ask_pin__1": "1234"}} {
		start := time.Now()
		got, err := h.emStep(numAda, "stopped", data)
		took := time.Since(start)
		if err != nil || got != "connect:1000" || took > 2*time.Second {
			t.Errorf("with the plugin stopped (data %v): %q, %v after %s; want connect:1000 within about the 700ms deadline", data, got, err, took)
		}
	}
	code, msg := h.speedDial(`{"number":"50017","user_id":3508}`)
	if code != http.StatusServiceUnavailable && code != http.StatusNotFound {
		t.Errorf("speed dial with the plugin stopped: %d %s", code, msg)
	}
}

func TestE2ESpeedDial(t *testing.T) {
	t.Parallel()
	h := startHost(t, writeConfig(t, t.TempDir(), "sd.yaml", keyFrontsConfig("index")))
	for _, tc := range []struct {
		body   string
		status int
		want   string
	}{
		{`{"number":"50017","user_id":3508,"uuid":"06787f4b","speed_dial_id":5,"timestamp":1774611216}`, 200, "442045205757"},
		{`{"number":"50018","user_id":3508}`, 200, "442045205757"},
		{`{"number":"50031","user_id":3508}`, 200, "441614960000"},
		{`{"number":"42","user_id":3508}`, 404, "no record has this code"},
		{`{"number":"5O017","user_id":3508}`, 400, "must be 1 to 20 digits"},
		{`{"user_id":3508}`, 400, "missing"},
	} {
		if code, got := h.speedDial(tc.body); code != tc.status || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %d %q, want %d %q", tc.body, code, got, tc.status, tc.want)
		}
	}
	if strings.Contains(h.logs.String(), "442045205757") {
		t.Error("the customer's number is in the host's log in clear")
	}
	// The plugin killed mid-request: answers stay valid (from the index),
	// and the code is answered again once it is back.
	known := func() (bool, string) {
		code, got := h.speedDial(`{"number":"50017","user_id":3508}`)
		return code == 200 && got == "442045205757", fmt.Sprint(code, got)
	}
	h.killPluginUnderLoad(known, func(i int) (bool, string) {
		code, got := h.speedDial(fmt.Sprintf(`{"number":"%d","user_id":3508}`, []int{50017, 424242}[i%2]))
		return code == 200 || code == 404 || code == 503, fmt.Sprint(code, got)
	})
}
