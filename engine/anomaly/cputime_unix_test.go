//go:build unix

package anomaly

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) the process has used: on a
// machine shared with other work, the honest measure of what a run costs.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
