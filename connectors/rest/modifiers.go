package rest

import (
	"regexp"
	"sync"

	"github.com/tidwall/gjson"
)

// The gjson modifiers this package adds, for values an API holds in
// another form than the contract wants:
//
//	owner_id|@prefix:"u-"   17 → "u-17" (null and "" stay empty)
//	id|@suffix:"@pd"        17 → "17@pd"
//
// They are registered in gjson's global table once, under names gjson
// itself does not use.
var registerModifiers sync.Once

// knownModifiers are the modifiers a path may use: gjson's own and ours.
var knownModifiers = []string{"this", "reverse", "ugly", "pretty", "valid", "flatten", "join", "keys", "values",
	"tostr", "fromstr", "group", "dig", "prefix", "suffix"}

var modifierRE = regexp.MustCompile(`(?:^|[.|])@([A-Za-z0-9_]+)`)

func addModifiers() {
	registerModifiers.Do(func() {
		affix := func(suffix bool) func(json, arg string) string {
			return func(json, arg string) string {
				v := str(gjson.Parse(json))
				if v == "" {
					return ""
				}
				a := gjson.Parse(arg)
				text := a.String()
				if a.Type != gjson.String {
					text = arg
				}
				if suffix {
					v += text
				} else {
					v = text + v
				}
				return string(gjson.AppendJSONString(nil, v))
			}
		}
		if !gjson.ModifierExists("prefix", nil) {
			gjson.AddModifier("prefix", affix(false))
		}
		if !gjson.ModifierExists("suffix", nil) {
			gjson.AddModifier("suffix", affix(true))
		}
	})
}

func init() { addModifiers() }
