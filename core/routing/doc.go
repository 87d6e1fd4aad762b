// Package routing turns a directory result into a destination with rules
// from YAML, evaluated in order, first match wins, and always yields one:
// the default extension on no match, on a failed lookup, on a rule that
// errors, and on any internal error. Decide never fails and never panics.
//
// A rule is a name, a boolean expression (when) in the expr language
// (https://expr-lang.org), and a destination: a static extension, or an
// expression (extension_expr) yielding a string or a whole number:
//
//	routing:
//	  default_extension: "100"
//	  rules:
//	    - name: vip
//	      when: 'found && record.balance > 1000'
//	      extension: "200"
//	    - name: account-manager
//	      when: 'found && record.owner_extension != nil'
//	      extension_expr: 'record.owner_extension'
//
// # Phone systems
//
// One rule set serves every phone system (Target). A rule's extension or
// extension_expr is its Hipcall destination; ringostat or ringostat_expr
// its Ringostat destination (a phone number in international format,
// answered as E.164 digits without '+', or a SIP login: see
// RingostatDestination). Decide decides for Hipcall; DecideFor(res, call,
// TargetRingostat) for Ringostat, skipping rules that have no Ringostat
// destination and falling back to Options.RingostatDefault, which may be
// empty: no destination, so Ringostat goes on to the next step of its
// scheme.
//
//	rules:
//	  - name: account-manager
//	    when: 'found && record.owner_phone != ""'
//	    extension_expr: 'record.owner_extension'
//	    ringostat_expr: 'record.owner_phone'
//
// New compiles every expression against the environment below, so unknown
// variables and type errors are reported at load time, all at once, as a
// *RuleErrors. At run time an expression that fails (nil > 1000 when the
// record has no balance) means "no match": it is logged at debug and
// counted in switchboard_routing_rule_errors_total{rule}. An extension_expr
// that yields nothing usable skips the rule likewise.
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
// switchboard_routing_decisions_total{rule} counts Hipcall decisions by the
// rule that decided ("default" for the default), and
// switchboard_routing_ringostat_decisions_total{rule} Ringostat ones;
// switchboard_routing_rule_errors_total{rule} counts rules that failed at
// run time.
package routing
