package fakehipcall

import (
	"net/url"
	"slices"
	"strings"
)

// route is one endpoint of the fake.
type route struct {
	key    string // "GET /companies/{id}"
	method string
	segs   []string // template segments; "{name}" captures
	query  []string // query parameters accepted
	handle func(s *Server, c *call) reply
}

func (rt *route) allows(param string) bool { return slices.Contains(rt.query, param) }

var pagingParams = []string{"limit", "offset", "sort"}

// routes is the fake's API, relative to /api/v3.
var routes = []*route{
	newRoute("POST /calls/{uuid}/cards", nil, (*Server).postCard),
	newRoute("GET /calls", append(slices.Clone(pagingParams), "started_at[gte]", "direction[in]"), (*Server).listCalls),
	newRoute("GET /extensions", pagingParams, (*Server).listExtensions),

	newRoute("GET /companies", pagingParams, (*Server).listCompanies),
	newRoute("POST /companies", nil, (*Server).createCompany),
	newRoute("GET /companies/by-external-id/{external_id}", nil, (*Server).companyByExternalID),
	newRoute("GET /companies/{id}", nil, (*Server).getCompany),
	newRoute("PATCH /companies/{id}", nil, (*Server).updateCompany),

	newRoute("GET /contacts", pagingParams, (*Server).listContacts),
	newRoute("POST /contacts", nil, (*Server).createContact),
	newRoute("GET /contacts/by-external-id/{external_id}", nil, (*Server).contactByExternalID),
	newRoute("GET /contacts/{id}", nil, (*Server).getContact),
	newRoute("PATCH /contacts/{id}", nil, (*Server).updateContact),
	newRoute("POST /contacts/{id}/phones", nil, (*Server).addContactPhones),
	newRoute("DELETE /contacts/{id}/phones/{number}", nil, (*Server).deleteContactPhone),
	newRoute("POST /contacts/{id}/emails", nil, (*Server).addContactEmails),
	newRoute("DELETE /contacts/{id}/emails/{email}", nil, (*Server).deleteContactEmail),
}

func newRoute(key string, query []string, h func(*Server, *call) reply) *route {
	method, tmpl, _ := strings.Cut(key, " ")
	return &route{key: key, method: method, segs: strings.Split(strings.Trim(tmpl, "/"), "/"), query: query, handle: h}
}

// Routes returns the names of the fake's routes, as Script takes them.
func Routes() []string {
	keys := make([]string, len(routes))
	for i, rt := range routes {
		keys[i] = rt.key
	}
	return keys
}

// match finds the route for a method and an escaped path relative to
// /api/v3, with its unescaped path parameters. Literal segments win over
// captures because routes are tried in order.
func match(method, escapedPath string) (*route, map[string]string) {
	if escapedPath == "" {
		return nil, nil
	}
	segs := strings.Split(strings.Trim(escapedPath, "/"), "/")
	for _, rt := range routes {
		if rt.method != method || len(rt.segs) != len(segs) {
			continue
		}
		params := map[string]string{}
		ok := true
		for i, t := range rt.segs {
			if name, isParam := strings.CutPrefix(t, "{"); isParam {
				v, err := url.PathUnescape(segs[i])
				if err != nil || v == "" {
					ok = false
					break
				}
				params[strings.TrimSuffix(name, "}")] = v
				continue
			}
			if t != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return rt, params
		}
	}
	return nil, nil
}
