package echo

import (
	"encoding/json"
	"net/http"
)

// bareRequest is a JSON-RPC 2.0 request whose params are decoded straight
// into the echo params.
type bareRequest struct {
	JSONRPC string          `json:"jsonrpc"`
	Method  string          `json:"method"`
	Params  Params          `json:"params"`
	ID      json.RawMessage `json:"id"`
}

type bareError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type bareResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	Result  *Params         `json:"result,omitempty"`
	Error   *bareError      `json:"error,omitempty"`
	ID      json.RawMessage `json:"id"`
}

// Bare returns the baseline: a net/http handler for POST /rpc that decodes a
// JSON-RPC request into a struct with encoding/json and encodes the response.
// It does only what any JSON-RPC server must (parse error, unknown method):
// no validation, no logging, no metrics, no limits.
func Bare() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+RPCPath, serveBare)
	return mux
}

func serveBare(w http.ResponseWriter, r *http.Request) {
	var req bareRequest
	resp := bareResponse{JSONRPC: "2.0"}
	switch err := json.NewDecoder(r.Body).Decode(&req); {
	case err != nil:
		resp.Error = &bareError{Code: -32700, Message: "parse error"}
		resp.ID = json.RawMessage("null")
	case req.Method != Method:
		resp.Error = &bareError{Code: -32601, Message: "method not found"}
		resp.ID = req.ID
	default:
		resp.Result = &req.Params
		resp.ID = req.ID
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}
