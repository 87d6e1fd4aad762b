package directory

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
)

var keyBench struct {
	once sync.Once
	d    *Directory
	err  error
}

// benchKeyAccount is the i-th synthetic account number.
func benchKeyAccount(i int) string { return fmt.Sprintf("AC-%07d", i) }

// benchKeyPIN is the i-th synthetic PIN.
func benchKeyPIN(i int) string { return fmt.Sprintf("%06d", i) }

// keyBenchDir is a directory over one index source of 1,000,000 contacts,
// each with a number, an account number and a PIN stored as sha256,
// built once per benchmark run.
func keyBenchDir(b *testing.B) *Directory {
	b.Helper()
	keyBench.once.Do(func() {
		pin := Key{Name: "pin", Field: "pin_hash", Hash: HashSHA256}
		contacts := make([]connectors.Contact, benchRecords)
		for i := range contacts {
			n := benchNumber(i)
			contacts[i] = connectors.Contact{
				ID:        fmt.Sprint(i),
				FirstName: "Ada",
				LastName:  "Lovelace",
				Phones:    []connectors.Phone{{Raw: n, E164: n, Label: "mobile"}},
				Fields:    map[string]any{"account_no": benchKeyAccount(i), "pin_hash": pin.Stored(benchKeyPIN(i))},
			}
		}
		d, err := New(Options{Parser: gbParser(b), Sources: []Source{{Name: "crm", Connector: newFake(contacts...),
			Keys: []Key{{Name: "account", Field: "account_no"}, pin}}}})
		if err != nil {
			keyBench.err = err
			return
		}
		keyBench.d, keyBench.err = d, d.Rebuild(context.Background(), "crm")
	})
	if keyBench.err != nil {
		b.Fatalf("build the key benchmark's index: %v", keyBench.err)
	}
	return keyBench.d
}

// BenchmarkLookupKey measures Directory.LookupKey over an index of
// 1,000,000 records: a plain key (an account number, keyed in another
// case), and a hashed one (a PIN: SHA-256 first).
func BenchmarkLookupKey(b *testing.B) {
	d := keyBenchDir(b)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.Logf("heap in use with the index of %d records (numbers, accounts, PIN hashes): %d MB", benchRecords, ms.HeapInuse>>20)
	ctx := context.Background()
	const queries = 4096
	for _, bc := range []struct {
		name, key string
		value     func(int) string
	}{
		{"account", "account", func(i int) string { return "ac-" + benchKeyAccount(i)[3:] }},
		{"pin_sha256", "pin", benchKeyPIN},
	} {
		qs := make([]string, queries)
		for i := range qs {
			qs[i] = bc.value(i * (benchRecords / queries))
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				res := d.LookupKey(ctx, bc.key, qs[i%queries])
				if !res.Found {
					b.Fatalf("%s %q not found: %+v", bc.key, qs[i%queries], res)
				}
				i++
			}
		})
	}
	b.Run("verify_pin", func(b *testing.B) {
		b.ReportAllocs()
		rec := d.LookupKey(ctx, "account", benchKeyAccount(4242)).Match
		for b.Loop() {
			if ok, err := d.VerifyKey(ctx, rec, "pin", benchKeyPIN(4242)); !ok || err != nil {
				b.Fatalf("VerifyKey = %v, %v", ok, err)
			}
		}
	})
}
