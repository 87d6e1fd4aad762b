package connectors_test

import (
	"fmt"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Problems prints one "path: message" a line, "(config)" standing for the
// block as a whole; Err is nil when there is none.
func ExampleProblems() {
	var problems connectors.Problems
	fmt.Println(problems.Err())
	problems = append(problems,
		connectors.Problem{Path: "columns.phones.1", Message: "no column named Mobile"},
		connectors.Problem{Message: "nothing to read: set table: or queries:"})
	fmt.Println(problems.Err())
	// Output:
	// <nil>
	// columns.phones.1: no column named Mobile
	// (config): nothing to read: set table: or queries:
}
