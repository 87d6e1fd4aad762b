package routing

import (
	"errors"
	"maps"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/switchboard-hq/switchboard/core/directory"
)

// Condition compiles src, a condition of a front end that has conditions
// of its own (an External Management flow's branches, Speed Dial's
// allow), over the rules' variables and helpers (in_hours, holiday, ...)
// plus extra: its own variables, each with an example value of its type.
// The error says what is wrong in src as a rule's would. Evaluate with an
// environment from Env holding extra's variables too; an evaluation
// error is returned, and the front end treats it as false.
func (r *Router) Condition(src string, extra map[string]any) (func(env map[string]any) (bool, error), error) {
	sample := buildEnv(directory.Result{}, Call{}, time.Time{})
	maps.Copy(sample, extra)
	prog, errs := r.compile(src, sample, expr.AsBool())
	if len(errs) > 0 {
		msgs := make([]error, len(errs))
		for i, err := range errs {
			msgs[i] = errors.New(exprProblem("", err).Message)
		}
		return nil, errors.Join(msgs...)
	}
	return func(env map[string]any) (bool, error) {
		machine := r.vms.Get().(*vm.VM)
		defer r.vms.Put(machine)
		out, err := machine.Run(prog, env)
		if err != nil {
			return false, err
		}
		ok, _ := out.(bool)
		return ok, nil
	}, nil
}

// Env is what rules and conditions see for a lookup's result and a call,
// at the router's clock.
func (r *Router) Env(res directory.Result, call Call) map[string]any {
	return buildEnv(res, call, r.now())
}
