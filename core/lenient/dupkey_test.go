package lenient

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode"
)

func TestDuplicateKeys(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		// wantPath, first, second describe the duplicate; dup false means
		// none is expected.
		dup                     bool
		wantPath, first, second string
	}{
		{name: "none", body: `{"caller":"1","number":"2","uuid":"3"}`},
		{name: "empty object", body: `{}`},
		{name: "not an object", body: `[1,"a",null,true]`},
		{name: "scalar", body: `"caller"`},
		{name: "same key in sibling objects", body: `{"a":{"k":1},"b":{"k":2},"c":[{"k":1},{"k":2}]}`},
		{name: "key equal to a value", body: `{"caller":"caller","Caller2":"caller"}`},
		{name: "huge number", body: `{"a":1e400,"b":-99999999999999999999999}`},
		{name: "exact repeat", body: `{"caller":"1","caller":"2"}`, dup: true, first: "caller", second: "caller"},
		{name: "case", body: `{"Caller":"1","caller":"2"}`, dup: true, first: "Caller", second: "caller"},
		{name: "upper", body: `{"caller":"1","CALLER":"2"}`, dup: true, first: "caller", second: "CALLER"},
		{name: "null value counts", body: `{"caller":"1","Caller":null}`, dup: true, first: "caller", second: "Caller"},
		{name: "escaped spelling", body: `{"caller":"1","\u0063aller":"2"}`, dup: true, first: "caller", second: "caller"},
		{name: "kelvin sign", body: `{"kind":"1","\u212aind":"2"}`, dup: true, first: "kind", second: "\u212aind"},
		{name: "long s", body: `{"uuid":"1","status":2,"ſtatus":3}`, dup: true, first: "status", second: "ſtatus"},
		{name: "dotted capital I lowers to i", body: `{"uuid":"1","uu\u0130d":"2"}`, dup: true, first: "uuid", second: "uuİd"},
		{name: "invalid UTF-8 decodes alike", body: "{\"a\xff\":1,\"a\xfe\":2}", dup: true, first: "a\ufffd", second: "a\ufffd"},
		{name: "nested", body: `{"event":"call_init","data":{"uuid":"1","UUID":"2"}}`, dup: true, wantPath: "data", first: "uuid", second: "UUID"},
		{name: "in a list", body: `{"data":{"call_flow":[{"action":"a"},{"action":"b","Action":"c"}]}}`, dup: true,
			wantPath: "data.call_flow[1]", first: "action", second: "Action"},
		{name: "odd name in path", body: `{"a b":[{"x":1,"X":2}]}`, dup: true, wantPath: `["a b"][0]`, first: "x", second: "X"},
		{name: "top-level list", body: `[{},{"a":1,"A":2}]`, dup: true, wantPath: "[1]", first: "a", second: "A"},
		{name: "first in document order", body: `{"x":{"b":1,"B":2},"X":3}`, dup: true, wantPath: "x", first: "b", second: "B"},
		{name: "after a nested object", body: `{"a":{"b":{}},"c":[[],{}],"A":1}`, dup: true, first: "a", second: "A"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !json.Valid([]byte(tc.body)) {
				t.Fatalf("test body %q is not valid JSON", tc.body)
			}
			err := DuplicateKeys([]byte(tc.body))
			if !tc.dup {
				if err != nil {
					t.Fatalf("%s: %v, want no duplicate", tc.body, err)
				}
				return
			}
			var de *DuplicateKeyError
			if !errors.Is(err, ErrDuplicateKey) || !errors.As(err, &de) {
				t.Fatalf("%s: %v, want a DuplicateKeyError", tc.body, err)
			}
			if de.Path != tc.wantPath || de.First != tc.first || de.Second != tc.second {
				t.Fatalf("%s: %+v, want path %q, names %q and %q", tc.body, de, tc.wantPath, tc.first, tc.second)
			}
			if msg := err.Error(); !strings.Contains(msg, "twice") || !strings.Contains(msg, "case-insensitively") {
				t.Fatalf("message %q does not explain the problem", msg)
			}
		})
	}
}

func TestDuplicateKeyErrorMessage(t *testing.T) {
	err := &DuplicateKeyError{Path: "data", First: "uuid", Second: "UUID"}
	want := `the JSON object at data holds the key "UUID" twice (written "uuid" and "UUID"): keys are compared case-insensitively, and a body with a repeated key is ambiguous`
	if err.Error() != want {
		t.Fatalf("got  %s\nwant %s", err.Error(), want)
	}
	long := &DuplicateKeyError{First: strings.Repeat("k", 500), Second: strings.Repeat("K", 500) + "\x1b"}
	if msg := long.Error(); len(msg) > 400 || strings.ContainsRune(msg, 0x1b) {
		t.Fatalf("a long or odd name is not clipped and quoted: %q", msg)
	}
}

