package routing

import (
	_ "time/tzdata" // zones load alike on every host, with or without a system tz database

	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
)

// The time helpers rules may call. A call is rewritten at load into a call
// of a hidden function that also gets $env (for now, the decision's time):
// with its spec, zone and holiday list written as literals, into one that
// gets them parsed (inHoursFn, holidayFn); otherwise into one that parses
// them at run time through a small memo (inHoursDynFn, holidayDynFn).
const (
	fnInHours = "in_hours"
	fnHoliday = "holiday"

	inHoursFn    = "$in_hours"
	holidayFn    = "$holiday"
	inHoursDynFn = "$in_hours_dyn"
	holidayDynFn = "$holiday_dyn"
)

// traceKey holds, in the environment of an explained decision only, the
// *tracer the helpers tell what they saw. No rule can name it.
const traceKey = "\x00trace"

// noteLayout shows the decision's time in a zone, in notes and in the
// environment Explain shows.
const noteLayout = "Mon 2006-01-02 15:04:05 MST"

// hoursCall is one call of in_hours with its arguments read.
type hoursCall struct {
	spec   string
	week   *week
	zone   string // as written; "" is the host's zone
	loc    *time.Location
	closed *holidaySet // nil: no holiday list
}

// open reports whether t falls within the hours, on a day not on the
// holiday list.
func (c *hoursCall) open(t time.Time) bool {
	day, minute := localDay(t, c.loc)
	if !c.week.has(int(weekdayOf(day))*minutesPerDay + minute) {
		return false
	}
	return c.closed == nil || !c.closed.has(day)
}

// note explains an outcome for Explain.
func (c *hoursCall) note(t time.Time, open bool) string {
	call := fmt.Sprintf("%s(%q", fnInHours, c.spec)
	if c.zone != "" || c.closed != nil {
		call += fmt.Sprintf(", %q", c.zone)
	}
	if c.closed != nil {
		call += ", " + c.closed.String()
	}
	call += ")"
	at := t.In(c.loc).Format(noteLayout)
	day, minute := localDay(t, c.loc)
	switch {
	case open:
		return fmt.Sprintf("%s is true: %s is within the hours", call, at)
	case !c.week.has(int(weekdayOf(day))*minutesPerDay + minute):
		return fmt.Sprintf("%s is false: %s is outside the hours", call, at)
	default:
		return fmt.Sprintf("%s is false: %s is within the hours but on the holiday list %s", call, at, c.closed)
	}
}

// holidayCall is one call of holiday with its arguments read.
type holidayCall struct {
	set  *holidaySet
	zone string
	loc  *time.Location
}

func (c *holidayCall) on(t time.Time) bool {
	day, _ := localDay(t, c.loc)
	return c.set.has(day)
}

func (c *holidayCall) note(t time.Time, on bool) string {
	call := fmt.Sprintf("%s(%s)", fnHoliday, c.set)
	if c.zone != "" {
		call = fmt.Sprintf("%s(%s, %q)", fnHoliday, c.set, c.zone)
	}
	at := t.In(c.loc).Format(noteLayout)
	if on {
		return fmt.Sprintf("%s is true: %s is on the list", call, at)
	}
	return fmt.Sprintf("%s is false: %s is not on the list", call, at)
}

// tracer collects, while a decision is explained, what each helper saw.
type tracer struct {
	notes []string
	zones map[string]*time.Location
}

func (tr *tracer) add(note, zone string, loc *time.Location) {
	tr.notes = append(tr.notes, note)
	if zone != "" {
		if tr.zones == nil {
			tr.zones = map[string]*time.Location{}
		}
		tr.zones[zone] = loc
	}
}

// take returns the notes since the last take.
func (tr *tracer) take() []string {
	if tr == nil {
		return nil
	}
	notes := tr.notes
	tr.notes = nil
	return notes
}

// zones caches time zones by name ("" is the host's zone).
var (
	zones     sync.Map // string → *time.Location
	zoneCount atomic.Int32
)

// maxCachedZones bounds the zone cache (zone names may come from records).
const maxCachedZones = 1024

// loadZone loads an IANA zone by name; "" is the host's local zone.
func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return time.Local, nil
	}
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		return nil, fmt.Errorf("unknown time zone %q: write an IANA zone name such as \"Europe/Istanbul\", or \"\" for the host's zone", name)
	}
	if zoneCount.Load() < maxCachedZones {
		if _, loaded := zones.LoadOrStore(name, loc); !loaded {
			zoneCount.Add(1)
		}
	}
	return loc, nil
}

