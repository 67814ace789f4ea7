package echo

import (
	"context"
	"encoding/json"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/runner"
)

// KitParams are the echo params as a typed kit method declares them: the
// same JSON, with the constraints the kit validates before the handler runs.
type KitParams struct {
	Text string `json:"text" jsonschema:"maxLength=1000"`
	N    int    `json:"n"`
}

// The kit's echo methods. KitEcho returns any params unchanged (object or
// array, any shape): raw JSON params and result, no schema. KitEchoTyped
// does the work the bare server does (params decoded into a struct, the
// result encoded from it), with the kit's schema check on top: the row the
// kit's overhead is judged on. KitEchoSigned is KitEchoTyped for signed
// service calls.
var (
	KitEcho       = rpc.Method[json.RawMessage, json.RawMessage]{Name: Method, Auth: auth.Public, Idempotent: true, Summary: "Returns its params unchanged, whatever their shape."}
	KitEchoTyped  = rpc.Method[KitParams, KitParams]{Name: "echo.typed", Auth: auth.Public, Idempotent: true, Summary: "Returns its params (text, n), checked against their schema."}
	KitEchoSigned = rpc.Method[KitParams, KitParams]{Name: "echo.signed", Auth: auth.Service, Idempotent: true, Summary: "echo.typed for signed service calls."}
)

// Kit returns the echo service built with the platform's service kit and
// its default stack; run it with Run.
func Kit(ctx context.Context, cfg runner.Config) (*runner.Service, error) {
	svc, err := runner.New(ctx, "bench-kit", cfg)
	if err != nil {
		return nil, err
	}
	rpc.Handle(svc.RPC, KitEcho, func(_ context.Context, p json.RawMessage) (json.RawMessage, error) { return p, nil })
	echo := func(_ context.Context, p KitParams) (KitParams, error) { return p, nil }
	rpc.Handle(svc.RPC, KitEchoTyped, echo)
	rpc.Handle(svc.RPC, KitEchoSigned, echo)
	return svc, nil
}
