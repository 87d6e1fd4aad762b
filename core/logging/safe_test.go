package logging_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/core/logging"
)

func TestValue(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"+905321234567", 64, "+905321234567"},
		{"+90532\nforged=1", 64, `+90532\nforged=1`},
		{"a\r\x1b[31mred\x00", 64, `a\r\x1b[31mred\x00`},
		{"bad\xffutf8", 64, `bad\xffutf8`},
		{"Zoë Ünal İstanbul", 64, "Zoë Ünal İstanbul"},
		{"line\u2028sep\u0085", 64, `line\u2028sep\u0085`},
		{"literal \ufffd kept", 64, "literal \ufffd kept"},
		{strings.Repeat("9", 100), 10, "9999999999…(100 bytes)"},
	}
	for _, tc := range tests {
		if got := logging.Value(tc.in, tc.max); got != tc.want {
			t.Errorf("Value(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

// TestSafeLoggerOneLinePerEvent: whatever the values, text and JSON, one
// call logs one line, and a 64 KB value is cut.
func TestSafeLoggerOneLinePerEvent(t *testing.T) {
	for _, format := range logging.Formats {
		t.Run(format, func(t *testing.T) {
			var out strings.Builder
			log := logging.New(logging.Config{Level: "debug", Format: format}, &out)
			log = log.Named("webhook").With("source", "x\ny")
			log.Info("event\nforged", "caller", "+90532\n2026-12-05T00:00:00Z [ERROR] forged", "err", errors.New("bad\r\nnumber"),
				"list", []string{"a", "b\nc"}, "n", 3, "big", strings.Repeat("1", 64<<10))
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if len(lines) != 1 {
				t.Fatalf("one event logged %d lines:\n%s", len(lines), out.String())
			}
			if !strings.Contains(out.String(), "(65536 bytes)") || len(out.String()) > logging.MaxValue+2000 {
				t.Errorf("a 64 KB value was not cut (%d bytes logged)", len(out.String()))
			}
		})
	}
}

func BenchmarkSafeLoggerCleanArgs(b *testing.B) {
	var out strings.Builder
	log := logging.New(logging.Config{Level: "info", Format: "text"}, &out)
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		log.Info("request", "endpoint", "smart_ivr", "caller", "+442045205757", "status", 200)
	}
}
