// Command stack runs the whole Attendify stack on one machine, for `make run`:
// it builds every service, migrates each one's schema, starts them on their
// local addresses, waits until each is ready, loads the demo data through the
// services' own APIs, prints the URLs and demo credentials, and stops
// everything (SIGTERM, then a drain) on Ctrl-C.
//
// Run from the repository root after `make services`:
//
//	go run ./dev/cmd/stack [-port 8081] [-json FILE]
//
// The services listen on consecutive ports from -port (STACK_PORT), so that
// a second stack can run beside the first. When the demo is loaded it prints
// a short summary: what was loaded, the pages to open in a browser, the demo
// organizer's login, where the tokens were written (.run/demo/tokens.env,
// mode 0600, with their expiry) and curl commands that work as printed;
// -json also writes the whole summary, tokens included, to FILE (mode 0600)
// for scripts.
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
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// services in start and demo order; each listens on 127.0.0.1, at the
// base port plus its index, and serves its metrics on an admin listener
// 1000 ports above.
var services = []string{"hub", "importer", "social", "sponsored", "analytics", "eventwall", "multievent"}

// adminOffset is how far above a service's port its admin listener is.
const adminOffset = 1000

// options are the stack's flags.
type options struct {
	root     string    // the repository root (where go.work is)
	runDir   string    // binaries, logs and the demo's files (default root/.run)
	port     int       // the first service's port
	jsonPath string    // where to write the summary as JSON; empty: nowhere
	out      io.Writer // where the progress and the summary are printed
	// ready, when set, receives the summary once it is printed (tests).
	ready chan<- Summary
}

func main() {
	o := options{out: os.Stdout, port: 8081}
	if p := os.Getenv("STACK_PORT"); p != "" {
		if _, err := fmt.Sscan(p, &o.port); err != nil {
			fmt.Fprintln(os.Stderr, "stack: STACK_PORT:", err)
			os.Exit(2)
		}
	}
	flag.IntVar(&o.port, "port", o.port, "the first service's port; the others follow (env STACK_PORT)")
	flag.StringVar(&o.jsonPath, "json", "", "also write the summary, tokens included, as JSON to this file (mode 0600)")
	flag.Parse()
	restore := takeTerminal()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
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

func run(ctx context.Context, o options) error {
	if o.root == "" {
		var err error
		if o.root, err = os.Getwd(); err != nil {
			return err
		}
	}
	root := o.root
	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		return errors.New("run from the repository root (where go.work is)")
	}
	runDir := o.runDir
	if runDir == "" {
		runDir = filepath.Join(root, ".run")
	}
	binDir := filepath.Join(runDir, "bin")
	logDir := filepath.Join(runDir, "logs")
	demoDir := filepath.Join(runDir, "demo")
	for _, d := range []string{binDir, logDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	// The demo's files hold tokens: only their owner reads them.
	if err := os.MkdirAll(demoDir, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(demoDir, 0o700); err != nil {
		return err
	}

	// No balancer watches the services' readiness here: they stop without
	// the shutdown delay (unless SHUTDOWN_DELAY says otherwise).
	env := append([]string{"SHUTDOWN_DELAY=0"}, os.Environ()...)
	type svc struct{ name, addr, admin string }
	var present []svc
	for i, name := range services {
		if _, err := os.Stat(filepath.Join(root, "services", name, "cmd", name)); err == nil {
			s := svc{name, fmt.Sprintf("127.0.0.1:%d", o.port+i), fmt.Sprintf("127.0.0.1:%d", o.port+i+adminOffset)}
			present = append(present, s)
			// NAME_URL is where the demos call it, NAME_PUBLIC_URL the
			// base of the links it hands out (sponsors' reports, calendars).
			env = append(env, strings.ToUpper(name)+"_URL=http://"+s.addr, strings.ToUpper(name)+"_PUBLIC_URL=http://"+s.addr)
		}
	}
	if len(present) == 0 {
		return errors.New("no services under services/<name>/cmd/<name> yet")
	}
	env = append(env, "DEMO_DIR="+demoDir, "HUB_DEV_MODE=true")
	out := o.out

	fmt.Fprintln(out, "building", len(present), "services")
	args := []string{"build", "-o", binDir + "/"}
	for _, s := range present {
		args = append(args, "./services/"+s.name+"/cmd/"+s.name)
	}
	if err := command(ctx, root, env, out, "go", args...).Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}

	for _, s := range present {
		fmt.Fprintln(out, "migrating", s.name)
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
		fmt.Fprintf(out, "started %-10s %s\n", s.name, p.url)
	}

	demo := map[string]json.RawMessage{}
	for _, s := range present {
		var res, errOut bytes.Buffer
		cmd := command(ctx, root, env, &res, filepath.Join(binDir, s.name), "demo")
		cmd.Stderr = &errOut
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s demo: %w\n%s", s.name, err, errOut.String())
		}
		if !json.Valid(res.Bytes()) {
			return fmt.Errorf("%s demo printed no JSON: %q", s.name, res.String())
		}
		demo[s.name] = res.Bytes()
		if err := writePrivate(filepath.Join(demoDir, s.name+".json"), res.Bytes()); err != nil {
			return err
		}
	}

	urls, admins := map[string]string{}, map[string]string{}
	for _, p := range procs {
		urls[p.name], admins[p.name] = p.url, p.admin
	}
	sum, err := summarize(demo, urls, admins, demoDir)
	if err != nil {
		return err
	}
	if err := writePrivate(sum.TokensFile, []byte(tokensEnv(sum))); err != nil {
		return err
	}
	if o.jsonPath != "" {
		b, err := json.MarshalIndent(sum, "", "  ")
		if err != nil {
			return err
		}
		if err := writePrivate(o.jsonPath, append(b, '\n')); err != nil {
			return err
		}
	}
	fmt.Fprintln(out)
	printSummary(out, sum, o.jsonPath)
	if o.ready != nil {
		o.ready <- sum
	}

	select {
	case <-ctx.Done():
		fmt.Fprintln(out, "\nstopping the services (Ctrl-C again stops them at once)")
		stopAll(procs)
		procs = nil
		fmt.Fprintln(out, "stopped: every service has ended; the stores (Postgres, Redis, CouchDB) keep running")
		return nil
	case err := <-anyExit(procs, logDir):
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
func anyExit(procs []*proc, logDir string) <-chan error {
	c := make(chan error, len(procs))
	for _, p := range procs {
		go func() {
			err := <-p.done
			p.done <- err
			c <- fmt.Errorf("%s exited: %v (see %s)", p.name, err, filepath.Join(logDir, p.name+".log"))
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
