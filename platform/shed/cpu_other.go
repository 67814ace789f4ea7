//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package shed

import "time"

func processCPUTime() (time.Duration, bool) { return 0, false }
