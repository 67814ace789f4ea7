// Command social runs the social service: `social serve` (the default),
// `social migrate` (bring the Postgres schema up to date and exit), or
// `social demo` (fill the demo app of $DEMO_DIR/hub.json with a lively feed
// through social's API at $SOCIAL_URL, and print a JSON summary).
package main

import (
	"context"
	"fmt"
	"os"

	platform "github.com/attendify/platform/service"
	"github.com/attendify/social/demo"
	"github.com/attendify/social/internal/app"
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
