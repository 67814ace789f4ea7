// Command importer runs the importer service: `importer serve` (the
// default), `importer migrate` (apply the importer's and River's
// migrations, then exit), or `importer demo` (load the demo workbook into
// the demo app of `make run` through the importer's own API and print a
// JSON summary).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/attendify/importer/internal/app"
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
	case "serve":
		return app.Serve(ctx, cfg)
	case "migrate":
		return app.Migrate(ctx, cfg)
	case "demo":
		return app.Demo(ctx, cfg, os.Stdout)
	}
	return fmt.Errorf("unknown command %q: want serve, migrate or demo", cmd)
}
