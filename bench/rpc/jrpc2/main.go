// Command jrpc2 serves the benchmark's echo call with creachadair/jrpc2 behind
// its HTTP bridge (jhttp.Bridge).
//
//	go run ./bench/rpc/jrpc2 -addr 127.0.0.1:8080
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
		fmt.Fprintln(os.Stderr, "jrpc2:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	h, closeBridge := echo.JRPC2()
	if err := echo.Run(ctx, "jrpc2", os.Args[1:], os.Stderr, h); err != nil {
		_ = closeBridge()
		return err
	}
	return closeBridge()
}
