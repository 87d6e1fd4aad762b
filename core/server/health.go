package server

import "net/http"

// statusBody is the body of /healthz and /readyz.
type statusBody struct {
	Status  string   `json:"status"`
	Reasons []string `json:"reasons,omitempty"`
}

var healthyBody = []byte(`{"status":"ok"}`)

// healthz answers 200 while the process is alive.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSONBytes(w, http.StatusOK, healthyBody)
}

// readyz answers 200 when Options.Ready says the host routes calls from
// CRM data ("degraded", with the reasons, when it does with something
// wrong) and 503 with the reasons otherwise.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ready, reasons := true, []string(nil)
	if s.opts.Ready != nil {
		ready, reasons = s.opts.Ready()
	}
	if ready && len(reasons) > 0 {
		Annotate(r, "degraded", reasons)
		writeJSON(w, http.StatusOK, statusBody{Status: "degraded", Reasons: reasons})
		return
	}
	if ready {
		writeJSON(w, http.StatusOK, statusBody{Status: "ready"})
		return
	}
	if len(reasons) == 0 {
		reasons = []string{"not ready (no reason given)"}
	}
	Annotate(r, "reasons", reasons)
	writeJSON(w, http.StatusServiceUnavailable, statusBody{Status: "not ready", Reasons: reasons})
}

// notFound answers every path no endpoint serves.
func notFound(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusNotFound, errorBody{Error: "not found"})
}
