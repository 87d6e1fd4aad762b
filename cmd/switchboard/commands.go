package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/host"
	"github.com/switchboard-hq/switchboard/core/ringostat"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/smartivr"
	"github.com/switchboard-hq/switchboard/core/version"
	"github.com/switchboard-hq/switchboard/plugins/manager"
)

func runServe(ctx context.Context, env *cliEnv, args []string) int {
	fs, cfgPath := newFlags(env, "serve", "")
	if _, code, ok := parseFlags(fs, args); !ok {
		return code
	}
	h, code, ok := loadHost(ctx, env, *cfgPath, host.Options{LogOutput: env.stderr})
	if !ok {
		return code
	}
	defer h.Close()
	if err := h.Serve(ctx); err != nil {
		printError(env, err)
		return exitFailed
	}
	return exitOK
}

func runValidate(ctx context.Context, env *cliEnv, args []string) int {
	fs, cfgPath := newFlags(env, "validate", "")
	print := fs.Bool("print", false, "print the effective configuration, secrets redacted")
	if _, code, ok := parseFlags(fs, args); !ok {
		return code
	}
	cfg, ok := loadConfig(env, *cfgPath)
	if !ok {
		return exitUsage
	}
	quiet := hclog.New(&hclog.LoggerOptions{Output: env.stderr, Level: hclog.Warn})
	h, err := host.Build(ctx, cfg, host.Options{ValidateOnly: true, Logger: quiet})
	if err != nil {
		printError(env, err)
		return exitFor(err)
	}
	h.Close()
	if *print {
		out, err := cfg.Redacted()
		if err != nil {
			printError(env, err)
			return exitFailed
		}
		env.stdout.Write(out)
	}
	fmt.Fprintf(env.stdout, "%s: OK (%d connector(s), %d routing rule(s))\n", *cfgPath, len(cfg.Connectors), len(cfg.Routing.Rules))
	return exitOK
}

func runLookup(ctx context.Context, env *cliEnv, args []string) int {
	fs, cfgPath := newFlags(env, "lookup", "NUMBER | -key NAME=VALUE")
	asJSON := fs.Bool("json", false, "print JSON")
	keyArg := fs.String("key", "", "look up by a key the connectors configure instead of a number: NAME=VALUE, such as account=AB-12 (lookup_key.go); a hashed key's value (a PIN) is not printed")
	dialled := fs.String("number", "", "the dialled number (Hipcall's \"number\"), for rules that use it")
	wait := fs.Duration("wait", 30*time.Second, "how long to wait for plugins and indexes")
	card := fs.Bool("card", false, "print the Insight Card that would be pushed for an inbound call from NUMBER (lookup_card.go)")
	forSystem := fs.String("for", smartivr.TargetName, "the phone system to decide for: "+strings.Join(targetNames(), " or "))
	flow := fs.Bool("flow", false, "explain the External Management flow for a call from NUMBER, step by step (lookup_flow.go)")
	keyed := fs.String("keyed", "", "with -flow: what the caller keys at each question, comma-separated (1234,9999; an empty item is no input)")
	extID := fs.String("contact-external-id", "", "with -flow: the contact_external_id Hipcall sends")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if *flow {
		return runLookupFlow(ctx, env, *cfgPath, pos, *keyed, *extID, *asJSON, *wait)
	}
	target, err := parseTarget(*forSystem)
	var kq *keyQuery
	if *keyArg != "" && err == nil {
		kq, err = parseKeyArg(*keyArg, pos, *card)
		if err != nil {
			fmt.Fprintf(env.stderr, "switchboard lookup: -key: %v\n", err)
			fs.Usage()
			return exitUsage
		}
	}
	if (kq == nil && len(pos) != 1) || err != nil {
		if err != nil {
			fmt.Fprintf(env.stderr, "switchboard lookup: -for: %v\n", err)
		}
		fs.Usage()
		return exitUsage
	}
	logger := hclog.New(&hclog.LoggerOptions{Output: env.stderr, Level: hclog.Warn})
	h, code, ok := loadHost(ctx, env, *cfgPath, host.Options{Logger: logger})
	if !ok {
		return code
	}
	defer h.Close()
	cfg := h.Config
	h.Directory.Start(ctx)
	wctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()
	if err := h.WaitReady(wctx); err != nil {
		fmt.Fprintf(env.stderr, "switchboard: not ready after %s: %v\n", *wait, err)
		return exitFailed
	}
	var (
		res directory.Result
		dec routing.Decision
	)
	if kq != nil {
		if code, ok := kq.check(env, h.Directory); !ok {
			return code
		}
		res, dec = kq.decide(ctx, h, *dialled, target)
	} else {
		res, dec = h.Decide(ctx, routing.Call{Caller: pos[0], Number: *dialled}, target)
	}
	if *card {
		return printCard(env, h, res, pos[0], *dialled)
	}
	if target == ringostat.TargetName {
		return printRingostatLookup(env, cfg.Ringostat, res, dec, kq, *asJSON)
	}
	if *asJSON {
		return printJSON(env, lookupJSON(res, dec, kq))
	}
	printLookup(env, res, dec, kq)
	return exitOK
}

