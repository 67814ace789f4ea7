// Command sponsored runs the sponsored service: `sponsored serve` (the
// default), `sponsored migrate` (bring the Postgres schema up to date and
// exit), or `sponsored demo` (two campaigns in hub's demo app through
// sponsored's API; prints JSON with the sponsor's report page).
package main

import (
	"context"
	"os"
	_ "time/tzdata" // flights name IANA zones; images FROM scratch have none

	"github.com/attendify/platform/runner"
	"github.com/attendify/sponsored/demo"
	"github.com/attendify/sponsored/internal/app"
)

func main() { runner.Main(run) }

func run(ctx context.Context) error {
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	return runner.Commands{
		"serve": func(ctx context.Context) error {
			s, err := app.New(ctx, cfg, app.Options{})
			if err != nil {
				return err
			}
			return s.Run(ctx)
		},
		"migrate": func(ctx context.Context) error { return app.Migrate(ctx, cfg) },
		"demo":    func(ctx context.Context) error { return demo.Run(ctx, os.Stdout) },
	}.Run(ctx)
}
