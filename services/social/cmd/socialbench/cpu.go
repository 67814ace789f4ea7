package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the kernel's USER_HZ: /proc reports CPU time in ticks of
// 10 ms on Linux.
const clockTick = 10 * time.Millisecond

// processCPU is the user+system CPU time of process pid (from
// /proc/<pid>/stat), 0 when unknown.
func processCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	_, cpu := procStat(fmt.Sprintf("/proc/%d/stat", pid))
	return cpu
}

// procStat reads a /proc/<pid>/stat file: the command name and its
// user+system CPU time.
func procStat(path string) (comm string, cpu time.Duration) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", 0
	}
	// The command (which may hold spaces) is in parentheses; the fields
	// after it are numbered from 3 (state).
	head, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return "", 0
	}
	_, comm, _ = strings.Cut(head, "(")
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return comm, time.Duration(u+s) * clockTick
}

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
	s := cpuSample{machine: machineBusy(), byComm: map[string]time.Duration{}}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		comm, cpu := procStat(p)
		for _, w := range watched {
			if comm == w {
				s.byComm[w] += cpu
			}
		}
	}
	return s
}

// machineBusy is the CPU time all CPUs spent on anything but idling and
// waiting for I/O since boot (the "cpu" line of /proc/stat).
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 7 { // guest time is already in user
			break
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		busy += n
	}
	return time.Duration(busy) * clockTick
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
