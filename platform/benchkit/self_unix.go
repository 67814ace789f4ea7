//go:build unix

package benchkit

import (
	"syscall"
	"time"
)

// SelfCPU is the user and system CPU time this process has used
// (getrusage), 0 when unknown.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
