package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDemand_Push(t *testing.T) {
	const d = 300
	for _, c := range []struct {
		name   string
		level  float64
		lumpy  bool // bought about 4 at a time
		inject func(xs []float64)
		stored bool // an alarm within 30 days of day d is stored
	}{
		// A thin series that goes from one sale in three days to one and a
		// half a day: the detectors are right that it changed, but a few
		// units a week are not worth a look.
		{"a thin series that sells a few more a week", 0.3, false, func(xs []float64) {
			copy(xs[d:], genDaily(1+100, len(xs), 1.5, 0, true)[d:])
		}, false},
		{"a typed 100 on a thin series", 1, false, func(xs []float64) { xs[d] = 100 }, true},
		// Twelve on one day is three ordinary baskets for an item bought
		// four at a time, and a typed 100 is not.
		{"a day of 12 on a series bought in fours", 0.6, true, func(xs []float64) { xs[d] = 12 }, false},
		{"a typed 100 on a series bought in fours", 0.6, true, func(xs []float64) { xs[d] = 100 }, true},
		{"a dip to nothing at 12 a day", 12, false, func(xs []float64) { xs[d] = 0 }, true},
		{"a feed stuck for ten days", 12, false, func(xs []float64) {
			for i := d; i < d+10; i++ {
				xs[i] = xs[d-1]
			}
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			xs := genDaily(1, 400, c.level, 0, true)
			if c.lumpy {
				xs = genLumpy(1, 400, c.level, 4)
			}
			c.inject(xs)
			var raised, stored []int
			dm := NewDemand(DailyConfig(), DemandFilter{})
			en := NewEnsemble(DailyConfig())
			for i, x := range xs {
				en.Push(x)
				p, store := dm.Push(i%7, x)
				if p.Alarm != en.Last().Alarm || p.Raw != en.Last().Raw {
					t.Fatalf("day %d: Demand's verdict %+v differs from the ensemble's %+v", i, p, en.Last())
				}
				if p.Alarm && i >= d && i < d+30 {
					raised = append(raised, i)
				}
				if store {
					if !p.Alarm {
						t.Fatalf("day %d stored without an alarm", i)
					}
					if i >= d && i < d+30 {
						stored = append(stored, i)
					}
				}
			}
			if len(raised) == 0 {
				t.Fatalf("the ensemble raised nothing: the case tests nothing")
			}
			if (len(stored) > 0) != c.stored {
				t.Errorf("alarms %v, stored %v; want stored: %v", raised, stored, c.stored)
			}
		})
	}
	// Missing days are neither stored nor counted as a repeat.
	dm := NewDemand(DailyConfig(), DemandFilter{})
	for i := range 20 {
		if _, store := dm.Push(i%7, math.NaN()); store {
			t.Fatalf("a missing day stored")
		}
	}
}

// genLumpy is daily demand of purchases that come as a Poisson stream and
// buy a geometric number of units each (mean lump): rate units a day in
// all, the way a slow item bought a few at a time sells.
func genLumpy(seed uint64, n int, rate, lump float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 11))
	xs := make([]float64, n)
	for i := range xs {
		for range poissonDraw(r, rate/lump) {
			u := 1
			for r.Float64() < 1-1/lump {
				u++
			}
			xs[i] += float64(u)
		}
	}
	return xs
}

// Known answers: Poisson(1) has P(X ≥ 3) = 1 − e⁻¹·2.5; the negative
// binomial of mean 2 and variance 4 (size 2, p ½) has P(X ≥ 3) =
// 1 − (¼ + ¼ + 3/16).
func TestLogNBTail(t *testing.T) {
	for _, c := range []struct{ k, mu, vr, want float64 }{
		{3, 1, 1, 1 - math.Exp(-1)*2.5},
		{3, 2, 4, 0.3125},
		{1, 2, 4, 0.75},
		{0, 2, 4, 1},
		{2.5, 1, 1, 1 - math.Exp(-1)*2.5}, // whole units: 2.5 needs 3
		{1, 0, 0, 0},
	} {
		if got := math.Exp(logNBTail(c.k, c.mu, c.vr)); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("P(X ≥ %g | mean %g, var %g) = %.10f, want %.10f", c.k, c.mu, c.vr, got, c.want)
		}
	}
	// Far out it is tiny but finite, not 0: a typed 1,000 still ranks.
	if l := logNBTail(1000, 1, 1); math.IsInf(l, 0) || l > -1000 {
		t.Errorf("log P(X ≥ 1000 | Poisson 1) = %g", l)
	}
}
