// Command multievent runs the multievent service: `multievent serve` (the
// default), `multievent migrate` (bring the Postgres schema up to date and
// exit), `multievent rebuild` (rebuild the projection of hub's events and
// the content databases from hub, then exit) or `multievent demo` (bookmark
// a few sessions for hub's demo member and print their iCalendar URL as
// JSON).
package main

import (
	"context"
	"os"

	"github.com/attendify/multievent/demo"
	"github.com/attendify/multievent/internal/app"
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
			m, err := app.New(ctx, cfg)
			if err != nil {
				return err
			}
			return m.Run(ctx)
		},
		"migrate": func(ctx context.Context) error { return app.Migrate(ctx, cfg) },
		"rebuild": func(ctx context.Context) error { return app.Rebuild(ctx, cfg) },
		"demo":    func(ctx context.Context) error { return demo.Run(ctx, os.Stdout) },
	}.Run(ctx)
}
