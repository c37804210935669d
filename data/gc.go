package data

import (
	"runtime/debug"
	"sync"
)

// importGCPercent is the collector's target while an import runs. An
// import makes garbage at a steady rate (a parsed row, a key, a boxed
// value per line) and keeps a bounded working set, so it can collect less
// often: BenchmarkImportSales, four interleaved runs each under the
// binary's 256 MiB soft limit (which still caps the heap), median 2.24 s ->
// 2.07 s per million rows, ratio 0.71-0.85 -> 0.81-0.86. Peak RSS of
// `stockroom import` on a million rows rose from 288 to 365 MB; on four
// million it stays at the limit's ceiling (about 420 MB either way).
const importGCPercent = 400

var gcState struct {
	sync.Mutex
	users int
	prev  int
}

// relaxGC raises the collector's target until the returned func is
// called; overlapping imports share one raise.
func relaxGC() (restore func()) {
	gcState.Lock()
	if gcState.users == 0 {
		gcState.prev = debug.SetGCPercent(importGCPercent)
		if gcState.prev < 0 || gcState.prev > importGCPercent {
			// GOGC=off or higher already: leave it.
			debug.SetGCPercent(gcState.prev)
		}
	}
	gcState.users++
	gcState.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			gcState.Lock()
			gcState.users--
			if gcState.users == 0 {
				debug.SetGCPercent(gcState.prev)
			}
			gcState.Unlock()
		})
	}
}
