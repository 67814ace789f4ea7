package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
)

type subtractParams struct {
	Minuend    int `json:"minuend"`
	Subtrahend int `json:"subtrahend"`
}

type sumParams struct {
	A int `json:"a,omitempty"`
	B int `json:"b,omitempty"`
	C int `json:"c,omitempty"`
}

type fiveParams struct {
	A int `json:"a,omitempty"`
	B int `json:"b,omitempty"`
	C int `json:"c,omitempty"`
	D int `json:"d,omitempty"`
	E int `json:"e,omitempty"`
}

type none struct{}

// specServer serves the methods the examples of the JSON-RPC 2.0
// specification call (https://www.jsonrpc.org/specification#examples).
func specServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s := NewServer(opts)
	Handle(s, Method[subtractParams, int]{Name: "subtract", Auth: auth.Public},
		func(_ context.Context, p subtractParams) (int, error) { return p.Minuend - p.Subtrahend, nil })
	Handle(s, Method[sumParams, int]{Name: "sum", Auth: auth.Public},
		func(_ context.Context, p sumParams) (int, error) { return p.A + p.B + p.C, nil })
	Handle(s, Method[fiveParams, none]{Name: "update", Auth: auth.Public},
		func(context.Context, fiveParams) (none, error) { return none{}, nil })
	Handle(s, Method[sumParams, none]{Name: "notify_hello", Auth: auth.Public},
		func(context.Context, sumParams) (none, error) { return none{}, nil })
	Handle(s, Method[sumParams, none]{Name: "notify_sum", Auth: auth.Public},
		func(context.Context, sumParams) (none, error) { return none{}, nil })
	Handle(s, Method[none, []any]{Name: "get_data", Auth: auth.Public},
		func(context.Context, none) ([]any, error) { return []any{"hello", 5}, nil })
	return s
}

type exchange struct {
	status int
	header http.Header
	body   string
}

func post(t testing.TB, h http.Handler, body string, header ...string) exchange {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/rpc", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return exchange{status: w.Code, header: w.Header(), body: w.Body.String()}
}

// jsonEqual compares two JSON texts as values; error data (request ids,
// field lists) is compared only where want has it.
func jsonEqual(t *testing.T, want, got string) {
	t.Helper()
	var w, g any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want %s: %v", want, err)
	}
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("response is not JSON: %q: %v", got, err)
	}
	g = dropUnwanted(w, g)
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("response mismatch (-want +got):\n%s", diff)
	}
}

// dropUnwanted removes from got the "data" and "message" members of errors
// that want does not specify.
func dropUnwanted(want, got any) any {
	switch w := want.(type) {
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return got
		}
		for i := range w {
			g[i] = dropUnwanted(w[i], g[i])
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return got
		}
		for _, k := range []string{"data", "message"} {
			if _, has := w[k]; !has {
				if _, isErr := g["code"]; isErr {
					delete(g, k)
				}
			}
		}
		for k := range w {
			if _, has := g[k]; has {
				g[k] = dropUnwanted(w[k], g[k])
			}
		}
	}
	return got
}

