package server

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// errorBody is the JSON body of every error response.
type errorBody struct {
	Error string `json:"error"`
}

// writeJSON answers code with v as JSON. Encoding failures of the fixed
// response types cannot happen; if one did, the client gets a 500.
func writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		body = []byte(`{"error":"internal error"}`)
	}
	writeJSONBytes(w, code, body)
}

// writeJSONBytes answers code with an already encoded JSON body.
func writeJSONBytes(w http.ResponseWriter, code int, body []byte) {
	Respond(w, code, "application/json", body)
}

// Respond answers code with body of contentType, never cached, with its
// Content-Length; a 204 gets neither body nor Content-Type. A write error
// (a client that hung up) is ignored.
func Respond(w http.ResponseWriter, code int, contentType string, body []byte) {
	h := w.Header()
	h["Cache-Control"] = noStore
	if code == http.StatusNoContent {
		w.WriteHeader(code)
		return
	}
	if contentType == jsonType[0] {
		h["Content-Type"] = jsonType
	} else {
		h.Set("Content-Type", contentType)
	}
	if len(body) < len(lengths) {
		h["Content-Length"] = lengths[len(body)]
	} else {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(code)
	_, _ = w.Write(body) // a client that hung up is not our problem
}

// Header values every answer shares (net/http only reads them), so that
// answering allocates none: Cache-Control, the JSON Content-Type and the
// Content-Length of short bodies.
var (
	noStore  = []string{"no-store"}
	jsonType = []string{"application/json"}
	lengths  = func() (l [512][]string) {
		for i := range l {
			l[i] = []string{strconv.Itoa(i)}
		}
		return l
	}()
)
