// Package metrics holds the host's one way of registering Prometheus
// collectors, so that every component treats a shared registry alike.
//
// Two kinds of component register collectors:
//
//   - Those of which several instances may share a registry (Hipcall
//     clients, directories, routers rebuilt on a configuration reload,
//     plugin managers) use Register: the second instance gets the collector
//     the first registered, and both count into the same series.
//   - Those that must be alone on a registry, because a second instance
//     would make their series mean something else (the webhook processor,
//     the card service, the HTTP server), use RegisterOwn: a second one is
//     refused with an error that says so.
//
// A nil Registerer means "no metrics": the collectors work, unregistered.
//
// Components keep their collectors in a type of their own called metrics,
// so they import this package as promreg.
package metrics

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Register registers c with reg and returns the collector to use: c, or,
// when an identical collector (same name, help and labels) of the same
// type is already registered, that one, so that several instances sharing
// reg count into the same series. With a nil reg it returns c,
// unregistered. On any other error (a clash with a different collector of
// the same name) it returns c, which still works but is not exported, and
// the error.
func Register[T prometheus.Collector](reg prometheus.Registerer, c T) (T, error) {
	if reg == nil {
		return c, nil
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(T); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

// RegisterOwn registers cs with reg for a component that must be the only
// one of its kind on reg. It stops at the first collector that cannot be
// registered; when that is because it is already registered, the error
// asks whether a second owner (a second "webhook processor") shares the
// registry. what names the metrics in the error ("webhook" gives "register
// webhook metrics: ..."). A nil reg registers nothing.
func RegisterOwn(reg prometheus.Registerer, what, owner string, cs ...prometheus.Collector) error {
	if reg == nil {
		return nil
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return fmt.Errorf("register %s metrics: %w (is a second %s using the same registry? give each its own)", what, err, owner)
			}
			return fmt.Errorf("register %s metrics: %w", what, err)
		}
	}
	return nil
}
