package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"text/tabwriter"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/ringostat"
	"github.com/switchboard-hq/switchboard/core/routing"
)

// lookupRPCID is the JSON-RPC id `lookup -for ringostat` shows in a
// jsonrpc answer; a real answer carries the request's own id.
var lookupRPCID = json.RawMessage("1")

// ringostatAnswerJSON is the answer part of `lookup -for ringostat -json`.
type ringostatAnswerJSON struct {
	Import      string `json:"import"`
	Status      int    `json:"status"`
	ContentType string `json:"content_type"`
	Body        string `json:"body"`
}

// ringostatLookupOutput is `lookup -for ringostat -json`.
type ringostatLookupOutput struct {
	lookupOutput
	Answer ringostatAnswerJSON `json:"answer"`
}

// printRingostatLookup prints a Ringostat decision and the answer exactly
// as the endpoint would send it in the configured import type.
func printRingostatLookup(env *cliEnv, rc ringostat.Config, res directory.Result, dec routing.Decision, kq *keyQuery, asJSON bool) int {
	ans := ringostat.Render(rc.Import, rc.ResponseKey, dec.Destination, lookupRPCID)
	if asJSON {
		return printJSON(env, ringostatLookupOutput{
			lookupOutput: lookupJSON(res, dec, kq),
			Answer: ringostatAnswerJSON{Import: string(rc.Import), Status: ans.Status,
				ContentType: ans.ContentType, Body: string(ans.Body)},
		})
	}
	w := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	printMatch(w, res, kq)
	dest := dec.Destination
	if dest == "" {
		dest = "none: Ringostat goes on to the next step of its scheme"
	}
	fmt.Fprintf(w, "destination:\t%s\n", dest)
	fmt.Fprintf(w, "answer:\t%d %s (import: %s", ans.Status, http.StatusText(ans.Status), rc.Import)
	if rc.Import == ringostat.ImportJSONRPC {
		fmt.Fprintf(w, "; the id is the request's, %s here", lookupRPCID)
	}
	fmt.Fprintf(w, ")\n")
	fmt.Fprintf(w, "content-type:\t%s\n", ans.ContentType)
	if len(ans.Body) == 0 {
		fmt.Fprintf(w, "body:\t(empty)\n")
	} else {
		fmt.Fprintf(w, "body:\t%s\n", ans.Body)
	}
	fmt.Fprintf(w, "reason:\t%s\n", dec.Reason)
	w.Flush()
	return exitOK
}
