// Command hub runs the hub service: `hub serve` (the default) or
// `hub migrate` (apply the database migrations and exit).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/attendify/hub/internal/app"
	"github.com/attendify/platform/service"
)

func main() { service.Main(run) }

func run(ctx context.Context) error {
	cmd := "serve"
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	switch cmd {
	case "migrate":
		return app.Migrate(ctx, cfg)
	case "serve":
		h, err := app.New(ctx, cfg)
		if err != nil {
			return err
		}
		return h.Run(ctx)
	}
	return fmt.Errorf("unknown command %q: want serve or migrate", cmd)
}