// TestDuplicateKeysInvalid: invalid or truncated JSON never panics and
// reports no duplicate found after the error.
func TestDuplicateKeysInvalid(t *testing.T) {
	for _, body := range []string{``, `{`, `{"a"`, `{"a":1,`, `{"a":1}}`, `]`, `}`, `{"a":1,"b"}`, `nope`, "\x00", `[}`, `{]`,
		`{"a":1} {"a":1,"a":2}`} {
		if err := DuplicateKeys([]byte(body)); err != nil {
			t.Errorf("%q: %v", body, err)
		}
	}
	if err := DuplicateKeys([]byte(`{"a":1,"A":2`)); !errors.Is(err, ErrDuplicateKey) {
		t.Errorf("a duplicate before the end of truncated JSON: %v", err)
	}
	deep := strings.Repeat(`[`, 20000) + strings.Repeat(`]`, 20000)
	if err := DuplicateKeys([]byte(deep)); err != nil {
		t.Errorf("deep lists: %v", err)
	}
}

// TestFoldKey: FoldKey equates at least what strings.ToLower and
// strings.EqualFold do, for every rune.
func TestFoldKey(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"caller", "CALLER"}, {"Caller", "cAlLeR"}, {"kind", "\u212aind"}, {"status", "ſtatus"}, {"uuid", "UU\u0130D"},
		{"call_id", "CALL_ID"},
	} {
		if FoldKey(tc.a) != FoldKey(tc.b) {
			t.Errorf("FoldKey(%q) = %q, FoldKey(%q) = %q: want equal", tc.a, FoldKey(tc.a), tc.b, FoldKey(tc.b))
		}
	}
	for _, tc := range []struct{ a, b string }{{"caller", "caller_"}, {"call-id", "call_id"}, {"a", "á"}} {
		if FoldKey(tc.a) == FoldKey(tc.b) {
			t.Errorf("FoldKey equates %q and %q", tc.a, tc.b)
		}
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		s := string(r)
		fr := FoldKey(s)
		if r < 0x80 && fr != strings.ToLower(s) {
			t.Fatalf("U+%04X: ASCII folds to %q", r, fr)
		}
		if FoldKey(strings.ToLower(s)) != fr || FoldKey(string(unicode.ToLower(r))) != fr {
			t.Fatalf("U+%04X: FoldKey differs from its lower case's", r)
		}
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if FoldKey(string(f)) != fr {
				t.Fatalf("U+%04X and U+%04X are EqualFold but FoldKey %q / %q", r, f, fr, FoldKey(string(f)))
			}
		}
		if FoldKey(fr) != fr {
			t.Fatalf("U+%04X: FoldKey is not idempotent: %q, then %q", r, fr, FoldKey(fr))
		}
	}
}

// referenceDuplicate is a second, simpler implementation of the rule
// for the fuzz target: decode every object into an ordered list of
// names and compare each pair.
func referenceDuplicate(t *testing.T, v json.RawMessage) bool {
	t.Helper()
	v = bytes.TrimSpace(v)
	switch {
	case len(v) > 0 && v[0] == '{':
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		if _, err := dec.Token(); err != nil {
			t.Fatal(err)
		}
		var names []string
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			name := tok.(string)
			for _, n := range names {
				//lint:ignore SA6005 both on purpose: ToLower equates İ with i, which EqualFold does not
				if strings.EqualFold(n, name) || strings.ToLower(n) == strings.ToLower(name) {
					return true
				}
			}
			names = append(names, name)
			var member json.RawMessage
			if err := dec.Decode(&member); err != nil {
				t.Fatal(err)
			}
			if referenceDuplicate(t, member) {
				return true
			}
		}
	case len(v) > 0 && v[0] == '[':
		var list []json.RawMessage
		if err := json.Unmarshal(v, &list); err != nil {
			t.Fatal(err)
		}
		for _, e := range list {
			if referenceDuplicate(t, e) {
				return true
			}
		}
	}
	return false
}

// FuzzDuplicateKeys: on valid JSON, DuplicateKeys agrees with the
// reference; on anything it never panics and always answers the same.
func FuzzDuplicateKeys(f *testing.F) {
	for _, s := range []string{`{"a":1,"A":2}`, `{"a":{"b":1,"c":[{"d":1,"D":2}]}}`, `[{"x":1},{"x":2}]`, `{"k":1,"\u212a":2}`,
		`{"a":1,"b":{"a":2}}`, "{\"\xff\":1,\"\xfe\":2}", `{"a":1e400}`, `{`, `nope`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := DuplicateKeys(data)
		if again := DuplicateKeys(data); (err == nil) != (again == nil) || err != nil && err.Error() != again.Error() {
			t.Fatalf("%q: %v, then %v", data, err, again)
		}
		if err != nil && !errors.Is(err, ErrDuplicateKey) {
			t.Fatalf("%q: %v", data, err)
		}
		if !json.Valid(data) {
			return
		}
		// The reference is pairwise: it may equate names FoldKey keeps
		// apart only if FoldKey were wrong.
		if want := referenceDuplicate(t, data); want != (err != nil) {
			t.Fatalf("%q: DuplicateKeys %v, reference says duplicate=%v", data, err, want)
		}
	})
}
