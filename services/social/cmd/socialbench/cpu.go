package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/attendify/platform/benchkit"
)

// cpuSample is the machine's busy CPU time and that of the processes
// beside the server that a feed page makes work: Redis, the Postgres
// backends, sponsored (its counter reads the impression records) and
// this load generator.
type cpuSample struct {
	machine time.Duration
	byComm  map[string]time.Duration
}

// watched are the command names cpuSample adds up.
var watched = []string{"redis-server", "postgres", "sponsored", "socialbench"}

func sampleCPU() cpuSample {
	return cpuSample{machine: benchkit.MachineBusy(), byComm: benchkit.CommandCPU(watched...)}
}

// perRequest formats what the machine and each watched process spent per
// request between two samples, in µs.
func perRequest(a, b cpuSample, requests int64) (machineUS float64, line string) {
	if requests <= 0 || b.machine == 0 {
		return 0, ""
	}
	us := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(requests) }
	machineUS = us(b.machine - a.machine)
	parts := []string{fmt.Sprintf("machine %.0f µs", machineUS)}
	for _, w := range watched {
		parts = append(parts, fmt.Sprintf("%s %.0f", w, us(b.byComm[w]-a.byComm[w])))
	}
	return machineUS, strings.Join(parts, ", ")
}

// spread formats xs (in any order; not changed) as "median M (min A, max
// B)", each number with verb and the median followed by unit: the figures
// of interleaved rounds. The median of an even count is the upper middle.
func spread(xs []float64, verb, unit string) string {
	s := slices.Sorted(slices.Values(xs))
	return fmt.Sprintf("median "+verb+unit+" (min "+verb+", max "+verb+")", s[len(s)/2], s[0], s[len(s)-1])
}
