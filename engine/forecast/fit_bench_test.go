package forecast

import (
	"math/rand/v2"
	"testing"

	"stockroom/model"
)

// BenchmarkFit fits the fast models replenishment plans with on 365 days
// of Poisson demand (2 a day):
//
//	go test ./engine/forecast -run '^$' -bench 'Fit/' -benchmem -count 5
func BenchmarkFit(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	y := make([]float64, 365)
	for i := range y {
		k := 0
		for p := r.ExpFloat64(); p < 2; p += r.ExpFloat64() {
			k++
		}
		y[i] = float64(k)
	}
	s := &Series{ID: "x", Start: model.MustDate("2025-01-01"), Freq: Daily, Values: y}
	h := NewHistory(s)
	for _, name := range []string{"ses", "sba", "tsb"} {
		m, err := NewModel(name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := m.Fit(h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
