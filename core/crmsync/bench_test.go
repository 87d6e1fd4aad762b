package crmsync_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/crmsync"
	"github.com/switchboard-hq/switchboard/core/fakehipcall"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/store"
)

// benchCompanies is the size the request budget is measured at.
const benchCompanies = 10_000

// hipcallRate is Hipcall's limit: 60 requests a minute per token.
const hipcallRate = 60.0

// seedLoop is the baseline: the seed's loop, which costs two requests per
// record on every run. GET by-external-id → 404: POST; 200: PATCH by id
// with every field; 422 external_id on POST (raced) → look up again and
// PATCH.
func seedLoop(ctx context.Context, c *hipcall.Client, companies []connectors.Company) error {
	for _, co := range companies {
		in := hipcall.CompanyInput{Name: co.Name, ExternalID: &co.ID, WebsiteURL: co.Website}
		patch := hipcall.Patch{"name": co.Name, "website_url": co.Website}
		found, err := c.GetCompanyByExternalID(ctx, co.ID)
		switch {
		case hipcall.IsNotFound(err):
			_, err = c.CreateCompany(ctx, in)
			if hipcall.IsExternalIDTaken(err) {
				if found, err = c.GetCompanyByExternalID(ctx, co.ID); err == nil {
					_, err = c.UpdateCompany(ctx, found.ID, patch)
				}
			}
		case err == nil:
			_, err = c.UpdateCompany(ctx, found.ID, patch)
		}
		if err != nil {
			return fmt.Errorf("company %s: %w", co.ID, err)
		}
	}
	return nil
}

// benchWorld is a fake Hipcall, a client and a CRM for one measurement.
type benchWorld struct {
	fake   *fakehipcall.Server
	client *hipcall.Client
	crm    *crm
}

func newBenchWorld(b *testing.B) *benchWorld {
	fake := fakehipcall.NewServer(fakehipcall.Options{RateLimit: fakehipcall.Unlimited})
	b.Cleanup(fake.Close)
	c, err := hipcall.New(hipcall.Options{BaseURL: fake.URL(), Token: token, RateLimit: rate.Inf})
	if err != nil {
		b.Fatal(err)
	}
	w := &benchWorld{fake: fake, client: c, crm: &crm{}}
	for i := range benchCompanies {
		w.crm.companies = append(w.crm.companies, connectors.Company{
			ID: fmt.Sprintf("CO-%05d", i+1), Name: fmt.Sprintf("Company %d Ltd", i+1), Website: fmt.Sprintf("https://co%d.example", i+1),
		})
	}
	return w
}

// populate stores every company in Hipcall directly, as an earlier tool
// would have, with the first `stale` of them holding an old name.
func (w *benchWorld) populate(stale int) {
	for i, co := range w.crm.companies {
		name := co.Name
		if i < stale {
			name = "Old name"
		}
		w.fake.AddCompany(hipcall.Company{Name: name, ExternalID: &co.ID, WebsiteURL: co.Website})
	}
}

// change renames the first n companies in the CRM.
func (w *benchWorld) change(n int) {
	for i := range n {
		w.crm.companies[i].Name += " (renamed)"
	}
}

func (w *benchWorld) engine(b *testing.B) *crmsync.Engine {
	st, err := store.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	p, _ := phone.NewParser("GB")
	eng, err := crmsync.New(crmsync.Options{Client: w.client, Store: st, Parser: p,
		Sources:   []crmsync.Source{{Name: "crm", Connector: w.crm}},
		Companies: crmsync.ResourceOptions{Enabled: true}})
	if err != nil {
		b.Fatal(err)
	}
	return eng
}

// measured is one scenario's cost.
type measured struct {
	requests int
	wall     time.Duration
}

func (w *benchWorld) measure(b *testing.B, run func() error) measured {
	w.fake.ResetRequests()
	start := time.Now()
	if err := run(); err != nil {
		b.Fatal(err)
	}
	m := measured{requests: len(w.fake.Requests()), wall: time.Since(start)}
	if n := len(w.fake.Companies()); n != benchCompanies {
		b.Fatalf("Hipcall holds %d companies after the run, want %d", n, benchCompanies)
	}
	return m
}

