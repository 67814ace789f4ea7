package echo

import (
	"context"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/runner"
)

// KitParams are the echo params as a kit method declares them: the same
// JSON, with the constraints the kit validates before the handler runs.
type KitParams struct {
	Text string `json:"text" jsonschema:"maxLength=1000"`
	N    int    `json:"n"`
}

// The kit's echo methods.
var (
	KitEcho       = rpc.Method[KitParams, KitParams]{Name: Method, Auth: auth.Public, Idempotent: true, Summary: "Returns its params unchanged."}
	KitEchoSigned = rpc.Method[KitParams, KitParams]{Name: "echo.signed", Auth: auth.Service, Idempotent: true, Summary: "echo for signed service calls."}
)

// Kit returns the echo service built with the platform's service kit and
// its default stack; run it with Run.
func Kit(ctx context.Context, cfg runner.Config) (*runner.Service, error) {
	svc, err := runner.New(ctx, "bench-kit", cfg)
	if err != nil {
		return nil, err
	}
	echo := func(_ context.Context, p KitParams) (KitParams, error) { return p, nil }
	rpc.Handle(svc.RPC, KitEcho, echo)
	rpc.Handle(svc.RPC, KitEchoSigned, echo)
	return svc, nil
}
