package console

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/switchboard-hq/switchboard/core/doctor"
)

// Quality diagnoses the CRM data the host serves from (`switchboard
// doctor`, core/doctor): it lists every record of every connector, so the
// console runs it when asked, one run at a time, and shows the last
// report.
type Quality interface {
	Diagnose(ctx context.Context) (*doctor.Report, error)
}

// qualityTimeout bounds one diagnosis started from the console.
const qualityTimeout = 10 * time.Minute

// qualityRuns is the console's diagnosis: the one running and the last
// report.
type qualityRuns struct {
	mu      sync.Mutex
	running bool
	started time.Time
	last    *doctor.Report
	lastAt  time.Time
	took    time.Duration
	err     string
}

// qualityView is the Data quality page.
type qualityView struct {
	Configured bool           `json:"configured"`
	Running    bool           `json:"running"`
	Started    *time.Time     `json:"started,omitempty"`
	Report     *doctor.Report `json:"report"`
	Finished   *time.Time     `json:"finished,omitempty"`
	TookMS     int64          `json:"took_ms,omitempty"`
	Error      string         `json:"error,omitempty"`
}

func (c *console) qualityView() qualityView {
	q := &c.quality
	q.mu.Lock()
	defer q.mu.Unlock()
	v := qualityView{Configured: c.opts.Quality != nil, Running: q.running, Report: q.last, Error: q.err}
	if q.running {
		t := q.started
		v.Started = &t
	}
	if !q.lastAt.IsZero() {
		t := q.lastAt
		v.Finished, v.TookMS = &t, q.took.Milliseconds()
	}
	return v
}

// qualityPage shows the last diagnosis (and whether one is running).
func (c *console) qualityPage(w http.ResponseWriter, r *http.Request) {
	v := c.qualityView()
	if wantJSON(r) {
		writeJSON(w, http.StatusOK, v)
		return
	}
	c.render(w, r, http.StatusOK, "quality", map[string]any{"Title": "Data quality", "View": v, "CSRF": c.csrfToken(w, r)})
}

// qualityRun starts a diagnosis unless one is running (pressing twice
// starts one) and goes back to the page, which reloads itself until the
// report is there.
func (c *console) qualityRun(w http.ResponseWriter, r *http.Request) {
	if !c.checkCSRF(r) {
		http.Error(w, "the form's CSRF token is missing or wrong: reload the page and press again", http.StatusForbidden)
		return
	}
	if c.opts.Quality == nil {
		http.Error(w, "the diagnosis is not configured", http.StatusServiceUnavailable)
		return
	}
	q := &c.quality
	q.mu.Lock()
	if !q.running {
		q.running, q.started = true, c.opts.Now()
		go c.diagnose()
	}
	q.mu.Unlock()
	http.Redirect(w, r, c.opts.Path+"/quality", http.StatusSeeOther)
}

// diagnose runs one diagnosis, ended by the host's shutdown or
// qualityTimeout.
func (c *console) diagnose() {
	ctx, cancel := context.WithTimeout(context.Background(), qualityTimeout)
	defer cancel()
	if c.opts.Done != nil {
		go func() {
			select {
			case <-c.opts.Done:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	start := time.Now()
	rep, err := c.opts.Quality.Diagnose(ctx)
	q := &c.quality
	q.mu.Lock()
	defer q.mu.Unlock()
	q.running, q.lastAt, q.took, q.err = false, c.opts.Now(), time.Since(start), ""
	if err != nil {
		q.err = err.Error()
		c.opts.Logger.Warn("data quality diagnosis failed", "error", err)
		return
	}
	q.last = rep
}
