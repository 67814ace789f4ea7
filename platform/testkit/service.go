package testkit

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Build builds the main package pkg (an import path of the workspace, such
// as "github.com/attendify/hub/cmd/hub") into the test's temporary
// directory and returns the executable's path. The go command's cache
// makes a rebuild cheap.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), path.Base(pkg))
	out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("testkit: build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// Service is a service binary running for a test (StartService).
type Service struct {
	// URL is where it listens: http://127.0.0.1:<port>.
	URL string

	t       testing.TB
	cmd     *exec.Cmd
	exited  chan error
	copied  chan struct{}
	logPath string
	once    sync.Once
}

// StartService runs `bin serve` with the test's environment plus env, on a
// port of its choosing (or ADDR's, when env sets it: a replica started again
// where its callers expect it), and returns once the service logs where it listens
// (the platform runner's "listening" line, which comes once it is ready).
// The service is stopped (SIGINT, then killed after WaitLimit) when the test
// ends; its log is in the test's output when the test failed.
func StartService(t testing.TB, bin string, env ...string) *Service {
	t.Helper()
	dir := t.TempDir()
	s := &Service{t: t, exited: make(chan error, 1), copied: make(chan struct{}), logPath: filepath.Join(dir, filepath.Base(bin)+".log")}
	s.cmd = exec.Command(bin, "serve")
	// The last value of a variable wins: the log level that the
	// "listening" line needs; a free port unless env names one. No balancer watches its readiness:
	// it stops without the shutdown delay unless env says otherwise.
	s.cmd.Env = append(append(append(os.Environ(), "SHUTDOWN_DELAY=0", "ADDR=127.0.0.1:0"), env...), "LOG_LEVEL=INFO")
	logf, err := os.Create(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	out, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stdout, s.cmd.Stderr = w, w
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("testkit: start %s: %v", bin, err)
	}
	w.Close()
	listening := make(chan string, 1)
	go func() {
		defer close(s.copied)
		defer logf.Close()
		defer out.Close()
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			_, _ = logf.Write(append(sc.Bytes(), '\n'))
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" && line.Addr != "" {
				select {
				case listening <- line.Addr:
				default:
				}
			}
		}
	}()
	go func() { s.exited <- s.cmd.Wait() }()
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("%s's log:\n%s", filepath.Base(bin), s.Log())
		}
	})
	select {
	case addr := <-listening:
		s.URL = "http://" + addr
	case err := <-s.exited:
		s.exited <- err // for Stop
		t.Fatalf("testkit: %s exited during start: %v\n%s", filepath.Base(bin), err, s.Log())
	case <-time.After(2 * WaitLimit):
		t.Fatalf("testkit: %s not listening after %v", filepath.Base(bin), 2*WaitLimit)
	}
	return s
}

// Exited reports whether the service has exited (by itself, or stopped),
// and with what.
func (s *Service) Exited() (bool, error) {
	select {
	case err := <-s.exited:
		s.exited <- err // for Stop
		return true, err
	default:
		return false, nil
	}
}

// Stop stops the service (SIGINT, as on Ctrl-C; killed if it has not
// stopped after WaitLimit) and waits until it is gone. Stopping a stopped
// service does nothing.
func (s *Service) Stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.exited:
		case <-time.After(WaitLimit):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		<-s.copied
	})
}

// Kill kills the service at once (SIGKILL: no drain, no stop hooks, leases
// and pending work left as they were) and waits until it is gone.
func (s *Service) Kill() {
	s.once.Do(func() {
		_ = s.cmd.Process.Kill()
		<-s.exited
		<-s.copied
	})
}

// Log returns what the service has logged so far (all of it once stopped).
func (s *Service) Log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// FreeAddr returns a loopback host:port free now, for a service whose
// address its callers must know before it starts.
func FreeAddr(t testing.TB) string {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatalf("testkit: find a free port: %v", err)
	}
	return "127.0.0.1:" + strconv.Itoa(port)
}
