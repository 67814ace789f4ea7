// Command importer runs the importer service: `importer serve` (the
// default), `importer migrate` (apply the importer's and River's
// migrations, then exit), or `importer demo` (load the demo workbook into
// the demo app of `make run` through the importer's own API and print a
// JSON summary).
package main

import (
	"context"
	"os"

	"github.com/attendify/importer/internal/app"
	"github.com/attendify/platform/runner"
)

func main() { runner.Main(run) }

func run(ctx context.Context) error {
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	return runner.Commands{
		"serve":   func(ctx context.Context) error { return app.Serve(ctx, cfg) },
		"migrate": func(ctx context.Context) error { return app.Migrate(ctx, cfg) },
		"demo":    func(ctx context.Context) error { return app.Demo(ctx, cfg, os.Stdout) },
	}.Run(ctx)
}
