package anomaly

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
)

// BenchmarkEnsemble_Push: one new daily point on a warm series (16 weeks
// of history), the cost the pipeline pays per series and day.
func BenchmarkEnsemble_Push(b *testing.B) {
	xs := genDaily(1, 400, 30, 0, true)
	e := NewEnsemble(DailyConfig())
	for _, x := range xs[:300] {
		e.Push(x)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		e.Push(xs[300+i%100])
	}
}

// BenchmarkDetector_Push: each detector alone, daily configuration.
func BenchmarkDetector_Push(b *testing.B) {
	xs := genDaily(1, 400, 30, 3, false)
	for _, c := range []struct {
		name string
		d    Detector
	}{
		{"robust_z", NewSeasonalZ(SeasonalZConfig{Period: 7, Window: 112})},
		{"iqr", NewIQR(IQRConfig{Window: 112})},
		{"level_shift", NewLevelShift(ChangeConfig{Window: 224})},
		{"variance_shift", NewVarianceShift(ChangeConfig{Window: 224})},
		{"iforest", NewIForest(IForestConfig{Window: 112})},
		{"novelty", NewNovelty(NoveltyConfig{})},
	} {
		b.Run(c.name, func(b *testing.B) {
			for _, x := range xs[:300] {
				c.d.Push(x)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				c.d.Push(xs[300+i%100])
			}
		})
	}
}

// BenchmarkEnsemble_100kSeries scores one new day for each of 100,000
// warm series (states held in memory, as a serving process holds them),
// on GOMAXPROCS goroutines. One iteration is the whole day; ns/op is its
// wall time, cpu-µs/series the CPU it took (GC included).
func BenchmarkEnsemble_100kSeries(b *testing.B) {
	n := benchSeries
	const hist = 140
	states := make([]*Ensemble, n)
	next := make([]float64, n)
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				xs := genDaily(uint64(i), hist+1, float64(1+i%200), 0, true)
				e := NewEnsemble(DailyConfig())
				for _, x := range xs[:hist] {
					e.Push(x)
				}
				states[i], next[i] = e, xs[hist]
			}
		}(w)
	}
	wg.Wait()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap := float64(ms.HeapAlloc) / float64(n)
	b.ResetTimer()
	cpu0 := processCPU()
	for b.Loop() {
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := w; i < n; i += workers {
					states[i].Push(next[i])
				}
			}(w)
		}
		wg.Wait()
	}
	cpu := processCPU() - cpu0
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/series")
	// CPU time per series: the wall time of a day on two idle cores is
	// about n × this / 2.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N)/float64(n), "cpu-µs/series")
	b.ReportMetric(heap, "heap-B/series")
}

// benchSeries is how many series BenchmarkEnsemble_100kSeries holds; the
// name says 100k and so does the default, but a quick look can use fewer.
var benchSeries = func() int {
	if v, err := strconv.Atoi(os.Getenv("STOCKROOM_BENCH_SERIES")); err == nil && v > 0 {
		return v
	}
	return 100_000
}()
