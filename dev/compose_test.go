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

// TestComposeServices: every service is built from the one Dockerfile with
// its name and port (the Makefile's IMAGE_PORTS, its ADDR here), has a
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
	ports := imagePorts(t)
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
			port, ok := ports[name]
			if !ok {
				t.Errorf("%s has no port in the Makefile's IMAGE_PORTS (make images stops)", name)
			}
			for _, s := range []types.ServiceConfig{svc, migrate} {
				checkBuilt(t, s, name, port)
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
			if hc == nil || len(hc.Test) < 3 || hc.Test[0] != "CMD" || hc.Test[1] != imageBinary || hc.Test[2] != "healthcheck" {
				t.Errorf("health check %+v; want [CMD %s healthcheck ...] (the image has no shell)", hc, imageBinary)
			}
			if addr := svc.Environment["ADDR"]; addr == nil || *addr != "0.0.0.0:"+port {
				t.Errorf("ADDR %v; want 0.0.0.0:%s (its port, reachable from the other containers)", addr, port)
			}
		})
	}
}

// The Dockerfile every service's image is built from (make images,
// docker-compose.yml), and where it puts the service's binary.
const (
	dockerfile  = "deploy/Dockerfile"
	imageBinary = "/service"
)

// checkBuilt: s is built from the one Dockerfile, which exists, with the
// service's name and port as build args.
func checkBuilt(t *testing.T, s types.ServiceConfig, name, port string) {
	t.Helper()
	if s.Build == nil || s.Build.Dockerfile != dockerfile {
		t.Errorf("%s: build %+v; want dockerfile %s", s.Name, s.Build, dockerfile)
		return
	}
	if _, err := os.Stat(filepath.Join(s.Build.Context, s.Build.Dockerfile)); err != nil {
		t.Errorf("%s: %v", s.Name, err)
	}
	for arg, want := range map[string]string{"SERVICE": name, "PORT": port} {
		if got := s.Build.Args[arg]; got == nil {
			t.Errorf("%s: no build arg %s; want %q", s.Name, arg, want)
		} else if *got != want {
			t.Errorf("%s: build arg %s = %q; want %q", s.Name, arg, *got, want)
		}
	}
}

// imagePorts reads the Makefile's IMAGE_PORTS (service=port ...), the ports
// make images builds the images with.
func imagePorts(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^IMAGE_PORTS :?= (.*)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no IMAGE_PORTS in the Makefile")
	}
	ports := map[string]string{}
	for _, kv := range strings.Fields(string(m[1])) {
		name, port, _ := strings.Cut(kv, "=")
		ports[name] = port
	}
	return ports
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

// TestDockerfile: every service's image is FROM scratch (nothing pulled),
// runs as a numeric non-root user, carries the OCI labels, and checks its
// health with its own binary, copied to the one path the exec forms of
// ENTRYPOINT and HEALTHCHECK name (they expand no build arg).
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../" + dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	bin := regexp.QuoteMeta(imageBinary)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^FROM scratch$`),
		regexp.MustCompile(`(?m)^ARG SERVICE$`),
		regexp.MustCompile(`(?m)^ARG PORT$`),
		regexp.MustCompile(`(?m)^USER [1-9][0-9]*:[1-9][0-9]*$`),
		regexp.MustCompile(`(?m)^COPY dist/linux_\$\{TARGETARCH\}/\$\{SERVICE[^}]*\} ` + bin + `$`),
		regexp.MustCompile(`(?m)^HEALTHCHECK .*CMD \["` + bin + `", "healthcheck"\]$`),
		regexp.MustCompile(`(?m)^ENTRYPOINT \["` + bin + `"\]$`),
		regexp.MustCompile(`(?m)^ENV ADDR=0\.0\.0\.0:\$\{PORT\}$`),
		regexp.MustCompile(`(?m)^EXPOSE \$\{PORT\}$`),
		regexp.MustCompile(`(?m)^COPY .*ca-certificates\.crt /etc/ssl/certs/ca-certificates\.crt$`),
		regexp.MustCompile(`org\.opencontainers\.image\.title="attendify-\$\{SERVICE\}"`),
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
}
