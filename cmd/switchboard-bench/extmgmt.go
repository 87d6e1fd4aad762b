package main

// External Management under load (issue 16): the real host answers
// Hipcall's step requests from a flow over the generated customers, each
// with an account number and a hashed PIN, at a steady rate (open loop),
// three kinds of steps in turn:
//
//   - first: a known caller's first request, answered with the PIN
//     question (a phone lookup, one branch);
//   - pin: the PIN keyed (a phone lookup, a constant-time check of the
//     hashed PIN in the key index, the routing rules);
//   - account: an unknown caller's account number keyed (a lookup by key,
//     the routing rules).

import (
	"bufio"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// benchExternalManagement measures each step kind at rate steps per
// second in all.
func benchExternalManagement(report io.Writer, bin, work string, n, rate int, d time.Duration) {
	csvPath := filepath.Join(work, "customers-keys.csv")
	numbers := generateKeyedCSV(csvPath, n)
	cfg := filepath.Join(work, "bench-em.yaml")
	check(os.WriteFile(cfg, []byte(fmt.Sprintf(`server:
  listen: "127.0.0.1:0"
log:
  level: info   # as deployed: one log line per request
phone:
  default_region: GB
plugins:
  dir: %s/plugins
connectors:
  - name: customers
    plugin: csv
    mode: index
    config:
      path: %s
      reload_interval: 0s
      columns: {id: id, first_name: first, last_name: last, phones: [phone]}
      fields:
        account_no: {column: account}
        pin_hash: {column: pin}
    keys:
      account: account_no
      pin: {field: pin_hash, hash: sha256}
directory:
  cache: {size: 0}
routing:
  default:
    hipcall: "1000"
  rules:
    - name: known
      when: found
      to:
        hipcall: "1093"
hipcall:
  smart_ivr:
    enabled: false
  external_management:
    enabled: true
    default: "1000"
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
      ask_account:
        gather: {ask: "https://audio.example/account.wav", min_digits: 8, max_digits: 8, tries: 2}
        find: account
        then:
          - when: keyed
            connect: rules
          - retry: true
`, bin, csvPath)), 0o600), "write the External Management config")
	addr, stop := startProcess(filepath.Join(bin, "switchboard"), []string{"serve", "-config", cfg}, nil)
	defer stop()
	waitReady(addr)

	kinds := []struct {
		name, want string
		body       func(i int, uuid string) string
	}{
		{"first step: the PIN question", `"variable_name":"ask_pin__1"`, func(i int, uuid string) string {
			return emBody(numbers[i], uuid, nil)
		}},
		{"PIN keyed: checked, connected", `"destination":"1093"`, func(i int, uuid string) string {
			return emBody(numbers[i], uuid, map[string]string{"ask_pin__1": "1234"})
		}},
		{"account keyed: found, connected", `"destination":"1093"`, func(i int, uuid string) string {
			return emBody("+447700900999", uuid, map[string]string{"ask_account__1": fmt.Sprintf("%08d", i)})
		}},
	}
	fmt.Fprintf(report, "\n### External Management steps at %d steps/s (open loop, %s, %d customers with hashed PINs)\n\n", rate, d, n)
	fmt.Fprintln(report, "| step | requests | errors | achieved req/s | p50 | p90 | p99 | max |")
	fmt.Fprintln(report, "|---|---:|---:|---:|---:|---:|---:|---:|")
	c := newClient()
	for ki, k := range kinds {
		// One call per request (a call's first request is asked once: a
		// second with empty data would be Hipcall's call back).
		bodies := make([]string, rate*(int(d.Seconds())+2))
		for j := range bodies {
			bodies[j] = k.body(rand.IntN(len(numbers)), fmt.Sprintf("bench-%d-%d", ki, j))
		}
		want := k.want
		send := func(c *http.Client, url, body string) bool {
			return postValid(c, url, body, func(b []byte) bool { return strings.Contains(string(b), want) })
		}
		openLoopAt(addr+"/hipcall/external-management", bodies[rate*int(d.Seconds()):], rate, time.Second, send, c) // warm-up, discarded
		openLoopAt(addr+"/hipcall/external-management", bodies, rate, d, send, c).row(report, k.name)
	}
}

func emBody(caller, uuid string, data map[string]string) string {
	if data == nil {
		data = map[string]string{}
	}
	b, _ := json.Marshal(map[string]any{"caller": caller, "callee": "442039000000", "uuid": uuid, "direction": "inbound",
		"external_manager_id": 99, "call_flow": []map[string]any{{"action": "init"}}, "data": data})
	return string(b)
}

// generateKeyedCSV writes n customers with an account number (their
// index, 8 digits) and the hashed PIN 1234, and returns their numbers.
func generateKeyedCSV(path string, n int) []string {
	f, err := os.Create(path)
	check(err, "create CSV")
	defer f.Close()
	sum := sha256.Sum256([]byte("1234"))
	pin := "sha256:" + hex.EncodeToString(sum[:])
	bw := bufio.NewWriter(f)
	w := csv.NewWriter(bw)
	w.Write([]string{"id", "first", "last", "phone", "account", "pin"})
	numbers := make([]string, n)
	for i := 0; i < n; i++ {
		numbers[i] = fmt.Sprintf("+4420%08d", 30000000+i)
		w.Write([]string{fmt.Sprintf("C%07d", i), "First", "Last", numbers[i], fmt.Sprintf("%08d", i), pin})
	}
	w.Flush()
	check(w.Error(), "write CSV")
	check(bw.Flush(), "write CSV")
	return numbers
}
