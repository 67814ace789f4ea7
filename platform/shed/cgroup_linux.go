package shed

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"
)

// The cgroup files, as mounted in a container (the process's own cgroup
// appears at the root of /sys/fs/cgroup).
const (
	cgroupV2Stat  = "/sys/fs/cgroup/cpu.stat"
	cgroupV1Usage = "/sys/fs/cgroup/cpuacct/cpuacct.usage"
)

// cgroupCPU returns a reader of the cgroup's CPU time used, if there is one.
func cgroupCPU() (name string, read func() (time.Duration, bool), ok bool) {
	if _, ok := readV2Usage(); ok {
		return "cgroup v2", readV2Usage, true
	}
	if _, ok := readV1Usage(); ok {
		return "cgroup v1", readV1Usage, true
	}
	return "", nil, false
}

// readV2Usage reads usage_usec from cgroup v2 cpu.stat.
func readV2Usage() (time.Duration, bool) {
	b, err := os.ReadFile(cgroupV2Stat)
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "usage_usec "); ok {
			us, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return time.Duration(us) * time.Microsecond, err == nil
		}
	}
	return 0, false
}

// readV1Usage reads cgroup v1 cpuacct.usage (nanoseconds).
func readV1Usage() (time.Duration, bool) {
	b, err := os.ReadFile(cgroupV1Usage)
	if err != nil {
		return 0, false
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return time.Duration(ns), err == nil
}

// cgroupQuota reads the CPU quota of the process's cgroup, in CPUs
// (cgroup v2 cpu.max, else v1 cpu.cfs_quota_us / cpu.cfs_period_us, as
// mounted in a container). ok is false when there is no quota.
func cgroupQuota() (cpus float64, ok bool) {
	if b, err := os.ReadFile("/sys/fs/cgroup/cpu.max"); err == nil {
		f := strings.Fields(string(b))
		if len(f) == 2 && f[0] != "max" {
			return ratio(f[0], f[1])
		}
		return 0, false
	}
	q, err1 := os.ReadFile("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
	p, err2 := os.ReadFile("/sys/fs/cgroup/cpu/cpu.cfs_period_us")
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return ratio(strings.TrimSpace(string(q)), strings.TrimSpace(string(p)))
}

func ratio(quota, period string) (float64, bool) {
	q, err1 := strconv.ParseFloat(quota, 64)
	p, err2 := strconv.ParseFloat(period, 64)
	if err1 != nil || err2 != nil || q <= 0 || p <= 0 {
		return 0, false
	}
	return q / p, true
}
