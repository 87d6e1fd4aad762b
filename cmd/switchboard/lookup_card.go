package main

import (
	"fmt"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/host"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

// printCard prints, for `lookup -card`, the body Switchboard would POST to
// Hipcall's /calls/{uuid}/cards for an inbound call from number: exactly
// what a call_init for that caller pushes.
func printCard(env *cliEnv, h *host.Host, res directory.Result, number, dialled string) int {
	if h.Cards == nil {
		fmt.Fprintln(env.stderr, "switchboard lookup: -card: no card templates are configured: set cards.enabled and cards.title (see docs/configuration.md)")
		return exitUsage
	}
	call := &webhook.Call{UUID: "lookup", Direction: webhook.Inbound, CallerNumber: number, CalleeNumber: dialled}
	card := h.Cards.Build(res, call)
	for _, p := range card.Problems {
		fmt.Fprintf(env.stderr, "warning: %s\n", p)
	}
	if card.Rows == nil {
		fmt.Fprintf(env.stdout, "no card would be pushed: %s caller, and cards.%s is not configured\n", res.Outcome(), card.Kind)
		return exitOK
	}
	if err := hipcall.ValidateCard(card.Rows); err != nil {
		printError(env, err)
		return exitFailed
	}
	return printJSON(env, map[string][]hipcall.Row{"card": card.Rows})
}
