package rpc

import (
	"bytes"
	"strconv"
)

// The JSON-RPC 2.0 protocol error codes.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternalError  = -32603
)

// request is one JSON-RPC request object taken apart. Raw slices point into
// the HTTP body.
type request struct {
	id     []byte // raw id; nil when absent (a notification)
	method []byte // raw method string, quotes included
	params []byte // raw params; nil when absent
	bad    string // why the request is invalid; "" when it is valid
	size   int    // bytes of the request object
}

// notification reports whether no answer is owed. Invalid requests are
// always answered, with a null id when theirs could not be read.
func (r *request) notification() bool { return r.id == nil && r.bad == "" }

// nullID is the id of responses to requests whose id could not be read.
var nullID = []byte("null")

// responseID is the id to echo: the request's own when it has one.
func (r *request) responseID() []byte {
	if r.id == nil {
		return nullID
	}
	return r.id
}

const (
	seenJSONRPC = 1 << iota
	seenMethod
	seenParams
	seenID
)

// parseRequest takes apart one element of the body (already validated as
// JSON). It never fails: an invalid request is marked bad, keeping the id when
// the id itself is well-formed so that the caller can match the error.
func parseRequest(raw []byte) request {
	r := request{size: len(raw)}
	if raw[0] != '{' {
		r.bad = "a request must be a JSON object"
		return r
	}
	var seen, dup int
	var version []byte
	members(raw, func(name, value []byte) bool {
		// Member names are matched as bytes (no string made per member);
		// one with escapes is unquoted first.
		key := name[1 : len(name)-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			k, _ := unquote(name)
			key = []byte(k)
		}
		var bit int
		switch string(key) {
		case "jsonrpc":
			bit, version = seenJSONRPC, value
		case "method":
			bit, r.method = seenMethod, value
		case "params":
			bit, r.params = seenParams, value
		case "id":
			bit, r.id = seenID, value
		default:
			return true // unknown members are ignored
		}
		if seen&bit != 0 && r.bad == "" {
			r.bad = "duplicate member " + strconv.Quote(string(key))
		}
		dup |= seen & bit
		seen |= bit
		return true
	})
	if dup&seenID != 0 {
		r.id = nil // which of two ids? neither
	}
	if r.id != nil {
		switch c := r.id[0]; {
		case c == '"' || c == '-' || (c >= '0' && c <= '9'):
		case c == 'n': // null
		default:
			r.id = nil
			if r.bad == "" {
				r.bad = "id must be a string, a number or null"
			}
		}
	}
	switch {
	case r.bad != "":
	case version == nil:
		r.bad = `missing "jsonrpc": "2.0"`
	case !isVersion2(version):
		r.bad = `"jsonrpc" must be exactly "2.0"`
	case r.method == nil:
		r.bad = `missing "method"`
	case r.method[0] != '"':
		r.bad = `"method" must be a string`
	case r.params != nil && r.params[0] != '{' && r.params[0] != '[':
		r.bad = `"params" must be an object or an array`
	}
	return r
}

func isVersion2(raw []byte) bool {
	if bytes.Equal(raw, []byte(`"2.0"`)) {
		return true
	}
	s, ok := unquote(raw)
	return ok && s == "2.0"
}
