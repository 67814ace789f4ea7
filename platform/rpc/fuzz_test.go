package rpc

import (
	"encoding/json"
	"net/http"
	"testing"
)

// FuzzDecode feeds arbitrary bodies to the server: it must never panic, and
// every answer must be a valid JSON-RPC 2.0 response (or, for notifications
// only, no body at all). Seeded with the examples of the specification.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}`,
		`{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}`,
		`{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}`,
		`{"jsonrpc": "2.0", "method": "foobar"}`,
		`{"jsonrpc": "2.0", "method": "foobar", "id": "1"}`,
		`{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]`,
		`{"jsonrpc": "2.0", "method": 1, "params": "bar"}`,
		`[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method"]`,
		`[]`, `[1]`, `[1,2,3]`,
		`[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},{"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},{"foo": "boo"},{"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},{"jsonrpc": "2.0", "method": "get_data", "id": "9"}]`,
		`[{"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},{"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}]`,
		`{"jsonrpc":"2.0","method":"subtract","params":[1,1],"id":12345678901234567890}`,
		`{"jsonrpc":"2.0","method":"sub\u0074ract","params":[1,1],"id":null}`,
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
	} {
		f.Add([]byte(seed))
	}
	s := specServer(f, Options{MaxBodyBytes: 1 << 16})
	f.Fuzz(func(t *testing.T, body []byte) {
		got := post(t, s, string(body))
		if got.status == http.StatusNoContent {
			if got.body != "" {
				t.Fatalf("204 with a body: %q", got.body)
			}
			if !onlyNotifications(body) {
				t.Fatalf("204 for %q, which holds more than valid notifications: something needed an answer", body)
			}
			return
		}
		var v any
		if err := json.Unmarshal([]byte(got.body), &v); err != nil {
			t.Fatalf("answer is not JSON: %q (input %q)", got.body, body)
		}
		switch x := v.(type) {
		case []any:
			if len(x) == 0 {
				t.Fatalf("empty batch answer for %q", body)
			}
			for _, r := range x {
				checkResponse(t, r, body)
			}
		default:
			checkResponse(t, x, body)
		}
	})
}

// onlyNotifications reports whether body is a valid notification or a
// non-empty batch of them: the only requests answered with no body.
func onlyNotifications(body []byte) bool {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return false
	}
	notification := func(v any) bool {
		m, ok := v.(map[string]any)
		if !ok || m["jsonrpc"] != "2.0" {
			return false
		}
		if _, ok := m["method"].(string); !ok {
			return false
		}
		if _, hasID := m["id"]; hasID {
			return false
		}
		switch m["params"].(type) {
		case nil, []any, map[string]any:
			return true
		}
		return false
	}
	if batch, ok := v.([]any); ok {
		for _, r := range batch {
			if !notification(r) {
				return false
			}
		}
		return len(batch) > 0
	}
	return notification(v)
}

func checkResponse(t *testing.T, v any, input []byte) {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("response is not an object: %v (input %q)", v, input)
	}
	if m["jsonrpc"] != "2.0" {
		t.Fatalf("jsonrpc = %v (input %q)", m["jsonrpc"], input)
	}
	if _, ok := m["id"]; !ok {
		t.Fatalf("response without id (input %q)", input)
	}
	_, hasResult := m["result"]
	e, hasError := m["error"]
	if hasResult == hasError {
		t.Fatalf("want exactly one of result and error: %v (input %q)", m, input)
	}
	if hasError {
		em, ok := e.(map[string]any)
		if !ok {
			t.Fatalf("error is not an object (input %q)", input)
		}
		code, ok := em["code"].(float64)
		if !ok || code != float64(int64(code)) {
			t.Fatalf("error code %v is not an integer (input %q)", em["code"], input)
		}
		if _, ok := em["message"].(string); !ok {
			t.Fatalf("error message missing (input %q)", input)
		}
	}
	if len(m) != 3 {
		t.Fatalf("unexpected members in %v (input %q)", m, input)
	}
}
