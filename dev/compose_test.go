package dev_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
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

// appServices are the application services and the stores each one uses.
var appServices = map[string][]string{
	"hub":        {"postgres", "redis"},
	"importer":   {"postgres", "redis"},
	"social":     {"postgres", "redis", "couchdb"},
	"sponsored":  {"postgres", "redis"},
	"analytics":  {"postgres", "redis"},
	"eventwall":  {"postgres", "redis", "couchdb"},
	"multievent": {"postgres", "redis", "couchdb"},
}

// secretName matches the variables that hold secrets.
var secretName = regexp.MustCompile(`PASSWORD|SECRET|TOKEN|_KEYS?$|WEBHOOK`)

// TestComposeServices: every service is built from its Dockerfile, has a
// health check run by its own binary, waits for the stores it uses to be
// healthy and for its one-shot migrate step to have succeeded, and takes
// its configuration from the environment with no secret in the file.
func TestComposeServices(t *testing.T) {
	project, err := load(t, "../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("../services")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, listed := appServices[e.Name()]; e.IsDir() && !listed {
			t.Errorf("services/%s is not in appServices (nor, then, checked in docker-compose.yml)", e.Name())
		}
	}
	for name, stores := range appServices {
		t.Run(name, func(t *testing.T) {
			svc, ok := project.Services[name]
			if !ok {
				t.Fatalf("no service %q", name)
			}
			migrate, ok := project.Services[name+"-migrate"]
			if !ok {
				t.Fatalf("no one-shot %s-migrate step", name)
			}
			for _, s := range []types.ServiceConfig{svc, migrate} {
				checkBuilt(t, s, name)
				checkNoSecrets(t, s)
				for _, store := range stores {
					if d, ok := s.DependsOn[store]; !ok || d.Condition != types.ServiceConditionHealthy {
						t.Errorf("%s: depends_on %s: %+v; want condition service_healthy", s.Name, store, d)
					}
				}
			}
			if strings.Join(migrate.Command, " ") != "migrate" {
				t.Errorf("%s-migrate runs %q; want migrate", name, migrate.Command)
			}
			if migrate.Restart != "no" {
				t.Errorf("%s-migrate restart %q; want no (one-shot)", name, migrate.Restart)
			}
			if d := svc.DependsOn[name+"-migrate"]; d.Condition != types.ServiceConditionCompletedSuccessfully {
				t.Errorf("depends_on %s-migrate: %+v; want service_completed_successfully", name, d)
			}
			hc := svc.HealthCheck
			if hc == nil || len(hc.Test) < 3 || hc.Test[0] != "CMD" || hc.Test[1] != "/"+name || hc.Test[2] != "healthcheck" {
				t.Errorf("health check %+v; want [CMD /%s healthcheck ...] (the image has no shell)", hc, name)
			}
			if addr := svc.Environment["ADDR"]; addr == nil || !strings.HasPrefix(*addr, "0.0.0.0:") {
				t.Errorf("ADDR %v; want 0.0.0.0:<port> (reachable from the other containers)", addr)
			}
		})
	}
}

func checkBuilt(t *testing.T, s types.ServiceConfig, name string) {
	t.Helper()
	want := "services/" + name + "/Dockerfile"
	if s.Build == nil || s.Build.Dockerfile != want {
		t.Errorf("%s: build %+v; want dockerfile %s", s.Name, s.Build, want)
		return
	}
	if _, err := os.Stat(filepath.Join(s.Build.Context, s.Build.Dockerfile)); err != nil {
		t.Errorf("%s: %v", s.Name, err)
	}
}

// checkNoSecrets: a secret variable has no value in the file (compose takes
// it from the shell or .env), and no URL carries a password.
func checkNoSecrets(t *testing.T, s types.ServiceConfig) {
	t.Helper()
	for k, v := range s.Environment {
		if v == nil {
			continue
		}
		if secretName.MatchString(k) {
			t.Errorf("%s: %s has a value in the file; leave it empty (from the environment)", s.Name, k)
		}
		if u, err := url.Parse(*v); err == nil && u.User != nil {
			if _, set := u.User.Password(); set {
				t.Errorf("%s: %s carries a password", s.Name, k)
			}
		}
	}
}

// TestDockerfiles: each service's image is FROM scratch (nothing pulled),
// runs as a numeric non-root user, carries the OCI labels, and checks its
// health with its own binary.
func TestDockerfiles(t *testing.T) {
	for name := range appServices {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile("../services/" + name + "/Dockerfile")
			if err != nil {
				t.Fatal(err)
			}
			df := string(b)
			for _, want := range []*regexp.Regexp{
				regexp.MustCompile(`(?m)^FROM scratch$`),
				regexp.MustCompile(`(?m)^USER [1-9][0-9]*:[1-9][0-9]*$`),
				regexp.MustCompile(`(?m)^HEALTHCHECK .*CMD \["/` + name + `", "healthcheck"\]$`),
				regexp.MustCompile(`(?m)^ENTRYPOINT \["/` + name + `"\]$`),
				regexp.MustCompile(`(?m)^COPY .*ca-certificates\.crt /etc/ssl/certs/ca-certificates\.crt$`),
				regexp.MustCompile(`org\.opencontainers\.image\.version=`),
				regexp.MustCompile(`org\.opencontainers\.image\.revision=`),
				regexp.MustCompile(`org\.opencontainers\.image\.source=`),
			} {
				if !want.MatchString(df) {
					t.Errorf("no line matching %s", want)
				}
			}
			if n := len(regexp.MustCompile(`(?m)^FROM `).FindAllString(df, -1)); n != 1 {
				t.Errorf("%d FROM lines; want one stage, FROM scratch", n)
			}
		})
	}
}
