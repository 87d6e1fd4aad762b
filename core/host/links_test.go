package host

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/aftercall"
	"github.com/switchboard-hq/switchboard/core/config"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/store"
)

// TestSyncLinks: a matched record's Hipcall ids come from the sync state
// (keyed by the record id, the default external_id), only for records of
// the synced connector, and not at all when the sync never ran here or
// maps external_id from another field.
func TestSyncLinks(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.Connectors = []config.Connector{{Name: "crm"}, {Name: "other"}}
	cfg.Sync.Source = "crm"
	cfg.Sync.Store.Path = filepath.Join(t.TempDir(), "state.db")
	h := &Host{Config: cfg}

	if links, closeFn, err := h.syncLinks(ctx); err != nil || links != nil {
		t.Fatalf("no state file yet: links %v, %v; want none", links != nil, err)
	} else {
		closeFn()
	}
	st, err := store.Open(ctx, cfg.Sync.Store.StoreOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []store.Record{{Resource: store.Contacts, ExternalID: "C001", HipcallID: 501}, {Resource: store.Companies, ExternalID: "CO-1", HipcallID: 77}} {
		if err := st.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	links, closeFn, err := h.syncLinks(ctx)
	if err != nil || links == nil {
		t.Fatalf("syncLinks: %v", err)
	}
	defer closeFn()
	ada := &connectors.Contact{ID: "C001", CompanyID: "CO-1"}
	for _, tt := range []struct {
		name string
		res  directory.Result
		want aftercall.Links
	}{
		{"synced contact", directory.Result{Found: true, Source: "crm", Match: &connectors.Match{Contact: ada}}, aftercall.Links{ContactID: 501, CompanyID: 77}},
		{"another connector's record", directory.Result{Found: true, Source: "other", Match: &connectors.Match{Contact: ada}}, aftercall.Links{}},
		{"not synced", directory.Result{Found: true, Source: "crm", Match: &connectors.Match{Contact: &connectors.Contact{ID: "C999"}}}, aftercall.Links{}},
		{"company match", directory.Result{Found: true, Source: "crm", Match: &connectors.Match{Company: &connectors.Company{ID: "CO-1"}}}, aftercall.Links{CompanyID: 77}},
		{"not found", directory.Result{}, aftercall.Links{}},
	} {
		if got := links(ctx, tt.res); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}

	h.Config.Sync.Contacts.Fields = map[string]string{"external_id": "fields.crm_key"}
	if links, closeFn, err := h.syncLinks(ctx); err != nil || links != nil {
		t.Fatalf("external_id mapped from another field: links %v, %v; want none", links != nil, err)
	} else {
		closeFn()
	}
}