// helpers are a router's time helpers: its holiday lists and the memo of
// specs parsed at run time.
type helpers struct {
	holidays map[string]*holidaySet
	memo     sync.Map // spec+"\x00"+zone → *hoursCall or error
	memoLen  atomic.Int32
	// zones are the zones named by literals in the rules (and in
	// conditions compiled later, see Condition), for Explain.
	mu    sync.Mutex
	zones map[string]*time.Location
}

// maxMemo bounds the specs parsed at run time that are kept.
const maxMemo = 256

// options are the expr options that declare the helpers.
func (h *helpers) options() []expr.Option {
	notRewritten := func(name string) func(...any) (any, error) {
		return func(...any) (any, error) {
			return nil, fmt.Errorf("%s: the call was not prepared at load: this is a bug, please report it", name)
		}
	}
	return []expr.Option{
		// The names rules write: declared so that their arguments are
		// type-checked before the call is rewritten.
		expr.Function(fnInHours, notRewritten(fnInHours),
			new(func(any) bool), new(func(any, any) bool), new(func(any, any, any) bool)),
		expr.Function(fnHoliday, notRewritten(fnHoliday),
			new(func(any) bool), new(func(any, any) bool)),
		expr.Function(inHoursFn, h.inHours, new(func(any, *hoursCall) bool)),
		expr.Function(holidayFn, h.holiday, new(func(any, *holidayCall) bool)),
		expr.Function(inHoursDynFn, h.inHoursDyn, new(func(any, ...any) bool)),
		expr.Function(holidayDynFn, h.holidayDyn, new(func(any, ...any) bool)),
	}
}

// envTime is the decision's time from the environment, and the tracer
// when the decision is being explained.
func envTime(env any) (time.Time, *tracer, error) {
	m, ok := env.(map[string]any)
	if !ok {
		return time.Time{}, nil, fmt.Errorf("the environment is %T, not routing's", env)
	}
	now, _ := m[varNow].(time.Time)
	tr, _ := m[traceKey].(*tracer)
	return now, tr, nil
}

func (h *helpers) inHours(params ...any) (any, error) {
	now, tr, err := envTime(params[0])
	if err != nil {
		return nil, err
	}
	c := params[1].(*hoursCall)
	open := c.open(now)
	if tr != nil {
		tr.add(c.note(now, open), c.zone, c.loc)
	}
	return open, nil
}

func (h *helpers) holiday(params ...any) (any, error) {
	now, tr, err := envTime(params[0])
	if err != nil {
		return nil, err
	}
	c := params[1].(*holidayCall)
	on := c.on(now)
	if tr != nil {
		tr.add(c.note(now, on), c.zone, c.loc)
	}
	return on, nil
}

// inHoursDyn is in_hours with arguments computed at run time.
func (h *helpers) inHoursDyn(params ...any) (any, error) {
	now, tr, err := envTime(params[0])
	if err != nil {
		return nil, err
	}
	args := params[1:]
	spec, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("%s: the hours are %s, want a string such as \"Mon-Fri 09:00-18:00\"", fnInHours, typeName(args[0]))
	}
	zone := ""
	if len(args) > 1 {
		if zone, ok = args[1].(string); !ok {
			return nil, fmt.Errorf("%s: the time zone is %s, want a string such as \"Europe/Istanbul\"", fnInHours, typeName(args[1]))
		}
	}
	c, err := h.hoursOf(spec, zone)
	if err != nil {
		return nil, err
	}
	if len(args) > 2 {
		set, err := h.holidaysOf(fnInHours, args[2])
		if err != nil {
			return nil, err
		}
		cc := *c
		cc.closed = set
		c = &cc
	}
	open := c.open(now)
	if tr != nil {
		tr.add(c.note(now, open), c.zone, c.loc)
	}
	return open, nil
}

// hoursOf parses a spec and loads a zone, through the memo.
func (h *helpers) hoursOf(spec, zone string) (*hoursCall, error) {
	key := spec + "\x00" + zone
	if v, ok := h.memo.Load(key); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(*hoursCall), nil
	}
	var v any
	c, err := newHoursCall(spec, zone)
	if err != nil {
		v = err
	} else {
		v = c
	}
	if h.memoLen.Load() < maxMemo {
		if _, loaded := h.memo.LoadOrStore(key, v); !loaded {
			h.memoLen.Add(1)
		}
	}
	return c, err
}

