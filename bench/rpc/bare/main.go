// Command bare serves the benchmark's echo call with bare net/http and
// encoding/json: the baseline of the RPC benchmark (no validation, no logging,
// no metrics).
//
//	go run ./bench/rpc/bare -addr 127.0.0.1:8080
//
// It answers POST /rpc (JSON-RPC 2.0, method "echo") until SIGINT or SIGTERM,
// then shuts down gracefully; a second signal ends it at once.
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
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	return echo.Run(ctx, "bare", os.Args[1:], os.Stderr, echo.Bare())
}
