package crmsync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	stdsync "sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/store"
)

// readPageSize is the page size asked of CRM connectors.
const readPageSize = 500

// item is one CRM record to sync.
type item struct {
	ext    string // external id, normalised
	crmID  string // the record's id as the CRM wrote it
	source string
	doc    Doc
	hash   string
}

// learned is a record found in Hipcall by the learning pass.
type learned struct {
	id  int64
	ext string // the external id it holds (set by lookups and reads)
	doc Doc
}

// resourceRun syncs one resource.
type resourceRun struct {
	*run
	res    store.Resource
	m      *mapping
	c      *counters
	state  map[string]store.Record
	found  map[string]learned // from the learning pass; nil without one
	listed bool               // the learning pass listed every record
}

func (r *run) resourceRun(ctx context.Context, res store.Resource) error {
	rr := &resourceRun{run: r, res: res, m: r.e.mappings[res], c: r.counts[res]}
	r.setPhase(PhaseReading, res)
	state, err := r.e.opts.Store.Records(ctx, res)
	if err != nil {
		return fmt.Errorf("sync %s: %w", res, err)
	}
	rr.state = state
	lookup := func(string) (string, bool) { return "", false }
	if res == store.Contacts {
		companies, err := r.e.opts.Store.Records(ctx, store.Companies)
		if err != nil {
			return fmt.Errorf("sync %s: %w", res, err)
		}
		// A contact's company_id is its company's Hipcall id: from the
		// state, which the companies' pass of a real run has just brought
		// up to date, else (a dry run saves nothing) from what this run's
		// learning pass found in Hipcall, else (a dry run) a company the
		// run plans to create.
		lookup = func(ext string) (string, bool) {
			if c, ok := companies[ext]; ok && c.HipcallID != 0 && !r.ro.DryRun {
				return strconv.FormatInt(c.HipcallID, 10), true
			}
			if id, ok := r.learnedCompany(ext); ok {
				return strconv.FormatInt(id, 10), true
			}
			if c, ok := companies[ext]; ok && c.HipcallID != 0 {
				return strconv.FormatInt(c.HipcallID, 10), true
			}
			if r.plannedCompany(ext) {
				return "(new company " + ext + ")", true // dry run only
			}
			return "", false
		}
	}
	items, err := rr.read(ctx, lookup)
	if err != nil {
		return err
	}
	rr.c.total.Store(int64(len(items)) + rr.c.skipped.Load() + rr.c.failed.Load())

	unknown := 0
	for _, it := range items {
		if _, ok := state[it.ext]; !ok {
			unknown++
		}
	}
	// Listing costs one request per hundred records Hipcall holds (as far
	// as we know); it pays when the state is empty, when told to (--full),
	// or when more records are unknown than the listing costs requests.
	pages := (len(state) + unknown + hipcall.MaxLimit - 1) / hipcall.MaxLimit
	if len(items) > 0 && (r.ro.Full || len(state) == 0 || unknown > pages) {
		r.setPhase(PhaseLearning, res)
		if err := rr.learn(ctx); err != nil {
			return fmt.Errorf("sync %s: list Hipcall's %s: %w", res, res, err)
		}
		r.mu.Lock()
		r.sum.Learned = append(r.sum.Learned, res)
		if res == store.Companies {
			r.companyIDs = make(map[string]int64, len(rr.found))
			for ext, f := range rr.found {
				r.companyIDs[ext] = f.id
			}
		}
		r.mu.Unlock()
	}

	r.setPhase(PhaseWriting, res)
	rr.write(ctx, items)
	return ctx.Err()
}

// record is a CRM record with where it came from.
type record struct {
	source string
	id     string
	view   map[string]any
}

