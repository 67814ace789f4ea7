// Command stack runs the whole Attendify stack on one machine, for `make run`:
// it builds every service, migrates each one's schema, starts them on their
// local addresses, waits until each is ready, loads the demo data through the
// services' own APIs, prints the URLs and demo credentials, and stops
// everything (SIGTERM, then a drain) on Ctrl-C.
//
// Run from the repository root after `make services`:
//
//	go run ./dev/cmd/stack
//
// Each service's binary answers three subcommands: `serve` (the default),
// `migrate`, and `demo`, which seeds demo data through the service's RPC API
// (the service's URL in <NAME>_URL) and prints a JSON object. The stack runs
// the demos in the order below; each demo finds the earlier ones' output in
// DEMO_DIR (hub.json, importer.json, ...). Logs: .run/logs/<service>.log.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// services in start and demo order, with their local addresses and those
// of their admin listeners (metrics).
var services = []struct{ name, addr, admin string }{
	{"hub", "127.0.0.1:8081", "127.0.0.1:9081"},
	{"importer", "127.0.0.1:8082", "127.0.0.1:9082"},
	{"social", "127.0.0.1:8083", "127.0.0.1:9083"},
	{"sponsored", "127.0.0.1:8084", "127.0.0.1:9084"},
	{"analytics", "127.0.0.1:8085", "127.0.0.1:9085"},
	{"eventwall", "127.0.0.1:8086", "127.0.0.1:9086"},
	{"multievent", "127.0.0.1:8087", "127.0.0.1:9087"},
}

func main() {
	restore := takeTerminal()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	restore()
	if err != nil {
		fmt.Fprintln(os.Stderr, "stack:", err)
		os.Exit(1)
	}
}

type proc struct {
	name  string
	url   string
	admin string // the admin listener's URL
	cmd   *exec.Cmd
	done  chan error
}

