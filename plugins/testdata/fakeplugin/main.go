// Command fakeplugin is a connector plugin for the plugin wire's tests. It
// serves records from its YAML config out of memory and misbehaves on
// demand:
//
//	contacts: [{id: c1, first_name: Ada, phones: ["+441234567890"], fields: {tier: gold}}]
//	companies: [{id: k1, name: Acme, phones: ["+441234000000"]}]
//	generate_contacts: 20000   # add synthetic contacts (large pages)
//	padding: "..."             # ignored; makes the config large
//	panic_on: lookup           # panic in that method
//	hang_on: lookup            # block until the call's context is done
//	configure_delay: 6s        # Configure takes that long (a large source)
//	exit_on: lookup            # os.Exit(3) in the middle of the call
//	error_on: lookup           # return an error of class error_class
//	error_class: rate_limited
//	env_file: /tmp/env         # write its environment there at Configure (NUL-separated)
//	token_env: FAKE_TOKEN      # names a variable it reads itself (like dsn_env); unused
//
// Methods are named describe, configure, check, lookup, list_companies,
// list_contacts and lookup_by_key. LookupByKey (served, not declared)
// finds the records whose field (a key of fields, or id) equals the value,
// ignoring case. Environment: FAKEPLUGIN_PROTOCOL_VERSION serves that
// protocol version (or those comma-separated versions) instead of the
// current one; FAKEPLUGIN_EXIT_AT_START=1 exits before the handshake;
// FAKEPLUGIN_NAME is the name it describes itself with (default fake);
// FAKEPLUGIN_CHILD_PID_FILE=path starts a child process (sleep 300) that
// holds the plugin's stdout and stderr, writes its pid there, then serves.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/plugins"
	"github.com/switchboard-hq/switchboard/plugins/internal/wire"
)

func main() {
	if os.Getenv("FAKEPLUGIN_EXIT_AT_START") == "1" {
		fmt.Fprintln(os.Stderr, "fakeplugin: refusing to start (FAKEPLUGIN_EXIT_AT_START=1)")
		os.Exit(2)
	}
	if path := os.Getenv("FAKEPLUGIN_CHILD_PID_FILE"); path != "" {
		if err := startChild(path); err != nil {
			fmt.Fprintln(os.Stderr, "fakeplugin: starting a child:", err)
			os.Exit(2)
		}
	}
	if v := os.Getenv("FAKEPLUGIN_PROTOCOL_VERSION"); v != "" {
		// A comma-separated list serves several versions ("1,2").
		logger := hclog.New(&hclog.LoggerOptions{Output: os.Stderr, JSONFormat: true})
		sets := map[int]plugin.PluginSet{}
		for _, s := range strings.Split(v, ",") {
			version, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				fmt.Fprintln(os.Stderr, "fakeplugin: bad FAKEPLUGIN_PROTOCOL_VERSION:", err)
				os.Exit(2)
			}
			sets[version] = plugin.PluginSet{wire.PluginName: &wire.ConnectorPlugin{Impl: New(logger), Logger: logger}}
		}
		plugin.Serve(&plugin.ServeConfig{
			HandshakeConfig:  wire.Handshake,
			VersionedPlugins: sets,
			GRPCServer:       plugin.DefaultGRPCServer,
			Logger:           logger,
		})
		return
	}
	plugins.Serve(New)
}

// startChild starts a long-running child, as a connector might start a
// helper, that holds the plugin's stdout and stderr open, and writes its
// pid to path.
func startChild(path string) error {
	child := exec.Command("sleep", "300")
	child.Stdout, child.Stderr = os.Stdout, os.Stderr
	if err := child.Start(); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(strconv.Itoa(child.Process.Pid)), 0o600)
}

type record struct {
	ID        string         `yaml:"id"`
	FirstName string         `yaml:"first_name"`
	Name      string         `yaml:"name"`
	Phones    []string       `yaml:"phones"`
	Fields    map[string]any `yaml:"fields"`
}

type config struct {
	Contacts         []record `yaml:"contacts"`
	Companies        []record `yaml:"companies"`
	GenerateContacts int      `yaml:"generate_contacts"`
	Padding          string   `yaml:"padding"`
	PanicOn          string   `yaml:"panic_on"`
	HangOn           string   `yaml:"hang_on"`
	ExitOn           string   `yaml:"exit_on"`
	ErrorOn          string   `yaml:"error_on"`
	ErrorClass       string   `yaml:"error_class"`
	EnvFile          string   `yaml:"env_file"`
	TokenEnv         string   `yaml:"token_env"`
	// ConfigureDelay makes Configure take that long ("6s"), as a large
	// source's load does.
	ConfigureDelay string `yaml:"configure_delay"`
}

