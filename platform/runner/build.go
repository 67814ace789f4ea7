package runner

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
	_ "time/tzdata" // zone data in every service binary: images FROM scratch have no /usr/share/zoneinfo

	"github.com/prometheus/client_golang/prometheus"
)

// The build's identity, stamped at link time by `make release`:
//
//	go build -ldflags "-X github.com/attendify/platform/runner.buildVersion=v1.4.0 \
//		-X github.com/attendify/platform/runner.buildCommit=$(git rev-parse HEAD) \
//		-X github.com/attendify/platform/runner.buildDate=2026-12-06T11:00:00Z"
var (
	buildVersion string
	buildCommit  string
	buildDate    string
)

// BuildInfo says which build of a service runs: what `-version` prints,
// the /healthz body carries and the build_info metric is labelled with.
type BuildInfo struct {
	// Version is the release (a tag such as v1.4.0, or git describe's
	// output); SERVICE_VERSION, then "dev", when the binary was not stamped.
	Version string `json:"version"`
	// Commit is the git revision, Date the build time (RFC 3339, UTC);
	// without a stamp, what the Go toolchain recorded of the checkout, if
	// anything.
	Commit string `json:"commit"`
	Date   string `json:"date"`
	Go     string `json:"go"`
}

// Build returns this binary's build identity.
func Build() BuildInfo {
	b := BuildInfo{Version: buildVersion, Commit: buildCommit, Date: buildDate, Go: runtime.Version()}
	if b.Version == "" {
		b.Version = os.Getenv("SERVICE_VERSION")
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	if info, ok := debug.ReadBuildInfo(); ok && (b.Commit == "" || b.Date == "") {
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && b.Commit == "":
				b.Commit = s.Value
			case s.Key == "vcs.time" && b.Date == "":
				b.Date = s.Value
			}
		}
	}
	return b
}

func version() string { return Build().Version }

// buildInfoMetric is the build_info gauge: always 1, its labels name the
// build, so that a dashboard shows which version each instance runs.
func buildInfoMetric(service string) prometheus.Collector {
	b := Build()
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "build_info",
		Help: "The running build: always 1, labelled with its version, commit, build date and Go version.",
		ConstLabels: prometheus.Labels{
			"service": service, "version": b.Version, "commit": b.Commit, "date": b.Date, "goversion": b.Go,
		},
	})
	g.Set(1)
	return g
}

// serveHealth answers /healthz: the process is alive, and which build it is.
func (s *Service) serveHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(struct {
		Status  string `json:"status"`
		Service string `json:"service"`
		BuildInfo
		*runAsStatus // the environment a run-as process runs against (runas.go)
	}{"ok", s.Name, Build(), s.runAsStatus()})
}

// builtin runs the commands every service binary has whatever its own
// ones, before its configuration is read: `-version` (also `--version`,
// `version`) prints the build, `healthcheck` probes the running service
// (the image's HEALTHCHECK). handled is false for any other arguments.
func builtin(ctx context.Context, args []string, stdout io.Writer) (handled bool, err error) {
	if len(args) == 0 {
		return false, nil
	}
	switch args[0] {
	case "-version", "--version", "version":
		b := Build()
		_, err := fmt.Fprintf(stdout, "%s %s commit %s built %s %s %s/%s\n",
			programName(), b.Version, orNone(b.Commit), orNone(b.Date), b.Go, runtime.GOOS, runtime.GOARCH)
		return true, err
	case "healthcheck":
		return true, healthcheck(ctx, args[1:], os.Getenv("ADDR"))
	}
	return false, nil
}

// healthcheck GETs the service's /healthz (or /readyz with -ready) and
// fails unless it answers 200. The service is found at -url, else at ADDR
// (an unspecified host such as 0.0.0.0 is reached on loopback). It needs
// no shell nor curl, so that an image FROM scratch can run it.
func healthcheck(ctx context.Context, args []string, addr string) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	ready := fs.Bool("ready", false, "probe /readyz (the stores are reachable) instead of /healthz (the process serves)")
	base := fs.String("url", "", "the service's base URL (default: from ADDR)")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *base == "" {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("healthcheck: no -url, and ADDR %q is not host:port", addr)
		}
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			host = "127.0.0.1"
		}
		*base = "http://" + net.JoinHostPort(host, port)
	}
	path := "/healthz"
	if *ready {
		path = "/readyz"
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(*base, "/")+path, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %d: %s", req.URL, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

// programName is the command's name: the last element of its main
// package's path (github.com/attendify/hub/cmd/hub is hub), whatever the
// file is called (the images start every service as /service), else the
// file's name.
func programName() string {
	name := os.Args[0]
	if info, ok := debug.ReadBuildInfo(); ok && info.Path != "" && info.Path != "command-line-arguments" {
		name = info.Path
	}
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return name
}

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
