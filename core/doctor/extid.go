package doctor

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/template"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/crmsync"
)

// externalIDs finds the records the sync would send under one
// external_id. It follows core/crmsync: the sync reads sync.source (or
// every source), maps external_id with sync.<resource>.fields.external_id
// over the defaults (the record's id), trims it (hipcall.NormalizeExternalID)
// and skips every record after the first with an external_id already
// seen, across sources. Records whose external_id differ only in letter
// case are reported as warnings.
//
// The mapping is evaluated here with the same record keys crmsync's
// views have (id, name, first_name, last_name, company, company_id,
// owner, email, job_title, fields.<name> and every field at top level);
// crmsync does not export its mapping (see the report of issue 15).
func (d *diagnosis) externalIDs(all []*listing) {
	var sources []*listing
	for _, l := range all {
		if d.opts.Sync.Source == "" || l.name == d.opts.Sync.Source {
			sources = append(sources, l)
		}
	}
	type resource struct {
		name    string
		enabled bool
		spec    string
	}
	for _, res := range []resource{
		{"companies", d.opts.Sync.Companies.Enabled, mappedSpec(crmsync.DefaultCompanyFields, d.opts.Sync.Companies.Fields)},
		{"contacts", d.opts.Sync.Contacts.Enabled, mappedSpec(crmsync.DefaultContactFields, d.opts.Sync.Contacts.Fields)},
	} {
		if !res.enabled || strings.TrimSpace(res.spec) == "" {
			continue
		}
		eval, err := compileSpec(res.spec)
		if err != nil {
			d.r.ConnectorWarnings.add(d.limit, LogLine{Source: "sync", Message: fmt.Sprintf("%s: external_id: %v", res.name, err)}, Warning)
			continue
		}
		var holders []IDHolder
		for _, l := range sources {
			if res.name == "companies" {
				for i := range l.companies {
					c := &l.companies[i]
					holders = append(holders, idHolder(RecordRef{Source: l.name, Type: "company", ID: c.ID, Name: c.Name}, eval, companyView(c)))
				}
				continue
			}
			for i := range l.contacts {
				c := &l.contacts[i]
				holders = append(holders, idHolder(RecordRef{Source: l.name, Type: "contact", ID: c.ID, Name: c.Name()}, eval, contactView(c)))
			}
		}
		d.collide(res.name, holders)
	}
}

// collide groups holders by external_id, then by its lower case.
func (d *diagnosis) collide(resource string, holders []IDHolder) {
	var order, foldOrder []string
	same := map[string][]IDHolder{}
	folded := map[string][]string{} // lower-cased id → distinct ids
	for _, h := range holders {
		if h.ExternalID == "" {
			continue // the sync skips it (and says so)
		}
		if _, ok := same[h.ExternalID]; !ok {
			order = append(order, h.ExternalID)
			low := strings.ToLower(h.ExternalID)
			if _, ok := folded[low]; !ok {
				foldOrder = append(foldOrder, low)
			}
			folded[low] = append(folded[low], h.ExternalID)
		}
		same[h.ExternalID] = append(same[h.ExternalID], h)
	}
	for _, id := range order {
		if hs := same[id]; len(hs) > 1 {
			d.r.ExternalIDs.add(d.limit, IDCollision{Resource: resource, ExternalID: id, Kind: "same", Records: hs, Severity: Problem}, Problem)
		}
	}
	for _, low := range foldOrder {
		ids := folded[low]
		if len(ids) < 2 {
			continue
		}
		var hs []IDHolder
		for _, id := range ids {
			hs = append(hs, same[id]...)
		}
		d.r.ExternalIDs.add(d.limit, IDCollision{Resource: resource, ExternalID: ids[0], Kind: "case", Records: hs, Severity: Warning}, Warning)
	}
}

func idHolder(rec RecordRef, eval func(map[string]any) (string, error), view map[string]any) IDHolder {
	h := IDHolder{RecordRef: rec}
	raw, err := eval(view)
	if err != nil {
		return h
	}
	h.ExternalID = strings.TrimSpace(raw)
	if raw != h.ExternalID {
		h.Raw = raw
	}
	return h
}

// mappedSpec is the external_id mapping: the configured one over the
// default.
func mappedSpec(defaults, configured map[string]string) string {
	if v, ok := configured["external_id"]; ok {
		return v
	}
	return defaults["external_id"]
}

// compileSpec reads a mapping value as crmsync does: a Go template when it
// holds "{{", else a dotted record path.
func compileSpec(spec string) (func(map[string]any) (string, error), error) {
	spec = strings.TrimSpace(spec)
	if strings.Contains(spec, "{{") {
		t, err := template.New("external_id").Option("missingkey=zero").Parse(spec)
		if err != nil {
			return nil, err
		}
		return func(view map[string]any) (string, error) {
			var b bytes.Buffer
			if err := t.Execute(&b, view); err != nil {
				return "", err
			}
			return strings.ReplaceAll(b.String(), "<no value>", ""), nil
		}, nil
	}
	path := strings.Split(spec, ".")
	return func(view map[string]any) (string, error) {
		var cur any = view
		for _, seg := range path {
			m, ok := cur.(map[string]any)
			if !ok {
				return "", nil
			}
			cur = m[seg]
		}
		return text(cur), nil
	}, nil
}

// text renders a value as crmsync sends it (an integral number as its
// digits). Strings are kept untrimmed so that the report can show
// whitespace the sync trims.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

func companyView(c *connectors.Company) map[string]any {
	v := map[string]any{}
	for k, f := range c.Fields {
		v[k] = f
	}
	for k, f := range map[string]any{
		"type": "company", "id": c.ID, "name": c.Name, "company": c.Name, "company_id": c.ID,
		"website": c.Website, "owner": c.OwnerID, "email": first(c.Emails), "fields": fieldsOf(c.Fields),
	} {
		v[k] = f
	}
	return v
}

func contactView(c *connectors.Contact) map[string]any {
	v := map[string]any{}
	for k, f := range c.Fields {
		v[k] = f
	}
	for k, f := range map[string]any{
		"type": "contact", "id": c.ID, "name": c.Name(), "first_name": c.FirstName, "last_name": c.LastName,
		"company": c.CompanyName, "company_id": c.CompanyID, "owner": c.OwnerID, "job_title": c.JobTitle,
		"email": first(c.Emails), "fields": fieldsOf(c.Fields),
	} {
		v[k] = f
	}
	return v
}

func fieldsOf(f map[string]any) map[string]any {
	if f == nil {
		return map[string]any{}
	}
	return f
}
