package routing

import (
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/switchboard-hq/switchboard/core/directory"
)

// needs is the set of top-level variables a router's rules read, so that
// Decide builds only those (a rule set reading found and record.balance
// does not pay for the other eighteen, nor for the time). all is set when
// an expression reads $env as a whole.
type needs struct {
	all   bool
	names map[string]bool
}

// add records what prog reads.
func (n *needs) add(prog *vm.Program) {
	if n.names == nil {
		n.names = map[string]bool{}
	}
	v := &needsVisitor{n: n, accounted: map[*ast.IdentifierNode]bool{}}
	node := prog.Node()
	ast.Walk(&node, v)
	for _, id := range v.envs {
		if !v.accounted[id] {
			n.all = true
		}
	}
}

type needsVisitor struct {
	n         *needs
	envs      []*ast.IdentifierNode // every $env met
	accounted map[*ast.IdentifierNode]bool
}

// Visit implements ast.Visitor: every identifier is a name read (names
// that are no variable, such as functions', are harmless); $env.name
// reads name; $env handed to a time helper reads now (and the trace,
// which only an explained decision holds); any other $env reads all.
func (v *needsVisitor) Visit(node *ast.Node) {
	switch x := (*node).(type) {
	case *ast.IdentifierNode:
		if x.Value == "$env" {
			v.envs = append(v.envs, x)
			return
		}
		v.n.names[x.Value] = true
	case *ast.MemberNode:
		id, isEnv := x.Node.(*ast.IdentifierNode)
		prop, isName := x.Property.(*ast.StringNode)
		if isEnv && id.Value == "$env" && isName {
			v.accounted[id] = true
			v.n.names[prop.Value] = true
		}
	case *ast.CallNode:
		callee, ok := x.Callee.(*ast.IdentifierNode)
		if !ok || len(x.Arguments) == 0 {
			return
		}
		switch callee.Value {
		case inHoursFn, holidayFn, inHoursDynFn, holidayDynFn:
			if id, ok := x.Arguments[0].(*ast.IdentifierNode); ok && id.Value == "$env" {
				v.accounted[id] = true
				v.n.names[varNow] = true
			}
		}
	}
}

// decisionEnv is the environment a decision's rules see: buildEnv's, with
// only the variables they read.
func (r *Router) decisionEnv(res directory.Result, call Call) map[string]any {
	now := r.now() // read whatever the rules need: the clock is the router's (a test's may fail)
	if r.needs.all {
		return buildEnv(res, call, now)
	}
	env := make(map[string]any, len(r.needs.names))
	for name := range r.needs.names {
		switch name {
		case varFound:
			env[name] = res.Found
		case varAmbiguous:
			env[name] = res.Ambiguous
		case varMatches, varCandidates:
			env[name] = matchCount(res)
		case varSource:
			env[name] = res.Source
		case varVia:
			env[name] = string(res.Via)
		case varMatch:
			env[name] = matchKind(res)
		case varInvalidNumber:
			env[name] = res.InvalidNumber != nil
		case varErrors:
			env[name] = len(res.Errors)
		case varCaller:
			env[name] = callerOf(res.Query)
		case varCallerRaw:
			env[name] = callerRaw(res, call)
		case varCountryCode:
			env[name] = res.Query.CountryCode
		case varRegion:
			env[name] = res.Query.Region
		case varDialled:
			env[name] = call.Number
		case varUUID:
			env[name] = call.UUID
		case varRecord:
			env[name] = recordEnv(res)
		case varNow, varHour, varMinute, varWeekday:
			local := now.Local()
			env[varNow], env[varHour], env[varMinute], env[varWeekday] = local, local.Hour(), local.Minute(), weekday(local)
		}
	}
	return env
}

func weekday(t time.Time) string { return t.Weekday().String()[:3] }
