package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attendify/platform/testkit"
)

// startService runs a service on the real Redis with cfg changed by edit,
// and stops it when the test ends; register adds its jobs before Run.
func startService(t *testing.T, edit func(*Config), register func(*Service)) (stop func()) {
	t.Helper()
	testkit.Redis(t)
	cfg, err := LoadConfig[Config]()
	if err != nil {
		t.Fatal(err)
	}
	cfg.ShutdownDelay = 0
	if edit != nil {
		edit(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := New(ctx, "periodic", cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	register(svc)
	errc := make(chan error, 1)
	go func() { errc <- svc.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-errc; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// A periodic job runs every interval; a failure is logged with the job's
// name under "error" and the next tick tries again; it stops with the
// service, which it never stops itself, and no round starts after Run
// returned.
func TestPeriodicRetriesAfterFailureAndStopsWithTheService(t *testing.T) {
	var logs syncBuffer
	var rounds atomic.Int32
	var stopped atomic.Bool
	third := make(chan struct{})
	stop := startService(t, nil, func(svc *Service) {
		svc.Periodic(Periodic{
			Name:     "probe-sweeper",
			Interval: 5 * time.Millisecond,
			Log:      slog.New(slog.NewJSONHandler(&logs, nil)),
			Run: func(context.Context) error {
				if stopped.Load() {
					t.Error("a round ran after the service stopped")
				}
				switch rounds.Add(1) {
				case 1, 2:
					return errors.New("store unreachable")
				case 3:
					close(third)
				}
				return nil
			},
		})
	})
	select {
	case <-third:
	case <-time.After(time.Minute):
		t.Fatalf("the job did not run a third time; logs: %s", logs.String())
	}
	stop()
	stopped.Store(true)

	var failures int
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l struct {
			Msg    string `json:"msg"`
			Worker string `json:"worker"`
			Error  string `json:"error"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if l.Worker != "probe-sweeper" || l.Error != "store unreachable" {
			t.Errorf("failure logged without the job's name or its error: %s", line)
		}
		failures++
	}
	if failures != 2 {
		t.Errorf("%d failures logged, want 2: %s", failures, logs.String())
	}
}

// AtStart runs the job as the service starts; without it the first round
// waits for the first tick.
func TestPeriodicAtStart(t *testing.T) {
	var atStart, onTick atomic.Int32
	ran := make(chan struct{})
	stop := startService(t, nil, func(svc *Service) {
		svc.Periodic(Periodic{Name: "at-start", Interval: time.Hour, AtStart: true, Run: func(context.Context) error {
			if atStart.Add(1) == 1 {
				close(ran)
			}
			return nil
		}})
		svc.Periodic(Periodic{Name: "on-tick", Interval: time.Hour, Run: func(context.Context) error {
			onTick.Add(1)
			return nil
		}})
	})
	select {
	case <-ran:
	case <-time.After(time.Minute):
		t.Fatal("the AtStart job did not run at start")
	}
	stop()
	if n := atStart.Load(); n != 1 {
		t.Errorf("AtStart job ran %d times in its first hour, want 1", n)
	}
	if n := onTick.Load(); n != 0 {
		t.Errorf("job without AtStart ran %d times before its first tick", n)
	}
}

// A job with Wake runs as soon as it is woken, long before its tick.
func TestPeriodicWake(t *testing.T) {
	wake := make(chan struct{})
	ran := make(chan struct{}, 1)
	stop := startService(t, nil, func(svc *Service) {
		svc.Periodic(Periodic{Name: "woken", Interval: time.Hour, Wake: wake, Run: func(context.Context) error {
			ran <- struct{}{}
			return nil
		}})
	})
	defer stop()
	for i := range 3 {
		select {
		case wake <- struct{}{}:
		case <-time.After(time.Minute):
			t.Fatalf("wake-up %d not taken", i+1)
		}
		select {
		case <-ran:
		case <-time.After(time.Minute):
			t.Fatalf("the job did not run after wake-up %d", i+1)
		}
	}
}

// A process run as another environment without workers starts no periodic
// job, as it starts no worker; with workers it does.
func TestPeriodicRespectsRunAs(t *testing.T) {
	for _, workers := range []bool{false, true} {
		var runs atomic.Int32
		ran := make(chan struct{})
		stop := startService(t, func(c *Config) {
			c.RunAs = RunAsConfig{Env: "qa", Workers: workers, ID: "laptop-1"}
		}, func(svc *Service) {
			svc.Periodic(Periodic{Name: "sweeper", Interval: time.Hour, AtStart: true, Run: func(context.Context) error {
				if runs.Add(1) == 1 {
					close(ran)
				}
				return nil
			}})
		})
		if workers {
			select {
			case <-ran:
			case <-time.After(time.Minute):
				t.Fatal("run as with workers: the job did not start")
			}
		}
		stop()
		if got, want := runs.Load(), map[bool]int32{false: 0, true: 1}[workers]; got != want {
			t.Errorf("run as, workers=%v: job ran %d times, want %d", workers, got, want)
		}
	}
}

// A job without a positive interval is refused as it is registered, not
// when its ticker would panic inside the running service.
func TestPeriodicRefusesNoInterval(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a job without an interval")
		}
	}()
	s := &Service{Log: slog.Default()}
	s.Periodic(Periodic{Name: "sweeper", Run: func(context.Context) error { return nil }})
}

// syncBuffer is a bytes.Buffer safe for a logger's writes from a worker and
// the test's reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