// newHoursCall parses spec and loads zone.
func newHoursCall(spec, zone string) (*hoursCall, error) {
	w, err := parseHours(spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %q: %w", fnInHours, spec, err)
	}
	loc, err := loadZone(zone)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fnInHours, err)
	}
	return &hoursCall{spec: spec, week: w, zone: zone, loc: loc}, nil
}

// holidayDyn is holiday with arguments computed at run time.
func (h *helpers) holidayDyn(params ...any) (any, error) {
	now, tr, err := envTime(params[0])
	if err != nil {
		return nil, err
	}
	args := params[1:]
	set, err := h.holidaysOf(fnHoliday, args[0])
	if err != nil {
		return nil, err
	}
	c := &holidayCall{set: set, loc: time.Local}
	if len(args) > 1 {
		zone, ok := args[1].(string)
		if !ok {
			return nil, fmt.Errorf("%s: the time zone is %s, want a string such as \"Europe/Istanbul\"", fnHoliday, typeName(args[1]))
		}
		if c.loc, err = loadZone(zone); err != nil {
			return nil, fmt.Errorf("%s: %w", fnHoliday, err)
		}
		c.zone = zone
	}
	on := c.on(now)
	if tr != nil {
		tr.add(c.note(now, on), c.zone, c.loc)
	}
	return on, nil
}

// holidaysOf is the list a value names (a string) or holds (a list of
// dates).
func (h *helpers) holidaysOf(fn string, v any) (*holidaySet, error) {
	switch v := v.(type) {
	case string:
		return h.named(v)
	case []string:
		return datesSet(v)
	case []any:
		dates := make([]string, len(v))
		for i, d := range v {
			s, ok := d.(string)
			if !ok {
				return nil, fmt.Errorf("%s: date %d is %s, want a string such as \"2026-04-23\"", fn, i, typeName(d))
			}
			dates[i] = s
		}
		return datesSet(dates)
	}
	return nil, fmt.Errorf("%s: the holidays are %s, want the name of a routing.holidays list or a list of dates", fn, typeName(v))
}

// named is the routing.holidays list called name.
func (h *helpers) named(name string) (*holidaySet, error) {
	if set, ok := h.holidays[name]; ok {
		return set, nil
	}
	if len(h.holidays) == 0 {
		return nil, fmt.Errorf("no holiday list %q: routing.holidays defines none", name)
	}
	names := make([]string, 0, len(h.holidays))
	for n := range h.holidays {
		names = append(names, n)
	}
	slices.Sort(names)
	return nil, fmt.Errorf("no holiday list %q in routing.holidays (known: %s)", name, strings.Join(names, ", "))
}

// datesSet is a list of dates written in an expression.
func datesSet(dates []string) (*holidaySet, error) {
	spans := make([]daySpan, 0, len(dates))
	for _, d := range dates {
		sp, err := parseDates(d)
		if err != nil {
			return nil, err
		}
		spans = append(spans, sp)
	}
	return newHolidaySet("", spans), nil
}

// typeName says what a value is, for messages.
func typeName(v any) string {
	if v == nil {
		return "nil"
	}
	return reflect.TypeOf(v).String()
}

// helperPatcher rewrites the helper calls of one expression (src) at load,
// and collects the problems with their arguments.
type helperPatcher struct {
	h    *helpers
	src  string
	errs []*file.Error
	// names are the helpers' names met, in order, and called those
	// that turned out to be called (the walk visits a call's callee
	// before the call).
	names  []*ast.IdentifierNode
	called map[*ast.IdentifierNode]bool
	// bareNames is set by bindErrors when a helper's name is used but not
	// called.
	bareNames bool
}

// Visit implements ast.Visitor.
func (p *helperPatcher) Visit(node *ast.Node) {
	if id, ok := (*node).(*ast.IdentifierNode); ok && (id.Value == fnInHours || id.Value == fnHoliday) {
		p.names = append(p.names, id)
		return
	}
	call, ok := (*node).(*ast.CallNode)
	if !ok {
		return
	}
	callee, ok := call.Callee.(*ast.IdentifierNode)
	if !ok {
		return
	}
	if p.called == nil {
		p.called = map[*ast.IdentifierNode]bool{}
	}
	p.called[callee] = true
	switch callee.Value {
	case fnInHours:
		p.inHours(node, call)
	case fnHoliday:
		p.holiday(node, call)
	}
}

