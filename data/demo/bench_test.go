package demo_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"stockroom/data/demo"
	"stockroom/model"
)

// BenchmarkGenerate measures a whole run at the default size and, with
// STOCKROOM_LONG=1, at 100,000 items. Besides time it reports the sales
// rows, all rows written per second, the bytes written and the peak heap
// in use (sampled every 30 simulated days).
func BenchmarkGenerate(b *testing.B) {
	sizes := []int{2000}
	if os.Getenv("STOCKROOM_LONG") != "" {
		sizes = append(sizes, 100000)
	}
	for _, n := range sizes {
		b.Run("items="+strconv.Itoa(n), func(b *testing.B) {
			var sum demo.Summary
			var peak uint64
			for i := range b.N {
				dir := filepath.Join(b.TempDir(), strconv.Itoa(i))
				var err error
				sum, err = demo.Generate(context.Background(), dir, demo.Options{Items: n, Seed: 1, End: model.MustDate("2026-11-25")},
					func(done, _ int64) {
						if done/int64(n)%30 == 0 {
							var ms runtime.MemStats
							runtime.ReadMemStats(&ms)
							peak = max(peak, ms.HeapInuse)
						}
					})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				os.RemoveAll(dir)
				b.StartTimer()
			}
			var rows, bytes int64
			for _, f := range sum.Files {
				rows += f.Rows
				bytes += f.Bytes
			}
			b.ReportMetric(float64(sum.SalesRows), "sales-rows")
			b.ReportMetric(float64(rows), "import-rows")
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(bytes)/(1<<20), "MB-written")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}
