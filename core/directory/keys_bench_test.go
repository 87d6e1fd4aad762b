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
	heap uint64 // heap the built directory added, its records included
}

// heapInUse is the heap in use after a collection.
func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// benchKeyAccount is the i-th synthetic account number.
func benchKeyAccount(i int) string { return fmt.Sprintf("AC-%07d", i) }

// benchKeyPIN is the i-th synthetic PIN.
func benchKeyPIN(i int) string { return fmt.Sprintf("%06d", i) }

// genConn lists n contacts made afresh for every page, as a plugin's
// records arrive: nothing but the directory holds them afterwards, so the
// heap the directory adds is what it really keeps.
type genConn struct {
	*fakeConn
	n   int
	gen func(i int) connectors.Contact
}

func (g genConn) ListContacts(_ context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	lo := 0
	if req.Cursor != "" {
		if _, err := fmt.Sscan(req.Cursor, &lo); err != nil {
			return nil, err
		}
	}
	hi := min(lo+req.PageSize, g.n)
	resp := &connectors.ListContactsResponse{Contacts: make([]connectors.Contact, 0, hi-lo)}
	for i := lo; i < hi; i++ {
		resp.Contacts = append(resp.Contacts, g.gen(i))
	}
	if hi < g.n {
		resp.NextCursor = fmt.Sprint(hi)
	}
	return resp, nil
}

// keyBenchContact is the i-th synthetic contact: a number, an account
// number and a PIN stored as sha256.
func keyBenchContact(i int) connectors.Contact {
	pin := Key{Hash: HashSHA256}
	n := benchNumber(i)
	return connectors.Contact{
		ID:        fmt.Sprint(i),
		FirstName: "Ada",
		LastName:  "Lovelace",
		Phones:    []connectors.Phone{{Raw: n, E164: n, Label: "mobile"}},
		Fields:    map[string]any{"account_no": benchKeyAccount(i), "pin_hash": pin.Stored(benchKeyPIN(i))},
	}
}

// keyBenchDir is a directory over one index source of 1,000,000 contacts
// (keyBenchContact), keyed by account and PIN, built once per benchmark
// run.
func keyBenchDir(b *testing.B) *Directory {
	b.Helper()
	keyBench.once.Do(func() {
		pin := Key{Name: "pin", Field: "pin_hash", Hash: HashSHA256}
		conn := genConn{fakeConn: newFake(), n: benchRecords, gen: keyBenchContact}
		d, err := New(Options{Parser: gbParser(b), Sources: []Source{{Name: "crm", Connector: conn,
			Keys: []Key{{Name: "account", Field: "account_no"}, pin}}}})
		if err != nil {
			keyBench.err = err
			return
		}
		before := heapInUse()
		keyBench.d, keyBench.err = d, d.Rebuild(context.Background(), "crm")
		keyBench.heap = heapInUse() - before
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
	b.Logf("the index of %d records (the records without their PIN field, their numbers, accounts and PIN hashes) holds %d MB of heap",
		benchRecords, keyBench.heap>>20)
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