// BenchmarkSyncRequests measures the requests a sync of 10,000 companies
// costs, in four situations, against the seed's loop on the same fake in
// the same run, and projects the wall time at Hipcall's 60 requests a
// minute. Run it with -benchtime=1x (make bench does).
func BenchmarkSyncRequests(b *testing.B) {
	ctx := context.Background()
	const changed = benchCompanies / 100 // 1%
	type row struct {
		name         string
		engine, seed measured
	}
	var rows []row
	for range b.N {
		rows = rows[:0]
		// First sync into an empty Hipcall, then re-syncs: the engine
		// keeps its state between them.
		ew, sw := newBenchWorld(b), newBenchWorld(b)
		eng := ew.engine(b)
		sync := func() error {
			sum, err := eng.Run(ctx, crmsync.RunOptions{})
			if err == nil && sum.Failed() > 0 {
				err = fmt.Errorf("%d records failed: %+v", sum.Failed(), sum.Problems)
			}
			return err
		}
		loop := func() error { return seedLoop(ctx, sw.client, sw.crm.companies) }
		rows = append(rows, row{name: "first sync into an empty Hipcall", engine: ew.measure(b, sync), seed: sw.measure(b, loop)})
		rows = append(rows, row{name: "re-sync, nothing changed", engine: ew.measure(b, sync), seed: sw.measure(b, loop)})
		ew.change(changed)
		sw.change(changed)
		rows = append(rows, row{name: "re-sync, 1% changed", engine: ew.measure(b, sync), seed: sw.measure(b, loop)})

		// First sync into a Hipcall that already holds every company
		// (1% of them with other fields), with no state.
		pw, psw := newBenchWorld(b), newBenchWorld(b)
		pw.populate(changed)
		psw.populate(changed)
		peng := pw.engine(b)
		psync := func() error {
			sum, err := peng.Run(ctx, crmsync.RunOptions{})
			if err == nil && sum.Failed() > 0 {
				err = fmt.Errorf("%d records failed", sum.Failed())
			}
			return err
		}
		ploop := func() error { return seedLoop(ctx, psw.client, psw.crm.companies) }
		rows = append(rows, row{name: "first sync into a populated Hipcall (1% differ)", engine: pw.measure(b, psync), seed: psw.measure(b, ploop)})
	}

	var t strings.Builder
	fmt.Fprintf(&t, "\nRequests for %d companies, and the wall time they take at Hipcall's %g requests/minute\n", benchCompanies, hipcallRate)
	fmt.Fprintf(&t, "(measured on the fake Hipcall in one run; the loopback time is the run itself, with no rate limit)\n\n")
	fmt.Fprintf(&t, "| situation | sync: requests | per record | at 60/min | seed's loop: requests | per record | at 60/min | loopback: sync / loop |\n")
	fmt.Fprintf(&t, "|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&t, "| %s | %d | %.4f | %s | %d | %.2f | %s | %s / %s |\n", r.name,
			r.engine.requests, float64(r.engine.requests)/benchCompanies, projected(r.engine.requests),
			r.seed.requests, float64(r.seed.requests)/benchCompanies, projected(r.seed.requests),
			r.engine.wall.Round(time.Millisecond), r.seed.wall.Round(time.Millisecond))
		metric := strings.NewReplacer(" ", "_", ",", "", "(", "", ")", "", "%", "pct").Replace(r.name)
		b.ReportMetric(float64(r.engine.requests)/benchCompanies, metric+"_req/record")
	}
	b.Log(t.String())
}

// projected is the time n requests take at Hipcall's rate.
func projected(n int) string {
	if n == 0 {
		return "0"
	}
	d := time.Duration(float64(n) / hipcallRate * float64(time.Minute)).Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	default:
		return fmt.Sprintf("%ds", s)
	}
}
