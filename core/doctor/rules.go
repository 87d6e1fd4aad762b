package doctor

import (
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/switchboard-hq/switchboard/core/routing"
)

// standardKeys are the record's own keys (core/routing's record map);
// any other record.<name> is the field <name>.
var standardKeys = map[string]bool{
	"type": true, "id": true, "name": true, "first_name": true, "last_name": true, "company": true,
	"company_id": true, "owner": true, "email": true, "emails": true, "phones": true, "job_title": true, "fields": true,
}

// ScanRules finds what the rules read of the record: it parses each
// rule's when and to_expr expressions (expr's parser, no compilation)
// and collects every member access rooted at record (record.owner,
// record["owner"], record?.owner, $env.record.owner): record.<standard
// key> is that key, record.fields.<name> and record.<name> are the field
// <name>. Computed accesses (record[some_var]) are not followed. It
// returns the references sorted by path, and a note for each expression
// that does not parse (core/routing refuses those at load, so a loaded
// configuration has none).
func ScanRules(rules []routing.Rule) ([]RuleRef, []string) {
	byPath := map[string]*RuleRef{}
	var notes []string
	for _, rule := range rules {
		exprs := []string{rule.When}
		for _, target := range sortedKeys(rule.ToExpr) {
			exprs = append(exprs, rule.ToExpr[target])
		}
		for _, src := range exprs {
			if strings.TrimSpace(src) == "" {
				continue
			}
			paths, err := recordPaths(src)
			if err != nil {
				notes = append(notes, fmt.Sprintf("rule %q: cannot read %q: %v", rule.Name, src, err))
				continue
			}
			for _, p := range paths {
				ref := byPath[p.path]
				if ref == nil {
					ref = &RuleRef{Path: p.path, Key: p.key}
					byPath[p.path] = ref
				}
				if !slices.Contains(ref.Rules, rule.Name) {
					ref.Rules = append(ref.Rules, rule.Name)
				}
			}
		}
	}
	out := make([]RuleRef, 0, len(byPath))
	for _, p := range sortedKeys(byPath) {
		out = append(out, *byPath[p])
	}
	return out, notes
}

type recordPath struct{ path, key string }

// recordPaths lists the record values one expression reads.
func recordPaths(src string) ([]recordPath, error) {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil, err
	}
	v := &memberVisitor{}
	ast.Walk(&tree.Node, v)
	var out []recordPath
	seen := map[string]bool{}
	for _, chain := range v.chains {
		if len(chain) > 0 && chain[0] == "$env" {
			chain = chain[1:]
		}
		if len(chain) < 2 || chain[0] != "record" {
			continue
		}
		var rp recordPath
		switch {
		case chain[1] == "fields" && len(chain) >= 3:
			rp = recordPath{"record.fields." + chain[2], "fields." + chain[2]}
		case chain[1] == "fields":
			continue // the whole map
		case standardKeys[chain[1]]:
			rp = recordPath{"record." + chain[1], chain[1]}
		default:
			rp = recordPath{"record." + chain[1], "fields." + chain[1]}
		}
		if !seen[rp.path] {
			seen[rp.path] = true
			out = append(out, rp)
		}
	}
	return out, nil
}

// memberVisitor collects the name chains of member accesses with constant
// properties (a.b.c, a["b"]).
type memberVisitor struct {
	chains [][]string
}

func (v *memberVisitor) Visit(node *ast.Node) {
	if m, ok := (*node).(*ast.MemberNode); ok {
		if chain, ok := memberChain(m); ok {
			v.chains = append(v.chains, chain)
		}
	}
}

// memberChain is m as a name chain ("record", "fields", "tier"), when
// it is built of identifiers and constant string properties only.
func memberChain(n ast.Node) ([]string, bool) {
	switch x := n.(type) {
	case *ast.IdentifierNode:
		return []string{x.Value}, true
	case *ast.ChainNode:
		return memberChain(x.Node)
	case *ast.MemberNode:
		base, ok := memberChain(x.Node)
		if !ok {
			return nil, false
		}
		prop, ok := x.Property.(*ast.StringNode)
		if !ok {
			return nil, false
		}
		return append(base, prop.Value), true
	}
	return nil, false
}