type lookupOutput struct {
	Query     *queryJSON         `json:"query,omitempty"`
	Key       *keyJSON           `json:"key,omitempty"`
	Found     bool               `json:"found"`
	Ambiguous bool               `json:"ambiguous"`
	Source    string             `json:"source,omitempty"`
	Via       directory.Via      `json:"via"`
	Duration  string             `json:"duration"`
	Matches   []connectors.Match `json:"matches,omitempty"`
	Errors    []string           `json:"errors,omitempty"`
	Decision  routing.Decision   `json:"decision"`
}

type queryJSON struct {
	Raw       string `json:"raw"`
	E164      string `json:"e164,omitempty"`
	National  string `json:"national,omitempty"`
	Region    string `json:"region,omitempty"`
	Extension string `json:"extension,omitempty"`
	Invalid   string `json:"invalid,omitempty"`
}

// lookupJSON is a lookup's -json output: by number, or by key when kq is
// set.
func lookupJSON(res directory.Result, dec routing.Decision, kq *keyQuery) lookupOutput {
	out := lookupOutput{
		Found:     res.Found,
		Ambiguous: res.Ambiguous,
		Source:    res.Source,
		Via:       res.Via,
		Duration:  res.Duration.String(),
		Matches:   res.Matches,
		Decision:  dec,
	}
	if kq != nil {
		out.Key = kq.json()
	} else {
		out.Query = &queryJSON{Raw: res.Query.Raw, E164: res.Query.E164, National: res.Query.National, Region: res.Query.Region, Extension: res.Query.Extension}
		if res.InvalidNumber != nil {
			out.Query.Invalid = res.InvalidNumber.Error()
		}
	}
	for _, e := range res.Errors {
		out.Errors = append(out.Errors, e.Source+": "+e.Err.Error())
	}
	return out
}

func printLookup(env *cliEnv, res directory.Result, dec routing.Decision, kq *keyQuery) {
	w := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	printMatch(w, res, kq)
	fmt.Fprintf(w, "extension:\t%s\n", dec.Destination)
	fmt.Fprintf(w, "reason:\t%s\n", dec.Reason)
	w.Flush()
}

// printMatch prints the number (or the key, when kq is set), the match and
// the lookup's errors.
func printMatch(w io.Writer, res directory.Result, kq *keyQuery) {
	q := res.Query
	switch {
	case kq != nil:
		kq.print(w)
	case res.InvalidNumber != nil:
		fmt.Fprintf(w, "number:\t%v\n", res.InvalidNumber)
	case q.E164 != "":
		fmt.Fprintf(w, "number:\t%s (%s)\n", q.E164, q.Region)
	default:
		fmt.Fprintf(w, "number:\t%s (national, country unknown)\n", q.National)
	}
	switch {
	case res.Found && res.Match.Kind == connectors.MatchKey:
		fmt.Fprintf(w, "match:\t%s (%s match, via %s/%s, %s)\n", describeMatch(res.Match), res.Match.Kind, res.Via, res.Source, res.Duration.Round(time.Microsecond))
	case res.Found:
		fmt.Fprintf(w, "match:\t%s (%s match on %q, via %s/%s, %s)\n", describeMatch(res.Match), res.Match.Kind, res.Match.Phone.Raw, res.Via, res.Source, res.Duration.Round(time.Microsecond))
	case res.Ambiguous:
		fmt.Fprintf(w, "match:\tambiguous: %d records (via %s/%s)\n", len(res.Matches), res.Via, res.Source)
		for i := range res.Matches {
			fmt.Fprintf(w, "\t- %s (%s)\n", describeMatch(&res.Matches[i]), res.Matches[i].Kind)
		}
	default:
		fmt.Fprintf(w, "match:\tnone (%s)\n", res.Duration.Round(time.Microsecond))
	}
	for _, e := range res.Errors {
		fmt.Fprintf(w, "error:\t%s: %v\n", e.Source, e.Err)
	}
}

