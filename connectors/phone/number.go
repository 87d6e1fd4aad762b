package phone

// Number is one parsed telephone number.
type Number struct {
	// Raw is the input as given.
	Raw string
	// E164 is "+<country code><national number>", or "" when the number
	// could not be placed in a country.
	E164 string
	// CountryCode is the calling code (44), or 0 when unknown.
	CountryCode int
	// National is the national significant number: digits only, no trunk
	// zero ("2045205757"), keeping Italian-style leading zeros.
	National string
	// Extension is the extension, if the input carried one ("101").
	Extension string
	// Region is the ISO 3166 region the number belongs to ("GB"), if known.
	Region string
	// CountryAssumed is true when the input had no country code and the
	// parser took CountryCode from its default region ("020 4520 5757"
	// read in GB): the number is valid there and has an E164.
	CountryAssumed bool
	// InferredRegion is the region a number written without its country
	// code was read in: the parser's default region ("GB"). It is set for
	// every such number, valid in that region (CountryAssumed, with an
	// E164) or not (a National key only: "0212 444 55 66" read in GB),
	// and "" when the number's own digits carried its country ("+90 ...",
	// "0090 ...", bare international digits) or the Number was not made
	// by a Parser. National matching compares it; see the package
	// documentation.
	InferredRegion string
}
