// Package console is the operator console on the admin listener (issue
// 15): recent rings live, the full story of a call, "why does this number
// go there?" in the browser, and the connectors' health. It is rendered on
// the server with html/template (caller numbers and names come from
// outside and are always escaped), styled with plain CSS, and kept live by
// one small JavaScript file; all of it is embedded in the binary, so
// nothing is loaded from elsewhere.
package console

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/core/callview"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/extmgmt"
	"github.com/switchboard-hq/switchboard/core/ringlog"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/server"
)

// DefaultPath is where the console is mounted when Options.Path is empty.
const DefaultPath = "/console"

// Explainer looks a number up and explains the decision for a target (a
// phone system's decision point) with the current data and rules: the
// host's directory and routing.Router.Explain.
type Explainer interface {
	Explain(ctx context.Context, caller string, target string) (directory.Result, routing.Explanation)
}

// Calls reads the journal's view of calls after they ended and acts on
// their post-call steps (core/callview over a journal.Reader).
type Calls interface {
	// List returns the calls f selects, newest first, and how many more
	// matched beyond f.Limit.
	List(ctx context.Context, f callview.Filter) ([]callview.Call, int, error)
	// Get returns one call; an error wrapping callview.ErrNotFound when
	// the journal holds nothing of it.
	Get(ctx context.Context, uuid string) (*callview.Call, error)
	// Retry runs a failed or held step (job jobID of call uuid) again;
	// force is required for a step whose outcome is unknown (Hipcall may
	// already have its comment or task).
	// It returns what was done, for the page (callview.Outcome.Message).
	Retry(ctx context.Context, uuid string, jobID int64, force bool) (message string, err error)
	// Resolve names the record (target "contact:<id>" or "company:<id>")
	// a held step logs its call against and makes it run again
	// (callview.Resolve).
	Resolve(ctx context.Context, uuid string, jobID int64, target string) (message string, err error)
}

// Health describes the connectors.
type Health interface {
	// Sources are the directory's sources, in lookup order
	// (directory.Directory.Stats).
	Sources() []directory.SourceStats
	// Plugins are the connectors' plugin processes (plugins/manager), by
	// connector name; a connector without one runs in the host.
	Plugins() []Plugin
}

// Plugin is a connector's plugin process as the console shows it.
type Plugin struct {
	Name     string `json:"name"`
	Up       bool   `json:"up"`
	Restarts int    `json:"restarts"`
	Pid      int    `json:"pid,omitempty"`
}

// Flow simulates a call through the External Management flow
// (extmgmt.Flow.Simulate).
type Flow interface {
	Simulate(ctx context.Context, caller, contactExternalID string, keyed []string) []extmgmt.SimStep
}

// Options configures the console.
type Options struct {
	// Path is where it is mounted (DefaultPath when empty).
	Path string
	// Rings is the ring log the front ends record into (ringtime.Recording).
	// Required.
	Rings *ringlog.Log
	// Explainer explains decisions (ring pages, the why page); nil: those
	// parts say the explainer is not configured.
	Explainer Explainer
	// Targets are the decision points to explain for, one per phone system
	// answered (routing.Router.Targets(): "hipcall", "ringostat").
	Targets []string
	// Calls is the journal's view of calls; nil: the pages say the journal
	// is not configured.
	Calls Calls
	// Health describes the connectors; nil: the connectors page says so.
	Health Health
	// Quality diagnoses the CRM data (the Data quality page); nil: the
	// page says it is not configured.
	Quality Quality
	// Syncs reads the sync's runs (the Sync page); nil: the page says the
	// sync is not configured.
	Syncs Syncs
	// Flow explains Hipcall's External Management flow on the Why page
	// (extmgmt.Flow); nil: External Management is off.
	Flow Flow
	// Done ends the live feeds (server-sent events) when closed, so that a
	// shutdown does not wait for them: pass the host's context's Done().
	Done <-chan struct{}
	// MaxStream is how long one live feed connection lasts before the
	// browser is asked to reconnect (default 10 minutes).
	MaxStream time.Duration
	// Secret keys the CSRF tokens (HMAC); nil: a random secret per process.
	Secret []byte
	// Logger logs what goes wrong while serving; nil: discarded.
	Logger hclog.Logger
	// Now is the clock (tests); nil: time.Now.
	Now func() time.Time
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// console serves every page under Options.Path.
type console struct {
	opts   Options
	pages  map[string]*template.Template
	rows   *template.Template
	mux    *http.ServeMux
	static http.Handler
	secret []byte

	quality qualityRuns
}

// New checks o and returns the console's mount for
// server.Options.AdminMounts: Prefix, so everything under o.Path is its
// own; GET, HEAD and POST (the step buttons, behind a CSRF token). The
// admin listener's Basic Auth applies unless the Mount gets its own.
func New(o Options) (server.Mount, error) {
	var errs []error
	if o.Path == "" {
		o.Path = DefaultPath
	}
	if !strings.HasPrefix(o.Path, "/") || strings.HasSuffix(o.Path, "/") {
		errs = append(errs, fmt.Errorf("console path %q must start with \"/\" and not end with one", o.Path))
	}
	if o.Rings == nil {
		errs = append(errs, errors.New("console needs the ring log (Options.Rings)"))
	}
	if len(errs) > 0 {
		return server.Mount{}, fmt.Errorf("console: invalid options: %w", errors.Join(errs...))
	}
	if o.MaxStream <= 0 {
		o.MaxStream = 10 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	c := &console{opts: o, secret: o.Secret}
	if len(c.secret) == 0 {
		c.secret = make([]byte, 32)
		_, _ = rand.Read(c.secret) // never fails (crypto/rand)
	}
	if err := c.parseTemplates(); err != nil {
		return server.Mount{}, fmt.Errorf("console: %w", err)
	}
	static, _ := fs.Sub(staticFS, "static") // a constant, present directory
	c.static = http.StripPrefix(o.Path+"/static/", http.FileServerFS(static))
	c.routes()
	return server.Mount{
		Name:           "console",
		Path:           o.Path,
		Prefix:         true,
		PublicSubpaths: true, // pages and step ids: the log shows which was hit
		Methods:        []string{http.MethodGet, http.MethodHead, http.MethodPost},
		Handler:        c,
	}, nil
}

func (c *console) routes() {
	p, mux := c.opts.Path, http.NewServeMux()
	mux.HandleFunc("GET "+p, c.callsPage)
	mux.HandleFunc("GET "+p+"/{$}", c.callsPage)
	mux.HandleFunc("GET "+p+"/events", c.events)
	mux.HandleFunc("GET "+p+"/ring/{id}", c.ringPage)
	mux.HandleFunc("GET "+p+"/call/{uuid}", c.callPage)
	mux.HandleFunc("POST "+p+"/call/{uuid}/step/{job}/{action}", c.stepAction)
	mux.HandleFunc("GET "+p+"/actions", c.actionsPage)
	mux.HandleFunc("GET "+p+"/why", c.whyPage)
	mux.HandleFunc("GET "+p+"/connectors", c.connectorsPage)
	mux.HandleFunc("GET "+p+"/quality", c.qualityPage)
	mux.HandleFunc("GET "+p+"/sync", c.syncPage)
	mux.HandleFunc("GET "+p+"/sync/{id}", c.syncRunPage)
	mux.HandleFunc("POST "+p+"/quality/run", c.qualityRun)
	mux.Handle("GET "+p+"/static/", c.static)
	c.mux = mux
}

func (c *console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// The console's own files only: no inline script, nothing from elsewhere.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	c.mux.ServeHTTP(w, r)
}
