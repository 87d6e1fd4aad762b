// Package routing turns a directory result into a destination with rules
// from YAML, evaluated in order, first match wins. Decide never fails and
// never panics: on no match, on a failed lookup, on a rule that errors, and
// on any internal error, the target's default answers.
//
// # Targets
//
// The router knows no phone system. Each phone-system front end (a
// decision point) registers a Target in Options.Targets: its name
// ("hipcall" for Hipcall's Smart IVR, see smartivr.Target; "ringostat" for
// Ringostat's routing webhook, see ringostat.Target), a Check that
// validates and normalises its destinations, whether its default is
// required, and what happens to a call no rule routes when it has no
// default. Decide(res, call, target) decides for one target; Explain does
// the same for `lookup -explain` and reports every step.
//
// A rule is a name, a boolean expression (when) in the expr language
// (https://expr-lang.org), and its destinations keyed by target: fixed ones
// under to, or expressions yielding a string or a whole number under
// to_expr (a target has at most one of the two). routing.default gives each
// target the destination of calls no rule routes:
//
//	routing:
//	  default:
//	    hipcall: "100"
//	    ringostat: "380441234567"
//	  rules:
//	    - name: vip
//	      when: 'found && record.balance > 1000'
//	      to:
//	        hipcall: "200"
//	        ringostat: reception
//	    - name: account-manager
//	      when: 'found && record.owner_phone != ""'
//	      to_expr:
//	        hipcall: 'record.owner_extension'
//	        ringostat: 'record.owner_phone'
//
// Deciding for a target skips the rules that have no destination for it.
// default.hipcall is required (the Smart IVR always answers an extension);
// default.ringostat may be left out: with no destination, Ringostat goes on
// to the next step of its scheme.
//
// New compiles every expression against the environment below and checks
// every fixed destination and default with its target's Check, so unknown
// variables, type errors, bad destinations and destinations for a phone
// system no target serves are reported at load time, all at once, as
// connectors.Problems with paths inside the routing section
// ("rules.2.when", "rules.0.to_expr.ringostat", "default.hipcall"). At run
// time an expression that fails (nil > 1000 when the record has no balance)
// means "no match": it is logged at debug and counted in
// switchboard_routing_rule_errors_total{target,rule}. A to_expr that yields
// nothing the target's Check accepts skips the rule likewise.
//
// # Environment
//
// Env builds it and EnvDoc describes it; rules see:
//
//   - found (bool): exactly one record answers the caller's number.
//   - ambiguous (bool): several distinct records answer it.
//   - matches (int): the number of candidate records. `matches` is also
//     expr's regex operator, so write $env.matches or use candidates.
//   - candidates (int): the same as matches.
//   - source (string): the connector that answered; via (string): the layer
//     ("cache", "index", "live", "none").
//   - match (string): "exact", "national", "suffix" or "" (the strongest
//     kind among the candidates when ambiguous).
//   - invalid_number (bool): the caller's number could not be parsed.
//   - errors (int): how many sources failed during the lookup.
//   - caller (string): the caller in E.164, or national digits when the
//     country is unknown; caller_raw (string): as sent; country_code (int);
//     region (string, ISO 3166).
//   - dialled (string): the dialled number; uuid (string): the call id.
//   - record (map): empty unless found. Standard keys: type ("contact" or
//     "company"), id, name, first_name, last_name, company, company_id,
//     owner, email (the first), emails, phones (E.164 list), job_title, and
//     fields (the record's Fields as delivered). Every entry of Fields is
//     also at top level (record.balance) unless it clashes with a standard
//     key; there a string that is a plain decimal number ("1500", "-2.5",
//     but not "007" or "1e3") becomes a float64 so record.balance > 1000
//     works whether the CRM sent a number or a string.
//   - now (time.Time), hour (0-23), minute (0-59), weekday ("Mon".."Sun"):
//     the time of the decision in the host's local zone.
//
// # Metrics
//
// switchboard_routing_decisions_total{target,rule} counts decisions by
// target and by the rule that decided ("default" when none did);
// switchboard_routing_rule_errors_total{target,rule} counts rules that
// failed at run time. Explain counts in neither.
package routing
