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
//     the time of the decision in the host's local zone. For hours in a
//     given zone, use in_hours (below).
//
// # Business hours and holidays
//
// Two helpers answer questions about the time of the decision (the
// router's clock, Options.Now) on the wall clock of a time zone, so that
// rules mean the same on every host:
//
//	in_hours(hours[, zone[, holidays]])  bool
//	holiday(holidays[, zone])            bool
//
// hours is one or more clauses separated by "," or ";", each days then one
// or more windows HH:MM-HH:MM: "Mon-Fri 09:00-18:00",
// "Mon-Fri 09:00-12:30 13:30-18:00; Sat 10:00-14:00", "Mon,Wed,Fri
// 08:00-12:00". Days are Mon..Sun (or Monday..Sunday, in any case), a
// single day, a range (Mon-Fri; a range may wrap: Sat-Mon is Sat, Sun,
// Mon) or a list (Mon,Wed). A window starts at its first minute and ends
// before its last (09:00-18:00 holds at 17:59, not at 18:00); it may end at
// 24:00; one that ends before it starts runs over midnight and belongs to
// its starting day's clause (Fri 22:00-06:00 holds from Friday 22:00 to
// Saturday 06:00, not on Friday morning). Hours are wall-clock hours: on
// the days daylight saving time changes, 09:00-18:00 still opens at 09:00
// local time, a window inside the skipped hour never holds, and one inside
// the repeated hour holds twice.
//
// zone is an IANA time zone name ("Europe/Istanbul"); "" or leaving it out
// means the host's local zone. The zone database is built in, so a zone
// loads alike on every host.
//
// holidays is the name of a routing.holidays list ("tr") or a list of
// dates written in the rule (["2026-01-01", "2026-12-24..2026-12-26"]).
// holiday is true on those days in the zone: from their 00:00 to their
// 24:00 there, so 2026-04-23 in Europe/Istanbul starts at 21:00 UTC on the
// 22nd. in_hours with a holiday list is false on those days:
// in_hours(h, z, l) is in_hours(h, z) && !holiday(l, z), so a night window
// that starts the evening before a holiday stops at the holiday's
// midnight.
//
// routing.holidays names lists of days. A list is written as its dates,
// each a day (2026-04-23) or an inclusive range of at most 366 days
// (2026-12-24..2026-12-26), or as a file of them, one a line with # for
// comments (a relative path is relative to the configuration file), or
// both (HolidayList):
//
//	routing:
//	  holidays:
//	    tr: ["2026-01-01", "2026-04-23", "2026-05-01", "2026-12-24..2026-12-26"]
//	    office:
//	      file: holidays/office.txt
//	      dates: ["2026-08-14"]
//	  rules:
//	    - name: closed
//	      when: 'holiday("tr", "Europe/Istanbul") || !in_hours("Mon-Fri 09:00-18:00", "Europe/Istanbul", "office")'
//	      to: {hipcall: "900"}
//
// Everything is read at load: the files once (a change needs a reload),
// and every hours, zone and holiday list written as a string literal is
// parsed then, so a bad one is a problem at the rule's path with its place
// in the expression ("rules.0.when: in_hours: unknown day "Fry": write
// Mon, Tue, Wed, Thu, Fri, Sat or Sun (1:15)"), as are unknown zones and
// list names, bad dates (at "holidays.tr.dates.2") and unreadable files
// (at "holidays.office.file"). At ring time a call with literal arguments
// costs a zone conversion and a bit test, about a tenth of a microsecond.
// Arguments computed at run time (in_hours(record.hours, "UTC")) are
// parsed then, the last few hundred kept; one that does not read makes the
// rule fail, as any run-time error does.
//
// Explain shows, in Explanation.Env, the decision's time in every zone the
// rules name ("now in Europe/Istanbul": "Sat 2026-03-28 10:15:00 +03"),
// and, in each Step's Notes, what every helper call of the rule answered
// and why (`in_hours("Mon-Fri 09:00-18:00", "Europe/Istanbul") is false:
// Sat 2026-03-28 10:15:00 +03 is outside the hours`). The helpers serve
// routing rules (when and to_expr) only, not other packages' expressions
// over Env.
//
// # Metrics
//
// switchboard_routing_decisions_total{target,rule} counts decisions by
// target and by the rule that decided ("default" when none did);
// switchboard_routing_rule_errors_total{target,rule} counts rules that
// failed at run time. Explain counts in neither.
package routing