type fake struct {
	logger hclog.Logger

	mu        sync.Mutex
	cfg       config
	contacts  []connectors.Contact
	companies []connectors.Company
}

// New returns the fake connector.
func New(logger hclog.Logger) connectors.Connector {
	return &fake{logger: logger}
}

// misbehave applies the configured behaviour for method.
func (f *fake) misbehave(ctx context.Context, method, op string) error {
	f.mu.Lock()
	cfg := f.cfg
	f.mu.Unlock()
	switch method {
	case cfg.PanicOn:
		panic("fakeplugin: asked to panic in " + method)
	case cfg.ExitOn:
		f.logger.Info("exiting mid-call as configured", "method", method)
		os.Exit(3)
	case cfg.HangOn:
		<-ctx.Done()
		return ctx.Err()
	case cfg.ErrorOn:
		return connectors.Errorf(connectors.Class(cfg.ErrorClass), op, "fakeplugin: asked to fail with %s", cfg.ErrorClass)
	}
	return nil
}

func (f *fake) Describe(ctx context.Context, _ *connectors.DescribeRequest) (*connectors.DescribeResponse, error) {
	if err := f.misbehave(ctx, "describe", "Describe"); err != nil {
		return nil, err
	}
	name := os.Getenv("FAKEPLUGIN_NAME")
	if name == "" {
		name = "fake"
	}
	return &connectors.DescribeResponse{
		Name:            name,
		Version:         "0.0.1-test",
		ProtocolVersion: connectors.ProtocolVersion,
		Capabilities:    []connectors.Capability{connectors.CapLookup, connectors.CapListCompanies, connectors.CapListContacts},
		Description:     "in-memory connector for tests",
	}, nil
}

func (f *fake) Configure(ctx context.Context, req *connectors.ConfigureRequest) (*connectors.ConfigureResponse, error) {
	var cfg config
	dec := yaml.NewDecoder(strings.NewReader(string(req.Config)))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return &connectors.ConfigureResponse{Problems: []connectors.Problem{{Message: err.Error()}}}, nil
	}
	if cfg.EnvFile != "" {
		if err := os.WriteFile(cfg.EnvFile, []byte(strings.Join(os.Environ(), "\x00")), 0o600); err != nil {
			return nil, err
		}
	}
	var problems []connectors.Problem
	check := func(kind string, recs []record) {
		for i, r := range recs {
			if r.ID == "" {
				problems = append(problems, connectors.Problem{
					Path: fmt.Sprintf("%s.%d.id", kind, i), Message: "id is required"})
			}
			for j, p := range r.Phones {
				if !strings.HasPrefix(p, "+") {
					problems = append(problems, connectors.Problem{
						Path: fmt.Sprintf("%s.%d.phones.%d", kind, i, j), Message: "phone must be in E.164 form (+...)"})
				}
			}
		}
	}
	check("contacts", cfg.Contacts)
	check("companies", cfg.Companies)
	if len(problems) > 0 {
		return &connectors.ConfigureResponse{Problems: problems}, nil
	}
	if req.ValidateOnly {
		return &connectors.ConfigureResponse{}, nil
	}

	var contacts []connectors.Contact
	for _, r := range cfg.Contacts {
		contacts = append(contacts, connectors.Contact{ID: r.ID, FirstName: r.FirstName, Phones: phones(r.Phones), Fields: r.Fields})
	}
	for i := range cfg.GenerateContacts {
		contacts = append(contacts, connectors.Contact{
			ID:        fmt.Sprintf("gen-%06d", i),
			FirstName: "Generated",
			LastName:  strings.Repeat("x", 300),
			Phones:    phones([]string{fmt.Sprintf("+4420%08d", i)}),
		})
	}
	var companies []connectors.Company
	for _, r := range cfg.Companies {
		companies = append(companies, connectors.Company{ID: r.ID, Name: r.Name, Phones: phones(r.Phones), Fields: r.Fields})
	}

	f.mu.Lock()
	f.cfg, f.contacts, f.companies = cfg, contacts, companies
	f.mu.Unlock()
	if err := f.misbehave(ctx, "configure", "Configure"); err != nil {
		return nil, err
	}
	if d, err := time.ParseDuration(cfg.ConfigureDelay); err == nil {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return &connectors.ConfigureResponse{}, nil
}

