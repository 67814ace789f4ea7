package rpc

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/attendify/platform/auth"
)

func TestRawParamsAndResult(t *testing.T) {
	s := NewServer(Options{})
	Handle(s, Method[json.RawMessage, json.RawMessage]{Name: "echo", Auth: auth.Public},
		func(_ context.Context, p json.RawMessage) (json.RawMessage, error) { return p, nil })
	Handle(s, Method[json.RawMessage, json.RawMessage]{Name: "broken", Auth: auth.Public},
		func(context.Context, json.RawMessage) (json.RawMessage, error) { return json.RawMessage(`{"a":`), nil })
	Handle(s, Method[json.RawMessage, int]{Name: "size", Auth: auth.Public},
		func(_ context.Context, p json.RawMessage) (int, error) { return len(p), nil })
	for _, tc := range []struct{ params, want string }{
		{`{"text":"hello, attendify","n":42}`, `{"text":"hello, attendify","n":42}`},
		{`{"deep":{"list":[1,{"x":null}],"extra":true}}`, `{"deep":{"list":[1,{"x":null}],"extra":true}}`},
		{`[1,"two",{"three":3}]`, `[1,"two",{"three":3}]`},
		{``, `null`},
	} {
		body := `{"jsonrpc":"2.0","id":1,"method":"echo"` + map[bool]string{true: "", false: `,"params":` + tc.params}[tc.params == ""] + `}`
		got := post(t, s, body)
		jsonEqual(t, `{"jsonrpc":"2.0","id":1,"result":`+tc.want+`}`, got.body)
	}
	got := post(t, s, `{"jsonrpc":"2.0","id":2,"method":"size","params":[1, 2]}`)
	jsonEqual(t, `{"jsonrpc":"2.0","id":2,"result":6}`, got.body)
	got = post(t, s, `{"jsonrpc":"2.0","id":3,"method":"broken"}`)
	if !strings.Contains(got.body, `"error"`) || strings.Contains(got.body, `"a":`) {
		t.Errorf("a raw result that is not JSON was sent: %s", got.body)
	}
	var doc struct {
		Methods []struct {
			Name   string `json:"name"`
			Result struct {
				Schema json.RawMessage `json:"schema"`
			} `json:"result"`
		} `json:"methods"`
	}
	if err := json.Unmarshal(s.Discover(), &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range doc.Methods {
		if m.Name == "echo" {
			found = true
			if string(m.Result.Schema) != `{}` {
				t.Errorf("echo's result schema = %s, want {} (any JSON)", m.Result.Schema)
			}
		}
	}
	if !found {
		t.Error("the discovery document lacks echo")
	}
}

func TestRawParamsRefusedOnAppMethods(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a member-level method with raw params was registered")
		}
	}()
	Handle(NewServer(Options{}), Method[json.RawMessage, int]{Name: "m", Auth: auth.Member},
		func(context.Context, json.RawMessage) (int, error) { return 0, nil })
}

// TestAppendEncoded: a result's kept encoding is sent as it is (appended,
// or itself without spare capacity), and the value is encoded when none
// was kept.
func TestAppendEncoded(t *testing.T) {
	v := map[string]int{"n": 1}
	if b, err := AppendEncoded([]byte("x"), nil, v); err != nil || string(b) != `x{"n":1}` {
		t.Errorf("no raw: %s, %v", b, err)
	}
	raw := make([]byte, 0, 64)
	raw = append(raw, `{"n": 2}`...)
	b, err := AppendEncoded(nil, raw, v)
	if err != nil || string(b) != `{"n": 2}` || cap(b) != len(b) {
		t.Errorf("raw into nothing: %s (cap %d), %v", b, cap(b), err)
	}
	if b, err := AppendEncoded([]byte("x"), raw, v); err != nil || string(b) != `x{"n": 2}` {
		t.Errorf("raw appended: %s, %v", b, err)
	}
}
