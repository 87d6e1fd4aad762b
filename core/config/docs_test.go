package config

import (
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestDocsDescribeEveryKey walks every key of the configuration, as the
// decoder sees it, and fails when docs/configuration.md does not describe
// it: each key must appear in backquotes, relative to its section, in the
// section whose "### `section`" heading is its longest prefix
// ("### `hipcall.webhook`" holds "`allow_from`"; "### `routing`" holds
// "`rules[].to...`"), or below a documented ancestor. A new setting without
// its line in the docs fails here.
func TestDocsDescribeEveryKey(t *testing.T) {
	raw, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := docSections(string(raw))
	if len(sections) < 5 {
		t.Fatalf("found %d sections in docs/configuration.md; the headings changed shape", len(sections))
	}
	var keys []string
	configKeys("", reflect.TypeFor[Config](), &keys)
	if len(keys) < 50 {
		t.Fatalf("walked only %d keys", len(keys))
	}
	for _, key := range keys {
		section, rest := "", key
		for s := range sections {
			for _, k := range []string{key, strings.Replace(key, "[]", "", 1)} {
				if (k == s || strings.HasPrefix(k, s+".")) && len(s) > len(section) {
					section, rest = s, strings.TrimPrefix(strings.TrimPrefix(k, s), ".")
				}
			}
		}
		if section == "" {
			t.Errorf("%s: no \"### `%s`\" section in docs/configuration.md describes it", key, strings.SplitN(key, ".", 2)[0])
			continue
		}
		if rest != "" && !described(sections[section], rest) {
			t.Errorf("%s: the \"%s\" section of docs/configuration.md does not describe `%s`", key, section, rest)
		}
	}
}

// described reports whether text describes the key rest: as "`rest", or
// as an ancestor ("`unknown_caller`", a card) and the rest below it
// ("`title.text`", described once for every card).
func described(text, rest string) bool {
	if strings.Contains(text, "`"+rest) {
		return true
	}
	segs := strings.Split(rest, ".")
	for i := 1; i < len(segs); i++ {
		ancestor, tail := strings.Join(segs[:i], "."), strings.Join(segs[i:], ".")
		if strings.Contains(text, "`"+ancestor) && strings.Contains(text, "`"+tail) {
			return true
		}
	}
	return false
}

// headingRE is a section heading naming the configuration path it
// describes: ### `hipcall.smart_ivr`.
var headingRE = regexp.MustCompile("(?m)^### `([a-z_.]+)`.*$")

// docSections splits the document into sections by their ### headings;
// each section's text runs to the next ### heading (#### subsections are
// part of it).
func docSections(doc string) map[string]string {
	out := map[string]string{}
	locs := headingRE.FindAllStringSubmatchIndex(doc, -1)
	for i, loc := range locs {
		end := len(doc)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		out[doc[loc[2]:loc[3]]] = doc[loc[1]:end]
	}
	return out
}

// configKeys lists the leaf keys under path in t: lists as "name[]", maps
// as their own key (their keys are the owner's choosing), a connector's own
// block as "config".
func configKeys(path string, t reflect.Type, out *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == durationType || t == secretType || t == nodePtrType:
		*out = append(*out, path)
	case t.Kind() == reflect.Struct:
		fields, names := structFields(t)
		sort.Strings(names)
		for _, name := range names {
			configKeys(join(path, name), t.FieldByIndex(fields[name].index).Type, out)
		}
	case t.Kind() == reflect.Slice && elemStruct(t.Elem()):
		configKeys(path+"[]", t.Elem(), out)
	default:
		*out = append(*out, path)
	}
}

func elemStruct(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct
}
