package dev_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// load parses and validates a compose file the way `docker compose` does
// (schema, interpolation, consistency of references).
func load(t *testing.T, path string) (*types.Project, error) {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  filepath.Dir(abs),
		ConfigFiles: []types.ConfigFile{{Filename: abs}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SetProjectName("attendify", true) })
}

// stores are the data stores the file must declare: image, published
// loopback port.
var stores = map[string]struct {
	image string
	port  string
}{
	"postgres": {"postgres:", "5432"},
	"redis":    {"redis:", "6379"},
	"couchdb":  {"couchdb:", "5984"},
	"riak":     {"basho/riak-kv:", "8087"},
}

func TestComposeFile(t *testing.T) {
	project, err := load(t, "../docker-compose.yml")
	if err != nil {
		t.Fatalf("docker-compose.yml is not a valid compose file: %v", err)
	}
	for name, want := range stores {
		t.Run(name, func(t *testing.T) {
			svc, ok := project.Services[name]
			if !ok {
				t.Fatalf("no service %q", name)
			}
			if !strings.HasPrefix(svc.Image, want.image) {
				t.Errorf("image %q; want the official %s image", svc.Image, strings.TrimSuffix(want.image, ":"))
			}
			hc := svc.HealthCheck
			if hc == nil || hc.Disable || len(hc.Test) == 0 || hc.Test[0] == "NONE" {
				t.Errorf("no health check")
			}
			published := slices.ContainsFunc(svc.Ports, func(p types.ServicePortConfig) bool {
				return p.Published == want.port && p.HostIP == "127.0.0.1"
			})
			if !published {
				t.Errorf("port %s not published on 127.0.0.1: %+v", want.port, svc.Ports)
			}
		})
	}
}

// TestComposeMounts: every file the stack mounts from the repository exists
// (a renamed script would otherwise break `docker compose up` only).
func TestComposeMounts(t *testing.T) {
	project, err := load(t, "../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for name, svc := range project.Services {
		for _, v := range svc.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			n++
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("service %s mounts %s: %v", name, v.Source, err)
			}
		}
	}
	if n == 0 {
		t.Error("no bind mounts found; the set-up scripts are not mounted")
	}
}

// TestComposeInvalid shows that load rejects broken files, so that
// TestComposeFile can fail.
func TestComposeInvalid(t *testing.T) {
	for name, body := range map[string]string{
		"bad yaml":          "services:\n  a: [\n",
		"unknown key":       "services:\n  a:\n    image: redis\n    helthcheck:\n      test: [CMD, true]\n",
		"no image or build": "services:\n  a:\n    ports: [\"1:1\"]\n",
		"undefined volume":  "services:\n  a:\n    image: redis\n    volumes: [\"nope:/data\"]\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "docker-compose.yml")
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := load(t, path); err == nil {
				t.Errorf("loaded without error:\n%s", body)
			}
		})
	}
}