// fail records a problem at node or, offset being 0 or more, at offset
// bytes into the value of the string literal node.
func (p *helperPatcher) fail(node ast.Node, offset int, format string, args ...any) {
	loc := node.Location()
	if s, ok := node.(*ast.StringNode); ok && offset >= 0 && offset <= len(s.Value) {
		loc.From += p.literalOffset(loc.From, s.Value, offset)
	}
	p.errs = append(p.errs, &file.Error{Location: loc, Message: fmt.Sprintf(format, args...)})
}

// literalOffset is how many runes into the source the byte offset into a
// string literal's value is, counting its opening quote: 0 when the
// literal has escapes (its source is not its value).
func (p *helperPatcher) literalOffset(from int, value string, offset int) int {
	runes := []rune(p.src)
	n := utf8.RuneCountInString(value)
	if from < 0 || from+n+1 >= len(runes) {
		return 0
	}
	q := runes[from]
	if (q != '"' && q != '\'') || string(runes[from+1:from+1+n]) != value || runes[from+1+n] != q {
		return 0
	}
	return 1 + utf8.RuneCountInString(value[:offset])
}

// call builds the rewritten call of fn with $env first.
func rewritten(fn string, args ...ast.Node) *ast.CallNode {
	return &ast.CallNode{Callee: &ast.IdentifierNode{Value: fn}, Arguments: append([]ast.Node{&ast.IdentifierNode{Value: "$env"}}, args...)}
}

// stringArg checks an argument that must be a string: a literal gives its
// value; a value of another known type is a problem.
func (p *helperPatcher) stringArg(fn, what, example string, arg ast.Node) (value string, literal, ok bool) {
	if s, isStr := arg.(*ast.StringNode); isStr {
		return s.Value, true, true
	}
	if t := arg.Type(); isLiteral(arg) || (t != nil && t.Kind() != reflect.String && t.Kind() != reflect.Interface) {
		p.fail(arg, -1, "%s: %s must be a string such as %q, got %s", fn, what, example, describeArg(arg))
		return "", false, false
	}
	return "", false, true
}

// holidaysArg checks a holiday list argument: a list's name or a list of
// dates. A literal gives its set.
func (p *helperPatcher) holidaysArg(fn string, arg ast.Node) (set *holidaySet, literal, ok bool) {
	switch a := arg.(type) {
	case *ast.StringNode:
		set, err := p.h.named(a.Value)
		if err != nil {
			p.fail(arg, -1, "%s: %v", fn, err)
			return nil, false, false
		}
		return set, true, true
	case *ast.ArrayNode:
		var spans []daySpan
		literal, ok = true, true
		for _, item := range a.Nodes {
			s, isStr := item.(*ast.StringNode)
			if !isStr {
				if isLiteral(item) {
					p.fail(item, -1, "%s: a date must be a string such as \"2026-04-23\", got %s", fn, describeArg(item))
					ok = false
				}
				literal = false
				continue
			}
			sp, err := parseDates(s.Value)
			if err != nil {
				p.fail(item, -1, "%s: %v", fn, err)
				ok = false
				continue
			}
			spans = append(spans, sp)
		}
		if !ok || !literal {
			return nil, false, ok
		}
		return newHolidaySet("", spans), true, true
	}
	if t := arg.Type(); isLiteral(arg) || (t != nil && t.Kind() != reflect.String && t.Kind() != reflect.Interface &&
		t.Kind() != reflect.Slice && t.Kind() != reflect.Array) {
		p.fail(arg, -1, "%s: the holidays must be the name of a routing.holidays list or a list of dates, got %s", fn, describeArg(arg))
		return nil, false, false
	}
	return nil, false, true
}

// zoneArg checks a zone argument; a literal is loaded.
func (p *helperPatcher) zoneArg(fn string, arg ast.Node) (zone string, loc *time.Location, literal, ok bool) {
	zone, literal, ok = p.stringArg(fn, "the time zone", "Europe/Istanbul", arg)
	if !literal || !ok {
		return "", nil, false, ok
	}
	loc, err := loadZone(zone)
	if err != nil {
		p.fail(arg, -1, "%s: %v", fn, err)
		return "", nil, false, false
	}
	if zone != "" {
		p.h.mu.Lock()
		p.h.zones[zone] = loc
		p.h.mu.Unlock()
	}
	return zone, loc, true, true
}

