package gate

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

// hold takes a worker of g in the background until release is closed.
func hold(t *testing.T, g *Gate, release <-chan struct{}) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- g.Do(context.Background(), func() { <-release }) }()
	return done
}

func TestGateBoundsWorkQueuesAndRefuses(t *testing.T) {
	reg := prometheus.NewRegistry()
	g := New(Options{Name: "password", Workers: 2, Queue: 1, MaxWait: time.Hour, RetryAfter: 2 * time.Second, Registerer: reg})
	release := make(chan struct{})
	first, second := hold(t, g, release), hold(t, g, release)
	testkit.Eventually(t, "both workers busy", func() bool { return testutil.ToFloat64(g.m.busy) == 2 })

	queued := hold(t, g, release)
	testkit.Eventually(t, "a caller queued", func() bool { return g.waiting.Load() == 1 })

	err := g.Do(context.Background(), func() { t.Error("work ran past a full queue") })
	if e, ok := errs.As(err); !ok || e.Code != errs.CodeOverloaded || e.RetryAfter != 2*time.Second || !strings.Contains(e.Msg, "password") {
		t.Fatalf("past the queue: %v, want overloaded with a 2s hint naming the work", err)
	}
	if n := testutil.ToFloat64(g.m.refusedFull); n != 1 {
		t.Errorf("gate_refused_total{reason=queue_full} = %v, want 1", n)
	}

	close(release)
	for _, c := range []<-chan error{first, second, queued} {
		if err := <-c; err != nil {
			t.Errorf("admitted work: %v", err)
		}
	}
	if b, w := testutil.ToFloat64(g.m.busy), testutil.ToFloat64(g.m.waiting); b != 0 || w != 0 {
		t.Errorf("after the work: busy %v, waiting %v; want 0 and 0", b, w)
	}
	ran := false
	if err := g.Do(context.Background(), func() { ran = true }); err != nil || !ran {
		t.Errorf("a free gate: %v, ran %v", err, ran)
	}
}

func TestGateRefusesAfterMaxWait(t *testing.T) {
	g := New(Options{Workers: 1, MaxWait: 20 * time.Millisecond})
	release := make(chan struct{})
	defer close(release)
	_ = hold(t, g, release)
	testkit.Eventually(t, "the worker busy", func() bool { return testutil.ToFloat64(g.m.busy) == 1 })
	err := g.Do(context.Background(), func() { t.Error("work ran while the only worker was busy") })
	if errs.CodeOf(err) != errs.CodeOverloaded || !errs.CodeOf(err).Retryable() {
		t.Fatalf("got %v, want retryable overloaded", err)
	}
	if n := testutil.ToFloat64(g.m.refusedWait); n != 1 {
		t.Errorf("gate_refused_total{reason=timeout} = %v, want 1", n)
	}
}

func TestGateWaitEndsWithTheContext(t *testing.T) {
	g := New(Options{Workers: 1, MaxWait: time.Hour})
	release := make(chan struct{})
	defer close(release)
	_ = hold(t, g, release)
	testkit.Eventually(t, "the worker busy", func() bool { return testutil.ToFloat64(g.m.busy) == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Do(ctx, func() {}) }()
	testkit.Eventually(t, "a caller queued", func() bool { return g.waiting.Load() == 1 })
	cancel()
	if err := <-done; errs.KindOf(err) != errs.Canceled {
		t.Fatalf("got %v, want canceled", err)
	}
}

func TestGatesShareARegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := New(Options{Name: "a", Workers: 3, Registerer: reg})
	_ = New(Options{Name: "b", Workers: 5, Registerer: reg})
	if err := a.Do(context.Background(), func() {}); err != nil {
		t.Fatal(err)
	}
	n, err := testutil.GatherAndCount(reg, "gate_workers", "gate_wait_seconds")
	if err != nil || n != 4 { // a gauge and a histogram per gate
		t.Errorf("series = %d, %v; want 4", n, err)
	}
}

func TestEnterLeaveTwiceFreesOneWorker(t *testing.T) {
	g := New(Options{Workers: 1, Queue: -1})
	leave, err := g.Enter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	leave()
	leave()
	l2, err := g.Enter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer l2()
	if _, err := g.Enter(context.Background()); errs.CodeOf(err) != errs.CodeOverloaded {
		t.Errorf("a second worker of one after a double leave: %v", err)
	}
}
