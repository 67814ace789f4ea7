package servicetest

import (
	"log/slog"
	"testing"

	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/runner"
)

// From the defaults a service reads from the environment, Config makes
// the test's configuration, and leaves the rest as it was.
func TestConfig(t *testing.T) {
	type serviceConfig struct {
		Service runner.Config
		PG      pg.Config
	}
	cfg, err := runner.LoadConfig[serviceConfig]("ADDR=127.0.0.1:8081", "SHUTDOWN_DELAY=5s", "RPC_ACCESS_LOG=true", "SHED_DISABLED=false", "DATABASE_CREATE=true", "LOG_LEVEL=INFO")
	if err != nil {
		t.Fatal(err)
	}
	want := cfg
	want.Service.Addr = "127.0.0.1:0"
	want.Service.AccessLog = false
	want.Service.ShedDisabled = true
	want.Service.ShutdownDelay = 0
	want.Service.Log.Level = slog.LevelWarn
	want.PG.Create = false
	Config(&cfg.Service, &cfg.PG)
	if cfg.Service.Addr != want.Service.Addr || cfg.Service.AccessLog || !cfg.Service.ShedDisabled ||
		cfg.Service.ShutdownDelay != 0 || cfg.Service.Log.Level != slog.LevelWarn || cfg.PG.Create {
		t.Errorf("test configuration = %+v, want %+v", cfg.Service, want.Service)
	}
	if cfg.Service.ShutdownTimeout != want.Service.ShutdownTimeout || cfg.Service.MaxBodyBytes != want.Service.MaxBodyBytes || cfg.PG.URL != want.PG.URL {
		t.Error("Config changed what a test does not need changed")
	}
}
