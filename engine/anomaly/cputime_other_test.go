//go:build !unix

package anomaly

import "time"

// processCPU is not measured off unix.
func processCPU() time.Duration { return 0 }
