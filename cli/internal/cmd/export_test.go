package cmd

import "time"

// SetStreamIdle sets how long a wall's stream may stay silent before it is
// replaced, for a test; it answers the function that restores it.
func SetStreamIdle(d time.Duration) (restore func()) {
	was := streamIdle
	streamIdle = d
	return func() { streamIdle = was }
}
