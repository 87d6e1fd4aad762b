package cards

import (
	"encoding/json"
	"testing"
	"time"
)

func TestMoney(t *testing.T) {
	cases := []struct {
		v        any
		currency string
		want     string
	}{
		{4250.0, "USD", "$4,250.00"},
		{4250, "usd", "$4,250.00"},
		{"4250.00", "USD", "$4,250.00"},
		{json.Number("1234567.891"), "EUR", "€1,234,567.89"},
		{-12.5, "EUR", "-€12.50"},
		{999.999, "GBP", "£1,000.00"},
		{0.0, "TRY", "₺0.00"},
		{int64(100), "TRY", "₺100.00"},
		{uint8(7), "USD", "$7.00"},
		{float32(1.5), "USD", "$1.50"},
		{10.0, "CHF", "10.00 CHF"},
		{10.0, "", "10.00"},
		{"1,500", "USD", "$1,500.00"},
		{123456789012.0, "USD", "$123,456,789,012.00"},
		{nil, "USD", ""},
		{"", "USD", ""},
		{"n/a", "USD", "n/a"},
		{true, "USD", "true"},
	}
	for _, tc := range cases {
		if got := money(tc.v, tc.currency); got != tc.want {
			t.Errorf("money(%#v, %q) = %q, want %q", tc.v, tc.currency, got, tc.want)
		}
	}
}

func TestDate(t *testing.T) {
	at := time.Date(2026, 3, 25, 10, 39, 51, 0, time.UTC)
	cases := []struct {
		v      any
		layout string
		want   string
	}{
		{at, "02 Jan 2006 15:04", "25 Mar 2026 10:39"},
		{&at, "date", "2026-03-25"},
		{at, "time", "10:39"},
		{at, "", "2026-03-25 10:39"},
		{at, "RFC3339", "2026-03-25T10:39:51Z"},
		{"2026-03-25T10:39:51Z", "datetime", "2026-03-25 10:39"},
		{"2026-03-25", "02/01/2006", "25/03/2026"},
		{1774435191.0, "date", "2026-03-25"},
		{(*time.Time)(nil), "date", ""},
		{nil, "date", ""},
		{"next Tuesday", "date", "next Tuesday"},
	}
	for _, tc := range cases {
		if got := date(tc.v, tc.layout); got != tc.want {
			t.Errorf("date(%#v, %q) = %q, want %q", tc.v, tc.layout, got, tc.want)
		}
	}
}

func TestDefaultUpperLowerJoin(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want any
	}{
		{nil, "-"}, {"", "-"}, {"  ", "-"}, {[]string{}, "-"}, {map[string]any{}, "-"},
		{"gold", "gold"}, {0.0, 0.0}, {false, false}, {[]string{"a"}, []string{"a"}},
	} {
		got := defaultValue("-", tc.v)
		if gs, ok := got.([]string); ok {
			if len(gs) != 1 {
				t.Errorf("default(%#v) = %#v", tc.v, got)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("default(%#v) = %#v, want %#v", tc.v, got, tc.want)
		}
	}
	if got := funcs["upper"].(func(any) string)("ayşe"); got != "AYŞE" {
		t.Errorf("upper = %q", got)
	}
	if got := funcs["lower"].(func(any) string)(nil); got != "" {
		t.Errorf("lower(nil) = %q", got)
	}
	if got := join(", ", []any{"a", nil, 2.0, "b"}); got != "a, 2, b" {
		t.Errorf("join = %q", got)
	}
	if got := join(", ", "solo"); got != "solo" {
		t.Errorf("join of a scalar = %q", got)
	}
}