func describeMatch(m *connectors.Match) string {
	switch {
	case m.Contact != nil:
		s := fmt.Sprintf("contact %s %s", m.Contact.ID, m.Contact.Name())
		if m.Contact.CompanyName != "" {
			s += ", " + m.Contact.CompanyName
		}
		return s
	case m.Company != nil:
		return fmt.Sprintf("company %s %s", m.Company.ID, m.Company.Name)
	}
	return "?"
}

func runPlugins(ctx context.Context, env *cliEnv, args []string) int {
	if len(args) > 0 && args[0] == "describe" {
		return runPluginsDescribe(ctx, env, args[1:]) // plugins_describe.go
	}
	fs, cfgPath := newFlags(env, "plugins", "")
	dir := fs.String("dir", "", "plugin directory (default: plugins.dir from the config, else bin/plugins)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, code, ok := parseFlags(fs, args); !ok {
		return code
	}
	pluginDir := *dir
	if pluginDir == "" {
		pluginDir = "bin/plugins"
		if _, err := os.Stat(*cfgPath); err == nil {
			cfg, ok := loadConfig(env, *cfgPath)
			if !ok {
				return exitUsage
			}
			pluginDir = cfg.Plugins.Dir
		}
	}
	m := manager.New(manager.Options{Config: manager.Config{Dir: pluginDir}, Logger: hclog.New(&hclog.LoggerOptions{Output: env.stderr, Level: hclog.Warn})})
	defer m.Shutdown()
	found, err := m.Discover()
	if err != nil {
		printError(env, err)
		return exitFailed
	}
	type row struct {
		manager.Found
		Info  *connectors.DescribeResponse `json:"describe,omitempty"`
		Error string                       `json:"error,omitempty"`
	}
	rows := make([]row, 0, len(found))
	failed := false
	for _, f := range found {
		info, err := m.Inspect(ctx, f.Path)
		r := row{Found: f}
		if err != nil {
			r.Error, failed = err.Error(), true
		} else {
			r.Info = info
		}
		rows = append(rows, r)
	}
	if *asJSON {
		if code := printJSON(env, rows); code != exitOK {
			return code
		}
	} else {
		if len(rows) == 0 {
			fmt.Fprintf(env.stdout, "no plugins in %s (build them with `make build`)\n", pluginDir)
		}
		w := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "PLUGIN\tVERSION\tPROTOCOL\tCAPABILITIES\tPATH")
		for _, r := range rows {
			if r.Info == nil {
				fmt.Fprintf(w, "%s\t-\t-\terror: %s\t%s\n", r.Plugin, r.Error, r.Path)
				continue
			}
			caps := make([]string, len(r.Info.Capabilities))
			for i, c := range r.Info.Capabilities {
				caps[i] = string(c)
			}
			fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\n", r.Plugin, r.Info.Version, r.Info.ProtocolVersion, strings.Join(caps, ","), r.Path)
		}
		w.Flush()
	}
	if failed {
		return exitFailed
	}
	return exitOK
}

func runVersion(_ context.Context, env *cliEnv, args []string) int {
	fmt.Fprintf(env.stdout, "switchboard %s, plugin protocol %d\n", version.String(), connectors.ProtocolVersion)
	return exitOK
}

func printJSON(env *cliEnv, v any) int {
	enc := json.NewEncoder(env.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		printError(env, err)
		return exitFailed
	}
	return exitOK
}

// targetNames lists the phone systems `lookup -for` decides for: the
// routing targets the host registers.
func targetNames() []string {
	var names []string
	for _, t := range host.Targets(nil) {
		names = append(names, t.Name)
	}
	return names
}

// parseTarget reads `lookup -for` (any case).
func parseTarget(s string) (string, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	if slices.Contains(targetNames(), name) {
		return name, nil
	}
	return "", fmt.Errorf("unknown phone system %q: use %s", s, strings.Join(targetNames(), " or "))
}
