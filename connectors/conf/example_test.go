package conf_test

import (
	"fmt"
	"time"

	"github.com/switchboard-hq/switchboard/connectors/conf"
)

// Decode reports every problem of a block at once, each at its path: here
// a misspelt key and a value of the wrong type. A connector returns them
// as its ConfigureResponse's Problems.
func ExampleDecode() {
	type config struct {
		Path    string        `yaml:"path"`
		Timeout conf.Duration `yaml:"timeout"`
		Columns struct {
			Phones conf.NameList `yaml:"phones"`
		} `yaml:"columns"`
	}
	cfg := config{Timeout: conf.Duration(2 * time.Second)}
	problems := conf.Decode([]byte(`
pth: crm.json
timeout: soon
columns:
  phones: [Phone, Mobile]
`), &cfg)
	fmt.Println(problems.Error())
	fmt.Println(cfg.Columns.Phones, cfg.Timeout)
	// Output:
	// pth: unknown key "pth" (did you mean "path"?)
	// timeout: expected a duration like 2s, 500ms or 1m30s (0 turns it off), got "soon"
	// [Phone Mobile] 2s
}
