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
	newRoute("GET /calls", append(slices.Clone(pagingParams),
		"started_at[gte]", "started_at[lte]", "missing_call[eq]", "direction[eq]", "direction[in]"), (*Server).listCalls),
	newRoute("POST /calls/{uuid}/comments", nil, (*Server).postComment),
	newRoute("POST /calls/{uuid}/tags", nil, (*Server).postTag),
	newRoute("PUT /calls/{uuid}/disposition", nil, (*Server).putDisposition),
	newRoute("GET /dispositions", []string{"limit", "offset"}, (*Server).listDispositions),
	newRoute("POST /tasks", nil, (*Server).createTask),
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

// Routes returns the names of the fake's routes, as Script takes them:
// the API's, then RecordingRoute.
func Routes() []string {
	keys := make([]string, 0, len(routes)+1)
	for _, rt := range routes {
		keys = append(keys, rt.key)
	}
	return append(keys, RecordingRoute)
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
