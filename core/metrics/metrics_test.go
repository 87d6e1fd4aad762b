package metrics_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	promreg "github.com/switchboard-hq/switchboard/core/metrics"
)

func counter(help string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "test_things_total", Help: help}, []string{"kind"})
}

func TestRegisterReusesTheIdenticalCollector(t *testing.T) {
	reg := prometheus.NewRegistry()
	first, err := promreg.Register(reg, counter("Things."))
	if err != nil {
		t.Fatal(err)
	}
	second, err := promreg.Register(reg, counter("Things."))
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Fatal("the second Register did not return the collector already registered")
	}
}

func TestRegisterReportsAClash(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := promreg.Register(reg, counter("Things.")); err != nil {
		t.Fatal(err)
	}
	other := counter("Other things.")
	got, err := promreg.Register(reg, other)
	if err == nil {
		t.Fatal("a collector with the same name and another help registered without error")
	}
	if got != other {
		t.Fatal("on a clash Register must return the collector it was given")
	}
}

func TestRegisterNilRegisterer(t *testing.T) {
	c := counter("Things.")
	got, err := promreg.Register(nil, c)
	if err != nil || got != c {
		t.Fatalf("Register(nil) = %p, %v; want the collector itself, nil", got, err)
	}
	if err := promreg.RegisterOwn(nil, "test", "tester", c); err != nil {
		t.Fatalf("RegisterOwn(nil) = %v", err)
	}
}

func TestRegisterOwnRefusesASecondOwner(t *testing.T) {
	reg := prometheus.NewRegistry()
	if err := promreg.RegisterOwn(reg, "test", "tester", counter("Things.")); err != nil {
		t.Fatal(err)
	}
	err := promreg.RegisterOwn(reg, "test", "tester", counter("Things."))
	var are prometheus.AlreadyRegisteredError
	if !errors.As(err, &are) || !strings.Contains(err.Error(), "register test metrics:") || !strings.Contains(err.Error(), "is a second tester using the same registry?") {
		t.Fatalf("second RegisterOwn: %v", err)
	}
	err = promreg.RegisterOwn(reg, "test", "tester", counter("Other things."))
	if err == nil || errors.As(err, &are) || strings.Contains(err.Error(), "second tester") {
		t.Fatalf("RegisterOwn of a clashing collector: %v", err)
	}
}
