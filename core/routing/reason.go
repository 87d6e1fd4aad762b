package routing

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/file"

	"github.com/switchboard-hq/switchboard/core/directory"
)

// subject describes who the caller turned out to be, for a rule's reason.
func subject(res directory.Result) string {
	switch {
	case res.Found && res.Match != nil:
		return res.Match.Key() + viaSource(res)
	case res.Ambiguous:
		return fmt.Sprintf("%d ambiguous records%s", len(res.Matches), viaSource(res))
	case res.InvalidNumber != nil:
		return "an invalid number"
	case len(res.Errors) > 0:
		return fmt.Sprintf("an unknown caller (%s)", plural(len(res.Errors), "source error"))
	default:
		return "an unknown caller"
	}
}

// defaultReason explains why the default answered.
func defaultReason(res directory.Result) string {
	switch {
	case res.InvalidNumber != nil:
		return "default: invalid number (" + strings.Join(strings.Fields(res.InvalidNumber.Error()), " ") + ")"
	case res.Ambiguous:
		return fmt.Sprintf("default: ambiguous (%s)", plural(len(res.Matches), "record"))
	case !res.Found && len(res.Errors) > 0:
		return fmt.Sprintf("default: lookup failed (%s)", plural(len(res.Errors), "source error"))
	case res.Found && res.Match != nil:
		return "default: no rule matched (" + res.Match.Key() + viaSource(res) + ")"
	default:
		return "default: no rule matched (not found)"
	}
}

// viaSource is " via <layer>/<source>", or "" when neither is known.
func viaSource(res directory.Result) string {
	switch {
	case res.Via != "" && res.Source != "":
		return " via " + string(res.Via) + "/" + res.Source
	case res.Via != "":
		return " via " + string(res.Via)
	case res.Source != "":
		return " via " + res.Source
	}
	return ""
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// oneLine renders err without expr's multi-line source snippet.
func oneLine(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) && fe.Snippet != "" {
		return strings.Replace(err.Error(), fe.Snippet, "", 1)
	}
	return err.Error()
}