func TestSpecificationExamples(t *testing.T) {
	s := specServer(t, Options{})
	tests := []struct {
		name string
		req  string
		want string // "" for no response (HTTP 204)
	}{
		{"positional", `{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}`,
			`{"jsonrpc": "2.0", "result": 19, "id": 1}`},
		{"positional reversed", `{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}`,
			`{"jsonrpc": "2.0", "result": -19, "id": 2}`},
		{"named", `{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}`,
			`{"jsonrpc": "2.0", "result": 19, "id": 3}`},
		{"named reordered", `{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}`,
			`{"jsonrpc": "2.0", "result": 19, "id": 4}`},
		{"notification", `{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}`, ``},
		{"notification without params", `{"jsonrpc": "2.0", "method": "notify_hello"}`, ``},
		{"notification of unknown method", `{"jsonrpc": "2.0", "method": "nope"}`, ``},
		{"method not found", `{"jsonrpc": "2.0", "method": "foobar", "id": "1"}`,
			`{"jsonrpc": "2.0", "error": {"code": -32601, "message": "method not found"}, "id": "1"}`},
		{"invalid JSON", `{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]`,
			`{"jsonrpc": "2.0", "error": {"code": -32700}, "id": null}`},
		{"invalid request object", `{"jsonrpc": "2.0", "method": 1, "params": "bar"}`,
			`{"jsonrpc": "2.0", "error": {"code": -32600}, "id": null}`},
		{"batch, invalid JSON", `[
			{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
			{"jsonrpc": "2.0", "method"
			]`,
			`{"jsonrpc": "2.0", "error": {"code": -32700}, "id": null}`},
		{"empty array", `[]`, `{"jsonrpc": "2.0", "error": {"code": -32600}, "id": null}`},
		{"invalid batch of one", `[1]`, `[{"jsonrpc": "2.0", "error": {"code": -32600}, "id": null}]`},
		{"invalid batch", `[1,2,3]`, `[
			{"jsonrpc": "2.0", "error": {"code": -32600}, "id": null},
			{"jsonrpc": "2.0", "error": {"code": -32600}, "id": null},
			{"jsonrpc": "2.0", "error": {"code": -32600}, "id": null}]`},
		{"batch", `[
			{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
			{"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
			{"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
			{"foo": "boo"},
			{"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
			{"jsonrpc": "2.0", "method": "get_data", "id": "9"}
			]`, `[
			{"jsonrpc": "2.0", "result": 7, "id": "1"},
			{"jsonrpc": "2.0", "result": 19, "id": "2"},
			{"jsonrpc": "2.0", "error": {"code": -32600}, "id": null},
			{"jsonrpc": "2.0", "error": {"code": -32601, "message": "method not found"}, "id": "5"},
			{"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}]`},
		{"batch of notifications", `[
			{"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
			{"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}]`, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := post(t, s, tt.req)
			if tt.want == "" {
				if got.status != http.StatusNoContent || got.body != "" {
					t.Fatalf("got %d %q, want 204 and no body", got.status, got.body)
				}
				return
			}
			if got.status != http.StatusOK {
				t.Errorf("status = %d, want 200", got.status)
			}
			if ct := got.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			jsonEqual(t, tt.want, got.body)
		})
	}
}

