package logging

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// stripTime drops each line's timestamp (the two loggers' clocks differ).
func stripTime(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if _, rest, ok := strings.Cut(l, " "); ok {
			lines[i] = rest
		}
	}
	return strings.Join(lines, "\n")
}

// TestLogMatchesHclog: Log appends the very line hclog writes, through
// Safe's escaping, for every value type it handles itself, and leaves the
// others to hclog.
func TestLogMatchesHclog(t *testing.T) {
	cases := [][]any{
		{"endpoint", "smart_ivr", "method", "POST", "path", "/hipcall/smart-ivr", "status", "200", "duration", 812300 * time.Nanosecond,
			"remote", "127.0.0.1:55218", "caller_raw", "+442030000001", "uuid", "", "found", true, "ambiguous", false,
			"lookup_duration", 6604314 * time.Nanosecond, "extension", "1093", "rule", "known",
			"reason", `rule "known" matched (found) for contact:C0000001 via index/customers`, "outcome", "rule"},
		{"caller", "+90532\n2026-12-05T00:00:00Z [ERROR] forged", "list", []string{"a", "b\nc", `q"uote`, "Zoë"}, "empty", []string{}},
		{"n", 3, "n64", int64(-42), "u", uint64(7), "d", time.Duration(0), "long", strings.Repeat("9", 70<<10)},
		{"weird", "bad\xffutf8 soft\u00adhyphen tab\there \u2028sep", "quote", `say "hi"`, "space", "a b", "tilde", "~-./09AZaz"},
		{"unicode", "İstanbul → Ankara", "emoji", "😀", "low", "!#$%&'()*+,"},
		// Left to hclog: an error, an odd count, a non-string key, a float.
		{"err", errors.New("boom: x"), "ok", "1"},
		{"odd"},
		{42, "v"},
		{"f", 1.5},
		{},
	}
	for _, json := range []bool{false, true} {
		for i, args := range cases {
			var fast, slow strings.Builder
			cfg := Config{Level: "debug", Format: map[bool]string{false: "text", true: "json"}[json]}
			lf := New(cfg, &fast).Named("http").With("implied", "x y")
			ls := New(cfg, &slow).Named("http").With("implied", "x y")
			Log(lf, hclog.Info, "request\nforged", args...)
			ls.Log(hclog.Info, "request\nforged", args...)
			Log(lf, hclog.Error, "", args...)
			ls.Log(hclog.Error, "", args...)
			Log(lf, hclog.Trace, "below the level", args...)
			ls.Log(hclog.Trace, "below the level", args...)
			if got, want := stripTime(fast.String()), stripTime(slow.String()); got != want {
				t.Errorf("json=%v case %d:\n got %q\nwant %q", json, i, got, want)
			}
		}
	}
}

// TestLogSink: the sink receives a line Log appends as hclog's intercept
// logger would hand it over.
func TestLogSink(t *testing.T) {
	var fastSink, slowSink recordingSink
	var out strings.Builder
	lf := NewWithSink(Config{Level: "info"}, &out, &fastSink).Named("http").With("k", "v\n")
	ls := NewWithSink(Config{Level: "info"}, &out, &slowSink).Named("http").With("k", "v\n")
	Log(lf, hclog.Warn, "request", "caller", "+90\n1", "n", 1)
	ls.Log(hclog.Warn, "request", "caller", "+90\n1", "n", 1)
	if got, want := fastSink.String(), slowSink.String(); got != want || got == "" {
		t.Errorf("sink got %q, want %q", got, want)
	}
}

type recordingSink struct {
	mu    sync.Mutex
	lines []string
}

func (s *recordingSink) Accept(name string, level hclog.Level, msg string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	b.WriteString(name + " " + level.String() + " " + msg)
	for _, a := range args {
		b.WriteString(" ")
		b.WriteString(strings.ReplaceAll(strings.TrimSpace(strings.ReplaceAll(toString(a), "\n", `\n`)), " ", "_"))
	}
	s.lines = append(s.lines, b.String())
}

func (s *recordingSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines, "\n")
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return string(rune('0' + x))
	}
	return "?"
}

// TestLogHoldsBackOnlyWhenBusy: to a file, a line after a quiet spell is
// written at once; lines close together are held, and written in order
// before any other line, by Flush, or by the timer.
func TestLogHoldsBackOnlyWhenBusy(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	read := func() string {
		b, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		return stripTime(string(b))
	}
	l := New(Config{Level: "info"}, f)
	o := l.(safeLogger).out
	var fire func()
	o.mu.Lock()
	o.holdFor = time.Hour                   // every line within the hour is busy
	o.last = time.Now().Add(-2 * time.Hour) // but the output has been quiet
	o.afterFunc = func(d time.Duration, f func()) *time.Timer {
		fire = f
		return time.AfterFunc(time.Hour, func() {})
	}
	o.mu.Unlock()

	Log(l, hclog.Info, "one")
	if got := read(); got != "[INFO]  switchboard: one\n" {
		t.Fatalf("after a quiet spell the line waits: %q", got)
	}
	Log(l, hclog.Info, "two") // right after: held
	Log(l, hclog.Info, "three")
	if got := read(); got != "[INFO]  switchboard: one\n" {
		t.Fatalf("busy lines not held: %q", got)
	}
	l.Warn("four") // hclog's own line: written with what is held before it
	want := "[INFO]  switchboard: one\n[INFO]  switchboard: two\n[INFO]  switchboard: three\n[WARN]  switchboard: four\n"
	if got := read(); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	Log(l, hclog.Info, "five")
	if err := Flush(l); err != nil {
		t.Fatal(err)
	}
	want += "[INFO]  switchboard: five\n"
	if got := read(); got != want {
		t.Fatalf("after Flush: %q", got)
	}
	Log(l, hclog.Info, "six") // held, and written when the timer fires
	if got := read(); got != want {
		t.Fatalf("six not held: %q", got)
	}
	if fire == nil {
		t.Fatal("no timer armed for a held line")
	}
	fire()
	if got := read(); got != want+"[INFO]  switchboard: six\n" {
		t.Fatalf("after the timer: %q", got)
	}
}

// TestLogConcurrent: lines from many goroutines, held or not, all arrive
// whole (run with -race).
func TestLogConcurrent(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := New(Config{Level: "info"}, f).Named("http")
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				if i%50 == 0 {
					l.Info("hclog line", "g", g)
				} else {
					Log(l, hclog.Info, "request", "g", g, "i", i)
				}
			}
		}()
	}
	wg.Wait()
	if err := Flush(l); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 8*500 {
		t.Fatalf("%d lines, want %d", len(lines), 8*500)
	}
	for _, line := range lines {
		if !strings.Contains(line, "switchboard.http: ") || !strings.Contains(line, " g=") {
			t.Fatalf("broken line %q", line)
		}
	}
}