func run(ctx context.Context) error {
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		return errors.New("run from the repository root (where go.work is)")
	}
	runDir := filepath.Join(root, ".run")
	binDir := filepath.Join(runDir, "bin")
	logDir := filepath.Join(runDir, "logs")
	demoDir := filepath.Join(runDir, "demo")
	for _, d := range []string{binDir, logDir, demoDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}

	// No balancer watches the services' readiness here: they stop without
	// the shutdown delay (unless SHUTDOWN_DELAY says otherwise).
	env := append([]string{"SHUTDOWN_DELAY=0"}, os.Environ()...)
	var present []struct{ name, addr, admin string }
	for _, s := range services {
		if _, err := os.Stat(filepath.Join(root, "services", s.name, "cmd", s.name)); err == nil {
			present = append(present, s)
			env = append(env, strings.ToUpper(s.name)+"_URL=http://"+s.addr)
		}
	}
	if len(present) == 0 {
		return errors.New("no services under services/<name>/cmd/<name> yet")
	}
	env = append(env, "DEMO_DIR="+demoDir, "HUB_DEV_MODE=true")

	fmt.Println("building", len(present), "services")
	args := []string{"build", "-o", binDir + "/"}
	for _, s := range present {
		args = append(args, "./services/"+s.name+"/cmd/"+s.name)
	}
	if err := command(ctx, root, env, os.Stdout, "go", args...).Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}

	for _, s := range present {
		fmt.Println("migrating", s.name)
		var out bytes.Buffer
		if err := command(ctx, root, env, &out, filepath.Join(binDir, s.name), "migrate").Run(); err != nil {
			return fmt.Errorf("%s migrate: %w\n%s", s.name, err, out.String())
		}
	}

	var procs []*proc
	defer func() { stopAll(procs) }()
	for _, s := range present {
		logf, err := os.Create(filepath.Join(logDir, s.name+".log"))
		if err != nil {
			return err
		}
		defer logf.Close()
		cmd := exec.Command(filepath.Join(binDir, s.name), "serve")
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, logf, logf
		cmd.Env = append(env, "ADDR="+s.addr, "ADMIN_ADDR="+s.admin, "SERVICE_NAME="+s.name)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Ctrl-C reaches us, not them: we drain them in order
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start %s: %w", s.name, err)
		}
		p := &proc{name: s.name, url: "http://" + s.addr, admin: "http://" + s.admin, cmd: cmd, done: make(chan error, 1)}
		go func() { p.done <- cmd.Wait() }()
		procs = append(procs, p)
		if err := waitReady(ctx, p, filepath.Join(logDir, s.name+".log")); err != nil {
			return err
		}
		fmt.Printf("started %-10s %s\n", s.name, p.url)
	}

	demo := map[string]json.RawMessage{}
	for _, s := range present {
		var out, errOut bytes.Buffer
		cmd := command(ctx, root, env, &out, filepath.Join(binDir, s.name), "demo")
		cmd.Stderr = &errOut
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s demo: %w\n%s", s.name, err, errOut.String())
		}
		if !json.Valid(out.Bytes()) {
			return fmt.Errorf("%s demo printed no JSON: %q", s.name, out.String())
		}
		demo[s.name] = out.Bytes()
		if err := os.WriteFile(filepath.Join(demoDir, s.name+".json"), out.Bytes(), 0o644); err != nil {
			return err
		}
	}

	fmt.Println()
	fmt.Println("The stack is up. Services (JSON-RPC at <url>/rpc, discovery at <url>/openrpc.json):")
	for _, p := range procs {
		fmt.Printf("  %-10s %s   metrics: %s/metrics   log: .run/logs/%s.log\n", p.name, p.url, p.admin, p.name)
	}
	fmt.Println()
	fmt.Println("Demo data (also in .run/demo/<service>.json):")
	names := make([]string, 0, len(demo))
	for n := range demo {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		var pretty bytes.Buffer
		_ = json.Indent(&pretty, demo[n], "  ", "  ")
		fmt.Printf("  %s: %s\n", n, pretty.String())
	}
	fmt.Println()
	fmt.Println("Open:")
	for _, n := range names {
		var top map[string]any
		_ = json.Unmarshal(demo[n], &top)
		keys := make([]string, 0, len(top))
		for k := range top {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if u, ok := top[k].(string); ok && strings.HasSuffix(k, "_url") && strings.HasPrefix(u, "http") {
				fmt.Printf("  %-10s %-12s %s\n", n, strings.TrimSuffix(k, "_url"), u)
			}
		}
	}
	fmt.Println()
	fmt.Println("Ctrl-C stops everything.")

	select {
	case <-ctx.Done():
		fmt.Println("\nstopping the services (Ctrl-C again stops them at once)")
		stopAll(procs)
		procs = nil
		fmt.Println("stopped: every service has ended; the stores (Postgres, Redis, CouchDB) keep running")
		return nil
	case err := <-anyExit(procs):
		return err
	}
}

func command(ctx context.Context, dir string, env []string, stdout io.Writer, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, stdout, os.Stderr
	return cmd
}

// waitReady polls /readyz until the service answers 200, it exits, or a
// minute passes.
func waitReady(ctx context.Context, p *proc, logPath string) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			p.done <- err
			tail, _ := os.ReadFile(logPath)
			return fmt.Errorf("%s exited during start (%v):\n%s", p.name, err, lastLines(string(tail), 20))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get(p.url + "/readyz")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
	}
	return fmt.Errorf("%s not ready after a minute; see %s", p.name, logPath)
}

// anyExit reports the first service that exits on its own.
func anyExit(procs []*proc) <-chan error {
	c := make(chan error, len(procs))
	for _, p := range procs {
		go func() {
			err := <-p.done
			p.done <- err
			c <- fmt.Errorf("%s exited: %v (see .run/logs/%s.log)", p.name, err, p.name)
		}()
	}
	return c
}

// stopAll sends SIGTERM to every service, newest first, and waits for each
// to drain; a Ctrl-C (or SIGTERM) meanwhile kills the rest at once.
func stopAll(procs []*proc) {
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(again)
	hurry := false
	for i := len(procs) - 1; i >= 0; i-- {
		p := procs[i]
		if hurry {
			_ = p.cmd.Process.Kill()
		} else {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
		}
		select {
		case err := <-p.done:
			p.done <- err
			continue
		case <-again:
			hurry = true
		case <-time.After(30 * time.Second):
		}
		_ = p.cmd.Process.Kill()
		err := <-p.done
		p.done <- err
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
