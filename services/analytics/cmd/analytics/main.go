// Command analytics runs the analytics service: `analytics serve` (the
// default), `analytics migrate` (bring the Postgres schema up to date and
// exit), or `analytics demo` (send a simulated event day of app activity
// for the demo app of $DEMO_DIR/hub.json to $ANALYTICS_URL, and print a
// JSON summary with the dashboard's link).
package main

import (
	"context"
	"os"

	"github.com/attendify/analytics/demo"
	"github.com/attendify/analytics/internal/app"
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
			a, err := app.New(ctx, cfg)
			if err != nil {
				return err
			}
			return a.Run(ctx)
		},
		"migrate": func(ctx context.Context) error { return app.Migrate(ctx, cfg) },
		"demo": func(ctx context.Context) error {
			return demo.Run(ctx, demo.Config{Dir: cfg.DemoDir, URL: cfg.URL}, os.Stdout)
		},
	}.Run(ctx)
}
