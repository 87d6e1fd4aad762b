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
// (a UK mobile) stored in a Turkish CRM is the national key "7700900123";
// the parser does not guess the UK from the digits, as many countries
// share a trunk 0. Whether a caller's "+44 7700 900123" meets it is the
// national matching rule's choice (see Matching): not by default.
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
// # Countries: written, inferred, unknown
//
// A number's country is written when its own digits carry the calling
// code: after '+' or "00", as bare international digits, or after the
// region's own international prefix. It is inferred when the number is
// written without one: the parser reads it in its default region and sets
// Number.InferredRegion to that region, whether or not the number is valid
// there. Valid there, it also gets that country's E164 and CountryAssumed
// ("020 4520 5757" in GB is +442045205757); not valid there, it is a
// National key only ("0212 444 55 66" in GB), and its inferred region is
// still the default region: the host has no better guess, and a guess from
// the digits alone would be wrong as often as right. A Number without
// E164 and without InferredRegion (national digits a connector received in
// a LookupRequest, or a hand-made Number) has an unknown country.
// Number.Origin gives what matching compares: the calling code (written,
// or that of the inferred region; 0 when unknown) and whether it was
// written. Countries compare by calling code, as national numbers are
// unique within one: a Jersey number inferred in GB is of +44.
//
// # Matching
//
// Match compares a query (the caller) with a record's number, strongest
// rule first:
//
//   - MatchExact: both have an E164 key and the keys are equal.
//   - MatchNational: the National keys are equal and the countries meet
//     under the national rule (NationalMatch).
//   - MatchSuffix: suffixDigits > 0, both National keys have at least that
//     many digits, and their last suffixDigits digits are equal, whatever
//     the countries.
//
// Otherwise there is no match (""). Extensions play no part in matching.
//
// The national rule is SameCountry unless the host's phone section says
// national_match: any_country:
//
//   - SameCountry (Match, and the default): at least one side's country
//     was not written, and the two calling codes are equal, or one side's
//     country is unknown. A caller valid in a country
//     (+1 212 444 5566, New York) does not meet a CRM number written
//     nationally ("0212 444 55 66") unless the caller's country is the
//     CRM number's inferred one; a CRM number written with its country
//     code meets only callers of that country (and callers of unknown
//     country); two numbers written nationally in one host meet, as both
//     are of the default region.
//   - AnyCountry (NationalMatch.Match, Parser.Match): at least one side's
//     country was not written, whatever the countries: the rule of
//     earlier versions, for CRMs that store foreign numbers without their
//     country code, at the price of matching callers of other countries
//     that happen to share the national digits. Two numbers that each
//     carried a different country code never match this way.
//
// SameCountry never matches where AnyCountry does not. A Parser carries
// the host's rule (WithNationalMatch, NationalMatch, Parser.Match), so that
// code handed the host's parser matches as the host does; connectors match
// with Match, SameCountry, since the host re-checks live answers with its
// own rule.
package phone