func phones(raw []string) []connectors.Phone {
	var out []connectors.Phone
	for _, p := range raw {
		out = append(out, connectors.Phone{Raw: p, E164: p, Label: "phone"})
	}
	return out
}

func (f *fake) Check(ctx context.Context, _ *connectors.CheckRequest) (*connectors.CheckResponse, error) {
	if err := f.misbehave(ctx, "check", "Check"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.contacts) + len(f.companies)
	return &connectors.CheckResponse{Records: int64(n), Detail: fmt.Sprintf("%d records in memory", n)}, nil
}

func (f *fake) LookupByPhone(ctx context.Context, req *connectors.LookupRequest) (*connectors.LookupResponse, error) {
	if err := f.misbehave(ctx, "lookup", "LookupByPhone"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := &connectors.LookupResponse{}
	for i := range f.contacts {
		for _, p := range f.contacts[i].Phones {
			if p.E164 == req.E164 {
				c := f.contacts[i]
				resp.Matches = append(resp.Matches, connectors.Match{Contact: &c, Kind: connectors.MatchExact, Phone: p})
			}
		}
	}
	for i := range f.companies {
		for _, p := range f.companies[i].Phones {
			if p.E164 == req.E164 {
				c := f.companies[i]
				resp.Matches = append(resp.Matches, connectors.Match{Company: &c, Kind: connectors.MatchExact, Phone: p})
			}
		}
	}
	if req.Limit > 0 && len(resp.Matches) > req.Limit {
		resp.Matches = resp.Matches[:req.Limit]
	}
	return resp, nil
}

// LookupByKey implements connectors.KeyLookuper, simply: the records
// whose fields[field] (or id) is the value, ignoring case; an unknown field
// (held by no record) is bad_config.
func (f *fake) LookupByKey(ctx context.Context, req *connectors.KeyLookupRequest) (*connectors.KeyLookupResponse, error) {
	if err := f.misbehave(ctx, "lookup_by_key", "LookupByKey"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	known := req.Field == "id"
	holds := func(id string, fields map[string]any) bool {
		v, ok := fields[req.Field]
		known = known || ok
		if req.Field == "id" {
			v, ok = id, true
		}
		return ok && (req.RecordID == "" || req.RecordID == id) && strings.EqualFold(fmt.Sprint(v), req.Value)
	}
	resp := &connectors.KeyLookupResponse{}
	for i := range f.contacts {
		if c := f.contacts[i]; holds(c.ID, c.Fields) {
			resp.Matches = append(resp.Matches, connectors.Match{Contact: &c, Kind: connectors.MatchKey})
		}
	}
	for i := range f.companies {
		if c := f.companies[i]; holds(c.ID, c.Fields) {
			resp.Matches = append(resp.Matches, connectors.Match{Company: &c, Kind: connectors.MatchKey})
		}
	}
	if !known {
		return nil, connectors.Errorf(connectors.ClassBadConfig, "LookupByKey", "no field %q", req.Field)
	}
	if req.Limit > 0 && len(resp.Matches) > req.Limit {
		resp.Matches = resp.Matches[:req.Limit]
	}
	return resp, nil
}

// page returns the bounds of one page of n records.
func page(op string, req *connectors.ListRequest, n int) (start, end int, next string, err error) {
	if req.Cursor != "" {
		start, err = strconv.Atoi(req.Cursor)
		if err != nil || start < 0 || start > n {
			return 0, 0, "", connectors.Errorf(connectors.ClassInvalidRequest, op, "bad cursor %q", req.Cursor)
		}
	}
	size := req.PageSize
	if size <= 0 {
		size = 100
	}
	end = min(start+size, n)
	if end < n {
		next = strconv.Itoa(end)
	}
	return start, end, next, nil
}

func (f *fake) ListCompanies(ctx context.Context, req *connectors.ListRequest) (*connectors.ListCompaniesResponse, error) {
	if err := f.misbehave(ctx, "list_companies", "ListCompanies"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	start, end, next, err := page("ListCompanies", req, len(f.companies))
	if err != nil {
		return nil, err
	}
	return &connectors.ListCompaniesResponse{Companies: f.companies[start:end], NextCursor: next}, nil
}

func (f *fake) ListContacts(ctx context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	if err := f.misbehave(ctx, "list_contacts", "ListContacts"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	start, end, next, err := page("ListContacts", req, len(f.contacts))
	if err != nil {
		return nil, err
	}
	return &connectors.ListContactsResponse{Contacts: f.contacts[start:end], NextCursor: next}, nil
}
