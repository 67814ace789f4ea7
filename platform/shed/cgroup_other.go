//go:build !linux

package shed

import "time"

func cgroupQuota() (float64, bool) { return 0, false }

func cgroupCPU() (string, func() (time.Duration, bool), bool) { return "", nil, false }
