// Package phone normalises telephone numbers, as phone systems send them and
// as CRMs store them, into keys that meet.
//
// It is a leaf package: it imports only the contract and
// github.com/nyaruka/phonenumbers, so that connector adapters may use it to
// normalise their numbers once at load.
//
// # Reading numbers
//
// A Parser has a default region for numbers written without a country code.
// Parse reads a number as a CRM stores it, ParseCaller as a phone system
// sends it, ParseAll a CRM field that may hold several numbers. They accept
// digits in any script (Arabic-Indic, Persian, full-width), any spaces and
// punctuation between them, a tel:, sip: or callto: wrapper, a label
// ("Tel: ...") or comment in parentheses ("(office)"), an extension after
// "ext", "x", "#", "dahili" or a "/" followed by 1 to 5 digits, and the
// damage spreadsheets do ("9.05321234567E+11", "905321234567.0").
//
// Bare digits are ambiguous: "442045205757" may be a national number or an
// E.164 number without its '+'. Parse, for CRM data, prefers the default
// region's national reading and reads the digits as international only
// when that is not a valid number. ParseCaller, for phone systems (Hipcall
// sends E.164 with or without '+'), prefers the international reading when
// it is a valid number, so that in region TR the bare "5321234567" is the
// Cuban +53 21234567 for ParseCaller but the Turkish +90 532 123 45 67 for
// Parse. Digits written with separators ("532 123 45 67") are national for
// both.
//
// A number gets an E164 key when it is a valid number of its country (at
// most 15 digits), or, when written with its country code, of a length
// possible for that country, as metadata lags new ranges ("+44 7700
// 900123"). A number without country code that is not valid in the default
// region, nor when read as international, keeps only a National key: its
// digits without trunk prefix, no E164, no CountryCode. So "07700 900123"
// (a UK mobile) stored in a Turkish CRM is the national key "7700900123",
// which a caller's "+44 7700 900123" meets by MatchNational; the parser
// does not guess the UK from the digits, as many countries share a trunk 0.
// Turkish service numbers such as "444 1 234" are valid in the metadata
// and get an E164 ("+904441234") as well as their National key "4441234";
// had the metadata not known them, the national key would still hold them.
//
// Input that is only an extension ("#404812", "x101", "dahili 101") is an
// error wrapping ErrExtensionOnly, with the extension in the returned
// Number. Input longer than MaxLength characters is refused before any
// other work. Parsing costs a few microseconds; SplitE164 and FromE164 are
// table look-ups.
//
// # Matching
//
// Match compares a query (the caller) with a record's number, strongest
// rule first:
//
//   - MatchExact: both have an E164 key and the keys are equal.
//   - MatchNational: the National keys are equal and at least one side was
//     not placed in a country by its own digits: it has no E164, or its
//     country was taken from the parser's default region
//     (Number.CountryAssumed), as when a CRM stores a foreign number without
//     its country code. Two numbers that each carried a different country
//     code never match this way.
//   - MatchSuffix: suffixDigits > 0, both National keys have at least that
//     many digits, and their last suffixDigits digits are equal.
//
// Otherwise there is no match (""). Extensions play no part in matching.
package phone
