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
	"github.com/switchboard-hq/switchboard/core/server"
)

// runFakeHipcall serves the fake Hipcall API (core/fakehipcall) on
// a loopback address for local trials, printing every Insight Card it
// accepts: point hipcall.api.base_url at it and post a call_init webhook.
func runFakeHipcall(ctx context.Context, env *cliEnv, args []string) int {
	fs := flag.NewFlagSet("fake-hipcall", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	listen := fs.String("listen", "127.0.0.1:5009", "loopback address to listen on")
	token := fs.String("token", "", "bearer token to require (default: accept any non-empty token)")
	rateLimit := fs.Int("rate-limit", fakehipcall.DefaultRateLimit, "requests per minute per token, as Hipcall allows (0: no limit)")
	retryAfter := fs.Bool("retry-after", false, "send Retry-After with rate-limit 429s")
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: switchboard fake-hipcall [flags]\n\nServes a fake Hipcall API on loopback and prints the Insight Cards it receives.\n\nFlags:\n")
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

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(env.stderr, "switchboard fake-hipcall: listen on %s: %v (is the port taken? use -listen)\n", *listen, err)
		return exitFailed
	}
	srv := &http.Server{Handler: printCards(fake.Handler(), env.stdout), ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(env.stderr, "fake Hipcall serving; set hipcall.api.base_url: http://%s%s\n", ln.Addr(), fakehipcall.PathPrefix)
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
		return fmt.Errorf("-listen %q: %w (use host:port, such as 127.0.0.1:5009)", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-listen %q is not a loopback address: the fake only serves on 127.0.0.1, ::1 or localhost", addr)
	}
	return nil
}

// printCards passes requests to the fake and prints each card it accepts.
func printCards(next http.Handler, out io.Writer) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uuid, isCard := cardCall(r)
		if !isCard {
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
		fmt.Fprintf(out, "%s card for call %s: %d %s\n%s\n", time.Now().Format("15:04:05.000"), uuid,
			rec.Status(), http.StatusText(rec.Status()), pretty.String())
	})
}

// cardCall reports whether r posts a card, and for which call.
func cardCall(r *http.Request) (string, bool) {
	rest, ok := strings.CutPrefix(r.URL.Path, fakehipcall.PathPrefix+"/calls/")
	if !ok || r.Method != http.MethodPost {
		return "", false
	}
	uuid, tail, ok := strings.Cut(rest, "/")
	return uuid, ok && tail == "cards"
}
