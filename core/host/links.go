package host

import (
	"context"
	"errors"
	"os"

	"github.com/switchboard-hq/switchboard/core/aftercall"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/store"
)

// syncLinks finds a matched record's Hipcall ids in the sync's state, for
// a task's contact_ids and company_ids when the webhook carried none. It
// costs no request to Hipcall. It is nil (no links) when the sync has
// never run here (no SQLite state file), or maps external_id from
// something other than the record's id, which the state is keyed by; the
// returned func closes the store.
func (h *Host) syncLinks(ctx context.Context) (func(context.Context, directory.Result) aftercall.Links, func(), error) {
	cfg := h.Config.Sync
	for _, f := range []map[string]string{cfg.Companies.Fields, cfg.Contacts.Fields} {
		if v, ok := f["external_id"]; ok && v != "id" {
			return nil, func() {}, nil
		}
	}
	opts := cfg.Store.StoreOptions()
	if opts.Driver != store.DriverPostgres {
		if _, err := os.Stat(opts.Path); errors.Is(err, os.ErrNotExist) {
			return nil, func() {}, nil
		}
	}
	st, err := store.Open(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	source := cfg.Source
	if source == "" && len(h.Config.Connectors) == 1 {
		source = h.Config.Connectors[0].Name
	}
	get := func(ctx context.Context, res store.Resource, ext string) int64 {
		if ext == "" {
			return 0
		}
		id := hipcall.NormalizeExternalID(ext)
		if id == nil {
			return 0
		}
		rec, ok, err := st.Get(ctx, res, *id)
		if err != nil || !ok {
			return 0
		}
		return rec.HipcallID
	}
	links := func(ctx context.Context, res directory.Result) aftercall.Links {
		if !res.Found || res.Match == nil || (source != "" && res.Source != source) {
			return aftercall.Links{} // another connector's ids mean nothing to the sync's state
		}
		var l aftercall.Links
		switch m := res.Match; {
		case m.Contact != nil:
			l.ContactID = get(ctx, store.Contacts, m.Contact.ID)
			l.CompanyID = get(ctx, store.Companies, m.Contact.CompanyID)
		case m.Company != nil:
			l.CompanyID = get(ctx, store.Companies, m.Company.ID)
		}
		return l
	}
	return links, func() { st.Close() }, nil
}
