package rpc

import (
	"context"
	"strings"
	"testing"

	"github.com/attendify/platform/auth"
)

// listParams decode themselves when the call is exactly their usual one,
// and leave partial work behind when they give up.
type listParams struct {
	Items []string `json:"items" jsonschema:"minItems=1,maxItems=3"`
	Note  string   `json:"note,omitempty" jsonschema:"maxLength=3"`
}

func (p *listParams) DecodeFast(raw []byte) bool {
	p.Items = []string{"partial"}
	p.Note = "partial"
	if string(raw) == `{"items":["a","b"]}` {
		p.Items, p.Note = []string{"fast", "path"}, ""
		return true
	}
	return false
}

// TestFastDecoder: params that decode themselves skip the validator when
// they accept the call, and otherwise the schema and encoding/json decide
// as for any params, without the decoder's partial work.
func TestFastDecoder(t *testing.T) {
	s := NewServer(Options{})
	Handle(s, Method[listParams, string]{Name: "join", Auth: auth.Public},
		func(_ context.Context, p listParams) (string, error) {
			return strings.Join(p.Items, " ") + "|" + p.Note, nil
		})
	for _, c := range []struct{ body, want string }{
		{`{"jsonrpc":"2.0","id":1,"method":"join","params":{"items":["a","b"]}}`,
			`{"jsonrpc":"2.0","id":1,"result":"fast path|"}`},
		{`{"jsonrpc":"2.0","id":1,"method":"join","params":{"items":["x"]}}`,
			`{"jsonrpc":"2.0","id":1,"result":"x|"}`},
		{`{"jsonrpc":"2.0","id":1,"method":"join","params":[["y","z"],"n"]}`,
			`{"jsonrpc":"2.0","id":1,"result":"y z|n"}`},
		{`{"jsonrpc":"2.0","id":1,"method":"join","params":{"items":[],"note":"long"}}`,
			`{"jsonrpc":"2.0","id":1,"error":{"code":-32602}}`},
	} {
		jsonEqual(t, c.want, post(t, s, c.body).body)
	}
}

// ownJSON encodes itself, differently from encoding/json, to show which
// encoder wrote the result.
type ownJSON struct {
	N int `json:"n"`
}

func (o ownJSON) AppendJSON(b []byte) ([]byte, error) {
	return append(b, `{"n":`+strings.Repeat(" ", o.N)+`1}`...), nil
}

// TestJSONAppender: a result that encodes itself is sent as it encoded
// itself.
func TestJSONAppender(t *testing.T) {
	s := NewServer(Options{})
	Handle(s, Method[sumParams, ownJSON]{Name: "own", Auth: auth.Public},
		func(_ context.Context, p sumParams) (ownJSON, error) { return ownJSON{N: p.A}, nil })
	got := post(t, s, `{"jsonrpc":"2.0","id":1,"method":"own","params":{"a":2}}`).body
	if want := `{"jsonrpc":"2.0","result":{"n":  1},"id":1}`; strings.TrimSpace(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
