package benchkit_test

import (
	"context"
	"testing"
	"time"

	"github.com/attendify/platform/benchkit"
	"github.com/attendify/platform/testkit"
)

// burnUntil keeps a CPU busy until done holds, failing the test after
// testkit.WaitLimit: /proc counts in ticks of 10 ms, so a measure may need
// a few of them to move.
func burnUntil(t *testing.T, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(testkit.WaitLimit)
	x := uint64(1)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not grow in %s of busy work", what, testkit.WaitLimit)
		}
		for range 1_000_000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	if x == 0 { // keep the loop from being optimized away
		t.Log(x)
	}
}

func TestSelfCPU(t *testing.T) {
	before := benchkit.SelfCPU()
	if before <= 0 {
		t.Fatalf("SelfCPU() = %v at the start of a test, want more than 0", before)
	}
	burnUntil(t, "SelfCPU", func() bool { return benchkit.SelfCPU() > before })
}

func TestRedisCommand(t *testing.T) {
	ctx := testkit.Context(t)
	rdb, _ := testkit.Redis(t)
	calls0, usec0, err := benchkit.RedisCommand(ctx, rdb, "echo")
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	for range n {
		if err := rdb.Echo(ctx, "benchkit").Err(); err != nil {
			t.Fatal(err)
		}
	}
	// Other tests' clients may call ECHO too: the counts only grow.
	calls, usec, err := benchkit.RedisCommand(ctx, rdb, "ECHO")
	if err != nil {
		t.Fatal(err)
	}
	if calls < calls0+n {
		t.Errorf("ECHO calls went from %d to %d after %d of them", calls0, calls, n)
	}
	if usec < usec0 {
		t.Errorf("ECHO's time went back from %v to %v µs", usec0, usec)
	}

	calls, usec, err = benchkit.RedisCommand(ctx, rdb, "no-such-command")
	if err != nil || calls != 0 || usec != 0 {
		t.Errorf("RedisCommand(no-such-command) = %d, %v, %v; want 0, 0, nil", calls, usec, err)
	}

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := benchkit.RedisCommand(canceled, rdb, "echo"); err == nil {
		t.Error("RedisCommand with a canceled context returned no error")
	}
}
