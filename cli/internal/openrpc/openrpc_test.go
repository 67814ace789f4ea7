package openrpc

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/platform/errs"
)

// event.create's params as hub's rpc.discover describes them.
var createEvent = Method{Name: "event.create", Auth: "admin", Params: []Param{
	{Name: "app_id", Required: true, Schema: json.RawMessage(`{"type":"string","minLength":1}`)},
	{Name: "name", Required: true, Schema: json.RawMessage(`{"type":"string","minLength":1}`)},
	{Name: "start", Required: true, Schema: json.RawMessage(`{"type":"string","pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$"}`)},
	{Name: "capacity", Schema: json.RawMessage(`{"type":"integer","minimum":1}`)},
	{Name: "tags", Schema: json.RawMessage(`{"type":"array","items":{"type":"string"}}`)},
}}

func TestParseArgsTypesValuesBySchema(t *testing.T) {
	got, err := createEvent.ParseArgs([]string{"app_id=123", "name=true", "capacity=40", `tags=["a","b"]`, `start:="2026-06-12T09:00"`})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"app_id": "123", "name": "true", "capacity": float64(40), "tags": []any{"a", "b"}, "start": "2026-06-12T09:00"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	if _, err := createEvent.ParseArgs([]string{"novalue"}); err == nil {
		t.Error("an argument without = was accepted")
	}
}

// Validate reports every bad field as the server would: missing, unknown,
// not matching, of the wrong type.
func TestValidateListsEveryBadField(t *testing.T) {
	params, err := createEvent.ParseArgs([]string{"app_id=a1", "start=soon", "capacity=lots", "color=red"})
	if err != nil {
		t.Fatal(err)
	}
	err = createEvent.Validate(params)
	e, ok := errs.As(err)
	if !ok || e.Code != errs.CodeInvalid {
		t.Fatalf("Validate = %v, want an invalid error", err)
	}
	fields := map[string]bool{}
	for _, f := range e.Fields {
		fields[f.Field] = true
	}
	for _, f := range []string{"/name", "/start", "/capacity", "/color"} {
		if !fields[f] {
			t.Errorf("no error for %s in %+v", f, e.Fields)
		}
	}
	ok2, _ := createEvent.ParseArgs([]string{"app_id=a1", "name=Main", "start=2026-06-12T09:00", "capacity=40"})
	if err := createEvent.Validate(ok2); err != nil {
		t.Errorf("valid params refused: %v", err)
	}
}
