package shed

import (
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// CPUSampler measures CPU usage in the background: every interval it reads
// the CPU time used, divides it by the wall time and the CPUs available,
// and smooths the result with an exponentially weighted moving average.
//
// It reads two sources and reports the busier one:
//   - on Linux, the cgroup the process runs in (cgroup v2 cpu.stat, or v1
//     cpuacct.usage) against the cgroup's CPU quota, or all CPUs without a
//     quota, as go-zero and Kratos do. In a container that is the
//     service's own usage against its limit; on a shared host it is the
//     host's load, which slows this process as much as its own work does;
//   - the process's own CPU time (getrusage) against GOMAXPROCS (or a
//     lower quota): a process keeping all of its Ps busy is hot even on a
//     large, idle host.
//
// Where neither is available the usage reads 0 (never hot).
type CPUSampler struct {
	usage   atomic.Uint64 // float64 bits
	sources []cpuSource
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// cpuSource is one place CPU time is read.
type cpuSource struct {
	name  string                       // for logs: "cgroup v2", "cgroup v1", "process"
	read  func() (time.Duration, bool) // CPU time used so far
	limit float64                      // CPUs the time is measured against
}

// Sampler defaults, used by ProcessCPU: a sample every 100ms, each weighing
// 10% against the history, so that a sudden saturation reads above 0.9
// after about two seconds and a momentary spike does not.
const (
	DefaultCPUInterval = 100 * time.Millisecond
	DefaultCPUDecay    = 0.9
)

// NewCPUSampler starts sampling every interval; decay (0..1) is the weight
// of the previous average against a new sample. Close stops it.
func NewCPUSampler(interval time.Duration, decay float64) *CPUSampler {
	if interval <= 0 {
		interval = DefaultCPUInterval
	}
	if decay < 0 || decay >= 1 {
		decay = DefaultCPUDecay
	}
	c := &CPUSampler{sources: cpuSources(), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run(interval, decay)
	return c
}

// Source names what the sampler measures, for logs: "cgroup v1+process",
// "process", "none"...
func (c *CPUSampler) Source() string {
	if len(c.sources) == 0 {
		return "none"
	}
	names := make([]string, len(c.sources))
	for i, s := range c.sources {
		names[i] = s.name
	}
	return strings.Join(names, "+")
}

// Usage returns the smoothed CPU usage, 0..1.
func (c *CPUSampler) Usage() float64 { return math.Float64frombits(c.usage.Load()) }

// Close stops the sampler.
func (c *CPUSampler) Close() {
	c.once.Do(func() { close(c.stop) })
	<-c.done
}

func (c *CPUSampler) run(interval time.Duration, decay float64) {
	defer close(c.done)
	if len(c.sources) == 0 {
		return
	}
	last := make([]time.Duration, len(c.sources))
	for i, s := range c.sources {
		last[i], _ = s.read()
	}
	lastWall := time.Now()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		wall := time.Now()
		dw := wall.Sub(lastWall)
		if dw <= 0 {
			continue
		}
		lastWall = wall
		sample := 0.0
		for i, s := range c.sources {
			used, ok := s.read()
			if !ok {
				continue
			}
			sample = max(sample, float64(used-last[i])/(float64(dw)*s.limit))
			last[i] = used
		}
		sample = min(1, max(0, sample))
		c.usage.Store(math.Float64bits(c.Usage()*decay + sample*(1-decay)))
	}
}

var (
	processOnce sync.Once
	processCPU  *CPUSampler
)

// ProcessCPU returns the process-wide sampler with the default settings,
// starting it on first use; it runs for the life of the process and is
// shared by every Shedder that does not bring its own CPU.
func ProcessCPU() *CPUSampler {
	processOnce.Do(func() { processCPU = NewCPUSampler(DefaultCPUInterval, DefaultCPUDecay) })
	return processCPU
}

// cpuSources lists the sources available here.
func cpuSources() []cpuSource {
	var out []cpuSource
	quota, hasQuota := cgroupQuota()
	capped := func(limit float64) float64 {
		if hasQuota && quota < limit {
			return quota
		}
		return limit
	}
	if name, read, ok := cgroupCPU(); ok {
		out = append(out, cpuSource{name: name, read: read, limit: capped(float64(runtime.NumCPU()))})
	}
	if _, ok := processCPUTime(); ok {
		out = append(out, cpuSource{name: "process", read: processCPUTime, limit: capped(float64(runtime.GOMAXPROCS(0)))})
	}
	return out
}
