package rpc

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/attendify/platform/auth"
)

type uncheckedOp struct {
	Op   string `json:"op" jsonschema:"enum=add,enum=remove"`
	Text string `json:"text,omitempty" jsonschema:"maxLength=5"`
}

type uncheckedParams struct {
	Ops []Unchecked[uncheckedOp] `json:"ops" jsonschema:"maxItems=2"`
}

// TestUncheckedTakesAnyValue: the params' schema checks the envelope
// around an Unchecked part (here, at most two operations) and takes any
// JSON value as the part, which Decode then reads; the schema documents
// the part's shape as x-shape.
func TestUncheckedTakesAnyValue(t *testing.T) {
	s := NewServer(Options{})
	var got []uncheckedParams
	Handle(s, Method[uncheckedParams, struct{}]{Name: "ops.apply", Auth: auth.Public},
		func(_ context.Context, p uncheckedParams) (struct{}, error) {
			got = append(got, p)
			return struct{}{}, nil
		})
	call := func(params string) string {
		t.Helper()
		return post(t, s, `{"jsonrpc":"2.0","id":1,"method":"ops.apply","params":`+params+`}`).body
	}

	if out := call(`{"ops":[{"op":"add","text":"much too long"},7]}`); strings.Contains(out, `"error"`) {
		t.Fatalf("operations that break their shape: %s, want them passed to the method", out)
	}
	if len(got) != 1 || len(got[0].Ops) != 2 {
		t.Fatalf("the method got %+v", got)
	}
	if op, err := got[0].Ops[0].Decode(); err != nil || op != (uncheckedOp{"add", "much too long"}) {
		t.Errorf("Decode() = %+v, %v", op, err)
	}
	if _, err := got[0].Ops[1].Decode(); err == nil {
		t.Errorf("Decode() of 7 succeeded")
	}
	if out := call(`{"ops":[1,2,3]}`); !strings.Contains(out, `-32602`) {
		t.Errorf("three operations: %s, want -32602 (the envelope is checked)", out)
	}

	doc, err := schemaJSON(reflect.TypeFor[uncheckedParams]())
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Properties struct {
			Ops struct {
				Items map[string]json.RawMessage `json:"items"`
			} `json:"ops"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(doc, &schema); err != nil {
		t.Fatal(err)
	}
	shape := string(schema.Properties.Ops.Items["x-shape"])
	if len(schema.Properties.Ops.Items) != 1 || !strings.Contains(shape, `"enum":["add","remove"]`) {
		t.Errorf("items schema %s, want only x-shape with the operation's schema", doc)
	}

	u, err := Of(uncheckedOp{Op: "remove"})
	if b, _ := json.Marshal(u); err != nil || string(b) != `{"op":"remove"}` {
		t.Errorf("Of() marshals to %s, %v", b, err)
	}
}
