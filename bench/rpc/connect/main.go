// Command connect serves the benchmark's echo call with connect-go: a unary
// procedure with structpb.Struct messages; a POST with Content-Type
// application/json uses connect's JSON codec.
//
//	go run ./bench/rpc/connect -addr 127.0.0.1:8080
//
// It answers POST /bench.Echo/Echo until SIGINT or SIGTERM, then shuts down
// gracefully; a second signal ends it at once.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/attendify/bench/rpc/echo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop) // restore default handling: a second signal kills
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "connect:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	return echo.Run(ctx, "connect", os.Args[1:], os.Stderr, echo.Connect())
}
