// Command attendify is the Attendify command line for organizers and the
// engineers who run the services: sign in to an environment, run common
// tasks, call any method, import spreadsheets, follow a wall, and run a
// local build of a service against another environment (run-as). See
// cli/README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/attendify/cli/internal/cmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cmd.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