func TestInvalidRequests(t *testing.T) {
	s := specServer(t, Options{})
	tests := []struct {
		name, req, want string
	}{
		{"wrong version", `{"jsonrpc": "1.0", "method": "subtract", "params": [1, 1], "id": 1}`,
			`{"jsonrpc": "2.0", "error": {"code": -32600}, "id": 1}`},
		{"version as number", `{"jsonrpc": 2.0, "method": "subtract", "params": [1, 1], "id": 1}`,
			`{"jsonrpc": "2.0", "error": {"code": -32600}, "id": 1}`},
		{"missing version", `{"method": "subtract", "params": [1, 1], "id": 1}`,
			`{"jsonrpc": "2.0", "error": {"code": -32600}, "id": 1}`},
		{"member names are case-sensitive", `{"JSONRPC": "2.0", "method": "subtract", "params": [1, 1], "id": 1}`,
			`{"jsonrpc": "2.0", "error": {"code": -32600}, "id": 1}`},
		{"escaped version is still 2.0", `{"jsonrpc": "2\u002e0", "method": "subtract", "params": [3, 1], "id": 1}`,
			`{"jsonrpc": "2.0", "result": 2, "id": 1}`},
		{"method as null", `{"jsonrpc": "2.0", "method": null, "id": 1}`,
			`{"jsonrpc": "2.0", "error": {"code": -32600}, "id": 1}`},
		{"method missing", `{"jsonrpc": "2.0", "id": 1}`,
			`{"jsonrpc": "2.0", "error": {"code": -32600}, "id": 1}`},
		{"params as string", `{"jsonrpc": "2.0", "method": "subtract", "params": "bar", "id": 1}`,
			`{"jsonrpc": "2.0", "error": {"code": -32600}, "id": 1}`},
		{"params as null", `{"jsonrpc": "2.0", "method": "subtract", "params": null, "id": 1}`,
			`{"jsonrpc": "2.0", "error": {"code": -32600}, "id": 1}`},
		{"id as object", `{"jsonrpc": "2.0", "method": "subtract", "params": [1,1], "id": {"a": 1}}`,
			`{"jsonrpc": "2.0", "error": {"code": -32600}, "id": null}`},
		{"id as boolean", `{"jsonrpc": "2.0", "method": "subtract", "params": [1,1], "id": true}`,
			`{"jsonrpc": "2.0", "error": {"code": -32600}, "id": null}`},
		{"duplicate member", `{"jsonrpc": "2.0", "method": "subtract", "method": "sum", "params": [1,1], "id": 1}`,
			`{"jsonrpc": "2.0", "error": {"code": -32600}, "id": 1}`},
		{"a string is not a request", `"hello"`, `{"jsonrpc": "2.0", "error": {"code": -32600}, "id": null}`},
		{"a number is not a request", `42`, `{"jsonrpc": "2.0", "error": {"code": -32600}, "id": null}`},
		{"empty body", ``, `{"jsonrpc": "2.0", "error": {"code": -32700}, "id": null}`},
		{"trailing garbage", `{"jsonrpc": "2.0", "method": "sum", "id": 1} x`, `{"jsonrpc": "2.0", "error": {"code": -32700}, "id": null}`},
		{"two values", `{"jsonrpc": "2.0", "method": "sum", "id": 1}{}`, `{"jsonrpc": "2.0", "error": {"code": -32700}, "id": null}`},
		{"invalid UTF-8", "{\"jsonrpc\": \"2.0\", \"method\": \"sum\", \"id\": \"\xff\"}", `{"jsonrpc": "2.0", "error": {"code": -32700}, "id": null}`},
		{"unknown rpc. method", `{"jsonrpc": "2.0", "method": "rpc.nothing", "id": 1}`,
			`{"jsonrpc": "2.0", "error": {"code": -32601}, "id": 1}`},
		{"too many positional params", `{"jsonrpc": "2.0", "method": "subtract", "params": [1, 2, 3], "id": 1}`,
			`{"jsonrpc": "2.0", "error": {"code": -32602}, "id": 1}`},
		{"missing param", `{"jsonrpc": "2.0", "method": "subtract", "params": [1], "id": 1}`,
			`{"jsonrpc": "2.0", "error": {"code": -32602, "message": "invalid params", "data": {"kind": "invalid", "reason": "invalid", "fields": [{"field": "/subtrahend", "message": "required"}]}}, "id": 1}`},
		{"unknown param", `{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 1, "subtrahend": 1, "Minuend": 3}, "id": 1}`,
			`{"jsonrpc": "2.0", "error": {"code": -32602, "message": "invalid params", "data": {"kind": "invalid", "reason": "invalid", "fields": [{"field": "/Minuend", "message": "unknown field"}]}}, "id": 1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := post(t, s, tt.req)
			jsonEqual(t, tt.want, stripRequestID(got.body))
		})
	}
}

// stripRequestID removes data.request_id so expectations can name the rest of data.
func stripRequestID(body string) string {
	var v any
	if json.Unmarshal([]byte(body), &v) != nil {
		return body
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			delete(x, "request_id")
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
	b, _ := json.Marshal(v)
	return string(b)
}

func TestIDsEchoedByteExact(t *testing.T) {
	s := specServer(t, Options{})
	for _, id := range []string{
		`12345678901234567890`,
		`-0.5e+10`,
		`1.0`,
		`"a\u00e9\"b"`,
		`"12345678901234567890"`,
		`""`,
		`null`,
	} {
		t.Run(id, func(t *testing.T) {
			got := post(t, s, `{"jsonrpc":"2.0","method":"subtract","params":[2,1],"id":`+id+`}`)
			want := `{"jsonrpc":"2.0","result":1,"id":` + id + `}`
			if got.body != want {
				t.Errorf("got  %s\nwant %s", got.body, want)
			}
		})
	}
	t.Run("in an error", func(t *testing.T) {
		got := post(t, s, `{"jsonrpc":"2.0","method":"nope","id":12345678901234567890}`)
		if !strings.HasSuffix(got.body, `"id":12345678901234567890}`) {
			t.Errorf("id not echoed: %s", got.body)
		}
	})
}

type validated struct {
	Email string    `json:"email" jsonschema:"format=email"`
	Name  string    `json:"name" jsonschema:"minLength=1,maxLength=10"`
	Age   int       `json:"age" jsonschema:"minimum=0,maximum=150"`
	Role  string    `json:"role" jsonschema:"enum=attendee,enum=speaker"`
	ID    string    `json:"id" jsonschema:"format=uuid"`
	At    time.Time `json:"at"`
	Code  string    `json:"code" jsonschema:"pattern=^[A-Z]{3}$"`
	Note  string    `json:"note,omitempty"`
}

func TestInvalidParamsListsEveryField(t *testing.T) {
	s := NewServer(Options{})
	called := false
	Handle(s, Method[validated, string]{Name: "v", Auth: auth.Public}, func(context.Context, validated) (string, error) {
		called = true
		return "ok", nil
	})
	good := `{"email":"ann@example.com","name":"Ann","age":30,"role":"speaker","id":"0b9e2f5c-7c52-4a52-9a4d-2b9f0c1c0e11","at":"2026-11-29T10:00:00Z","code":"ABC"}`
	if got := post(t, s, `{"jsonrpc":"2.0","method":"v","params":`+good+`,"id":1}`); got.body != `{"jsonrpc":"2.0","result":"ok","id":1}` {
		t.Fatalf("good params refused: %s", got.body)
	}
	called = false
	bad := `{"email":"not-an-email","name":"","age":-1,"role":"king","id":"nope","at":"yesterday","code":"abc","extra":1}`
	got := post(t, s, `{"jsonrpc":"2.0","method":"v","params":`+bad+`,"id":1}`)
	if called {
		t.Error("handler ran with invalid params")
	}
	var resp struct {
		Error struct {
			Code int `json:"code"`
			Data struct {
				Fields []struct{ Field, Message string } `json:"fields"`
			} `json:"data"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(got.body), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Error.Code != CodeInvalidParams {
		t.Fatalf("code = %d, want -32602: %s", resp.Error.Code, got.body)
	}
	fields := map[string]bool{}
	for _, f := range resp.Error.Data.Fields {
		fields[f.Field] = true
	}
	for _, want := range []string{"/email", "/name", "/age", "/role", "/id", "/at", "/code", "/extra"} {
		if !fields[want] {
			t.Errorf("field %s not reported; got %s", want, got.body)
		}
	}
	if fields["/note"] {
		t.Error("optional field reported")
	}
}

func TestLimits(t *testing.T) {
	s := specServer(t, Options{MaxBodyBytes: 1024, MaxBatch: 3, MaxDepth: 8})
	t.Run("body size", func(t *testing.T) {
		got := post(t, s, `{"jsonrpc":"2.0","method":"sum","params":[1],"id":"`+strings.Repeat("x", 2000)+`"}`)
		if got.status != http.StatusRequestEntityTooLarge || !strings.Contains(got.body, `"code":-32600`) || !strings.Contains(got.body, "1024 bytes") {
			t.Errorf("got %d %s", got.status, got.body)
		}
	})
	t.Run("batch length", func(t *testing.T) {
		one := `{"jsonrpc":"2.0","method":"sum","params":[1],"id":1}`
		got := post(t, s, "["+strings.Repeat(one+",", 3)+one+"]")
		if !strings.HasPrefix(got.body, `{"jsonrpc":"2.0","error":{"code":-32600`) || !strings.Contains(got.body, "limit of 3") {
			t.Errorf("got %s", got.body)
		}
	})
	t.Run("nesting depth", func(t *testing.T) {
		deep := strings.Repeat("[", 9) + strings.Repeat("]", 9)
		got := post(t, s, `{"jsonrpc":"2.0","method":"sum","params":{"a":`+deep+`},"id":1}`)
		if !strings.Contains(got.body, `"code":-32600`) || !strings.Contains(got.body, "8 levels") {
			t.Errorf("got %s", got.body)
		}
	})
	t.Run("bad budget header", func(t *testing.T) {
		got := post(t, s, `{"jsonrpc":"2.0","method":"sum","params":[1],"id":1}`, HeaderBudget, "soon")
		if got.status != http.StatusBadRequest || !strings.Contains(got.body, HeaderBudget) {
			t.Errorf("got %d %s", got.status, got.body)
		}
	})
}

func TestPanicBecomesInternalError(t *testing.T) {
	s := NewServer(Options{})
	Handle(s, Method[none, none]{Name: "boom", Auth: auth.Public}, func(context.Context, none) (none, error) {
		panic("secret internal detail")
	})
	Handle(s, Method[none, none]{Name: "fail", Auth: auth.Public}, func(context.Context, none) (none, error) {
		return none{}, errors.New("connection to 10.0.0.7 refused: secret")
	})
	for _, m := range []string{"boom", "fail"} {
		got := post(t, s, `{"jsonrpc":"2.0","method":"`+m+`","id":1}`)
		if !strings.Contains(got.body, `"code":-32603`) || strings.Contains(got.body, "secret") {
			t.Errorf("%s: %s", m, got.body)
		}
		if !strings.Contains(got.body, got.header.Get(HeaderRequestID)) {
			t.Errorf("%s: request id not in error data: %s", m, got.body)
		}
	}
}

// TestBatchCompliance: notifications in a batch get no answer, even
// when they fail; a batch of only notifications gets none at all; invalid
// members are answered with a null id; a batch member that panics is an
// internal error of its own.
func TestBatchCompliance(t *testing.T) {
	s := specServer(t, Options{})
	Handle(s, Method[none, none]{Name: "boom", Auth: auth.Public}, func(context.Context, none) (none, error) { panic("boom") })
	Handle(s, Method[none, none]{Name: "who", Auth: auth.Service}, func(context.Context, none) (none, error) { return none{}, nil })
	tests := []struct{ name, body, want string }{
		{"failing notifications", `[{"jsonrpc":"2.0","method":"nope"},{"jsonrpc":"2.0","method":"subtract","params":["x"]},{"jsonrpc":"2.0","method":"boom"},{"jsonrpc":"2.0","method":"who"}]`, ``},
		{"a panic among calls", `[{"jsonrpc":"2.0","method":"boom","id":1},{"jsonrpc":"2.0","method":"subtract","params":[3,1],"id":2}]`,
			`[{"jsonrpc":"2.0","error":{"code":-32603},"id":1},{"jsonrpc":"2.0","result":2,"id":2}]`},
		{"objects and arrays as members", `[{},[],"x",null]`,
			`[{"jsonrpc":"2.0","error":{"code":-32600},"id":null},{"jsonrpc":"2.0","error":{"code":-32600},"id":null},{"jsonrpc":"2.0","error":{"code":-32600},"id":null},{"jsonrpc":"2.0","error":{"code":-32600},"id":null}]`},
		{"nested batch", `[[{"jsonrpc":"2.0","method":"subtract","params":[3,1],"id":2}]]`,
			`[{"jsonrpc":"2.0","error":{"code":-32600},"id":null}]`},
		{"id as array", `{"jsonrpc":"2.0","method":"subtract","params":[3,1],"id":[1]}`,
			`{"jsonrpc":"2.0","error":{"code":-32600},"id":null}`},
		{"float id", `{"jsonrpc":"2.0","method":"subtract","params":[3,1],"id":1.5}`,
			`{"jsonrpc":"2.0","result":2,"id":1.5}`},
		{"params as number", `{"jsonrpc":"2.0","method":"subtract","params":3,"id":1}`,
			`{"jsonrpc":"2.0","error":{"code":-32600},"id":1}`},
		{"service method without a signature", `{"jsonrpc":"2.0","method":"who","id":1}`,
			fmt.Sprintf(`{"jsonrpc":"2.0","error":{"code":%d},"id":1}`, errs.CodeUnauthenticated)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := post(t, s, tt.body)
			if tt.want == "" {
				if got.status != 204 || got.body != "" {
					t.Errorf("got %d %q, want 204 and no body", got.status, got.body)
				}
				return
			}
			jsonEqual(t, tt.want, got.body)
		})
	}
}
