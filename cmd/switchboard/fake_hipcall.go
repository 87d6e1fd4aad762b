package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-hq/switchboard/core/fakehipcall"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/server"
)

// runFakeHipcall serves the fake Hipcall API (core/fakehipcall) on
// a loopback address for local trials, printing every Insight Card,
// comment, tag, disposition and task it accepts: point
// hipcall.api.base_url at it and post a call_init webhook. It starts with
// a few tags, dispositions and calls (trialTags, trialDispositions,
// trialCalls), listed on stderr, for after-call actions to use.
func runFakeHipcall(ctx context.Context, env *cliEnv, args []string) int {
	fs := flag.NewFlagSet("fake-hipcall", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	listen := fs.String("listen", "127.0.0.1:5010", "loopback address to listen on")
	token := fs.String("token", "", "bearer token to require (default: accept any non-empty token)")
	rateLimit := fs.Int("rate-limit", fakehipcall.DefaultRateLimit, "requests per minute per token, as Hipcall allows (0: no limit)")
	retryAfter := fs.Bool("retry-after", false, "send Retry-After with rate-limit 429s")
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: switchboard fake-hipcall [flags]\n\nServes a fake Hipcall API on loopback and prints the Insight Cards, comments, tags,\ndispositions and tasks it receives. It starts with a few tags, dispositions and calls.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if _, code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if err := checkLoopback(*listen); err != nil {
		fmt.Fprintf(env.stderr, "switchboard fake-hipcall: %v\n", err)
		return exitUsage
	}
	limit := *rateLimit
	if limit <= 0 {
		limit = fakehipcall.Unlimited
	}
	fake := fakehipcall.New(fakehipcall.Options{Token: *token, RateLimit: limit, RetryAfter: *retryAfter})
	defer fake.Close()
	seedTrial(fake, time.Now())

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(env.stderr, "switchboard fake-hipcall: listen on %s: %v (is the port taken? use -listen)\n", *listen, err)
		return exitFailed
	}
	srv := &http.Server{Handler: printWrites(fake.Handler(), env.stdout), ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(env.stderr, "fake Hipcall serving; set hipcall.api.base_url: http://%s%s\n", ln.Addr(), fakehipcall.PathPrefix)
	printSeed(env.stderr, fake)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		fmt.Fprintf(env.stderr, "switchboard fake-hipcall: %v\n", err)
		return exitFailed
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(env.stderr, "switchboard fake-hipcall: shutdown: %v\n", err)
	}
	return exitOK
}

// checkLoopback refuses any address that is not on the loopback interface:
// the fake accepts any token and must not be reachable from elsewhere.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-listen %q: %w (use host:port, such as 127.0.0.1:5010)", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-listen %q is not a loopback address: the fake only serves on 127.0.0.1, ::1 or localhost", addr)
	}
	return nil
}

// trialTags, trialDispositions and trialCalls are what the fake starts
// with: Hipcall answers 404 for a tag or a call it does not have, and has
// no dispositions until an admin makes some.
var (
	trialTags = []fakehipcall.Tag{
		{ID: 5617, Name: "VIP"},
		{ID: 5618, Name: "Callback needed"},
		{ID: 5619, Name: "Complaint"},
	}
	trialDispositions = []fakehipcall.DispositionType{
		{Code: "callback_requested", Name: "Callback requested", Directions: []string{"inbound", "outbound"}},
		{Code: "sale", Name: "Sale", Directions: []string{"outbound"}},
		{Code: "no_answer", Name: "No answer", Directions: []string{"outbound"}},
		{Code: "support_resolved", Name: "Support resolved", Directions: []string{"inbound"}},
	}
	trialCalls = []struct {
		uuid, direction, caller, callee string
	}{
		{"00000000-0000-4000-8000-000000000001", "inbound", "+447700900123", "101"},
		{"00000000-0000-4000-8000-000000000002", "outbound", "101", "+447700900456"},
	}
)

// seedTrial gives the fake the trial tags, dispositions and calls; the
// calls ended a minute before now, so that their disposition may be set
// for the next 14 minutes.
func seedTrial(fake *fakehipcall.Server, now time.Time) {
	for _, t := range trialTags {
		fake.AddTag(t.ID, t.Name)
	}
	for _, d := range trialDispositions {
		fake.AddDisposition(d.Code, d.Name, d.Directions...)
	}
	now = now.UTC().Truncate(time.Second)
	started, ended := now.Add(-4*time.Minute), now.Add(-time.Minute)
	for _, c := range trialCalls {
		fake.AddCall(hipcall.CallRow{
			UUID: c.uuid, Direction: c.direction, CallerNumber: c.caller, CalleeNumber: c.callee,
			StartedAt: &started, AnsweredAt: &started, EndedAt: &ended, MissingCall: new(bool),
		})
	}
}

// printSeed lists what the fake starts with.
func printSeed(out io.Writer, fake *fakehipcall.Server) {
	fmt.Fprintf(out, "tags (tag ids for hipcall.after_call.actions[..].tags):\n")
	for _, t := range fake.AccountTags() {
		fmt.Fprintf(out, "  %d  %s\n", t.ID, t.Name)
	}
	fmt.Fprintf(out, "dispositions (codes for hipcall.after_call.actions[..].disposition):\n")
	for _, d := range fake.DispositionTypes() {
		fmt.Fprintf(out, "  %-18s %-20s %s\n", d.Code, d.Name, strings.Join(d.Directions, ", "))
	}
	fmt.Fprintf(out, "calls (uuids to post webhooks with; other calls are unknown to it):\n")
	for _, c := range trialCalls {
		fmt.Fprintf(out, "  %s  %s %s -> %s\n", c.uuid, c.direction, c.caller, c.callee)
	}
}

// printWrites passes requests to the fake and prints each Insight Card,
// comment, tag, disposition and task sent to it, with the answer's status.
func printWrites(next http.Handler, out io.Writer) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		what, isWrite := describeWrite(r)
		if !isWrite {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &server.StatusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		var pretty bytes.Buffer
		if json.Indent(&pretty, body, "", "  ") != nil {
			pretty.Reset()
			pretty.Write(body)
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(out, "%s %s: %d %s\n%s\n", time.Now().Format("15:04:05.000"), what,
			rec.Status(), http.StatusText(rec.Status()), pretty.String())
	})
}

// describeWrite reports whether r is a write printWrites prints, and
// names it ("card for call <uuid>", "task").
func describeWrite(r *http.Request) (string, bool) {
	rest, ok := strings.CutPrefix(r.URL.Path, fakehipcall.PathPrefix+"/")
	if !ok {
		return "", false
	}
	if rest == "tasks" && r.Method == http.MethodPost {
		return "task", true
	}
	rest, ok = strings.CutPrefix(rest, "calls/")
	if !ok {
		return "", false
	}
	uuid, tail, ok := strings.Cut(rest, "/")
	if !ok {
		return "", false
	}
	what := map[string]string{
		http.MethodPost + " cards":      "card",
		http.MethodPost + " comments":   "comment",
		http.MethodPost + " tags":       "tag",
		http.MethodPut + " disposition": "disposition",
	}[r.Method+" "+tail]
	return what + " for call " + uuid, what != ""
}
