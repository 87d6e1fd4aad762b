package config

import (
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Checker is implemented, on a pointer, by a section whose owner checks it:
// the package that uses a setting owns its type, default and checks, and
// this package only decodes it. Check may normalise the section (lower-case
// an enum, drop an empty basic_auth pair) and returns every problem found,
// with paths relative to the section ("write_timeout", "basic_auth.password").
//
// Load calls Check on every section after decoding, and places each problem
// at its path's value; a problem on a path that already had one (a value of
// the wrong type, an unknown key meant for it) is dropped as a follow-on.
// Checks that span sections owned by different packages belong to the
// package that composes them (core/host).
type Checker interface {
	Check() connectors.Problems
}

var checkerType = reflect.TypeFor[Checker]()

// check runs the owners' checks on v and everything below it.
func (d *decoder) check(path string, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			d.check(path, v.Elem())
		}
	case reflect.Slice:
		for i := range v.Len() {
			d.check(join(path, strconv.Itoa(i)), v.Index(i))
		}
	case reflect.Map:
		// Entries of an owner's choosing (routing.holidays) are checked,
		// and their paths resolved, like any section; an entry is a copy,
		// stored back.
		if et := v.Type().Elem(); et.Kind() != reflect.Struct && (et.Kind() != reflect.Pointer || et.Elem().Kind() != reflect.Struct) {
			return
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			elem := reflect.New(v.Type().Elem()).Elem()
			elem.Set(v.MapIndex(k))
			d.check(join(path, k.String()), elem)
			v.SetMapIndex(k, elem)
		}
	case reflect.Struct:
		d.checkSelf(path, v)
		for i := range v.NumField() { // parts inlined from other owners check themselves
			if sf := v.Type().Field(i); sf.Tag.Get("yaml") == ",inline" && sf.Type.Kind() == reflect.Struct {
				d.checkSelf(path, v.Field(i))
			}
		}
		fields, names := structFields(v.Type())
		for _, name := range names {
			f := fields[name]
			if f.raw {
				continue
			}
			fv := v.FieldByIndex(f.index)
			if v.Type().FieldByIndex(f.index).Tag.Get("resolve") == "path" && fv.Kind() == reflect.String {
				fv.SetString(d.resolve(fv.String()))
				continue
			}
			d.check(join(path, name), fv)
		}
	}
}

// checkSelf runs v's own Check, when its owner gave it one.
func (d *decoder) checkSelf(path string, v reflect.Value) {
	if !v.CanAddr() || !v.Addr().Type().Implements(checkerType) {
		return
	}
	for _, p := range v.Addr().Interface().(Checker).Check() {
		at := join(path, p.Path)
		if !d.tainted(at) {
			d.problems.Addf(d.index.pos(d.file, at), "%s", say(at, p.Message))
		}
	}
}

// resolve makes a relative file path, tagged `resolve:"path"` by its
// owner, relative to the configuration's directory. Empty stays empty.
func (d *decoder) resolve(p string) string {
	switch {
	case p == "":
		return p
	case filepath.IsAbs(p) || d.baseDir == "":
		return filepath.Clean(p)
	}
	return filepath.Join(d.baseDir, p)
}

// tainted reports whether path or a section holding it had a problem
// while decoding.
func (d *decoder) tainted(path string) bool {
	for p := path; ; p = parent(p) {
		if d.bad[p] {
			return true
		}
		if p == "" {
			return false
		}
	}
}

// say puts a setting's name in front of what its owner said about it:
// "log.level must be one of ...", "routing.rules[2].when: unknown name x".
func say(path, msg string) string {
	for _, verb := range []string{"must ", "is ", "(", "may ", "\""} {
		if strings.HasPrefix(msg, verb) {
			return display(path) + " " + msg
		}
	}
	return display(path) + ": " + msg
}
