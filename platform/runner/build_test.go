package runner

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStampedBinary links a service main the way `make release` does and
// checks what the stamps become: `-version` prints them, and the
// healthcheck command's exit status follows the service's answer.
func TestStampedBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "stamped")
	const pkg = "github.com/attendify/platform/runner"
	ldflags := "-X " + pkg + ".buildVersion=v9.8.7 -X " + pkg + ".buildCommit=abc123 -X " + pkg + ".buildDate=2026-12-06T10:00:00Z"
	build := exec.Command("go", "build", "-ldflags", ldflags, "-o", bin, "./testdata/stamped")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, arg := range []string{"-version", "--version", "version"} {
		out, err := exec.Command(bin, arg).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", arg, err, out)
		}
		for _, want := range []string{"stamped v9.8.7", "commit abc123", "built 2026-12-06T10:00:00Z"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("%s printed %q; want %q in it", arg, out, want)
			}
		}
	}
	// The images start every service's binary as /service (deploy/Dockerfile):
	// it still names itself after its command, not after the file.
	cmd := exec.Command(bin, "version")
	cmd.Args[0] = "/service"
	if out, err := cmd.CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "stamped v9.8.7 ") {
		t.Errorf("version as /service printed %q (%v); want it to start with %q", out, err, "stamped v9.8.7 ")
	}

	var readyCode = http.StatusServiceUnavailable
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.WriteHeader(http.StatusOK)
		case "/readyz":
			w.WriteHeader(readyCode)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	_, port, _ := strings.Cut(addr, ":")
	for _, tc := range []struct {
		name string
		args []string
		env  string
		ok   bool
	}{
		{"healthz from ADDR", []string{"healthcheck"}, "ADDR=" + addr, true},
		{"unspecified host is loopback", []string{"healthcheck"}, "ADDR=0.0.0.0:" + port, true},
		{"readyz failing", []string{"healthcheck", "-ready"}, "ADDR=" + addr, false},
		{"url flag", []string{"healthcheck", "-url", srv.URL}, "ADDR=", true},
		{"nothing listening", []string{"healthcheck"}, "ADDR=127.0.0.1:1", false},
		{"no address", []string{"healthcheck"}, "ADDR=", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			cmd.Env = append(cmd.Environ(), tc.env)
			out, err := cmd.CombinedOutput()
			if (err == nil) != tc.ok {
				t.Errorf("exit error %v, want ok=%v\n%s", err, tc.ok, out)
			}
		})
	}
}

// TestBuildInfoServed: /healthz and the build_info metric name the build.
func TestBuildInfoServed(t *testing.T) {
	saved := [3]string{buildVersion, buildCommit, buildDate}
	buildVersion, buildCommit, buildDate = "v1.2.3", "deadbeef", "2026-12-06T09:00:00Z"
	t.Cleanup(func() { buildVersion, buildCommit, buildDate = saved[0], saved[1], saved[2] })

	svc, stop := startProbe(t, Config{})
	defer stop()
	resp, err := http.Get(svc.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct{ Status, Service, Version, Commit, Date string }
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if h.Status != "ok" || h.Service != "probe" || h.Version != "v1.2.3" || h.Commit != "deadbeef" || h.Date != "2026-12-06T09:00:00Z" {
		t.Errorf("/healthz = %+v", h)
	}
	mfs, err := svc.Metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		if mf.GetName() != "build_info" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			found = m.GetGauge().GetValue() == 1 && labels["version"] == "v1.2.3" &&
				labels["commit"] == "deadbeef" && labels["service"] == "probe"
		}
	}
	if !found {
		t.Error("no build_info{service=probe,version=v1.2.3,commit=deadbeef} 1 metric")
	}
}

// quietConfig is the environment's configuration with errors only in the
// log and no shutdown delay.
func quietConfig(t *testing.T) Config {
	t.Helper()
	cfg, err := LoadConfig[Config]()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Log.Level = 8 // errors only
	cfg.ShutdownDelay = 0
	return cfg
}

// startProbe runs a service named probe with cfg (quiet, no shutdown
// delay, on a free port) until stop.
func startProbe(t *testing.T, cfg Config) (*Service, func() error) {
	t.Helper()
	base := quietConfig(t)
	base.ShutdownTimeout = 5 * time.Second
	base.Deploy = cfg.Deploy
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := New(ctx, "probe", base)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- svc.Run(ctx) }()
	return svc, func() error { cancel(); return <-errc }
}
