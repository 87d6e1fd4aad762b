package main

// Helpers of the browser test (e2e_console_browser_test.go): a headless
// Chromium driven by chromedp, one browser for the whole test, tabs as
// chromedp contexts, bounded waits, the page's console collected, and
// full-page screenshots under bench-results/screenshots.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserStepTimeout bounds each browser action: a page that never shows
// what the test waits for fails the test in seconds, not at the test
// binary's timeout.
const browserStepTimeout = 15 * time.Second

// chromePath is the browser to drive: $SWITCHBOARD_CHROME when set (it
// must then exist), else `chromium` on PATH; without either the test is
// skipped (CI installs chromium).
func chromePath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SWITCHBOARD_CHROME"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			t.Fatalf("SWITCHBOARD_CHROME=%s: %v", p, err)
		}
		return path
	}
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("no browser: chromium is not on PATH and SWITCHBOARD_CHROME is not set (apt-get install chromium)")
	}
	return path
}

// browser is one headless Chromium with a fresh profile, shared by the
// test's tabs.
type browser struct {
	t   *testing.T
	ctx context.Context // the first tab; its context owns the browser

	mu      sync.Mutex
	console []string // what the pages wrote to the console, "tab: type: text"
}

// newBrowser starts the browser (and its first tab) and stops it when the
// test ends.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromePath(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	if os.Geteuid() == 0 {
		// Chromium refuses to run as root with its sandbox.
		opts = append(opts, chromedp.NoSandbox)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx}
	// The first run starts the browser: no deadline on it, or the
	// deadline would stop the browser (chromedp.Run).
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start %s: %v", chromePath(t), err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the browser did not start within 30s")
	}
	b.watchConsole(ctx, "tab 1")
	return b
}

// newTab opens another tab of the same browser (same profile, so same
// cookies); it closes when the test ends.
func (b *browser) newTab(name string) context.Context {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open %s: %v", name, err)
	}
	b.watchConsole(ctx, name)
	return ctx
}

// watchConsole records what tab's pages write to the console: calls of
// the console API, uncaught exceptions and the browser's log (failed
// loads).
func (b *browser) watchConsole(tab context.Context, name string) {
	messages := chromedp.Console(tab)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, fmt.Sprintf("%s: %s: %s (%s:%d)", name, m.Type, m.Text, m.URL, m.Line+1))
			b.mu.Unlock()
		}
	}()
}

// consoleLines is what the pages wrote to the console so far.
func (b *browser) consoleLines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.console...)
}

// do runs actions on tab within browserStepTimeout and stops the test on
// an error, saying what it was doing.
func (b *browser) do(tab context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserStepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v\npage: %s", what, err, b.pageText(tab))
	}
}

// pageText is the page's URL and visible text, for failure messages.
func (b *browser) pageText(tab context.Context) string {
	ctx, cancel := context.WithTimeout(tab, 3*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + (document.body ? document.body.innerText : "")`))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return s
}

// eval evaluates a JavaScript expression on tab and decodes its value.
func eval[T any](b *browser, tab context.Context, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserStepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript predicate on tab (on every DOM change) until
// it holds; it is an error (stopping the test) if it does not within
// browserStepTimeout.
func (b *browser) waitFor(tab context.Context, what, predicate string) {
	b.t.Helper()
	b.do(tab, what, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingMutation(),
			chromedp.WithPollingTimeout(browserStepTimeout))(ctx, t)
		return err
	}))
}

// screenshot saves a full-page PNG of tab as
// bench-results/screenshots/name.png in the repository and logs its path
// and size.
func (b *browser) screenshot(tab context.Context, name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserStepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if !strings.HasPrefix(string(png), "\x89PNG") {
		b.t.Fatalf("screenshot %s: %d bytes that are not a PNG", name, len(png))
	}
	dir := filepath.Join(repoRoot, "bench-results", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s: %d bytes", path, len(png))
	return path
}
