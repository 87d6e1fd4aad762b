package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/host"
	"github.com/switchboard-hq/switchboard/core/routing"
)

// `switchboard lookup -key NAME=VALUE` looks a record up by one of the
// keys the connectors configure (an account number, an order number, a
// PIN) instead of by the caller's number, and prints the match and the
// routing decision as a number's lookup does. The value of a hashed key (a
// PIN) is never printed back.

// keyQuery is a lookup's -key argument.
type keyQuery struct {
	Name, Value string
	// Hashed: some connector stores the key hashed; Value is a secret.
	Hashed bool
}

// keyJSON is the key part of `lookup -key -json`.
type keyJSON struct {
	Name   string `json:"name"`
	Value  string `json:"value,omitempty"`
	Hashed bool   `json:"hashed,omitempty"`
}

// parseKeyArg reads NAME=VALUE; with -key there is no NUMBER and no card
// (a card is for a caller's number).
func parseKeyArg(arg string, pos []string, card bool) (*keyQuery, error) {
	name, value, ok := strings.Cut(arg, "=")
	name = strings.TrimSpace(name)
	switch {
	case !ok || name == "":
		return nil, errors.New("write NAME=VALUE, such as -key account=AB-12")
	case strings.TrimSpace(value) == "":
		return nil, fmt.Errorf("key %q has no value: write %s=VALUE", name, name)
	case len(pos) > 0:
		return nil, fmt.Errorf("look up either a NUMBER or a -key, not both (got %q too)", pos[0])
	case card:
		return nil, errors.New("-card shows the Insight Card for a caller's number: use it with a NUMBER, not -key")
	}
	return &keyQuery{Name: name, Value: value}, nil
}

// check refuses a key no connector configures, naming those that are,
// and learns whether the key is a secret.
func (kq *keyQuery) check(env *cliEnv, d *directory.Directory) (int, bool) {
	keys := d.Keys()
	if !slices.Contains(keys, kq.Name) {
		known := "no connector configures keys: add keys: to a connector (see docs/configuration.md)"
		if len(keys) > 0 {
			known = "the connectors configure " + strings.Join(keys, ", ")
		}
		fmt.Fprintf(env.stderr, "switchboard lookup: -key: no connector configures key %q; %s\n", kq.Name, known)
		return exitUsage, false
	}
	kq.Hashed = d.KeyIsSecret(kq.Name)
	return exitOK, true
}

// decide looks the key up and routes the result for target, the call
// carrying only the dialled number (there is no caller's number).
func (kq *keyQuery) decide(ctx context.Context, h *host.Host, dialled, target string) (directory.Result, routing.Decision) {
	res := h.Directory.LookupKey(ctx, kq.Name, kq.Value)
	return res, h.Router.Decide(res, routing.Call{Number: dialled}, target)
}

// shown is the value as printed: not at all for a hashed key.
func (kq *keyQuery) shown() string {
	if kq.Hashed {
		return ""
	}
	return strings.TrimSpace(kq.Value)
}

func (kq *keyQuery) json() *keyJSON {
	return &keyJSON{Name: kq.Name, Value: kq.shown(), Hashed: kq.Hashed}
}

// print writes the key line of the text output.
func (kq *keyQuery) print(w io.Writer) {
	if kq.Hashed {
		fmt.Fprintf(w, "key:\t%s (hashed: the value is not shown)\n", kq.Name)
		return
	}
	fmt.Fprintf(w, "key:\t%s = %q\n", kq.Name, kq.shown())
}