// read pages every source and maps the records, reporting skipped,
// failed and duplicate ones, and those missing since the last run.
func (rr *resourceRun) read(ctx context.Context, companies companyLookup) ([]*item, error) {
	var records []record
	for _, src := range rr.e.opts.Sources {
		n := 0
		for cursor := ""; ; {
			req := &connectors.ListRequest{Cursor: cursor, PageSize: readPageSize}
			var next string
			if rr.res == store.Companies {
				page, err := src.Connector.ListCompanies(ctx, req)
				if err != nil {
					return nil, fmt.Errorf("sync %s: read companies from connector %s: %w", rr.res, src.Name, err)
				}
				for i := range page.Companies {
					records = append(records, record{src.Name, page.Companies[i].ID, companyView(&page.Companies[i])})
				}
				n += len(page.Companies)
				next = page.NextCursor
			} else {
				page, err := src.Connector.ListContacts(ctx, req)
				if err != nil {
					return nil, fmt.Errorf("sync %s: read contacts from connector %s: %w", rr.res, src.Name, err)
				}
				for i := range page.Contacts {
					records = append(records, record{src.Name, page.Contacts[i].ID, contactView(&page.Contacts[i])})
				}
				n += len(page.Contacts)
				next = page.NextCursor
			}
			if next == "" {
				break
			}
			if next == cursor {
				return nil, fmt.Errorf("sync %s: connector %s returned the same cursor twice; this is a bug in the connector", rr.res, src.Name)
			}
			cursor = next
		}
		rr.e.log.Debug("read records", "resource", rr.res, "connector", src.Name, "records", n)
	}
	rr.c.read.Store(int64(len(records)))

	type first struct{ source, id string }
	seen := map[string]first{}
	var items []*item
	for _, rec := range records {
		out, err := rr.m.apply(rec.view, companies)
		if out != nil && out.ext != "" {
			if f, dup := seen[out.ext]; dup {
				rr.c.failed.Add(1)
				rr.problem(Problem{Resource: rr.res, ExternalID: out.ext, Source: rec.source,
					Err: fmt.Sprintf("duplicate external_id %q: CRM records %q (connector %s) and %q (connector %s) both have it; the second is skipped: make the ids unique in the CRM",
						out.ext, f.id, f.source, rec.id, rec.source)})
				continue
			}
			seen[out.ext] = first{rec.source, rec.id}
		}
		switch {
		case errors.Is(err, errSkip):
			rr.c.skipped.Add(1)
			rr.problem(Problem{Resource: rr.res, ExternalID: rec.id, Source: rec.source, Skipped: true, Err: err.Error()})
			continue
		case err != nil:
			rr.c.failed.Add(1)
			id := rec.id
			if out != nil && out.ext != "" {
				id = out.ext
			}
			rr.problem(Problem{Resource: rr.res, ExternalID: id, Source: rec.source, Err: err.Error()})
			continue
		}
		rr.warn(rr.res, out.ext, out.warnings)
		items = append(items, &item{ext: out.ext, crmID: rec.id, source: rec.source, doc: out.doc, hash: out.doc.hash()})
	}

	var missing []string
	for ext := range rr.state {
		if _, ok := seen[ext]; !ok {
			missing = append(missing, ext)
		}
	}
	slices.Sort(missing)
	rr.c.missing.Store(int64(len(missing)))
	if len(missing) > 0 && rr.e.opts.OnMissing == OnMissingReport {
		shown := missing[:min(len(missing), MaxProblems)]
		rr.e.log.Warn("records synced before are no longer in the CRM; they are left in Hipcall",
			"resource", rr.res, "count", len(missing), "external_ids", shown)
		rr.mu.Lock()
		for _, ext := range shown {
			if len(rr.sum.MissingIDs) < MaxProblems {
				rr.sum.MissingIDs = append(rr.sum.MissingIDs, string(rr.res)+"/"+ext)
			}
		}
		rr.mu.Unlock()
	}
	return items, nil
}

// learn pages every Hipcall record of the resource, 100 a request, into
// the external_id → record map.
func (rr *resourceRun) learn(ctx context.Context) error {
	list := func(ctx context.Context, offset int) ([]learned, []string, int, error) {
		opts := hipcall.ListOptions{Limit: hipcall.MaxLimit, Offset: offset, Sort: hipcall.SortIDAsc}
		var recs []learned
		var exts []string
		if rr.res == store.Companies {
			page, err := rr.e.opts.Client.ListCompanies(ctx, opts)
			if err != nil {
				return nil, nil, 0, err
			}
			for i := range page.Data {
				if c := &page.Data[i]; c.ExternalID != nil {
					recs, exts = append(recs, learned{id: c.ID, doc: companyDoc(c)}), append(exts, *c.ExternalID)
				}
			}
			return recs, exts, page.Meta.Count, nil
		}
		page, err := rr.e.opts.Client.ListContacts(ctx, opts)
		if err != nil {
			return nil, nil, 0, err
		}
		for i := range page.Data {
			if c := &page.Data[i]; c.ExternalID != nil {
				recs, exts = append(recs, learned{id: c.ID, doc: contactDoc(c)}), append(exts, *c.ExternalID)
			}
		}
		return recs, exts, page.Meta.Count, nil
	}

	found := map[string]learned{}
	var mu stdsync.Mutex
	add := func(recs []learned, exts []string) {
		mu.Lock()
		defer mu.Unlock()
		for i, ext := range exts {
			found[ext] = recs[i]
		}
	}
	recs, exts, count, err := list(ctx, 0)
	if err != nil {
		return err
	}
	add(recs, exts)
	var offsets []int
	for off := hipcall.MaxLimit; off < count; off += hipcall.MaxLimit {
		offsets = append(offsets, off)
	}
	var next atomic.Int64
	var firstErr error
	var errOnce stdsync.Once
	var wg stdsync.WaitGroup
	for range min(rr.e.opts.Concurrency, len(offsets)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(offsets) || ctx.Err() != nil {
					return
				}
				recs, exts, _, err := list(ctx, offsets[i])
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				add(recs, exts)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	rr.found, rr.listed = found, true
	rr.e.log.Debug("learned Hipcall's records", "resource", rr.res, "records", count, "with_external_id", len(found), "requests", 1+len(offsets))
	return nil
}

// write syncs the items with bounded concurrency. Once ctx ends no new
// record is started; those in flight get Options.Grace to finish.
func (rr *resourceRun) write(ctx context.Context, items []*item) {
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
		case <-ctx.Done():
			t := time.NewTimer(rr.e.opts.Grace)
			defer t.Stop()
			select {
			case <-done:
			case <-t.C:
				cancel()
			}
		}
	}()

	var next atomic.Int64
	var wg stdsync.WaitGroup
	for range min(rr.e.opts.Concurrency, len(items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(items) {
					return
				}
				rr.one(work, items[i])
			}
		}()
	}
	wg.Wait()
}
