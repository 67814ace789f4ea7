// Command eventwall runs the eventwall service: `eventwall serve` (the
// default), `eventwall migrate` (bring the Postgres schema up to date and
// exit), or `eventwall demo` (create a public wall for hub's demo event
// through eventwall's API and print its URL as JSON).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/attendify/eventwall/demo"
	"github.com/attendify/eventwall/internal/app"
	platform "github.com/attendify/platform/service"
)

func main() { platform.Main(run) }

func run(ctx context.Context) error {
	cmd := "serve"
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	switch cmd {
	case "serve":
		cfg, err := app.LoadConfig()
		if err != nil {
			return err
		}
		s, err := app.New(ctx, cfg)
		if err != nil {
			return err
		}
		return s.Run(ctx)
	case "migrate":
		cfg, err := app.LoadConfig()
		if err != nil {
			return err
		}
		return app.Migrate(ctx, cfg)
	case "demo":
		return demo.Run(ctx, os.Stdout)
	}
	return fmt.Errorf("unknown command %q: want serve, migrate or demo", cmd)
}