// inHours rewrites in_hours(spec[, zone[, holidays]]).
func (p *helperPatcher) inHours(node *ast.Node, call *ast.CallNode) {
	args := call.Arguments
	if len(args) < 1 || len(args) > 3 {
		p.fail(call, -1, "%s takes the hours, a time zone and optionally a holiday list, such as "+
			`in_hours("Mon-Fri 09:00-18:00", "Europe/Istanbul", "tr"); got %d arguments`, fnInHours, len(args))
		ast.Patch(node, &ast.BoolNode{})
		return
	}
	spec, specLit, ok := p.stringArg(fnInHours, "the hours", "Mon-Fri 09:00-18:00", args[0])
	var w *week
	if specLit {
		var err error
		if w, err = parseHours(spec); err != nil {
			var se *specError
			off := -1
			if errors.As(err, &se) {
				off = se.offset
			}
			p.fail(args[0], off, "%s: %v", fnInHours, err)
			ok = false
		}
	}
	c := &hoursCall{spec: spec, week: w, loc: time.Local}
	allLit := specLit
	if len(args) > 1 {
		zone, loc, lit, zok := p.zoneArg(fnInHours, args[1])
		c.zone, c.loc = zone, loc
		allLit, ok = allLit && lit, ok && zok
	}
	if len(args) > 2 {
		set, lit, hok := p.holidaysArg(fnInHours, args[2])
		c.closed = set
		allLit, ok = allLit && lit, ok && hok
	}
	switch {
	case !ok:
		ast.Patch(node, &ast.BoolNode{})
	case allLit:
		ast.Patch(node, rewritten(inHoursFn, &ast.ConstantNode{Value: c}))
	default:
		ast.Patch(node, rewritten(inHoursDynFn, args...))
	}
}

// holiday rewrites holiday(list[, zone]).
func (p *helperPatcher) holiday(node *ast.Node, call *ast.CallNode) {
	args := call.Arguments
	if len(args) < 1 || len(args) > 2 {
		p.fail(call, -1, "%s takes a holiday list and a time zone, such as "+
			`holiday("tr", "Europe/Istanbul"); got %d arguments`, fnHoliday, len(args))
		ast.Patch(node, &ast.BoolNode{})
		return
	}
	set, allLit, ok := p.holidaysArg(fnHoliday, args[0])
	c := &holidayCall{set: set, loc: time.Local}
	if len(args) > 1 {
		zone, loc, lit, zok := p.zoneArg(fnHoliday, args[1])
		c.zone, c.loc = zone, loc
		allLit, ok = allLit && lit, ok && zok
	}
	switch {
	case !ok:
		ast.Patch(node, &ast.BoolNode{})
	case allLit:
		ast.Patch(node, rewritten(holidayFn, &ast.ConstantNode{Value: c}))
	default:
		ast.Patch(node, rewritten(holidayDynFn, args...))
	}
}

// isLiteral reports whether n is a literal value.
func isLiteral(n ast.Node) bool {
	switch n.(type) {
	case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NilNode, *ast.ArrayNode, *ast.MapNode:
		return true
	}
	return false
}

// describeArg says what an argument is, for messages.
func describeArg(n ast.Node) string {
	switch n := n.(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NilNode:
		return n.String()
	case *ast.ArrayNode:
		return "a list"
	case *ast.MapNode:
		return "a map"
	}
	if t := n.Type(); t != nil {
		return strings.TrimPrefix(t.String(), "interface {}")
	}
	return "a value of unknown type"
}

// bindErrors turns the patcher's problems into expr's errors with their
// line, column and snippet.
func (p *helperPatcher) bindErrors() []error {
	for _, id := range p.names {
		if p.called[id] {
			continue
		}
		p.bareNames = true
		example := `in_hours("Mon-Fri 09:00-18:00", "Europe/Istanbul")`
		if id.Value == fnHoliday {
			example = `holiday("tr", "Europe/Istanbul")`
		}
		p.fail(id, -1, "%s is a function: call it, such as %s", id.Value, example)
	}
	out := make([]error, 0, len(p.errs))
	src := file.NewSource(p.src)
	for _, e := range p.errs {
		out = append(out, e.Bind(src))
	}
	return out
}

// zoneTimes adds to an explained environment the decision's time in every
// zone the rules name, and in every zone a helper met on the way.
func (h *helpers) zoneTimes(env map[string]any, tr *tracer) {
	now, ok := env[varNow].(time.Time)
	if !ok {
		return
	}
	add := func(zone string, loc *time.Location) {
		env["now in "+zone] = now.In(loc).Format(noteLayout)
	}
	h.mu.Lock()
	for zone, loc := range h.zones {
		add(zone, loc)
	}
	h.mu.Unlock()
	if tr != nil {
		for zone, loc := range tr.zones {
			add(zone, loc)
		}
	}
}
