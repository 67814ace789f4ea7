package testkit

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisServer is a private redis-server process that belongs to one test:
// for tests that kill Redis and bring it back empty, which they must never do
// to the shared server. It listens on a free loopback port, keeps nothing on
// disk (no RDB snapshots, no AOF), and is killed when the test ends.
type RedisServer struct {
	// Addr is host:port; URL is redis://Addr/0.
	Addr string
	URL  string

	t    testing.TB
	bin  string
	port int
	dir  string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	runs int
	// args are extra redis-server arguments (a cluster node's).
	args []string
}

// StartRedisServer starts a private Redis for t (Debian's redis-server, or
// the binary named by REDIS_SERVER). Without the binary the test fails: it
// never skips.
func StartRedisServer(t testing.TB) *RedisServer {
	t.Helper()
	return startRedisServer(t)
}

func startRedisServer(t testing.TB, args ...string) *RedisServer {
	t.Helper()
	bin := env("REDIS_SERVER", "redis-server")
	path, err := exec.LookPath(bin)
	if err != nil {
		t.Fatalf("testkit: %s is not installed: run `make services` (it installs Debian's redis-server), or set REDIS_SERVER: %v", bin, err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("testkit: find a free port for redis-server: %v", err)
	}
	s := &RedisServer{
		Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		t:    t, bin: path, port: port, dir: t.TempDir(), args: args,
	}
	s.URL = "redis://" + s.Addr + "/0"
	t.Cleanup(s.Kill)
	s.start()
	return s
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Client returns a client of the server, closed when the test ends. It
// reconnects by itself after Restart.
func (s *RedisServer) Client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	s.t.Cleanup(func() { _ = c.Close() })
	return c
}

// Kill kills the server at once (SIGKILL) and waits until it is gone: what it
// held is lost. Killing a stopped server does nothing.
func (s *RedisServer) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Restart starts the server again, empty, on the same port, and returns once
// it answers. The server is killed first if it runs.
func (s *RedisServer) Restart() {
	s.t.Helper()
	s.Kill()
	s.start()
}

// start runs redis-server and waits until it answers PING; the port may stay
// busy for a moment after a kill, so a start that fails is tried again.
func (s *RedisServer) start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	deadline := time.Now().Add(WaitLimit)
	for {
		s.runs++
		logPath := filepath.Join(s.dir, fmt.Sprintf("redis-%d.log", s.runs))
		args := append([]string{
			"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", s.dir,
			"--daemonize", "no", "--protected-mode", "no", "--logfile", logPath,
		}, s.args...)
		cmd := exec.Command(s.bin, args...)
		if err := cmd.Start(); err != nil {
			s.t.Fatalf("testkit: start redis-server: %v", err)
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		if s.answers(cmd.Process.Pid, done) {
			s.cmd, s.done = cmd, done
			return
		}
		_ = cmd.Process.Kill()
		<-done
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			s.t.Fatalf("testkit: redis-server on %s did not start within %v; its log:\n%s", s.Addr, WaitLimit, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// answers waits until the server with process id pid answers (true) or
// exits (false).
func (s *RedisServer) answers(pid int, exited <-chan struct{}) bool {
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	for range 500 {
		select {
		case <-exited:
			return false
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		info, err := c.Info(ctx, "server").Result()
		cancel()
		if err == nil {
			// Another server that took the port meanwhile is not ours.
			return strings.Contains(info, "process_id:"+strconv.Itoa(pid)+"\r\n")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}
