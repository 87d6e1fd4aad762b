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
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body) // a client that hung up is not our problem
}
