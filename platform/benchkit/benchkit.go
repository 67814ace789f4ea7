// Package benchkit holds the measurement helpers of the benchmarks and load
// generators: the CPU time of this process (SelfCPU), of other processes by
// pid (ProcessCPU) or by command name (CommandCPU), of the whole machine
// (MachineBusy), and Redis' own time in one command (RedisCommand, from INFO
// commandstats); CPU profiles, this process's (StartCPUProfile) and a
// server's from its admin listener (FetchProfile); closed-loop load phases
// with their latencies and failures (Phase, Percentile, Latency); and what
// a load generator needs to start the servers it loads on stores of its own
// (Scratch, FreeAddr, WaitReady, Suffix).
//
// Apart from SelfCPU (getrusage) the CPU times come from Linux's /proc, in
// clock ticks of 10 ms: take differences over a run long enough for that to
// matter little. What cannot be read (another OS, a process that has
// exited) reads as zero. A pid is this machine's: that of a process in a
// container of its own names another process here, or none.
//
// It is for measuring, not for production paths: platform/shed reads the
// process's CPU time for load shedding on its own.
package benchkit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/platform/redisx"
)

// clockTick is the kernel's USER_HZ: /proc reports CPU time in ticks of
// 10 ms on Linux.
const clockTick = 10 * time.Millisecond

// commLen is the most bytes of a command name the kernel keeps
// (TASK_COMM_LEN less its terminating NUL).
const commLen = 15

// ProcessCPU is the user and system CPU time process pid has used
// (/proc/<pid>/stat), 0 when unknown.
func ProcessCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	_, cpu := procStat(fmt.Sprintf("/proc/%d/stat", pid))
	return cpu
}

// CommandCPU is, for each of names, the user and system CPU time used so
// far by the processes now running under that command name (the comm of
// /proc/<pid>/stat: "postgres", "redis-server"; names longer than the
// kernel's 15 bytes match on those). Every name is in the map, 0 when no
// such process runs. A process that exits takes its time with it: compare
// samples of long-lived processes.
func CommandCPU(names ...string) map[string]time.Duration {
	out := make(map[string]time.Duration, len(names))
	for _, n := range names {
		out[n] = 0
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		comm, cpu := procStat(p)
		for _, n := range names {
			if comm == n[:min(len(n), commLen)] {
				out[n] += cpu
			}
		}
	}
	return out
}

// procStat reads a /proc/<pid>/stat file: the command name and its user
// and system CPU time.
func procStat(path string) (comm string, cpu time.Duration) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", 0
	}
	// The command, which may hold spaces and parentheses, is between the
	// first '(' and the last ')'; the fields after it are numbered from 3
	// (state), so utime and stime (14 and 15) are the 12th and 13th.
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return "", 0
	}
	f := strings.Fields(s[end+1:])
	if len(f) < 13 {
		return "", 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return s[open+1 : end], time.Duration(u+st) * clockTick
}

// MachineBusy is the CPU time all CPUs have spent on anything but idling
// and waiting for I/O since boot (the "cpu" line of /proc/stat), 0 when
// unknown.
func MachineBusy() time.Duration {
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

// RedisCommand is Redis' count of calls of command name ("evalsha",
// "xadd"; any case) and the time it spent in them, in µs, since its
// statistics were last reset: the cmdstat_<name> line of INFO
// commandstats, summed over every primary of a cluster. Both are 0 when the
// command has not run. They count every client's calls: measure on a Redis
// of its own, or a quiet one.
func RedisCommand(ctx context.Context, rdb redis.UniversalClient, name string) (calls int64, usec float64, err error) {
	prefix := "cmdstat_" + strings.ToLower(name) + ":"
	var mu sync.Mutex
	err = redisx.EachPrimary(ctx, rdb, func() { calls, usec = 0, 0 }, func(ctx context.Context, node redis.Cmdable) error {
		info, err := node.Info(ctx, "commandstats").Result()
		if err != nil {
			return err
		}
		c, u := parseCommandStat(info, prefix)
		mu.Lock()
		calls, usec = calls+c, usec+u
		mu.Unlock()
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return calls, usec, nil
}

// parseCommandStat reads the calls and usec of the line of info that starts
// with prefix ("cmdstat_evalsha:calls=3,usec=41,usec_per_call=13.67,...").
func parseCommandStat(info, prefix string) (calls int64, usec float64) {
	for line := range strings.Lines(info) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), prefix)
		if !ok {
			continue
		}
		for kv := range strings.SplitSeq(rest, ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "calls":
				calls, _ = strconv.ParseInt(v, 10, 64)
			case "usec":
				usec, _ = strconv.ParseFloat(v, 64)
			}
		}
		break
	}
	return calls, usec
}
