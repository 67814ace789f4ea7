// Command hub runs the hub service: `hub serve` (the default), `hub migrate`
// (apply the database migrations and exit) or `hub demo` (load the demo app
// into the hub at HUB_URL through its own API and print what was made as
// JSON, for `make run`).
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/attendify/hub/demo"
	"github.com/attendify/hub/internal/app"
	"github.com/attendify/platform/rpc"
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
			h, err := app.New(ctx, cfg)
			if err != nil {
				return err
			}
			return h.Run(ctx)
		},
		"migrate": func(ctx context.Context) error { return app.Migrate(ctx, cfg) },
		"demo":    func(ctx context.Context) error { return seed(ctx, cfg) },
	}.Run(ctx)
}

// demoConfig locates the hub to seed.
type demoConfig struct {
	Hub rpc.ClientConfig `envPrefix:"HUB_"`
}

func seed(ctx context.Context, cfg app.Config) error {
	dc, err := runner.LoadConfig[demoConfig]()
	if err != nil {
		return err
	}
	if len(dc.Hub.URLs) == 0 {
		dc.Hub.URLs = []string{"http://" + cfg.Service.Addr}
	}
	client, err := rpc.NewClient(rpc.ClientOptions{Endpoints: dc.Hub.URLs})
	if err != nil {
		return err
	}
	auth := cfg.Service.Auth
	if auth.ServiceName == "" {
		auth.ServiceName = "hub-demo"
	}
	signer, err := auth.Signer()
	if err != nil {
		return err
	}
	signed, err := rpc.NewClient(rpc.ClientOptions{Endpoints: dc.Hub.URLs, Signer: &signer})
	if err != nil {
		return err
	}
	info, err := demo.Seed(ctx, client, demo.Options{Service: signed, BaseURL: dc.Hub.URLs[0]})
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(info)
}
