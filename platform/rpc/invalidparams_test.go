package rpc

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
)

// wireData is an error's data as a client reads it.
type wireData struct {
	Kind      string            `json:"kind"`
	Reason    string            `json:"reason"`
	Retryable bool              `json:"retryable"`
	Fields    []errs.FieldError `json:"fields"`
	RequestID string            `json:"request_id"`
}

// errorOf is the code and data of the lone error answer body holds.
func errorOf(t *testing.T, body string) (int, wireData) {
	t.Helper()
	var resp struct {
		Error *struct {
			Code int       `json:"code"`
			Data *wireData `json:"data"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil || resp.Error == nil {
		t.Fatalf("not an error answer (%v): %s", err, body)
	}
	if resp.Error.Data == nil {
		t.Fatalf("error answer without data: %s", body)
	}
	return resp.Error.Code, *resp.Error.Data
}

// TestInvalidParamsCarryTheReasonOfInvalid: an invalid params answer
// (-32602, the schema check of the params) carries in its data the kind
// and reason an errs.CodeInvalid error does ("invalid"), beside its fields
// and request id, so that a client telling form errors by reason finds
// both; its OpenRPC description says so.
func TestInvalidParamsCarryTheReasonOfInvalid(t *testing.T) {
	s := specServer(t, Options{})
	Handle(s, Method[subtractParams, int]{Name: "refuse", Auth: auth.Public},
		func(context.Context, subtractParams) (int, error) {
			return 0, errs.InvalidFields("bad", errs.FieldError{Field: "/minuend", Message: "too small"})
		})

	// What the handler's own errs.CodeInvalid error carries.
	code, app := errorOf(t, post(t, s, `{"jsonrpc":"2.0","method":"refuse","params":{"minuend":1,"subtrahend":2},"id":1}`, "X-Request-Id", "r1").body)
	if code != int(errs.CodeInvalid) || app.Reason != "invalid" || app.Kind != "invalid" {
		t.Fatalf("the handler's invalid error: code %d, data %+v", code, app)
	}

	for _, tt := range []struct {
		name, req string
		fields    []errs.FieldError
	}{
		{"missing param", `{"jsonrpc":"2.0","method":"subtract","params":{"minuend":1},"id":1}`,
			[]errs.FieldError{{Field: "/subtrahend", Message: "required"}}},
		{"unknown param", `{"jsonrpc":"2.0","method":"subtract","params":{"minuend":1,"subtrahend":1,"Minuend":3},"id":1}`,
			[]errs.FieldError{{Field: "/Minuend", Message: "unknown field"}}},
		{"wrong type", `{"jsonrpc":"2.0","method":"subtract","params":{"minuend":"one","subtrahend":1},"id":1}`, nil},
		{"too many positional params", `{"jsonrpc":"2.0","method":"subtract","params":[1,2,3],"id":1}`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, d := errorOf(t, post(t, s, tt.req, "X-Request-Id", "r2").body)
			if code != CodeInvalidParams {
				t.Fatalf("code = %d, want %d", code, CodeInvalidParams)
			}
			if d.Reason != app.Reason || d.Kind != app.Kind || d.Retryable {
				t.Errorf("data %+v: want the reason and kind of errs.CodeInvalid (%q, %q), not retryable", d, app.Reason, app.Kind)
			}
			if d.RequestID != "r2" {
				t.Errorf("request_id = %q, want r2", d.RequestID)
			}
			if tt.fields != nil {
				if diff := cmp.Diff(tt.fields, d.Fields); diff != "" {
					t.Errorf("fields (-want +got):\n%s", diff)
				}
			}
		})
	}

	// A batch member refused so says the same.
	var answers []struct {
		Error struct {
			Code int      `json:"code"`
			Data wireData `json:"data"`
		} `json:"error"`
	}
	body := post(t, s, `[{"jsonrpc":"2.0","method":"subtract","params":{"minuend":1},"id":1},{"jsonrpc":"2.0","method":"sum","id":2}]`).body
	if err := json.Unmarshal([]byte(body), &answers); err != nil || len(answers) != 2 {
		t.Fatalf("batch answer (%v): %s", err, body)
	}
	if e := answers[0].Error; e.Code != CodeInvalidParams || e.Data.Reason != "invalid" || e.Data.Kind != "invalid" || len(e.Data.Fields) != 1 {
		t.Errorf("batch member's error: %+v", e)
	}

	// The discovery document describes -32602 with that reason.
	var doc struct {
		Methods []struct {
			Name   string `json:"name"`
			Errors []struct {
				Code int `json:"code"`
				Data *struct {
					Reason    string `json:"reason"`
					Retryable bool   `json:"retryable"`
				} `json:"data"`
			} `json:"errors"`
		} `json:"methods"`
	}
	if err := json.Unmarshal(s.Discover(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, m := range doc.Methods {
		found := false
		for _, e := range m.Errors {
			if e.Code == CodeInvalidParams {
				found = true
				if e.Data == nil || e.Data.Reason != errs.CodeInvalid.Name() || e.Data.Retryable {
					t.Errorf("%s documents -32602 with data %+v, want reason %q", m.Name, e.Data, errs.CodeInvalid.Name())
				}
			}
		}
		if !found {
			t.Errorf("%s does not document -32602", m.Name)
		}
	}
}
