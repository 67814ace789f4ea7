package rpc

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/attendify/platform/auth"
)

// A server started with RefuseWrites runs the methods declared ReadOnly and
// refuses every other, in a batch too, before its handler runs; the
// discovery document says which methods only read.
func TestRefuseWritesRunsOnlyReadOnlyMethods(t *testing.T) {
	s := NewServer(Options{RefuseWrites: "read-only run-as against qa"})
	var writes atomic.Int32
	Handle(s, Method[indexParams, int]{Name: "thing.get", Auth: auth.Public, ReadOnly: true},
		func(_ context.Context, p indexParams) (int, error) { return p.I, nil })
	Handle(s, Method[indexParams, int]{Name: "thing.create", Auth: auth.Public},
		func(_ context.Context, p indexParams) (int, error) { writes.Add(1); return p.I, nil })

	if got := post(t, s, `{"jsonrpc":"2.0","method":"thing.get","params":{"i":7},"id":1}`); got.body != `{"jsonrpc":"2.0","result":7,"id":1}` {
		t.Errorf("read: %d %s", got.status, got.body)
	}
	got := post(t, s, `{"jsonrpc":"2.0","method":"thing.create","params":{"i":7},"id":1}`)
	var resp struct {
		Error struct {
			Code    int
			Message string
		}
	}
	_ = json.Unmarshal([]byte(got.body), &resp)
	if resp.Error.Code != 1410 ||
		!strings.HasPrefix(resp.Error.Message, "read-only run-as against qa: thing.create writes") {
		t.Errorf("write: %d %s", got.status, got.body)
	}
	batch := post(t, s, `[{"jsonrpc":"2.0","method":"thing.create","params":{"i":1},"id":1},{"jsonrpc":"2.0","method":"thing.get","params":{"i":2},"id":2}]`)
	if !strings.Contains(batch.body, `"code":1410`) || !strings.Contains(batch.body, `"result":2`) {
		t.Errorf("batch: %s", batch.body)
	}
	if n := writes.Load(); n != 0 {
		t.Errorf("the writing handler ran %d times", n)
	}

	var doc openrpcDoc
	_ = json.Unmarshal(s.Discover(), &doc)
	ro := map[string]bool{}
	for _, m := range doc.Methods {
		ro[m.Name] = m.ReadOnly
	}
	if !ro["thing.get"] || ro["thing.create"] {
		t.Errorf("x-read-only in discovery: %v", ro)
	}
}
