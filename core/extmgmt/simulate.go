package extmgmt

import (
	"context"
	"fmt"
)

// SimStep is one request of a simulated call and what it led to.
type SimStep struct {
	// Data is what the request carried (the question answered and the
	// digits; empty on the first request or when the caller keyed
	// nothing).
	Data map[string]string `json:"data"`
	// Seq is the answer; Steps, Trace, Final, Destination, Rule and
	// Fallback say how it was reached.
	Seq         []Action `json:"seq"`
	Steps       []string `json:"steps"`
	Trace       []string `json:"trace"`
	Final       string   `json:"final"`
	Destination string   `json:"destination,omitempty"`
	Rule        string   `json:"rule,omitempty"`
	Fallback    string   `json:"fallback,omitempty"`
}

// Simulate explains the flow step by step for a call from caller: the
// first request, then one more for each question asked, answered with
// the next of keyed ("" for no input), until the call is connected or
// hung up, or keyed runs out (the last step then asks a question). It
// runs the flow as the endpoint does, with the current data and rules,
// and sends nothing anywhere; what the trace says never includes the
// digits.
func (f *Flow) Simulate(ctx context.Context, caller, contactExternalID string, keyed []string) []SimStep {
	var (
		out     []SimStep
		pending *pos
		data    = map[string]string{}
	)
	for i := 0; i < f.cfg.MaxRequests; i++ {
		req := request{Caller: caller, UUID: "simulated", ContactExternalID: contactExternalID, Flow: -1, Data: data}
		o := f.Answer(ctx, req, pending)
		out = append(out, SimStep{Data: data, Seq: o.Seq, Steps: o.Steps, Trace: o.Trace, Final: o.Final,
			Destination: o.Destination, Rule: o.Rule, Fallback: o.Fallback})
		if o.pending == nil || len(keyed) == 0 {
			break
		}
		pending = o.pending
		data = map[string]string{variable(o.pending.step, o.pending.try): keyed[0]}
		keyed = keyed[1:]
	}
	return out
}

// Describe is a step's answer in one line ("say, gather ask_pin__1",
// "connect 1093").
func (s SimStep) Describe() string {
	out := ""
	for i, a := range s.Seq {
		if i > 0 {
			out += ", "
		}
		out += a.Action
		switch a.Action {
		case "gather":
			out += fmt.Sprint(" ", a.Args["variable_name"])
		case "connect":
			out += fmt.Sprint(" ", a.Args["destination"])
		}
	}
	return out
}
