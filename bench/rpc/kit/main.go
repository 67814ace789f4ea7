// Command kit serves the benchmark's echo call with the platform's service
// kit and its full default stack: JSON-RPC 2.0 with schema validation, request
// ids, an access log line per call, Prometheus metrics, tracing propagation,
// the adaptive load shedder and authentication.
//
//	go run ./bench/rpc/kit -addr 127.0.0.1:8080
//
// Methods: "echo" (public) returns its params unchanged; "echo.signed" does the
// same for signed service calls only (HMAC-SHA256, nonce checked in Redis),
// for the kit-hmac row of the benchmark, and in a service session (checked in
// the server's memory) for the kit-session row. It needs Redis (REDIS_URL) like every
// service. Logs go to stdout, as in production.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"

	"github.com/attendify/bench/rpc/echo"
	"github.com/attendify/platform/runner"
)

func main() { runner.Main(run) }

func run(ctx context.Context) error {
	fs := flag.NewFlagSet("kit", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address `HOST:PORT`")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return err
	}
	cfg, err := runner.LoadConfig[runner.Config]()
	if err != nil {
		return err
	}
	cfg.Addr = *addr
	svc, err := echo.Kit(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "listening addr=%s gomaxprocs=%d\n", svc.Addr(), runtime.GOMAXPROCS(0))
	return svc.Run(ctx)
}
