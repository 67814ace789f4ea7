// Command social runs the social service: `social serve` (the default),
// `social migrate` (bring the Postgres schema up to date and exit), or
// `social demo` (fill the demo app of $DEMO_DIR/hub.json with a lively feed
// through social's API at $SOCIAL_URL, and print a JSON summary).
package main

import (
	"context"
	"os"

	"github.com/attendify/platform/runner"
	"github.com/attendify/social/demo"
	"github.com/attendify/social/internal/app"
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
