package benchkit_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/attendify/platform/benchkit"
)

func TestProcessCPU(t *testing.T) {
	pid := os.Getpid()
	before := benchkit.ProcessCPU(pid)
	burnUntil(t, "ProcessCPU(own pid)", func() bool { return benchkit.ProcessCPU(pid) > before })
	for _, pid := range []int{0, -1, 1 << 30} {
		if got := benchkit.ProcessCPU(pid); got != 0 {
			t.Errorf("ProcessCPU(%d) = %v, want 0", pid, got)
		}
	}
}

func TestCommandCPU(t *testing.T) {
	self := filepath.Base(os.Args[0]) // this test binary's command name
	const absent = "no-such-command"
	pid := os.Getpid()
	burnUntil(t, "ProcessCPU(own pid)", func() bool { return benchkit.ProcessCPU(pid) > 0 })
	own := benchkit.ProcessCPU(pid)
	got := benchkit.CommandCPU(self, absent)
	if got[self] < own {
		t.Errorf("CommandCPU(%q) = %v, want at least this process's %v", self, got[self], own)
	}
	if v, ok := got[absent]; !ok || v != 0 {
		t.Errorf("CommandCPU(%q) = %v (in the map: %v), want 0 in the map", absent, v, ok)
	}

	// The kernel keeps 15 bytes of a name: a longer one matches on those.
	const long = "benchkit-test-with-a-long-name"
	if err := os.WriteFile("/proc/self/comm", []byte(long), 0); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = os.WriteFile("/proc/self/comm", []byte(self), 0) }()
	own = benchkit.ProcessCPU(pid)
	if got := benchkit.CommandCPU(long)[long]; got < own {
		t.Errorf("CommandCPU(%q) = %v, want at least this process's %v", long, got, own)
	}
}

func TestMachineBusy(t *testing.T) {
	before := benchkit.MachineBusy()
	if before <= 0 {
		t.Fatalf("MachineBusy() = %v, want more than 0 since boot", before)
	}
	burnUntil(t, "MachineBusy", func() bool { return benchkit.MachineBusy() > before })
}
