//go:build !unix

package benchkit

import "time"

// SelfCPU is the user and system CPU time this process has used: 0 here,
// where getrusage is missing.
func SelfCPU() time.Duration { return 0 }
