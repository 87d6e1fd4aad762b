package phone

import "testing"

func BenchmarkParseCaller(b *testing.B) {
	p, err := NewParser("TR")
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, raw string }{
		{"e164", "+905321234567"},
		{"e164_no_plus", "905321234567"},
		{"national", "05321234567"},
		{"foreign", "+442045205757"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.ParseCaller(bc.raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSplitE164(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := SplitE164("+905321234567"); !ok {
			b.Fatal("not split")
		}
	}
}

func BenchmarkParse(b *testing.B) {
	p, err := NewParser("TR")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse("0212 555 12 34 / 101"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseAll(b *testing.B) {
	p, err := NewParser("TR")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ns, errs := p.ParseAll("0532 123 45 67 / 0212 555 12 34; +44 20 4520 5757 ext. 12"); len(ns) != 3 || len(errs) != 0 {
			b.Fatal(ns, errs)
		}
	}
}

// BenchmarkParseGB reads the two forms of the CSV benchmark's numbers
// (half E.164, half national) with region GB, as a CSV listing does.
func BenchmarkParseGB(b *testing.B) {
	p, err := NewParser("GB")
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, raw string }{
		{"e164", "+442030000123"},
		{"national", "020 3000 0123"},
		{"mobile", "+44 7400 000123"},
	} {
		b.Run("Parse/"+bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Parse(bc.raw); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("ParseAll/"+bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if ns, errs := p.ParseAll(bc.raw); len(ns) != 1 || len(errs) != 0 {
					b.Fatal(ns, errs)
				}
			}
		})
	}
}
