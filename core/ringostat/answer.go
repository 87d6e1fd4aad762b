package ringostat

import (
	"encoding/json"
	"net/http"

	"github.com/switchboard-hq/switchboard/core/server"
)

// Answer is an answer to Ringostat, exactly as it is sent.
type Answer struct {
	// Status is the HTTP status: 200, or 204 for a JSON-RPC notification.
	Status int
	// ContentType is the Content-Type header ("" with no body).
	ContentType string
	// Body is the body as sent.
	Body []byte
}

// rpcResponse is a JSON-RPC 2.0 response: a result or an error.
type rpcResponse struct {
	JSONRPC string            `json:"jsonrpc"`
	ID      json.RawMessage   `json:"id"`
	Result  map[string]string `json:"result,omitempty"`
	Error   *rpcError         `json:"error,omitempty"`
}

// rpcError is a JSON-RPC 2.0 error object.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

const textPlain = "text/plain; charset=utf-8"

// nullID is the id of a JSON-RPC response to a request whose id is
// unknown (not a JSON-RPC call, or unreadable).
var nullID = json.RawMessage("null")

// Render renders destination (possibly "": no destination) in the
// import format, for a request whose JSON-RPC id is id (nil: null):
//
//	text     200 text/plain        <destination>
//	json     200 application/json  {"<key>":"<destination>"}
//	jsonrpc  200 application/json  {"jsonrpc":"2.0","id":<id>,"result":{"<key>":"<destination>"}}
//
// `switchboard lookup -for ringostat` prints what it returns.
func Render(imp Import, key, destination string, id json.RawMessage) Answer {
	switch imp {
	case ImportJSON:
		body, _ := json.Marshal(map[string]string{key: destination}) // strings always encode
		return Answer{Status: http.StatusOK, ContentType: "application/json", Body: body}
	case ImportJSONRPC:
		if id == nil {
			id = nullID
		}
		body, err := json.Marshal(rpcResponse{JSONRPC: "2.0", ID: id, Result: map[string]string{key: destination}})
		if err != nil { // an id that is not valid JSON: cannot come from parseJSONRPC
			body, _ = json.Marshal(rpcResponse{JSONRPC: "2.0", ID: nullID, Result: map[string]string{key: destination}})
		}
		return Answer{Status: http.StatusOK, ContentType: "application/json", Body: body}
	default:
		return Answer{Status: http.StatusOK, ContentType: textPlain, Body: []byte(destination)}
	}
}

// renderRPCError renders a JSON-RPC error response.
func renderRPCError(id json.RawMessage, code int, msg string) Answer {
	if id == nil {
		id = nullID
	}
	body, err := json.Marshal(rpcResponse{JSONRPC: "2.0", ID: id, Error: &rpcError{Code: code, Message: msg}})
	if err != nil {
		body, _ = json.Marshal(rpcResponse{JSONRPC: "2.0", ID: nullID, Error: &rpcError{Code: code, Message: msg}})
	}
	return Answer{Status: http.StatusOK, ContentType: "application/json", Body: body}
}

// write sends the answer.
func (a Answer) write(w http.ResponseWriter) {
	server.Respond(w, a.Status, a.ContentType, a.Body)
}
