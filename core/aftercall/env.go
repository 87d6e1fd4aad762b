package aftercall

import (
	"fmt"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

// Names of the variables after-call actions see besides routing's. They
// are listed once here so that Env, EnvDoc and the tests agree.
const (
	varCall        = "call"
	varInbound     = "inbound"
	varOutbound    = "outbound"
	varInternal    = "internal"
	varAnswered    = "answered"
	varMissed      = "missed"
	varVoicemail   = "voicemail"
	varTalkSeconds = "talk_seconds"
	varRingSeconds = "ring_seconds"
	varHangupBy    = "hangup_by"
	varAgent       = "agent"
	varKnown       = "known"
)

// Routing's clock variables, which Actions sets from its own clock and
// zone (routing.Env reads time.Now in the host's zone).
const (
	varNow     = "now"
	varHour    = "hour"
	varMinute  = "minute"
	varWeekday = "weekday"
	varRecord  = "record"
	varFound   = "found"
)

// varDoc describes one variable for EnvDoc.
type varDoc struct {
	name, typ, doc string
}

// envVars documents every variable Env adds to routing's, in the order
// EnvDoc lists them.
var envVars = []varDoc{
	{varCall, "map", "the call_hangup payload under Hipcall's field names: call.uuid, call.direction, " +
		"call.started_at, call.bridged_at, call.ended_at (times, nil when absent), call.call_duration, " +
		"call.missing_call, call.hangup_by, call.user_id, call.contact_id, call.company_id, " +
		`call.record_url, call.voicemail_url, call.voicemail_id ("" when absent), call.call_flow, ...`},
	{varInbound, "bool", `call.direction is "inbound"`},
	{varOutbound, "bool", `call.direction is "outbound"`},
	{varInternal, "bool", `call.direction is "internal" (between users; no customer, so no record)`},
	{varAnswered, "bool", "the call was bridged to a person (bridged_at is set)"},
	{varMissed, "bool", "Hipcall's missed call: missing_call is true and no voicemail was left; " +
		"an outbound call the customer did not answer is not missed"},
	{varVoicemail, "bool", "the caller left a voicemail (voicemail_id or voicemail_url is set)"},
	{varTalkSeconds, "int", "whole seconds from bridged_at to ended_at (not call_duration, which " +
		"counts ringing and IVR time); 0 when not bridged"},
	{varRingSeconds, "int", "whole seconds from started_at to bridged_at, or to ended_at when never " +
		"bridged (IVR and queue time included); 0 when unknown"},
	{varHangupBy, "string", `who hung up, lower-cased: "contact", "user", "system", or ""`},
	{varAgent, "string", `Hipcall id of the user who took or made the call (call.user_id), as text ` +
		`("17"; compare with agent == "17"), "" when none`},
	{varKnown, "bool", "the same as found: exactly one CRM record answers the customer's number"},
}

// docWidth is the width EnvDoc wraps its descriptions to.
const docWidth = 100

// EnvDoc describes, for people, every variable an after-call action's
// when expression and templates can use: the variables below, then every
// variable routing rules see (routing.EnvDoc).
func EnvDoc() string {
	return ownEnvDoc() + routing.EnvDoc()
}

// ownEnvDoc is EnvDoc up to routing's part.
func ownEnvDoc() string {
	var b strings.Builder
	b.WriteString("After-call actions run on call_hangup. Their when conditions are expr expressions\n" +
		"(https://expr-lang.org) and their templates Go text/template ({{ .talk_seconds }}); both see:\n\n")
	writeVarTable(&b, envVars)
	b.WriteString("\nand every variable routing rules see, where the caller is the customer: the\n" +
		"caller of an inbound call, the callee of an outbound one, nobody for an internal call;\n" +
		"now, hour, minute and weekday are the time the actions were planned:\n\n")
	return b.String()
}

// writeVarTable writes one aligned "name  type  description" table,
// wrapping descriptions at docWidth.
func writeVarTable(b *strings.Builder, vars []varDoc) {
	nameW, typW := 0, 0
	for _, v := range vars {
		nameW = max(nameW, len(v.name))
		typW = max(typW, len(v.typ))
	}
	indent := 2 + nameW + 2 + typW + 2
	for _, v := range vars {
		fmt.Fprintf(b, "  %-*s  %-*s", nameW, v.name, typW, v.typ)
		col := indent
		for i, word := range strings.Fields(v.doc) {
			switch {
			case i == 0:
				b.WriteString("  ")
			case col+1+len(word) > docWidth:
				b.WriteString("\n" + strings.Repeat(" ", indent))
				col = indent
			default:
				b.WriteByte(' ')
				col++
			}
			b.WriteString(word)
			col += len(word)
		}
		b.WriteByte('\n')
	}
}

// Env is the environment after-call actions are evaluated in for a call
// and the lookup of its customer's number: every variable routing rules
// see (routing.Env, with the customer's number as the caller and the
// call's uuid) plus the call and what is derived from it (EnvDoc lists
// them). The clock is time.Now in the host's zone; Actions.Env uses the
// clock and zone of its Options.
func Env(call *webhook.Call, res directory.Result) map[string]any {
	return buildEnv(call, res, time.Now(), time.Local)
}

// buildEnv builds the environment at now, with every time in loc.
func buildEnv(call *webhook.Call, res directory.Result, now time.Time, loc *time.Location) map[string]any {
	if call == nil {
		call = &webhook.Call{}
	}
	number := call.CustomerNumber()
	if number == "" {
		number = res.Query.Raw
	}
	env := routing.Env(res, routing.Call{Caller: number, Number: dialled(call), UUID: call.UUID})
	now = now.In(loc)
	env[varNow], env[varHour], env[varMinute], env[varWeekday] = now, now.Hour(), now.Minute(), now.Weekday().String()[:3]

	m := call.Map()
	inLocation(m, loc)
	direction := strings.ToLower(call.Direction)
	voicemail := call.VoicemailID != "" || call.VoicemailURL != ""
	env[varCall] = m
	env[varInbound] = direction == webhook.Inbound
	env[varOutbound] = direction == webhook.Outbound
	env[varInternal] = direction == webhook.Internal
	env[varAnswered] = call.BridgedAt != nil
	env[varMissed] = call.MissingCall != nil && *call.MissingCall && !voicemail
	env[varVoicemail] = voicemail
	env[varTalkSeconds] = seconds(call.BridgedAt, call.EndedAt)
	ringEnd := call.BridgedAt
	if ringEnd == nil {
		ringEnd = call.EndedAt
	}
	env[varRingSeconds] = seconds(call.StartedAt, ringEnd)
	env[varHangupBy] = strings.ToLower(strings.TrimSpace(call.HangupBy))
	env[varAgent] = call.UserID
	env[varKnown] = res.Found
	return env
}

// seconds is the whole seconds from a to b, 0 when either is unknown or b
// is not after a.
func seconds(a, b *time.Time) int {
	if a == nil || b == nil || !b.After(*a) {
		return 0
	}
	return int(b.Sub(*a) / time.Second)
}

// inLocation puts the call map's times (and its call_flow's) in loc, so
// that templates print them in the operator's zone.
func inLocation(m map[string]any, loc *time.Location) {
	for k, v := range m {
		if t, ok := v.(time.Time); ok {
			m[k] = t.In(loc)
		}
	}
	if flow, ok := m["call_flow"].([]map[string]any); ok {
		for _, step := range flow {
			if t, ok := step["timestamp"].(time.Time); ok {
				step["timestamp"] = t.In(loc)
			}
		}
	}
}

// dialled is the company's own number in the call: the callee of an
// inbound call, the caller of an outbound one.
func dialled(c *webhook.Call) string {
	switch strings.ToLower(c.Direction) {
	case webhook.Inbound:
		return c.CalleeNumber
	case webhook.Outbound:
		return c.CallerNumber
	}
	return ""
}
