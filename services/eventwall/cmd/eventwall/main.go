// Command eventwall runs the eventwall service: `eventwall serve` (the
// default), `eventwall migrate` (bring the Postgres schema up to date and
// exit), or `eventwall demo` (create a public wall for hub's demo event
// through eventwall's API and print its URL as JSON).
package main

import (
	"context"
	"os"

	"github.com/attendify/eventwall/demo"
	"github.com/attendify/eventwall/internal/app"
	"github.com/attendify/platform/runner"
)

func main() { runner.Main(run) }

func run(ctx context.Context) error {
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	return runner.Commands{
		"serve": func(ctx context.Context) error {
			s, err := app.New(ctx, cfg)
			if err != nil {
				return err
			}
			return s.Run(ctx)
		},
		"migrate": func(ctx context.Context) error { return app.Migrate(ctx, cfg) },
		"demo":    func(ctx context.Context) error { return demo.Run(ctx, os.Stdout) },
	}.Run(ctx)
}
