package cmd

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/attendify/cli/internal/config"
)

func (c *CLI) runAsCmd() *cobra.Command {
	var readOnly, workers bool
	var addr, bin string
	cmd := &cobra.Command{
		Use:   "run-as PROFILE SERVICE",
		Short: "Run the local build of a service against another environment's stores and services",
		Long: "Builds the service from the working tree (go build; --bin runs a binary you built) and starts it\n" +
			"with the profile's configuration: the KEY=value lines of the profile's env file (store URLs, keys)\n" +
			"and the other services' URLs. The service then:\n" +
			"  - never migrates (DATABASE_CHECK_ONLY=true: it fails if the environment's schema is behind the build);\n" +
			"  - starts no background worker unless --workers, and its event consumers use a group and names of\n" +
			"    their own, so it never takes the environment's stream messages;\n" +
			"  - with --read-only (the default for a profile marked production) refuses every method that\n" +
			"    writes, and every upload, before its handler runs;\n" +
			"  - names the environment in every log line (run_as) and in /healthz.",
		Example: "  attendify run-as qa social\n  attendify run-as prod hub --addr 127.0.0.1:9981\n  attendify run-as qa eventwall --read-only=false --workers",
		Args:    cobra.ExactArgs(2),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, s string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return c.completeProfiles(cmd, args, s)
			}
			return config.Services, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := c.load()
			if err != nil {
				return err
			}
			name, p, err := f.Profile(args[0])
			if err != nil {
				return withCode(ExitUsage, err)
			}
			svc := args[1]
			if !slices.Contains(config.Services, svc) {
				return usagef("no service %q (one of %s)", svc, strings.Join(config.Services, ", "))
			}
			ro := p.Production
			if cmd.Flags().Changed("read-only") {
				ro = readOnly
			}
			env, err := runAsEnv(name, p, svc, ro, workers, addr)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			if bin == "" {
				if bin, err = c.build(cmd.Context(), svc); err != nil {
					return err
				}
			}
			mode := "read-write"
			if ro {
				mode = "read-only"
			}
			w := "no workers"
			if workers {
				w = "workers on"
			}
			fmt.Fprintf(c.Stderr, "run-as %s: %s (%s, %s, no migrations) on %s; Ctrl-C stops it.\n", name, svc, mode, w, addr)
			run := exec.CommandContext(cmd.Context(), bin, "serve")
			run.Env = env
			run.Stdout, run.Stderr = c.Stdout, c.Stderr
			run.Cancel = func() error { return run.Process.Signal(os.Interrupt) }
			run.WaitDelay = 30 * time.Second
			if err := run.Run(); err != nil && cmd.Context().Err() == nil {
				return fmt.Errorf("%s: %w", svc, err)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&readOnly, "read-only", false, "refuse every write (default: on for a production profile, off otherwise)")
	cmd.Flags().BoolVar(&workers, "workers", false, "start the service's background workers (relays, consumers, sweepers)")
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:0", "where the local service listens (port 0: any free port, logged)")
	cmd.Flags().StringVar(&bin, "bin", "", "run this binary instead of building the service")
	return cmd
}

// runAsEnv is the environment of a service run as profile name: this
// process's, then the profile's env file, then the other services' URLs,
// then the run-as settings, which nothing overrides.
func runAsEnv(name string, p *config.Profile, svc string, readOnly, workers bool, addr string) ([]string, error) {
	env := os.Environ()
	if p.EnvFile == "" {
		return nil, fmt.Errorf("profile %s names no env file (attendify profile set %s --env-file FILE): run-as needs its store URLs and keys", name, name)
	}
	lines, err := readEnvFile(p.EnvFile)
	if err != nil {
		return nil, err
	}
	env = append(env, lines...)
	for _, s := range config.Services {
		if u := p.URLs[s]; u != "" && s != svc {
			env = append(env, strings.ToUpper(s)+"_URL="+u)
		}
	}
	return append(env,
		"RUN_AS="+name,
		"RUN_AS_READ_ONLY="+strconv.FormatBool(readOnly),
		"RUN_AS_WORKERS="+strconv.FormatBool(workers),
		"DATABASE_CHECK_ONLY=true",
		"DATABASE_CREATE=false",
		"SHUTDOWN_DELAY=0",
		"ADDR="+addr,
	), nil
}

// readEnvFile reads KEY=value lines; blank lines and # comments are
// skipped, and quotes around a value are removed.
func readEnvFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s:%d: not KEY=value", path, n)
		}
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		out = append(out, strings.TrimSpace(k)+"="+v)
	}
	return out, sc.Err()
}

// build builds the service from the working tree into the user's cache
// directory and returns the binary's path.
func (c *CLI) build(ctx context.Context, svc string) (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	bin := filepath.Join(dir, "attendify", "run-as", svc)
	pkg := "github.com/attendify/" + svc + "/cmd/" + svc
	fmt.Fprintf(c.Stderr, "Building %s ...\n", pkg)
	b := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
	b.Stdout, b.Stderr = c.Stderr, c.Stderr
	if err := b.Run(); err != nil {
		return "", fmt.Errorf("go build %s (run-as builds from the repository's working tree; run it there, or pass --bin): %w", pkg, err)
	}
	return bin, nil
}
