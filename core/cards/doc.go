// Package cards renders and pushes Hipcall Insight Cards: when a call
// starts (a call_init webhook), the customer is found through the
// directory and a card built from YAML-configured Go templates appears on
// the agent's Webphone before they say hello.
//
// A Builder compiles the templates (title, rows, a user row for the
// record's owner, and optional cards for unknown and ambiguous callers)
// and test-renders them against a sample record through
// hipcall.ValidateCard, so mistakes surface when the configuration loads.
// Templates see the routing environment (record.name, record.balance,
// found, ambiguous, candidates, caller, ...) plus call, the webhook's call
// payload, and the helpers money, date, default, upper, lower and join.
//
// A Service is the webhook.Handler that does the work: lookup, render,
// push within a deadline, retried by the Hipcall client, and abandoned as
// soon as the call's call_hangup arrives (a card after hangup is never
// shown).
package cards
